"""A URL fragment as a selector: ``https://example.com/terms/#platform-terms`` cites one part of a page.

Legal hubs put several documents on one page and users cite one of them by its anchor. Without
declared ``select`` rules, the fragment picks:

- the element with that ``id`` (or the ``<a name>`` of that name), when it holds the text itself —
  an ``<article id="platform-terms">``, a tab panel, a ``<section>``;
- the section of a heading, when the anchor is the heading or sits on or just before it (``<h2
  id=…>``, ``<h2><a id=…></a>…</h2>``, ``<a id=…></a><h2>…</h2>``): from the heading to the next
  heading of the same or a higher level.

A fragment that is a client-side route (``#/privacy``, ``#!privacy``) or a text fragment
(``#:~:text=…``) is not an anchor and selects nothing. Fetches never send the fragment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from .selection import section_clone
from .tree import text_of

__all__ = ["anchor_of", "FragmentMatch", "select_fragment"]

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_WORDS = re.compile(r"\w+")


def anchor_of(url: str) -> str | None:
    """The anchor a URL points at, or None (no fragment, a route, a text fragment)."""
    fragment = unquote(urlsplit(url or "").fragment).strip()
    if not fragment or fragment[0] in "/!" or fragment.startswith(":~:"):
        return None
    return fragment


@dataclass
class FragmentMatch:
    region: object  # the element, or a clone of the heading's section
    description: str  # for people: what the fragment selected


def _heading_of(el):
    """The heading an anchor element stands for, or None."""
    if el.tag in _HEADINGS:
        return el
    parent = el.getparent()
    while parent is not None:
        if parent.tag in _HEADINGS:
            return parent
        parent = parent.getparent()
    if _WORDS.search(text_of(el)):
        return None
    following = el.getnext()
    while following is not None and not isinstance(following.tag, str):
        following = following.getnext()
    if following is not None:
        if following.tag in _HEADINGS:
            return following
        inner = next(following.iter(*_HEADINGS), None)
        if inner is not None and text_of(following).strip().startswith(text_of(inner).strip()):
            return inner  # <a id=x></a><div><h2>Title</h2>…</div>
    return None


def select_fragment(root, anchor: str) -> FragmentMatch | None:
    """What ``#anchor`` points at in the page, or None when nothing carries that anchor."""
    found = root.xpath("//*[@id=$a]", a=anchor) or root.xpath("//a[@name=$a]", a=anchor)
    if not found:
        return None
    el = found[0]
    heading = _heading_of(el)
    if heading is not None:
        title = " ".join(text_of(heading).split())
        return FragmentMatch(section_clone(root, heading, int(heading.tag[1])),
                             f"fragment #{anchor}: the section under the heading {title!r}")
    return FragmentMatch(el, f"fragment #{anchor}: the <{el.tag}> element with id {anchor!r}")
