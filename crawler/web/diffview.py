"""A word diff shaped for the change page: sections, hunks, inline and side-by-side pieces.

The diff is cut at the headings of the new text into sections. A changed section shows its hunks
(``diffing.render.hunks``: the changes with some context, each labelled with its section) and,
folded, the whole section; an unchanged section is listed only on request, folded. Pieces are
plain ``(kind, text)`` values: the templates escape them (Jinja2 autoescape), nothing here builds
HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from diffing.diff import DELETE, EQUAL, INSERT, Op, diff_stats, new_text, word_diff
from diffing.render import NO_SECTION, hunks
from diffing.sections import find_headings

KIND = {EQUAL: "equal", DELETE: "delete", INSERT: "insert"}


@dataclass(frozen=True)
class Piece:
    kind: str  # equal | delete | insert
    text: str


@dataclass
class HunkView:
    id: str  # anchor, e.g. "hunk-3"
    section: str
    pieces: list[Piece]
    elided_before: bool
    elided_after: bool

    @property
    def old(self) -> list[Piece]:
        return [p for p in self.pieces if p.kind != "insert"]

    @property
    def new(self) -> list[Piece]:
        return [p for p in self.pieces if p.kind != "delete"]


@dataclass
class SectionView:
    id: str  # anchor, e.g. "section-2"
    title: str
    changed: bool
    hunks: list[HunkView] = field(default_factory=list)
    whole: list[Piece] = field(default_factory=list)


@dataclass
class DiffView:
    sections: list[SectionView]
    added_words: int
    removed_words: int

    @property
    def hunks(self) -> list[HunkView]:
        return [h for s in self.sections for h in s.hunks]

    @property
    def changed_sections(self) -> list[SectionView]:
        return [s for s in self.sections if s.changed]

    def anchor_for(self, section: str | None) -> str | None:
        """The first hunk (or else the section) under this title, for a finding to link to."""
        if not section:
            return None
        for hunk in self.hunks:
            if hunk.section == section:
                return hunk.id
        for s in self.sections:
            if s.title == section and s.changed:
                return s.id
        return None


def split_sections(ops: Sequence[Op]) -> list[tuple[str, list[Op]]]:
    """Cut ops at the headings of the new text: [(title, ops of that section)]."""
    text = new_text(ops)
    headings = find_headings(text)
    bounds = [h.offset for h in headings if h.offset > 0]
    titles = {h.offset: h.title for h in headings}
    out: list[tuple[str, list[Op]]] = [(titles.get(0, NO_SECTION), [])]
    position, k = 0, 0  # position in the new text; next boundary index
    for op, chunk in ops:
        if op == DELETE:
            out[-1][1].append((op, chunk))
            continue
        end = position + len(chunk)
        start = 0
        while k < len(bounds) and bounds[k] < end:
            cut = bounds[k] - position
            if cut > start:
                out[-1][1].append((op, chunk[start:cut]))
            out.append((titles[bounds[k]], []))
            start = cut
            k += 1
        if start < len(chunk):
            out[-1][1].append((op, chunk[start:]))
        position = end
    return [(title, part) for title, part in out if part]


def _pieces(ops) -> list[Piece]:
    return [Piece(KIND[op], text) for op, text in ops if text]


def diff_view(old: str, new: str, *, context: int = 40, all_sections: bool = False,
              ops: Sequence[Op] | None = None) -> DiffView:
    ops = word_diff(old, new) if ops is None else ops
    added, removed = diff_stats(ops)
    sections, n = [], 0
    for i, (title, part) in enumerate(split_sections(ops)):
        changed = any(op != EQUAL for op, _ in part)
        if not changed and not all_sections:
            continue
        view = SectionView(f"section-{i + 1}", title, changed, whole=_pieces(part))
        for hunk in hunks(part, context=context) if changed else ():
            n += 1
            view.hunks.append(HunkView(f"hunk-{n}", hunk.section or title, _pieces(hunk.parts),
                                       hunk.elided_before, hunk.elided_after))
        sections.append(view)
    return DiffView(sections, added, removed)
