"""Every reported change as an entry of an Atom feed (RFC 4287), of all profiles or of one.

    atom_feed(archive_or_session, profile="mistral-api", base_url="https://cw.example.org") -> str

An entry is one change (a change cited by several profiles is one entry listing each); its id is
a `tag:` URI (RFC 4151) made of the base URL's host, the day the change was detected and the
change id, so it never changes and is the same in every feed. Each entry has the summary (text),
the findings and affected criteria (HTML content, every string escaped) and the link to the review
page, which serves this feed at /feed.atom. Characters XML 1.0 forbids are replaced.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from crawler.alerts.render import e, line
from snapshots import reported

ATOM = "http://www.w3.org/2005/Atom"
_XML_INVALID = re.compile(r"[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(text) -> str:
    return _XML_INVALID.sub("\ufffd", str(text or ""))


def _when(value: dt.datetime) -> str:
    return value.replace(microsecond=0).isoformat() + "Z"


def tag_id(base_url: str, change_id: int, detected_at: dt.datetime) -> str:
    host = (urlsplit(base_url).hostname or "clausewatch.invalid").lower()
    return f"tag:{host},{detected_at:%Y-%m-%d}:change/{change_id}"


def _sub(parent, name: str, text: str | None = None, **attrs):
    el = ET.SubElement(parent, f"{{{ATOM}}}{name}", {k: _x(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _x(text)
    return el


def _names(catalog, pid: str, sid: str) -> tuple[str, str, dict]:
    p = catalog.profiles.get(pid) if catalog is not None else None
    if p is None:
        return pid, sid, {}
    return p.name, (p.sources[sid].label if sid in p.sources else sid), {c.id: c for c in p.criteria}


def _content(change: reported.ChangeRow, catalog) -> str:
    parts = []
    for a in change.assessments:
        name, source, criteria = _names(catalog, a.profile, a.source)
        parts.append(f"<h3>{e(name)} · {e(source)}: {e(a.significance)}</h3><p>{e(a.summary)}</p>")
        if a.affected_criteria:
            labels = [f"{e(criteria[c].label)} (rated {e(criteria[c].rating)})" if c in criteria else e(c)
                      for c in a.affected_criteria]
            parts.append(f"<p>may affect: {', '.join(labels)}</p>")
        if a.findings:
            parts.append("<ul>" + "".join(
                f"<li>{e(f.kind)}{' (' + e(f.criterion) + ')' if f.criterion else ''}"
                f"{' [' + e(f.section) + ']' if f.section else ''}: {e(f.detail)}</li>" for f in a.findings) + "</ul>")
    parts.append(f'<p><a href="{e(change.url)}">{e(change.url)}</a></p>')
    return "\n".join(parts)


def atom_feed(session_or_archive, *, profile: str | None = None, base_url: str, limit: int = 100,
              catalog=None) -> str:
    """The feed as an XML document (str). `catalog` (optional) gives profile names and criterion labels."""
    if hasattr(session_or_archive, "reading"):
        with session_or_archive.reading() as session:
            return atom_feed(session, profile=profile, base_url=base_url, limit=limit, catalog=catalog)
    base_url = base_url.rstrip("/")
    changes = reported.reported_changes(session_or_archive, profile=profile, limit=limit)
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    name = _names(catalog, profile, "")[0] if profile else None
    host = (urlsplit(base_url).hostname or "clausewatch.invalid").lower()
    _sub(feed, "id", f"tag:{host},2026:feed/{profile or 'all'}")
    _sub(feed, "title", f"clausewatch: changes of {line(name)}" if profile else "clausewatch: reported changes")
    updated = max((c.detected_at for c in changes), default=dt.datetime(2026, 1, 1))
    _sub(feed, "updated", _when(updated))
    author = _sub(feed, "author")
    _sub(author, "name", "clausewatch")
    _sub(feed, "link", rel="self", href=f"{base_url}/feed.atom" + (f"?profile={profile}" if profile else ""))
    _sub(feed, "link", rel="alternate", href=base_url + "/")
    _sub(feed, "generator", "clausewatch")
    for c in changes:
        entry = _sub(feed, "entry")
        _sub(entry, "id", tag_id(base_url, c.id, c.detected_at))
        top = max(c.assessments, key=lambda a: ("cosmetic", "minor", "material").index(a.significance), default=None)
        title = line(top.summary) if top else f"change {c.id}"
        sig = f"[{top.significance}] " if top else ""
        _sub(entry, "title", f"{sig}{title}"[:300])
        _sub(entry, "updated", _when(c.detected_at))
        _sub(entry, "published", _when(c.detected_at))
        _sub(entry, "link", rel="alternate", type="text/html", href=f"{base_url}/changes/{c.id}")
        for a in c.assessments:
            _sub(entry, "category", term=a.profile, label=_names(catalog, a.profile, a.source)[0])
        _sub(entry, "summary", "; ".join(line(a.summary) for a in c.assessments)[:1000], type="text")
        _sub(entry, "content", _content(c, catalog), type="html")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"
