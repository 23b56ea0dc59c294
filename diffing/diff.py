"""Word diff of two versions of a document.

The texts are cut into tokens (a word or one punctuation character, each with the whitespace
before it), every distinct token is mapped to one Unicode character (the trick diff-match-patch
uses for line diffs in ``diff_linesToChars``), the two character strings are diffed by
diff-match-patch and the result is mapped back to text. Leading rather than trailing whitespace
keeps an inserted comma a pure insertion: ``in Ireland and`` → ``in Ireland, and`` is ``{+,+}``.

- Exact: no time limit (``timelimit=0`` / ``Diff_Timeout = 0``). With dmp's default of one second a
  large rewrite gives a non-minimal diff that depends on the machine's speed, so the same pair of
  versions could be recorded differently by two crawler machines.
- Fast on large rewrites, like dmp's line mode (``checklines``): lines are diffed first (with dmp's
  semantic cleanup), then each run of replaced lines word by word, without cleanup, so the word
  diff of a small region is minimal. A replaced region too large for the exact O(N·D) algorithm
  (more than ``EXACT_LIMIT`` token pairs) is first cut at anchors — tokens that occur exactly once
  on each side, kept in order (the longest increasing run, as in patience diff) — and the pieces
  are diffed the same way; a large piece without any anchor is reported as deleted and inserted
  whole. Every step is deterministic.
- Codes start at U+0100 and skip the surrogate block (U+D800–U+DFFF), so more than 60,000 distinct
  tokens (and non-BMP text such as emoji) round-trip.

``fast_diff_match_patch`` (the C++ port of Google's diff-match-patch, wheels for every platform
clausewatch supports) does the work; this module is the only one that imports it.

Ops are ``(op, text)`` with dmp's codes: ``-1`` delete, ``0`` equal, ``1`` insert; consecutive ops
differ. Joining the texts of the non-insert ops gives the old text back, of the non-delete ops the
new one.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Sequence

import fast_diff_match_patch

DELETE, EQUAL, INSERT = -1, 0, 1

Op = tuple[int, str]

TOKEN_RE = re.compile(r"\s*(?:\w+|[^\w\s])|\s+")
LINE_RE = re.compile(r"[^\n]*\n|[^\n]+")
WORD_RE = re.compile(r"\w+")

EXACT_LIMIT = 1_000_000  # token pairs (len(old) * len(new)) diffed exactly: a few ms at most

_FIRST_CODE = 0x100
_SURROGATES = range(0xD800, 0xE000)
_MAX_CODE = 0x10FFFF
MAX_DISTINCT_TOKENS = _MAX_CODE - _FIRST_CODE + 1 - len(_SURROGATES)


class TooManyTokens(ValueError):
    """The texts hold more distinct tokens or lines than there are code points to map them to."""


def tokenize(text: str) -> list[str]:
    """Cut text into tokens; ``"".join(tokenize(text)) == text``."""
    return TOKEN_RE.findall(text)


class _Codec:
    """Maps each distinct unit (token or line) to one character."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}

    def encode(self, units: Sequence[str]) -> str:
        codes = self.codes
        out = []
        for unit in units:
            char = codes.get(unit)
            if char is None:
                code = _FIRST_CODE + len(codes)
                if code >= _SURROGATES.start:
                    code += len(_SURROGATES)
                if code > _MAX_CODE:
                    raise TooManyTokens(f"more than {MAX_DISTINCT_TOKENS} distinct tokens")
                char = codes[unit] = chr(code)
            out.append(char)
        return "".join(out)


_SIGNS = {"-": DELETE, "=": EQUAL, "+": INSERT}


def _dmp(a: str, b: str, cleanup: str) -> list[tuple[int, int]]:
    """Diff two code strings exactly (no time limit); return ``(op, length)`` runs."""
    raw = fast_diff_match_patch.diff(a, b, timelimit=0, checklines=False, cleanup=cleanup, counts_only=True)
    return [(_SIGNS[sign], length) for sign, length in raw if length]


def _anchors(a: str, b: str) -> list[tuple[int, int]]:
    """Positions ``(i, j)`` of characters unique in both a and b, the longest run in order."""
    count_a, count_b = Counter(a), Counter(b)
    where_b = {char: j for j, char in enumerate(b) if count_b[char] == 1}
    pairs = [(i, where_b[char]) for i, char in enumerate(a) if count_a[char] == 1 and char in where_b]
    # Longest increasing subsequence of the j's (patience sorting), with back-links.
    tails: list[int] = []
    tail_index: list[int] = []
    back: list[int] = []
    for k, (_, j) in enumerate(pairs):
        pos = bisect.bisect_left(tails, j)
        back.append(tail_index[pos - 1] if pos else -1)
        if pos == len(tails):
            tails.append(j)
            tail_index.append(k)
        else:
            tails[pos] = j
            tail_index[pos] = k
    run: list[tuple[int, int]] = []
    k = tail_index[-1] if tail_index else -1
    while k >= 0:
        run.append(pairs[k])
        k = back[k]
    return run[::-1]


def _diff_codes(a: str, b: str, out: list[tuple[int, int]]) -> None:
    """Append ``(op, length)`` runs turning a into b: exact when small, anchored when large."""
    if not a or not b:
        if a:
            out.append((DELETE, len(a)))
        if b:
            out.append((INSERT, len(b)))
        return
    if len(a) * len(b) <= EXACT_LIMIT:
        out.extend(_dmp(a, b, "No"))
        return
    anchors = _anchors(a, b)
    if not anchors:
        out.append((DELETE, len(a)))
        out.append((INSERT, len(b)))
        return
    i = j = 0
    for ai, bj in anchors:
        _diff_codes(a[i:ai], b[j:bj], out)
        out.append((EQUAL, 1))
        i, j = ai + 1, bj + 1
    _diff_codes(a[i:], b[j:], out)


