"""Significance of a change: ``cosmetic``, ``minor`` or ``material``.

- ``cosmetic`` (recorded, never alerted): every edit is punctuation, case or formatting only; or
  link query strings / ids only; or a date-only edit on a dateline ("Last updated: March 3, 2026",
  "Effective date", "© 2025", a short line that is only a date); or a short copyright notice that
  appears, vanishes or changes (a page footer's "Meta © 2026"); or copies of the document's title
  appear or vanish above it (a site bar or breadcrumb); or the texts are equal once the
  document's ``ignore`` regexes are removed; or only a per-request timestamp changed (a clock time
  to the second with its date and zone, "Page generated 2026-12-01 07:22:10 UTC": volatile by its
  shape, a document's own terms are never timed to the second).
- ``minor``: wording changed, no finding; or only ``link`` findings whose link text names no
  vocabulary theme (a link pointing elsewhere). Edits of the link definitions after the text are
  cosmetic in themselves: what they change is told by ``diffing.links``.
- ``material``: at least one other finding.

A changed number or duration in substance ("30 days" → "90 days") is not a date, so it is never
cosmetic; a date changed inside an ordinary sentence (not a dateline) is at least minor.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from diffing.edits import Edit
from diffing.levels import Significance
from diffing.links import is_definitions_only
from diffing.textkey import (is_copyright_line, match_key, strip_dates, strip_timestamps, strip_volatile,
                             undated_words_at_least)


COSMETIC, MINOR, MATERIAL = Significance.COSMETIC, Significance.MINOR, Significance.MATERIAL

FORMATTING_ONLY = "punctuation, case or formatting only"
LINKS_ONLY = "link ids or query strings only"
DATE_ONLY = "date-only edit"
IGNORED_ONLY = "ignored pattern only"
COPYRIGHT_ONLY = "copyright notice only"
PREAMBLE_ONLY = "the title repeated above itself"
LINK_DEFINITIONS_ONLY = "link targets only"
TIMESTAMP_ONLY = "a per-request timestamp only (a clock time to the second, new on every fetch)"

DATELINE_RE = re.compile(
    r"last[\s_*]+(?:updated|modified|revised|changed|reviewed)|\bupdated\b|\beffective\b|\brevised\b"
    r"|\bmodified\b|\bversion\b|copyright|©|\(c\)|\bdated?\b|\bas of\b|\bpublished\b"
    r"|mis[e]?\s+à\s+jour|en\s+vigueur|\bstand\b|gültig|aktualisiert|vigente|actualizad|aggiornat"
    r"|in\s+vigore|\bvom\b",
    re.I,
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_BYLINE = re.compile(r"(?<=\bdate) by(?: \w+){1,3}$")  # "updated DATE by alice": who, right after the date
SHORT_LINE_WORDS = 6


def compile_ignore(patterns: Sequence[str]) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(pattern) for pattern in patterns)


def apply_ignore(text: str, ignore: Sequence[re.Pattern]) -> str:
    for pattern in ignore:
        text = pattern.sub("", text)
    return text


def _is_dateline(old: str, new: str) -> bool:
    if DATELINE_RE.search(old) or DATELINE_RE.search(new):
        return True
    if undated_words_at_least(new) > SHORT_LINE_WORDS:  # a sentence: no need to look for its dates
        return False
    undated = match_key(strip_dates(new)).replace("date", "").split()
    return len(undated) <= SHORT_LINE_WORDS


def _copyright_lines_only(text: str) -> bool:
    """Empty, or nothing but short copyright notices."""
    lines = [line for line in text.splitlines() if match_key(line)]
    return all(is_copyright_line(line) for line in lines)


def _title_copies_only(lines: str, start: int, title_at: int, title: str) -> bool:
    """Every whole line above the title (lines starts at offset start) is empty or the title again."""
    offset = start
    for line in lines.split("\n"):
        if offset >= title_at:
            break
        if match_key(line) not in ("", title):
            return False
        offset += len(line) + 1
    return True


def cosmetic_reason(edit: Edit, ignore: Sequence[re.Pattern] = (), titles: tuple[int, int, str] | None = None) -> str | None:
    """Why this edit does not matter, or None when it changes the wording.

    ``titles``: offsets of the first heading in the old and the new text, and its match key. A
    site bar or breadcrumb repeating that title above it, appearing or vanishing, is not the document.
    """
    old, new = edit.old, edit.new
    if (old.strip() or new.strip()) and all(not lines.strip() or is_definitions_only(lines) for lines in (old, new)):
        return LINK_DEFINITIONS_ONLY  # the list of link targets after the text: see diffing.links
    if (titles and all(edit.old_start + a <= titles[0] for a, _ in edit.deleted)
            and all(edit.new_start + a <= titles[1] for a, _ in edit.inserted)
            and _title_copies_only(old, edit.old_start, titles[0], titles[2])
            and _title_copies_only(new, edit.new_start, titles[1], titles[2])):
        return PREAMBLE_ONLY
    if ignore and match_key(apply_ignore(old, ignore)) == match_key(apply_ignore(new, ignore)):
        return IGNORED_ONLY
    if match_key(old) == match_key(new):
        return FORMATTING_ONLY
    old, new = strip_volatile(old), strip_volatile(new)
    if match_key(old) == match_key(new):
        return LINKS_ONLY
    if match_key(strip_timestamps(old)) == match_key(strip_timestamps(new)):
        return TIMESTAMP_ONLY  # "Page generated 2026-12-01 07:22:10 UTC": volatile by its shape
    if _copyright_lines_only(edit.deleted_text("\n")) and _copyright_lines_only(edit.inserted_text("\n")):
        return COPYRIGHT_ONLY  # a footer's "© 2026 Example" appearing or vanishing
    if _is_dateline(old, new):
        old_key, new_key = match_key(strip_dates(old)), match_key(strip_dates(new))
        if old_key == new_key:
            return DATE_ONLY
        if DATELINE_RE.search(old) and DATELINE_RE.search(new) and len(old_key) < 300:
            # "Version 3.2, effective 3 March 2026": on a dateline, numbers are dates too
            if _NUMBER.sub("N", old_key) == _NUMBER.sub("N", new_key):
                return DATE_ONLY
            # "Last updated on 5 Jan 2026 by alice": who made the edit is not the document
            if _BYLINE.sub("", old_key) == _BYLINE.sub("", new_key) and _BYLINE.search(old_key):
                return DATE_ONLY
    return None


def classify_edits(edits: Sequence[Edit], ignore: Sequence[re.Pattern] = (), titles: tuple[int, int, str] | None = None) -> None:
    """Set ``edit.cosmetic`` on every edit."""
    for edit in edits:
        edit.cosmetic = cosmetic_reason(edit, ignore, titles)


def cosmetic_summary(edits: Sequence[Edit]) -> str:
    """What a cosmetic change consisted of: "date-only edit", "punctuation … only" …"""
    reasons = []
    for edit in edits:
        if edit.cosmetic and edit.cosmetic not in reasons:
            reasons.append(edit.cosmetic)
    return "; ".join(reasons) if reasons else "no change"


def level(edits: Sequence[Edit], findings_count: int) -> str:
    if all(edit.cosmetic for edit in edits):
        return COSMETIC
    return MATERIAL if findings_count else MINOR
