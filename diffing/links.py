"""Changed link targets: the reference definitions that end a version's text, compared.

Extraction lists each link of the document as ``[link text]: target`` after the text (see
``snapshots.extract.links``). An edit that touches only those lines is not a change of wording; a
link whose text is in both versions but whose target changed is a finding of kind ``link``:
``minor`` by default, ``material`` when its text names a vocabulary theme ("sub-processor list",
"DPA", "transfer impact assessment" …). Targets are compared once ids and tokens are masked
(``textkey.strip_volatile``), so a per-visit id never reads as a new target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from diffing.textkey import strip_volatile

__all__ = ["DEFINITION_RE", "LinkChange", "body_offset", "is_definitions_only", "link_changes"]

DEFINITION_RE = re.compile(r"^\[((?:[^\]\\]|\\.)+)\]: (\S+)$", re.M)
_UNESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class LinkChange:
    text: str  # the link text
    old: str  # old target
    new: str  # new target


def _definitions(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for match in DEFINITION_RE.finditer(text):
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