def _append(ops: list[Op], op: int, text: str) -> None:
    if not text:
        return
    if ops and ops[-1][0] == op:
        ops[-1] = (op, ops[-1][1] + text)
    else:
        ops.append((op, text))


def _word_diff_region(ops: list[Op], deleted: str, inserted: str) -> None:
    """Word-diff one run of lines that the line pass saw as replaced."""
    if not (deleted and inserted):
        _append(ops, DELETE, deleted)
        _append(ops, INSERT, inserted)
        return
    old_tokens, new_tokens = tokenize(deleted), tokenize(inserted)
    codec = _Codec()
    runs: list[tuple[int, int]] = []
    _diff_codes(codec.encode(old_tokens), codec.encode(new_tokens), runs)
    i = j = 0
    for op, length in runs:
        if op == INSERT:
            _append(ops, op, "".join(new_tokens[j : j + length]))
            j += length
        else:
            _append(ops, op, "".join(old_tokens[i : i + length]))
            i += length
            if op == EQUAL:
                j += length


_MAX_SLIDE = 400  # characters an insertion or deletion may be slid to reach a better boundary


def _boundary_score(left: str, right: str) -> int:
    """How good a place the boundary between left and right is (dmp's semantic score)."""
    if not left or not right:
        return 6
    a, b = left[-1], right[0]
    if a == "\n" and (left.endswith("\n\n") or right.startswith("\n")) or b == "\n" and right.startswith("\n\n"):
        return 5  # blank line
    if a == "\n" or b == "\n":
        return 4  # line break
    if a in ".!?;:" and b.isspace():
        return 3  # end of sentence
    if a.isspace() or b.isspace():
        return 2
    if not a.isalnum() or not b.isalnum():
        return 1
    return 0


def _slide_to_boundaries(ops: list[Op]) -> list[Op]:
    """Slide each lone insertion or deletion to the best boundary, as dmp's
    ``diff_cleanupSemanticLossless`` does: a deleted section then reads ``## 10. Audits …\n\n``,
    not ``\n\n## 10. Audits …``, so it no longer sticks to the changed line before it."""
    for k in range(1, len(ops) - 1):
        (op1, eq1), (op, edit), (op2, eq2) = ops[k - 1], ops[k], ops[k + 1]
        if op1 != EQUAL or op2 != EQUAL or op == EQUAL:
            continue
        common = 0  # first slide left as far as possible
        limit = min(len(eq1), len(edit), _MAX_SLIDE)
        while common < limit and eq1[-1 - common] == edit[-1 - common]:
            common += 1
        if common:
            eq1, edit, eq2 = eq1[:-common], edit[-common:] + edit[:-common], edit[-common:] + eq2
        best = (_boundary_score(eq1, edit) + _boundary_score(edit, eq2), eq1, edit, eq2)
        steps = 0
        while eq2 and edit[0] == eq2[0] and steps < 2 * _MAX_SLIDE:
            eq1, edit, eq2 = eq1 + edit[0], edit[1:] + eq2[0], eq2[1:]
            steps += 1
            score = _boundary_score(eq1, edit) + _boundary_score(edit, eq2)
            if score >= best[0]:
                best = (score, eq1, edit, eq2)
        _, eq1, edit, eq2 = best
        ops[k - 1], ops[k], ops[k + 1] = (EQUAL, eq1), (op, edit), (EQUAL, eq2)
    merged: list[Op] = []
    for op, text in ops:
        _append(merged, op, text)
    return merged


def word_diff(old: str, new: str) -> list[Op]:
    """Return the word-level diff of old → new as dmp ops ``[(op, text), …]``."""
    if old == new:
        return [(EQUAL, old)] if old else []
    old_lines, new_lines = LINE_RE.findall(old), LINE_RE.findall(new)
    codec = _Codec()
    a, b = codec.encode(old_lines), codec.encode(new_lines)
    ops: list[Op] = []
    deleted: list[str] = []
    inserted: list[str] = []
    i = j = 0
    for op, length in _dmp(a, b, "Semantic"):
        if op == DELETE:
            deleted.extend(old_lines[i : i + length])
            i += length
        elif op == INSERT:
            inserted.extend(new_lines[j : j + length])
            j += length
        else:
            _word_diff_region(ops, "".join(deleted), "".join(inserted))
            deleted.clear()
            inserted.clear()
            _append(ops, EQUAL, "".join(old_lines[i : i + length]))
            i += length
            j += length
    _word_diff_region(ops, "".join(deleted), "".join(inserted))
    return _slide_to_boundaries(ops)


def old_text(ops: Sequence[Op]) -> str:
    """The text before the change."""
    return "".join(text for op, text in ops if op != INSERT)


def new_text(ops: Sequence[Op]) -> str:
    """The text after the change."""
    return "".join(text for op, text in ops if op != DELETE)


def count_words(text: str) -> int:
    return len(WORD_RE.findall(text))


def diff_stats(ops: Sequence[Op]) -> tuple[int, int]:
    """Return ``(added_words, removed_words)``; punctuation and whitespace are not words."""
    added = removed = 0
    for op, text in ops:
        if op == INSERT:
            added += count_words(text)
        elif op == DELETE:
            removed += count_words(text)
    return added, removed
