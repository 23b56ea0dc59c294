"""Show a word diff to people: in a terminal (ANSI colours or ``[-…-]{+…+}``) or as HTML.

The diff is cut into hunks: changes closer than ``2 * context`` words stay in one hunk, longer
unchanged stretches are elided with ``…`` and only ``context`` words are kept on each side. Each
hunk is headed by the section it sits under (the last heading before its first change, in the old
text for a deletion, in the new text otherwise), so readers see "7. Sub-processors", not an offset.

Document text is attacker-controlled: HTML output escapes every piece of it, and terminal output
replaces control characters (an ANSI escape sequence in a page must not drive the terminal).
Context stays within the changed paragraph; ``…`` marks a cut inside a paragraph.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from diffing.diff import DELETE, EQUAL, INSERT, Op, new_text, old_text
from diffing.sections import SectionIndex

ELLIPSIS = "…"
NO_SECTION = "start of document"

_WORD = re.compile(r"\S+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_RED, _GREEN, _BOLD, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[1m", "\x1b[0m"
_CHARS_PER_WORD = 40  # generous: the window scanned for n words is n * 40 characters first


@dataclass(frozen=True)
class Hunk:
    section: str | None
    parts: tuple[Op, ...]  # context, changes and the unchanged text between them
    elided_before: bool
    elided_after: bool


def _tail(text: str, words: int) -> str:
    """The last ``words`` words of text (with the whitespace before them)."""
    if words <= 0:
        return ""
    window = text[-words * _CHARS_PER_WORD :]
    matches = list(_WORD.finditer(window))
    if len(matches) <= words and len(window) < len(text):
        window, matches = text, list(_WORD.finditer(text))
    if len(matches) <= words:
        return text
    return window[matches[-words].start() :]


def _head(text: str, words: int) -> str:
    """The first ``words`` words of text (with the whitespace after them, up to the next word)."""
    if words <= 0:
        return ""
    window = text[: words * _CHARS_PER_WORD]
    matches = list(_WORD.finditer(window))
    if len(matches) <= words and len(window) < len(text):
        window, matches = text, list(_WORD.finditer(text))
    if len(matches) <= words:
        return text
    return window[: matches[words].start()]


class _Sections:
    """Section lookup in the old and new texts, built only when a hunk asks."""

    def __init__(self, ops: Sequence[Op]) -> None:
        self._ops = ops

    @cached_property
    def old(self) -> SectionIndex:
        return SectionIndex(old_text(self._ops))

    @cached_property
    def new(self) -> SectionIndex:
        return SectionIndex(new_text(self._ops))


def hunks(ops: Sequence[Op], *, context: int = 40) -> list[Hunk]:
    """Group the changes of ops into hunks with ``context`` words around them."""
    starts: list[tuple[int, int]] = []
    old_pos = new_pos = 0
    for op, text in ops:
        starts.append((old_pos, new_pos))
        if op != INSERT:
            old_pos += len(text)
        if op != DELETE:
            new_pos += len(text)
    changed = [k for k, (op, _) in enumerate(ops) if op != EQUAL]
    if not changed:
        return []
    groups: list[list[int]] = [[changed[0]]]
    for k in changed[1:]:
        previous = groups[-1][-1]
        between = ops[previous + 1 : k]
        if between and len(_WORD.findall(between[0][1])) > 2 * context:
            groups.append([k])
        else:
            groups[-1].append(k)
    sections = _Sections(ops)
    result = []
    for group in groups:
        first, last = group[0], group[-1]
        parts: list[Op] = []
        elided_before = elided_after = False
        if first > 0 and ops[first - 1][0] == EQUAL:
            before = ops[first - 1][1]
            kept = _tail(before, context)
            kept = kept[kept.rfind("\n") + 1 :]  # context stays in the changed paragraph
            elided_before = len(kept) < len(before) and not before[: -len(kept) or None].endswith("\n")
            parts.append((EQUAL, kept))
        parts.extend(ops[first : last + 1])
        if last + 1 < len(ops) and ops[last + 1][0] == EQUAL:
            after = ops[last + 1][1]
            kept = _head(after, context)
            if "\n" in kept:
                kept = kept[: kept.index("\n")]
            elided_after = len(kept) < len(after) and after[len(kept)] != "\n"
            parts.append((EQUAL, kept))
        op = ops[first][0]
        old_at, new_at = starts[first]
        section = sections.old.at(old_at) if op == DELETE else sections.new.at(new_at)
        result.append(Hunk(section, tuple(p for p in parts if p[1]), elided_before, elided_after))
    return result


def _clean(text: str) -> str:
    return _CONTROL.sub("\ufffd", text)


def render_terminal(ops: Sequence[Op], *, color: bool = True, context: int = 40) -> str:
    """The diff as text for a terminal: ANSI red/green, or ``[-deleted-]{+inserted+}``."""
    blocks = []
    for hunk in hunks(ops, context=context):
        title = f"@@ {_clean(hunk.section or NO_SECTION)} @@"
        lines = [f"{_BOLD}{title}{_RESET}" if color else title]
        body = [ELLIPSIS] if hunk.elided_before else []
        for op, text in hunk.parts:
            text = _clean(text)
            if op == EQUAL:
                body.append(text)
            elif color:
                body.append(f"{_RED if op == DELETE else _GREEN}{text}{_RESET}")
            else:
                body.append(f"[-{text}-]" if op == DELETE else f"{{+{text}+}}")
        if hunk.elided_after:
            body.append(ELLIPSIS)
        lines.append("".join(body).strip("\n"))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def render_html(ops: Sequence[Op], *, context: int = 40) -> str:
    """The diff as an HTML fragment with ``<del>``/``<ins>``; every piece of text is escaped."""
    out = ['<div class="diff">']
    for hunk in hunks(ops, context=context):
        out.append('<section class="diff-hunk">')
        section = html.escape(_clean(hunk.section or NO_SECTION))
        out.append(f'<h4 class="diff-section">{section}</h4>')
        body = [ELLIPSIS] if hunk.elided_before else []
        for op, text in hunk.parts:
            escaped = html.escape(_clean(text))
            if op == EQUAL:
                body.append(escaped)
            elif op == DELETE:
                body.append(f"<del>{escaped}</del>")
            else:
                body.append(f"<ins>{escaped}</ins>")
        if hunk.elided_after:
            body.append(ELLIPSIS)
        text = "".join(body).strip("\n")
        out.append(f'<pre class="diff-text" style="white-space: pre-wrap">{text}</pre>')
        out.append("</section>")
    out.append("</div>")
    return "\n".join(out)
