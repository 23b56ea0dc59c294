"""The one-line summary of a change, for people (digests, change lists).

- material: ``<document> <section>: <the strongest finding's change> — may affect: <criteria>``,
  e.g. ``DPA § 9 Data location: "Ireland" → "Ireland, United States" — may affect: EU SaaS/managed``
- minor: ``<document>: wording changed in § 4 Retention (+12/−3 words)``
- cosmetic: ``<document>: date-only edit``
"""

from __future__ import annotations

from collections.abc import Sequence

from diffing.edits import Edit
from diffing.findings import CriterionRef, Finding
from diffing.significance import COSMETIC, MINOR
from diffing.vocabulary import Vocabulary

MAX_CHARS = 240
MAX_LABELS = 4


def _truncate(text: str, limit: int = MAX_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _list(labels: Sequence[str]) -> str:
    if len(labels) <= MAX_LABELS:
        return ", ".join(labels)
    return ", ".join(labels[:MAX_LABELS]) + f" and {len(labels) - MAX_LABELS} more"


def _where(edits: Sequence[Edit]) -> str:
    sections: list[str] = []
    for edit in edits:
        if edit.section and edit.section not in sections:
            sections.append(edit.section)
    if not sections:
        return ""
    if len(sections) == 1:
        return f" in {sections[0]}"
    others = len(sections) - 1
    return f" in {sections[0]} and {others} other section{'s' if others > 1 else ''}"


def summarize(
    *,
    document_label: str,
    significance: str,
    findings: Sequence[Finding],
    criteria: Sequence[CriterionRef],
    edits: Sequence[Edit],
    added: int,
    removed: int,
    cosmetic_reason: str,
    vocabulary: Vocabulary,
) -> str:
    if significance == COSMETIC:
        return _truncate(f"{document_label}: {cosmetic_reason}")
    if significance == MINOR and findings:  # a link pointing elsewhere
        top = findings[0]
        return _truncate(f"{document_label}{' ' + top.section if top.section else ''}: {top.detail}")
    if significance == MINOR:
        changed = [edit for edit in edits if not edit.cosmetic]
        return _truncate(f"{document_label}: wording changed{_where(changed)} (+{added}/−{removed} words)")
    top = findings[0]
    section = f" {top.section}" if top.section else ""
    change = top.excerpt or top.detail
    affected = {finding.criterion for finding in findings}
    labels = [criterion.label for criterion in criteria if criterion.id in affected]
    if labels:
        tail = f" — may affect: {_list(labels)}"
    elif top.kind == "vocabulary" and top.theme and top.theme not in ("quantity", "rows"):
        tail = f" — {vocabulary.label(top.theme)}"
    else:
        tail = ""
    head = f"{document_label}{section}: "
    room = MAX_CHARS - len(head) - len(tail)
    if len(change) > room:
        change = change[: max(room - 1, 20)].rstrip() + "…"
    return _truncate(head + change + tail)
