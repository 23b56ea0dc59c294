"""Link targets of the document text, kept as Markdown reference definitions after the text.

The text shows a link's words only; where it points matters too (a new sub-processor list URL, a
DPA link pointing elsewhere). Each distinct (link text, target) of the rendered text is listed once,
in order, after the text::

    [sub-processor list]: https://example.com/legal/subprocessors

Targets are normalised so that nothing volatile is left to churn: made absolute against the page,
the fragment dropped, and query parameters that track or identify a visit removed (``utm_*``,
``gclid``, ``fbclid``, session ids, and values that look like hashes or ids). Links within the page
(``#…``), to the page itself, and ``javascript:`` / ``tel:`` / ``data:`` links are not listed.
``diffing.links`` compares the definitions of two versions.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlsplit, urlunsplit

from .tree import text_of

__all__ = ["link_definitions", "normalise_target", "MAX_LINKS"]

MAX_LINKS = 400
MAX_TEXT = 80
_TRACKING = re.compile(
    r"^(?:utm_\w*|gclid|gclsrc|dclid|gbraid|wbraid|fbclid|msclkid|twclid|li_fat_id|mc_cid|mc_eid|_ga|_gl|"
    r"_hsenc|_hsmi|hsctatracking|igshid|yclid|ref|ref_src|referrer|trk|trkcampaign|cmpid|sc_cid|"
    r"s?sid|session|sessionid|session_id|jsessionid|phpsessid|aspsessionid\w*|cfid|cftoken|token|"
    r"nonce|ts|timestamp|cache|cachebust|_|v|ver|rnd|rand)$",
    re.I,
)
_ID_VALUE = re.compile(r"^(?=.*\d)[\w-]{16,}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_PATH_SESSION = re.compile(r";(?:jsessionid|sessionid|sid)=[^/?#]*", re.I)
_SKIP_SCHEMES = ("javascript:", "tel:", "data:", "sms:", "about:", "blob:")


def normalise_target(href: str, page_url: str = "") -> str | None:
    """The comparable form of a link target, or None when the link is not listed."""
    href = (href or "").strip()
    if not href or href.startswith("#") or href.lower().startswith(_SKIP_SCHEMES):
        return None
    base = urldefrag(page_url)[0] if page_url else ""
    absolute = urldefrag(urljoin(base, href) if base else href)[0]
    parts = urlsplit(absolute)
    if parts.scheme.lower() == "mailto":
        return "mailto:" + parts.path.lower()
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True)
             if not _TRACKING.match(key) and not _ID_VALUE.match(value)]
    path = _PATH_SESSION.sub("", parts.path) or "/"
    target = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(sorted(query)), ""))
    if base and target.rstrip("/") == urldefrag(base)[0].rstrip("/"):
        return None  # the page itself
    return target


def link_definitions(regions, rendered: str, page_url: str) -> str:
    """The reference definitions of the links in ``regions`` whose text is in ``rendered``."""
    seen: set[tuple[str, str]] = set()
    lines: list[str] = []
    flat = None  # the rendered text with its whitespace collapsed, once a link needs it
    for region in regions:
        for a in region.iter("a"):
            target = normalise_target(a.get("href", ""), page_url)
            text = " ".join(text_of(a).split()) if target is not None else ""
            if not text:
                continue
            flat = flat if flat is not None else " ".join(rendered.split())
            if text not in flat:
                continue
            label = text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1].rstrip() + "…"
            label = label.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
            if (label, target) in seen:
                continue
            seen.add((label, target))
            lines.append(f"[{label}]: {target}")
            if len(lines) >= MAX_LINKS:
                return "\n".join(lines)
    return "\n".join(lines)
