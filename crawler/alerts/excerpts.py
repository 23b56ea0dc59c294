"""A compact excerpt of the diff around each finding: a few lines, never the document.

The word diff of the change is cut into hunks with a little context (diffing.render.hunks); each
finding gets the hunk that sits in its section and shares the most words with what it reports
(its quoted terms), else the first hunk of its section, else the first hunk. Every piece is
bounded, so a finding inside a long inserted section shows its start, not the section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from diffing.diff import EQUAL, word_diff
from diffing.render import hunks

CONTEXT_WORDS = 12
MAX_PART_CHARS = 240  # per deleted / inserted / context piece
MAX_EXCERPT_CHARS = 600
_WORD = re.compile(r"\w{3,}")


@dataclass(frozen=True)
class Excerpt:
    section: str | None
    parts: tuple[tuple[int, str], ...]  # (op, text) as in diffing.diff, bounded
    elided_before: bool
    elided_after: bool


def _cut(text: str, limit: int, keep_end: bool) -> str:
    if len(text) <= limit:
        return text
    return "…" + text[-limit:].lstrip() if keep_end else text[:limit].rstrip() + "…"


def _bounded(parts) -> tuple[tuple[int, str], ...]:
    out, used = [], 0
    last = len(parts) - 1
    for i, (op, text) in enumerate(parts):
        if used >= MAX_EXCERPT_CHARS:
            out.append((EQUAL, " …"))
            break
        limit = min(MAX_PART_CHARS, MAX_EXCERPT_CHARS - used + 40)
        piece = _cut(text, limit, keep_end=(i == 0 and op == EQUAL and last > 0))
        out.append((op, piece))
        used += len(piece)
    return tuple(out)


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text or "")}


def excerpts(old: str, new: str, findings) -> list[Excerpt | None]:
    """One excerpt per finding (`kind`, `detail`, `section`), None when the texts do not differ."""
    found = hunks(word_diff(old, new), context=CONTEXT_WORDS)
    if not found:
        return [None for _ in findings]
    changed_words = [_words(" ".join(t for op, t in h.parts if op != EQUAL)) for h in found]
    out = []
    for f in findings:
        candidates = [i for i, h in enumerate(found) if f.section and h.section == f.section] or range(len(found))
        wanted = _words(f.detail)
        best = max(candidates, key=lambda i: (len(wanted & changed_words[i]), -i))
        h = found[best]
        out.append(Excerpt(h.section, _bounded(h.parts), h.elided_before, h.elided_after))
    return out
