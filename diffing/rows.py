"""Tables and "Name — purpose — location" lists diffed by row: sub-processor lists above all.

A word diff of a sub-processor table says "+Persona +fraud +detection +United +States"; a reviewer
wants "added sub-processor: Persona (United States) — fraud detection". Row blocks are found in
the text by their shape:

- a Markdown table: consecutive ``| a | b |`` lines, with a header when the second is ``| --- |``;
- a list whose items each hold three or more cells split by `` - `` (an em dash once normalised):
  ``- Persona - fraud detection - United States``.

Rows are matched by their first cell (the name). Added and removed rows, and changed cells of a
kept row ("location changed: Acme: Ireland → Ireland, United States"), become vocabulary hits: of
theme ``subprocessors`` when the block is a sub-processor list (its section title, header or the
line before it names the theme), and ``location`` when a location cell is involved (the column's
header says location/country/region, or the cell names a country or region).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from diffing.edits import Edit
from diffing.findings import VocabularyHit, shorten
from diffing.textkey import match_key
from diffing.vocabulary import Vocabulary

__all__ = ["row_hits"]

MAX_ROW_HITS = 20
_TABLE_LINE = re.compile(r"^\|.*\|\s*$")
_SEPARATOR = re.compile(r"^\|(?:\s*:?-{3,}:?\s*\|)+\s*$")
_LIST_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])\s+(.*)$")
_CELL_SPLIT = re.compile(r"\s+[-–—|]\s+")
_LOCATION_HEADER = re.compile(r"locat|countr|region|where|hosting|data cent|jurisdiction|headquarter|land|pays", re.I)
_PURPOSE_HEADER = re.compile(r"purpose|service|function|descri|activit|processing|nature|role|zweck|finalit", re.I)


@dataclass
class _Block:
    start: int  # offset of the first line in the text
    end: int
    header: list[str] | None
    rows: list[list[str]]
    before: str  # the line before the block (its lead-in)


def _cells(line: str) -> list[str] | None:
    if _TABLE_LINE.match(line):
        inner = line.strip()[1:-1]
        return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", inner)]
    item = _LIST_ITEM.match(line)
    if item:
        cells = [cell.strip() for cell in _CELL_SPLIT.split(item.group(1))]
        if len(cells) >= 3 and all(cells):
            return cells
    return None


def _blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    offset = 0
    current: list[tuple[int, str]] = []
    previous_line = ""
    lines = text.split("\n")

    def close(before: str) -> None:
        if len(current) < 2 and not (current and _TABLE_LINE.match(current[0][1])):
            current.clear()
            return
        raw = [line for _, line in current]
        header = None
        if len(raw) >= 2 and _SEPARATOR.match(raw[1]):
            header, raw = _cells(raw[0]), raw[2:]
        rows = [cells for cells in (_cells(line) for line in raw) if cells]
        start = current[0][0]
        end = current[-1][0] + len(current[-1][1])
        blocks.append(_Block(start, end, header, rows, before))
        current.clear()

    lead = ""
    for line in lines:
        cells = _cells(line) if line.strip() else None
        if cells is not None and (not current or bool(_TABLE_LINE.match(line)) == bool(_TABLE_LINE.match(current[0][1]))):
            if not current:
                lead = previous_line
            current.append((offset, line))
        elif _SEPARATOR.match(line) and current:
            current.append((offset, line))
        else:
            if current:
                close(lead)
            if cells is not None:
                lead = previous_line
                current.append((offset, line))
        if line.strip():
            previous_line = line
        offset += len(line) + 1
    if current:
        close(lead)
    return blocks


def _containing(blocks: Sequence[_Block], start: int, end: int) -> _Block | None:
    return next((b for b in blocks if b.start <= start and end <= b.end + 1), None)


def _columns(block: _Block, vocabulary: Vocabulary) -> tuple[int | None, list[int]]:
    """(index of the location column, indexes of purpose columns)."""
    width = max((len(row) for row in block.rows), default=0)
    location = None
    purposes: list[int] = []
    if block.header:
        for k, name in enumerate(block.header):
            if k and location is None and _LOCATION_HEADER.search(name):
                location = k
            elif k and _PURPOSE_HEADER.search(name):
                purposes.append(k)
    if location is None:
        for k in range(1, width):
            cells = [row[k] for row in block.rows if k < len(row)]
            if cells and sum("location" in vocabulary.themes_in(c) for c in cells) >= max(1, len(cells) // 2):
                location = k
                break
    if not purposes:
        purposes = [k for k in range(1, width) if k != location]
    return location, purposes


def _column_name(block: _Block, k: int, location: int | None) -> str:
    if block.header and k < len(block.header) and block.header[k].strip():
        return block.header[k].strip().lower()
    return "location" if k == location else f"column {k + 1}"


def _describe(row: list[str], location: int | None, purposes: list[int]) -> str:
    name = row[0]
    where = f" ({row[location]})" if location is not None and location < len(row) and row[location] else ""
    what = ", ".join(row[k] for k in purposes if k < len(row) and row[k])
    return shorten(f"{name}{where}" + (f" — {what}" if what else ""), 140)


def _compare(old: _Block, new: _Block, section: str | None, vocabulary: Vocabulary) -> list[VocabularyHit]:
    context = " ".join(filter(None, [section, " ".join(new.header or []), new.before, old.before]))
    subprocessors = "subprocessors" in vocabulary.themes_in(context)
    entity = "sub-processor" if subprocessors else "row"
    base = {"subprocessors"} if subprocessors else set()
    location, purposes = _columns(new, vocabulary)
    old_rows = {match_key(row[0]): row for row in old.rows if row and row[0]}
    new_rows = {match_key(row[0]): row for row in new.rows if row and row[0]}
    hits: list[VocabularyHit] = []

    def hit(detail: str, themes: set[str], prefer: str = "subprocessors") -> None:
        themes = themes or vocabulary.themes_in(detail)
        theme = prefer if prefer in themes else (min(themes) if themes else "rows")
        hits.append(VocabularyHit(theme, frozenset(themes), detail, section, detail, ()))

    for key, row in new_rows.items():
        if key not in old_rows:
            themes = set(base) | ({"location"} if location is not None and location < len(row) else set())
            hit(f"added {entity}: {_describe(row, location, purposes)}", themes)
    for key, row in old_rows.items():
        if key not in new_rows:
            themes = set(base) | ({"location"} if location is not None and location < len(row) else set())
            hit(f"removed {entity}: {_describe(row, location, purposes)}", themes)
    for key, row in new_rows.items():
        before = old_rows.get(key)
        if before is None:
            continue
        for k in range(1, max(len(row), len(before))):
            was = before[k] if k < len(before) else ""
            now = row[k] if k < len(row) else ""
            if match_key(was) == match_key(now):
                continue
            column = _column_name(new, k, location)
            themes = set(base) | ({"location"} if k == location else set())
            hit(f"{column} changed: {row[0]}: {shorten(was, 60) or '(empty)'} → {shorten(now, 60) or '(empty)'}",
                themes, "location" if k == location else "subprocessors")
    return hits


def _row_line_at(text: str, offset: int) -> bool:
    """The line holding `offset` (or, at a line's start, the one before it) could be part of a row
    block: every line of a block is a row (`_cells`) or a table's separator."""
    start = text.rfind("\n", 0, offset) + 1
    starts = [start] + ([text.rfind("\n", 0, start - 1) + 1] if start == offset and start else [])
    for begin in starts:
        end = text.find("\n", begin)
        line = text[begin:end if end >= 0 else len(text)]
        if line.strip() and (_cells(line) is not None or _SEPARATOR.match(line)):
            return True
    return False


def row_hits(old_text: str, new_text: str, edits: Sequence[Edit], vocabulary: Vocabulary) -> tuple[list[VocabularyHit], set[int]]:
    """Hits for row blocks touched by ``edits``, and the indexes of the edits they explain."""
    # an edit inside a block starts on one of its lines on both sides: without such an edit, no block
    # is looked for (finding them reads every line of both texts)
    if not any(_row_line_at(old_text, e.old_start) and _row_line_at(new_text, e.new_start) for e in edits):
        return [], set()
    old_blocks, new_blocks = _blocks(old_text), _blocks(new_text)
    if not old_blocks or not new_blocks:
        return [], set()
    hits: list[VocabularyHit] = []
    explained: set[int] = set()
    done: set[tuple[int, int]] = set()
    for index, edit in enumerate(edits):
        old_block = _containing(old_blocks, edit.old_start, edit.old_start + len(edit.old))
        new_block = _containing(new_blocks, edit.new_start, edit.new_start + len(edit.new))
        if old_block is None or new_block is None:
            continue
        explained.add(index)
        pair = (old_block.start, new_block.start)
        if pair in done:
            continue
        done.add(pair)
        hits.extend(_compare(old_block, new_block, edit.section, vocabulary))
    return hits[:MAX_ROW_HITS], explained
