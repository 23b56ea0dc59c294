"""Redirect stubs: a short page that only sends the reader elsewhere (the document has moved).

Three shapes, judged on the raw tree before scripts and ``<head>`` are stripped:

- ``<meta http-equiv="refresh" content="0; url=…">``;
- a script that assigns the location (``location.href = "…"``, ``window.location = "…"``,
  ``location.replace("…")``, ``location.assign("…")``);
- a page whose only link is introduced as a redirection ("Redirecting to …").

Only a short page is a stub (under ``STUB_MAX_WORDS`` words of body text): a long document that
carries a redirect script for old browsers is still the document. The target is made absolute
against the page URL; a target equal to the page itself is no move.
"""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin

from lxml import etree

from .tree import text_of
from .wordcount import has_runs

__all__ = ["redirect_target", "stub_target", "STUB_MAX_WORDS"]

STUB_MAX_WORDS = 60
_REFRESH_URL = re.compile(r"^\s*\d*(?:\.\d+)?\s*[;,]?\s*(?:url\s*=\s*)?['\"]?([^'\"\s]+)", re.I)
_SCRIPT_TARGET = re.compile(
    r"(?:\blocation\s*\.\s*(?:replace|assign)\s*\(\s*|\blocation(?:\s*\.\s*href)?\s*=\s*)"
    r"(['\"`])([^'\"`\s]+)\1"
)
_REDIRECTING = re.compile(r"redirect", re.I)


def _absolute(url: str, target: str) -> str | None:
    target = target.strip()
    if not target or target.lower().startswith(("javascript:", "data:", "#")):
        return None
    base = urldefrag(url)[0] if url else ""
    absolute = urljoin(base, target) if base else target
    if not re.match(r"https?://", absolute, re.I):
        return None
    if urldefrag(absolute)[0].rstrip("/") == base.rstrip("/"):
        return None
    return absolute


def redirect_target(root, url: str) -> str | None:
    """The absolute URL a short stub page sends its reader to, or None when it is no stub."""
    body = root.find("body")
    if body is not None and _has_visible_words(body, STUB_MAX_WORDS):
        return None
    for meta in root.iter("meta"):
        if (meta.get("http-equiv") or "").strip().lower() == "refresh":
            match = _REFRESH_URL.match(meta.get("content") or "")
            target = _absolute(url, match.group(1)) if match and "=" in (meta.get("content") or "") else None
            if target:
                return target
    for script in root.iter("script"):
        match = _SCRIPT_TARGET.search(script.text or "")
        if match:
            target = _absolute(url, match.group(2))
            if target:
                return target
    if body is not None:
        links = [a for a in body.iter("a") if a.get("href")]
        if len(links) == 1 and _REDIRECTING.search(text_of(body)):
            return _absolute(url, links[0].get("href"))
    return None


_HIDDEN = frozenset(("script", "style", "noscript", "template"))


def _visible_text(el):
    """The text nodes of `el` outside its scripts, styles, noscript and template, in document order,
    read lazily (a caller that has enough stops the walk)."""
    walker = etree.iterwalk(el, events=("start", "end"))
    for event, node in walker:
        if event == "start":
            if node.tag in _HIDDEN:
                walker.skip_subtree()  # its end event still comes: its tail is visible
            elif node.text and isinstance(node.tag, str):
                yield node.text
        elif node is not el and node.tail:
            yield node.tail


def _has_visible_words(el, count: int) -> bool:
    """``el`` has at least `count` words outside its scripts and styles (the tree is not stripped yet).

    Only the visible text is read (a page's inline scripts can be most of its bytes), and only as
    far as needed (wordcount.has_runs): a long document stops after a few dozen words."""
    return has_runs(_visible_text(el), count)


def stub_target(body: bytes, url: str, content_type: str | None = None) -> str | None:
    """The target of a redirect stub served as `body`, or None (the fetch stage follows it with follow_moves)."""
    from .tree import parse

    if len(body) > 64 * 1024 or b"<" not in body[:4096]:
        return None  # a stub is a short HTML page
    try:
        root = parse(body, content_type)
    except Exception:  # noqa: BLE001 - a page that does not parse is not a stub; extraction reports it
        return None
    return None if root is None else redirect_target(root, url)
