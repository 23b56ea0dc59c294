"""Assess a change of one document for one profile: significance, findings, summary.

The process stage diffs a changed document once, then calls ``assess`` once per profile citing
it, passing that profile's criteria which cite the document. Everything that does not depend on
the criteria — the edits, their cosmetic classification, the section indexes, the vocabulary hits
and the heading comparison — is computed on the first call and kept for the next ones (a small
cache keyed by the two texts), so each further profile costs only its own evidence and watch
lookups.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from diffing.diff import Op, diff_stats, word_diff
from diffing.edits import Edit, find_edits
from diffing.findings import (
    CriterionRef,
    change_excerpt,
    Finding,
    VocabularyHit,
    evidence_findings,
    link_findings,
    rank,
    structure_changes,
    structure_findings,
    vocabulary_findings,
    vocabulary_hits,
    watch_findings,
)
from diffing.links import BLOCK_REASONS, LinkChange, furniture_reason, link_changes, navigation_reason
from diffing.rows import row_hits
from diffing.sections import SectionIndex
from diffing.significance import (
    COSMETIC,
    IGNORED_ONLY,
    MATERIAL,
    MINOR,
    apply_ignore,
    classify_edits,
    compile_ignore,
    cosmetic_summary,
)
from diffing.summary import summarize
from diffing.textkey import match_key
from diffing.vocabulary import Vocabulary

__all__ = ["Assessment", "CriterionRef", "Finding", "assess"]

CACHE_SIZE = 4


@dataclass
class Assessment:
    significance: str  # "cosmetic" | "minor" | "material"
    findings: list[Finding]
    affected_criteria: list[str]  # criterion ids, in profile order
    summary: str
    added_words: int
    removed_words: int

    @property
    def reported(self) -> bool:
        return self.significance != COSMETIC

    def to_json(self) -> dict:
        return {
            "significance": self.significance,
            "findings": [finding.to_json() for finding in self.findings],
            "affected_criteria": list(self.affected_criteria),
            "summary": self.summary,
            "added_words": self.added_words,
            "removed_words": self.removed_words,
        }


@dataclass
class _Change:
    """What one change is, whatever profile asks."""

    old: str
    new: str
    ops: list[Op]
    ignore: tuple[re.Pattern, ...]
    _hits: dict = field(default_factory=dict)

    @cached_property
    def stats(self) -> tuple[int, int]:
        return diff_stats(self.ops)

    @cached_property
    def edits(self) -> list[Edit]:
        edits = find_edits(self.ops, self.old, self.new, lambda: (self.old_sections, self.new_sections))
        titles = None
        if self.old_sections.headings and self.new_sections.headings:
            old_title, new_title = self.old_sections.headings[0], self.new_sections.headings[0]
            if match_key(old_title.title) == match_key(new_title.title):
                titles = (old_title.offset, new_title.offset, match_key(old_title.title))
        classify_edits(edits, self.ignore, titles)
        for edit in edits:
            if not edit.cosmetic:
                edit.cosmetic = navigation_reason(self.old, self.new, edit) or furniture_reason(
                    self.old, self.new, edit, titles)
        return edits

    @cached_property
    def substantive(self) -> list[Edit]:
        return [edit for edit in self.edits if not edit.cosmetic]

    @cached_property
    def cosmetic_reason(self) -> str | None:
        if self.ignore:
            old, new = apply_ignore(self.old, self.ignore), apply_ignore(self.new, self.ignore)
            if old == new or match_key(old) == match_key(new):
                return IGNORED_ONLY
        if not self.substantive:
            return cosmetic_summary(self.edits)
        return None

    @cached_property
    def links(self) -> list[LinkChange]:
        return link_changes(self.old, self.new)

    @cached_property
    def old_sections(self) -> SectionIndex:
        return SectionIndex(self.old)

    @cached_property
    def new_sections(self) -> SectionIndex:
        return SectionIndex(self.new)

    @cached_property
    def structure(self) -> list:
        return structure_changes(self.old_sections, self.new_sections)

    def vocabulary_hits(self, vocabulary: Vocabulary) -> list[VocabularyHit]:
        """Row hits for edits inside tables and row lists (``diffing.rows``), term and quantity
        hits for the other edits."""
        key = id(vocabulary)
        if key not in self._hits:
            rows, explained = row_hits(self.old, self.new, self.substantive, vocabulary)
            others = [edit for k, edit in enumerate(self.substantive) if k not in explained]
            self._hits[key] = (vocabulary, rows + vocabulary_hits(vocabulary, others))
        return self._hits[key][1]


_CHANGES: OrderedDict[tuple, _Change] = OrderedDict()


def _change(old: str, new: str, ignore: tuple[str, ...], ops: Sequence[Op] | None) -> _Change:
    key = (old, new, ignore)
    change = _CHANGES.get(key)
    if change is None:
        change = _Change(old, new, list(ops) if ops is not None else word_diff(old, new), compile_ignore(ignore))
        _CHANGES[key] = change
        while len(_CHANGES) > CACHE_SIZE:
            _CHANGES.popitem(last=False)
    else:
        _CHANGES.move_to_end(key)
    return change


@lru_cache(maxsize=1024)
def _criterion_themes(vocabulary: Vocabulary, criterion: CriterionRef) -> frozenset[str]:
    text = "\n".join((criterion.label, *criterion.watch, *criterion.evidence))
    return frozenset(vocabulary.criterion_themes(text))


def assess(
    old_text: str,
    new_text: str,
    *,
    criteria: Sequence[CriterionRef],
    document_label: str,
    ignore: Sequence[str] = (),
    vocabulary: Vocabulary | None = None,
    ops: Sequence[Op] | None = None,
) -> Assessment:
    """Classify the change old_text → new_text for one profile's criteria (see the package doc)."""
    vocabulary = vocabulary or Vocabulary.default()
    change = _change(old_text, new_text, tuple(ignore), ops)
    added, removed = change.stats
    reason = change.cosmetic_reason
    if (reason is not None and not change.links) or old_text == new_text:
        reason = reason or "no change"
        summary = summarize(
            document_label=document_label, significance=COSMETIC, findings=(), criteria=criteria,
            edits=change.edits, added=added, removed=removed, cosmetic_reason=reason, vocabulary=vocabulary,
        )  # fmt: skip
        # a whole block told as the site's, not the document's: say why, once per kind of block
        why = {edit.cosmetic: Finding("structure", None, f"cosmetic: {edit.cosmetic}", edit.section, change_excerpt(edit))
               for edit in change.edits if edit.cosmetic in BLOCK_REASONS}
        return Assessment(COSMETIC, list(why.values()), [], summary, added, removed)
    themes = {criterion.id: _criterion_themes(vocabulary, criterion) for criterion in criteria}
    findings = [
        *evidence_findings(
            criteria, old_text, new_text, change.substantive, change.old_sections, change.new_sections
        ),
        *watch_findings(criteria, change.substantive),
        *vocabulary_findings(change.vocabulary_hits(vocabulary), criteria, themes),
        *structure_findings(change.structure, vocabulary, criteria, themes),
        *link_findings(change.links, new_text, change.new_sections, vocabulary, criteria, themes),
    ]
    findings.sort(key=rank)
    affected = [c.id for c in criteria if any(finding.criterion == c.id for finding in findings)]
    significance = MATERIAL if any(f.kind != "link" or f.theme for f in findings) else MINOR
    summary = summarize(
        document_label=document_label, significance=significance, findings=findings, criteria=criteria,
        edits=change.edits, added=added, removed=removed, cosmetic_reason="", vocabulary=vocabulary,
    )  # fmt: skip
    return Assessment(significance, findings, affected, summary, added, removed)
