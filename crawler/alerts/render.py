"""A digest for people: the subject, a text form (chat channels, e-mail's text part) and HTML (e-mail).

Fetched text is attacker-controlled: the HTML form escapes every string that comes from a page or
a profile, and both forms replace control characters (an escape sequence in a page must not reach
a terminal or a chat client). Chat channels have size limits: `fit` keeps whole blocks (one per
change) and ends with the links of those left out, so a message is never refused for its size.

    clausewatch: 2 material changes — Mistral API (EU data residency), …
"""

from __future__ import annotations

import html
import re

from crawler.alerts.digest import AnomalyView, ChangeView, DigestView, FindingView
from crawler.alerts.excerpts import Excerpt
from diffing.diff import DELETE, EQUAL, INSERT

SUBJECT_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(r"\s+")
INS_STYLE = "background:#e6ffec;text-decoration:none"
DEL_STYLE = "background:#ffebe9"


def clean(text) -> str:
    return _CONTROL.sub("\ufffd", str(text or ""))


def line(text) -> str:
    """One line: control characters replaced, whitespace collapsed."""
    return _SPACES.sub(" ", clean(text)).strip()


def e(text) -> str:
    return html.escape(line(text), quote=True)


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


# -- subject ---------------------------------------------------------------------------------
def headline(view: DigestView) -> str:
    """'2 material changes, 1 minor change, 1 anomaly opened'."""
    counts: dict[str, int] = {}
    for sig in view.changes.values():
        counts[sig.value] = counts.get(sig.value, 0) + 1
    parts = [_plural(counts[s], f"{s} change") for s in ("material", "minor", "cosmetic") if counts.get(s)]
    opened = sum(1 for a in view.anomalies if a.opened)
    closed = len(view.anomalies) - opened
    if opened:
        parts.append(f"{_plural(opened, 'anomaly', 'anomalies')} opened")
    if closed:
        parts.append(f"{_plural(closed, 'anomaly', 'anomalies')} closed")
    return ", ".join(parts) or "nothing to report"


def subject(view: DigestView) -> str:
    labels: dict[str, list[str]] = {}  # profile name -> criteria it may affect, anomalies
    for p in view.profiles:
        labels.setdefault(line(p.name), []).extend(line(g.criterion.label) for g in p.groups if g.criterion)
    for a in view.anomalies:
        for name in a.profiles:
            labels.setdefault(line(name), []).append(f"{a.kind}" if a.opened else f"{a.kind} resolved")
    who = [f"{name} ({', '.join(dict.fromkeys(items))})" if items else name for name, items in labels.items()]
    text = f"clausewatch: {'[test] ' if view.sample else ''}{headline(view)}"
    if who:
        text += " — " + ", ".join(who)
    return text if len(text) <= SUBJECT_CHARS else text[: SUBJECT_CHARS - 1].rstrip(" ,") + "…"


# -- text ------------------------------------------------------------------------------------
def excerpt_text(x: Excerpt) -> str:
    body = ["…"] if x.elided_before else []
    for op, text in x.parts:
        text = _SPACES.sub(" ", clean(text))
        body.append(text if op == EQUAL else (f"[-{text}-]" if op == DELETE else f"{{+{text}+}}"))
    if x.elided_after:
        body.append("…")
    where = f"{line(x.section)}: " if x.section else ""
    return where + _SPACES.sub(" ", "".join(body)).strip()


def _finding_text(f: FindingView) -> list[str]:
    crit = f" ({line(f.criterion)})" if f.criterion else ""
    where = f" [{line(f.section)}]" if f.section else ""
    out = [f"    - {f.kind}{crit}{where}: {line(f.detail)}"]
    if f.excerpt is not None:
        out.append(f"        {excerpt_text(f.excerpt)}")
    return out


def change_text(c: ChangeView, full: bool) -> str:
    if not full:
        return f"  * {c.significance} · {line(c.source)}: see above — {c.link}"
    out = [f"  * {c.significance.upper()} · {line(c.source)}: {line(c.summary)}", f"    {c.link}"]
    if c.criteria:
        out.append("    may affect: " + ", ".join(f"{line(x.label)} (rated {line(x.rating)})" for x in c.criteria))
    if c.detailed:
        for f in c.findings:
            out.extend(_finding_text(f))
        if c.more_findings:
            out.append(f"    - and {_plural(c.more_findings, 'more finding')}")
    return "\n".join(out)


def anomaly_text(a: AnomalyView) -> str:
    state = "OPENED" if a.opened else "closed"
    where = "; ".join(line(s) for s in a.sources) or line(a.url)
    detail = f": {line(a.detail)}" if a.detail and a.opened else ""
    return f"  * {state} · {a.kind} · {where} — {line(a.url)}{detail}"


def text_blocks(view: DigestView) -> list[tuple[str, str | None]]:
    """(block, link of its change) in order."""
    blocks: list[tuple[str, str | None]] = [(f"clausewatch — {headline(view)}" + (" (a sample digest)" if view.sample else ""), None)]
    for p in view.profiles:
        blocks.append((f"\n== {line(p.name)} ==", None))
        for g in p.groups:
            title = f"{line(g.criterion.label)} — rated {line(g.criterion.rating)}" if g.criterion else "Other changes"
            blocks.append((f"\n{title}", None))
            for c, full in g.entries:
                blocks.append((change_text(c, full), c.link))
    if view.anomalies:
        blocks.append(("\n== Anomalies ==", None))
        blocks.extend((anomaly_text(a), None) for a in view.anomalies)
    return blocks


