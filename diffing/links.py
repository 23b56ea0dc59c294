"""Changed link targets: the reference definitions that end a version's text, compared.

Extraction lists each link of the document as ``[link text]: target`` after the text (see
``snapshots.extract.links``). An edit that touches only those lines is not a change of wording; a
link whose text is in both versions but whose target changed is a finding of kind ``link``:
``minor`` by default, ``material`` when its text names a vocabulary theme ("sub-processor list",
"DPA", "transfer impact assessment" …). Targets are compared once ids and tokens are masked
(``textkey.strip_volatile``), so a per-visit id never reads as a new target.

A list whose items are all short links to pages of one site (a legal hub's list of its documents,
kept when extraction could not tell it from the text) is navigation: an edit that only changes its
items is cosmetic, and says so (``navigation_reason``). So is an edit of lines that are nothing but
links, above the document's title (the site's bar: "Introducing our new model →") or beside a
copyright notice (a footer) (``furniture_reason``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from diffing.textkey import is_copyright_line, strip_volatile

__all__ = ["BLOCK_REASONS", "DEFINITION_RE", "LinkChange", "body_offset", "furniture_reason", "is_definitions_only",
           "link_changes", "navigation_reason"]

DEFINITION_RE = re.compile(r"^\[((?:[^\]\\]|\\.)+)\]: (\S+)$", re.M)
# the same lines, each after its "\n", searched in "\n" + text: a literal first character is found by a
# fast scan, where a ^ of re.M is tried at every position of the text (ten times slower on 100 KB)
_DEFINITION_LINES = re.compile(r"\n\[((?:[^\]\\]|\\.)+)\]: (\S+)(?=\n|\Z)")
_UNESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class LinkChange:
    text: str  # the link text
    old: str  # old target
    new: str  # new target


@lru_cache(maxsize=8)  # asked once per edit of the same two texts; callers do not mutate the result
def _definitions(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for match in _DEFINITION_LINES.finditer("\n" + text):
        label = _UNESCAPE.sub(r"\1", match.group(1))
        found.setdefault(label, []).append(match.group(2))
    return found


def is_definitions_only(lines: str) -> bool:
    """True when every non-blank line is a link definition."""
    rows = [line for line in lines.split("\n") if line.strip()]
    return bool(rows) and all(DEFINITION_RE.match(line) for line in rows)


def link_changes(old: str, new: str) -> list[LinkChange]:
    """Links present in both versions (by their text) whose target changed, in new-text order."""
    before, after = _definitions(old), _definitions(new)
    changes = []
    for label, targets in after.items():
        if label not in before:
            continue
        old_keys = {strip_volatile(t): t for t in before[label]}
        new_keys = {strip_volatile(t): t for t in targets}
        removed = [t for key, t in old_keys.items() if key not in new_keys]
        added = [t for key, t in new_keys.items() if key not in old_keys]
        for old_target, new_target in zip(removed, added):
            changes.append(LinkChange(label, old_target, new_target))
    return changes


def body_offset(text: str, label: str) -> int | None:
    """Where the link text first appears outside the link definitions, or None."""
    at = text.find(label)
    while at >= 0:
        line_start = text.rfind("\n", 0, at) + 1
        line_end = text.find("\n", at)
        if not DEFINITION_RE.match(text[line_start: len(text) if line_end < 0 else line_end]):
            return at
        at = text.find(label, at + 1)
    return None


_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.+?)\s*$")
NAVIGATION_MIN_ITEMS = 3
NAVIGATION_ITEM_WORDS = 6
NAVIGATION_LIST = "a list of links to pages of one site gained, lost or renamed entries: navigation, not the document"


def _list_items(text: str, start: int, end: int) -> list[str] | None:
    """The items of the list holding text[start:end], or None when those lines are not all items."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    lines = text[line_start: len(text) if line_end < 0 else line_end].split("\n")
    if not all(_ITEM.match(line) for line in lines if line.strip()):
        return None
    while line_start > 0:  # widen to the whole list
        previous = text.rfind("\n", 0, line_start - 1) + 1
        if not _ITEM.match(text[previous: line_start - 1]):
            break
        line_start = previous
    while line_end >= 0:
        following = text.find("\n", line_end + 1)
        line = text[line_end + 1: len(text) if following < 0 else following]
        if not _ITEM.match(line):
            break
        line_end = following
    block = text[line_start: len(text) if line_end < 0 else line_end]
    return [_ITEM.match(line).group(1) for line in block.split("\n") if _ITEM.match(line)]


def navigation_reason(old: str, new: str, edit) -> str | None:
    """Why an edit of a list is navigation: every item of the list, before and after, is a short
    link, and all of them lead to pages of one site (a hub's list of its documents)."""
    hosts: set[str] = set()
    for text, start, end in ((old, edit.old_start, edit.old_start + len(edit.old)),
                             (new, edit.new_start, edit.new_start + len(edit.new))):
        items = _list_items(text, start, end)
        if items is None or len(items) < NAVIGATION_MIN_ITEMS:
            return None
        definitions = _definitions(text)
        for item in items:
            if len(item.split()) > NAVIGATION_ITEM_WORDS or item not in definitions:
                return None
            hosts.update(urlsplit(target).hostname or "" for target in definitions[item])
    return NAVIGATION_LIST if len(hosts) == 1 and "" not in hosts else None


SITE_BAR = "links above the document's title changed: the site's bar, not the document"
FOOTER = "a footer's links and copyright notice changed: the site's footer, not the document"
BLOCK_REASONS = (NAVIGATION_LIST, SITE_BAR, FOOTER)  # cosmetic because of what a whole block is


def furniture_reason(old: str, new: str, edit, titles: tuple[int, int, str] | None) -> str | None:
    """Why an edit is the site's furniture left in the text: every line it touches, before and
    after, is one link and nothing else, and either it sits above the document's first heading
    (the site's bar: "Introducing our new model →") or a copyright notice is among those lines
    (a footer: "Meta © 2026 · Terms · Acceptable use"). ``titles``: offsets of the first heading
    in the old and new text, when it is the same heading."""
    copyright = False
    for lines, text in ((edit.old, old), (edit.new, new)):
        labels = _definitions(text)
        for line in lines.split("\n"):
            line = line.strip().lstrip("-*+ ").strip()
            if not line or line in labels or DEFINITION_RE.match(line):
                continue
            if not is_copyright_line(line):
                return None
            copyright = True
    if copyright:
        return FOOTER
    above = titles is not None and edit.old_start + len(edit.old) <= titles[0] and edit.new_start + len(edit.new) <= titles[1]
    return SITE_BAR if above else None
