"""Section headings of a normalised document, so that every change is shown under its heading.

A heading is an ATX line (``## 7. Sub-processors``), a setext line (a line underlined with ``===``
or ``---``), or a line that is bold and nothing else (``**Data Controller**``), as extractors
commonly emit for pages that style paragraphs as headings. The title is the visible text: Markdown
emphasis and link targets are dropped, so ``## [§ 9](#s9) **Data location**`` reads
``§ 9 Data location``.
"""

from __future__ import annotations

import bisect
import re
from typing import NamedTuple

# lines that may be (or underline) a heading, each after its "\n" (searched in "\n" + text: a
# literal first character lets the engine skip to the next newline instead of trying every
# position, six times faster on 100 KB); each is then checked by the patterns below
_CANDIDATE = re.compile(r"(?m)\n( {0,3}(?:#|\*\*|__|=+[ \t]*$|-+[ \t]*$)[^\n]*)")
_ATX = re.compile(r" {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")
_BOLD_LINE = re.compile(r" {0,3}(?:\*\*|__)([^*_\n]{1,120})(?:\*\*|__)[ \t]*$")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"[*_`]+")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>])")
_SPACES = re.compile(r"\s+")

MAX_TITLE = 80


class Heading(NamedTuple):  # a tuple: a document has hundreds, made twice per change
    offset: int  # where the heading line starts
    level: int  # 1–6; setext ``===`` is 1, ``---`` 2, a bold line 6
    title: str


def clean_title(raw: str) -> str:
    """The visible text of a heading line, shortened to ``MAX_TITLE`` characters."""
    title = _LINK.sub(r"\1", raw) if "](" in raw else raw  # each pass only where it has something to do
    title = _EMPHASIS.sub("", title) if "*" in title or "_" in title or "`" in title else title
    title = _ESCAPE.sub(r"\1", title) if "\\" in title else title
    if "  " in title or not title.isprintable():  # every white space but a single space is unprintable
        title = _SPACES.sub(" ", title)
    title = title.strip(" :")
    if len(title) > MAX_TITLE:
        title = title[: MAX_TITLE - 1].rstrip() + "…"
    return title


def find_headings(text: str) -> list[Heading]:
    """All headings of text, in order."""
    found: list[Heading] = []
    for match in _CANDIDATE.finditer("\n" + text):
        line = match.group(1)
        start = match.start()  # of its "\n" in "\n" + text: where the line starts in text
        stripped = line.strip()
        if stripped.startswith("#"):
            atx = _ATX.match(line)
            if atx:
                found.append(Heading(start, len(atx.group(1)), atx.group(2)))
        elif stripped[0] in "=-" and set(stripped) <= {stripped[0]}:
            above_end = start - 1
            above_start = text.rfind("\n", 0, max(above_end, 0)) + 1
            above = text[above_start:above_end] if above_end > 0 else ""
            first = above.lstrip()[:1]
            if first and first not in "-*+|>#=" and (not found or found[-1].offset != above_start):
                found.append(Heading(above_start, 1 if stripped[0] == "=" else 2, above))
        else:
            bold = _BOLD_LINE.match(line)
            if bold:
                found.append(Heading(start, 6, bold.group(1)))
    headings = []
    for heading in sorted(found, key=lambda h: h.offset):
        title = clean_title(heading.title)
        if title:
            headings.append(Heading(heading.offset, heading.level, title))
    return headings


class SectionIndex:
    """Answers "which heading is this offset under?" for one text."""

    def __init__(self, text: str) -> None:
        self.headings = find_headings(text)
        self._offsets = [heading.offset for heading in self.headings]

    def at(self, offset: int) -> str | None:
        """Title of the last heading starting at or before offset (None before the first)."""
        index = bisect.bisect_right(self._offsets, offset) - 1
        return self.headings[index].title if index >= 0 else None

    def titles(self) -> list[str]:
        return [heading.title for heading in self.headings]
