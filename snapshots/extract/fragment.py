"""A URL fragment as a selector: ``https://example.com/terms/#platform-terms`` cites one part of a page.

Legal hubs put several documents on one page and users cite one of them by its anchor. Without
declared ``select`` rules, the fragment picks:

- the element with that ``id`` (or the ``<a name>`` of that name), when it holds the text itself —
  an ``<article id="platform-terms">``, a tab panel, a ``<section>``;
- the section of a heading, when the anchor is the heading or sits on or just before it (``<h2
  id=…>``, ``<h2><a id=…></a>…</h2>``, ``<a id=…></a><h2>…</h2>``): from the heading to the next
  heading of the same or a higher level.

- the part of the page an inline anchor opens, when the anchor is a short link or label of its
  own (an accordion toggle ``<a class="zippy" id=…>Question?</a>``): from it to the next anchor
  of its kind or the next heading.

Page state after the anchor (``#gemini_apps&zippy=…``) is ignored. A fragment that is a
client-side route (``#/privacy``, ``#!privacy``), state only (``#tab=2``) or a text fragment
(``#:~:text=…``) is not an anchor and selects nothing. Fetches never send the fragment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from .selection import section_clone
from .tree import HEADINGS, text_of
from .wordcount import count_runs

__all__ = ["anchor_of", "FragmentMatch", "select_fragment"]

_WORDS = re.compile(r"\w+")
_INLINE = frozenset(("a", "span", "button", "label", "strong", "b", "em", "summary", "dt"))
_TOGGLE_WORDS = 20


def anchor_of(url: str) -> str | None:
    """The anchor a URL points at, or None (no fragment, a route, a text fragment)."""
    fragment = unquote(urlsplit(url or "").fragment).strip()
    if "&" in fragment:
        fragment = fragment.split("&", 1)[0]  # "#anchor&zippy=…": page state follows the anchor
    if not fragment or fragment[0] in "/!" or fragment.startswith(":~:") or "=" in fragment:
        return None
    return fragment


@dataclass
class FragmentMatch:
    region: object  # the element, or a clone of the heading's section
    description: str  # for people: what the fragment selected


def _heading_of(el):
    """The heading an anchor element stands for, or None."""
    if el.tag in HEADINGS:
        return el
    parent = el.getparent()
    while parent is not None:
        if parent.tag in HEADINGS:
            return parent
        parent = parent.getparent()
    if _WORDS.search(text_of(el)):
        return None
    following = el.getnext()
    while following is not None and not isinstance(following.tag, str):
        following = following.getnext()
    if following is not None:
        if following.tag in HEADINGS:
            return following
        inner = next(following.iter(*HEADINGS), None)
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
        level = int(heading.tag[1])
        region = section_clone(root, heading, lambda e: e.tag in HEADINGS and int(e.tag[1]) <= level)
        return FragmentMatch(region, f"fragment #{anchor}: the section under the heading {title!r}")
    if el.tag in _INLINE and count_runs(text_of(el)) <= _TOGGLE_WORDS:
        title = " ".join(text_of(el).split())
        kind = (el.tag, el.get("class"))
        region = section_clone(root, el, lambda e: e.tag in HEADINGS or (e.tag, e.get("class")) == kind and e.get("id"))
        return FragmentMatch(region, f"fragment #{anchor}: the part opened by {title!r}")
    return FragmentMatch(el, f"fragment #{anchor}: the <{el.tag}> element with id {anchor!r}")
