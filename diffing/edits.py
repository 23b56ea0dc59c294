"""Edits: the changed lines of a word diff, each with its changed spans and its section.

An edit covers whole lines: from the start of the line holding its first change to the end of the
line holding its last one. Changes on the same line, or on lines that touch, form one edit.
Classification and findings work on edits, never on whole documents, so they cost little however
long the document is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from diffing.diff import DELETE, EQUAL, INSERT, Op
from diffing.sections import SectionIndex


@dataclass
class Edit:
    old: str  # the affected lines before the change
    new: str  # the same lines after it
    deleted: list[tuple[int, int]]  # spans of deleted text, offsets in ``old``
    inserted: list[tuple[int, int]]  # spans of inserted text, offsets in ``new``
    old_start: int  # offset of ``old`` in the old text
    new_start: int  # offset of ``new`` in the new text
    old_changes: list[tuple[int, int]] = field(default_factory=list)  # absolute, in the old
    # text; an insertion is the empty span at its place
    section: str | None = None
    cosmetic: str | None = None  # why the edit does not matter ("date-only edit" …), or None

    def deleted_text(self, sep: str = " … ") -> str:
        return sep.join(self.old[a:b] for a, b in self.deleted)

    def inserted_text(self, sep: str = " … ") -> str:
        return sep.join(self.new[a:b] for a, b in self.inserted)


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _line_end(text: str, start: int, end: int) -> int:
    """End of the line holding the last character of text[start:end] (or position start)."""
    if end > start and text[end - 1] == "\n":
        return end - 1
    found = text.find("\n", end)
    return len(text) if found < 0 else found


def find_edits(
    ops: Sequence[Op],
    old: str,
    new: str,
    sections: Callable[[], tuple[SectionIndex, SectionIndex]] | None = None,
) -> list[Edit]:
    """Group the changes of ops into edits over old → new (the texts ops were computed from).

    ``sections`` returns the section indexes of old and new (built only if there is an edit)."""
    groups: list[list[tuple[int, int, int, int]]] = []  # per change: old/new start and end
    old_pos = new_pos = 0
    last_equal_has_newline = True
    for op, text in ops:
        if op == EQUAL:
            old_pos += len(text)
            new_pos += len(text)
            last_equal_has_newline = "\n" in text
            continue
        if op == DELETE:
            change = (old_pos, old_pos + len(text), new_pos, new_pos)
            old_pos += len(text)
        else:
            change = (old_pos, old_pos, new_pos, new_pos + len(text))
            new_pos += len(text)
        if groups and not last_equal_has_newline:
            groups[-1].append(change)
        else:
            groups.append([change])
        last_equal_has_newline = False
    edits: list[Edit] = []
    if not groups:
        return edits
    old_sections, new_sections = sections() if sections else (SectionIndex(old), SectionIndex(new))
    for group in groups:
        old_a = _line_start(old, group[0][0])
        new_a = _line_start(new, group[0][2])
        old_b = max(_line_end(old, a, b) for a, b, _, _ in group)
        new_b = max(_line_end(new, c, d) for _, _, c, d in group)
        edit = Edit(
            old=old[old_a:old_b],
            new=new[new_a:new_b],
            deleted=[(a - old_a, min(b, old_b) - old_a) for a, b, _, _ in group if b > a],
            inserted=[(c - new_a, min(d, new_b) - new_a) for _, _, c, d in group if d > c],
            old_start=old_a,
            new_start=new_a,
            old_changes=[(a, b) for a, b, _, _ in group],
        )
        first_is_delete = group[0][1] > group[0][0] and group[0][3] == group[0][2]
        if first_is_delete and not edit.inserted:
            edit.section = old_sections.at(group[0][0])
        else:
            edit.section = new_sections.at(group[0][2])
        edits.append(edit)
    return edits