def footer(view: DigestView, digest_id: int | None) -> str:
    ref = f"digest {digest_id}" if digest_id else ("sample digest" if view.sample else "digest")
    return f"\n-- \n{ref} for subscription {line(view.subscription)}" + (f", run {view.run_id}" if view.run_id else "")


def text(view: DigestView, digest_id: int | None = None) -> str:
    return "\n".join(b for b, _ in text_blocks(view)) + "\n" + footer(view, digest_id)


def fit(message: str, limit: int, base_url: str = "") -> str:
    """`message` within `limit` characters: whole lines kept, then the links of the changes left out."""
    if limit <= 0 or len(message) <= limit:
        return message
    reserve = min(400, limit // 3)
    cut = message[: limit - reserve]
    if "\n" in cut:
        cut = cut[: cut.rindex("\n")]
    links = re.compile(re.escape(base_url) + r"/changes/\d+") if base_url else None
    shown = set(links.findall(cut)) if links else set()
    left = [x for x in dict.fromkeys(links.findall(message[len(cut):]))if x not in shown] if links else []
    tail = "\n… cut to fit this channel"
    if left:
        tail += f"; {_plural(len(left), 'more change')}:"
        for i, link in enumerate(left):
            if len(cut) + len(tail) + len(link) + 3 > limit:
                tail += " …"
                break
            tail += " " + link
    elif base_url:
        tail += f"; everything on {base_url}"
    result = cut + tail
    return result if len(result) <= limit else result[: limit - 1] + "…"


# -- HTML ------------------------------------------------------------------------------------
def excerpt_html(x: Excerpt) -> str:
    body = ["…"] if x.elided_before else []
    for op, part in x.parts:
        escaped = html.escape(_SPACES.sub(" ", clean(part)))
        if op == EQUAL:
            body.append(escaped)
        elif op == DELETE:
            body.append(f'<del style="{DEL_STYLE}">{escaped}</del>')
        elif op == INSERT:
            body.append(f'<ins style="{INS_STYLE}">{escaped}</ins>')
    if x.elided_after:
        body.append("…")
    where = f"<strong>{e(x.section)}</strong>: " if x.section else ""
    return (f'<blockquote style="margin:4px 0 4px 12px;padding-left:8px;border-left:3px solid #ccc;'
            f'font-family:monospace;white-space:pre-wrap">{where}{"".join(body).strip()}</blockquote>')


def change_html(c: ChangeView, full: bool) -> str:
    link = f'<a href="{e(c.link)}">{e(c.link)}</a>'  # the URL as text too: the e-mail's text part is made from this'
    if not full:
        return f"<li>{e(c.significance)} · {e(c.source)}: see above — {link}</li>"
    out = [f"<li><strong>{e(c.significance.upper())}</strong> · {e(c.source)}: {e(c.summary)} — {link}"]
    if c.criteria:
        out.append("<div>may affect: " + ", ".join(f"{e(x.label)} (rated <em>{e(x.rating)}</em>)" for x in c.criteria)
                   + "</div>")
    if c.detailed and c.findings:
        out.append("<ul>")
        for f in c.findings:
            crit = f" ({e(f.criterion)})" if f.criterion else ""
            where = f" [{e(f.section)}]" if f.section else ""
            out.append(f"<li>{e(f.kind)}{crit}{where}: {e(f.detail)}"
                       + (excerpt_html(f.excerpt) if f.excerpt is not None else "") + "</li>")
        if c.more_findings:
            out.append(f"<li>and {_plural(c.more_findings, 'more finding')}</li>")
        out.append("</ul>")
    out.append("</li>")
    return "\n".join(out)


def anomaly_html(a: AnomalyView) -> str:
    where = "; ".join(e(s) for s in a.sources) or e(a.url)
    detail = f": {e(a.detail)}" if a.detail and a.opened else ""
    return (f"<li><strong>{'opened' if a.opened else 'closed'}</strong> · {e(a.kind)} · {where} — "
            f'<a href="{e(a.url)}">{e(a.url)}</a>{detail}</li>')


def html_body(view: DigestView, digest_id: int | None = None) -> str:
    out = ['<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
           '<body style="font-family:sans-serif;font-size:14px">',
           f"<h1 style=\"font-size:18px\">clausewatch — {e(headline(view))}{' (a sample digest)' if view.sample else ''}</h1>"]
    for p in view.profiles:
        out.append(f'<h2 style="font-size:16px">{e(p.name)}</h2>')
        for g in p.groups:
            title = (f"{e(g.criterion.label)} — rated <em>{e(g.criterion.rating)}</em>" if g.criterion
                     else "Other changes")
            out.append(f'<h3 style="font-size:14px">{title}</h3><ul>')
            out.extend(change_html(c, full) for c, full in g.entries)
            out.append("</ul>")
    if view.anomalies:
        out.append('<h2 style="font-size:16px">Anomalies</h2><ul>')
        out.extend(anomaly_html(a) for a in view.anomalies)
        out.append("</ul>")
    ref = f"digest {digest_id}" if digest_id else ("sample digest" if view.sample else "digest")
    out.append(f'<p style="color:#666;font-size:12px">{ref} for subscription {e(view.subscription)}'
               + (f", run {e(view.run_id)}" if view.run_id else "") + "</p></body></html>")
    return "\n".join(out)
