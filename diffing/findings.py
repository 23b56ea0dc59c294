"""Findings: why a change matters, each tied to the criterion it may invalidate.

Four kinds, strongest first:

- ``evidence``: a quote a criterion cites was found in the old text and is now only fuzzy
  (reworded or moved) or missing; or was fuzzy and is now missing.
- ``watch``: one of a criterion's watch terms was inserted or deleted (more occurrences on one side
  of an edit than the other), or the wording of a sentence that mentions it changed.
- ``vocabulary``: a term of the built-in legal vocabulary (``diffing.vocabulary``) was inserted or
  deleted, or a quantity changed ("30 days" → "90 days"); it affects the criteria sharing its
  theme, or none (``criterion=None``) — it still makes the change material.
- ``structure``: a section was added, removed or renamed (renumbering alone is not a rename).
- ``link``: a link of the text points elsewhere (``diffing.links``); it affects the criteria
  sharing the theme its link text names, and makes the change material only then.

Only edits that change the wording are looked at (cosmetic edits never make findings). A finding
that affects several criteria is recorded once per criterion.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from diffing.edits import Edit
from diffing.evidence import FOUND, FUZZY, MISSING, locate
from diffing.sections import SectionIndex
from diffing.textkey import match_key
from diffing.vocabulary import QUANTITY_RE, Vocabulary, compile_terms, normalise_term

KIND_ORDER = {"evidence": 0, "watch": 1, "vocabulary": 3, "structure": 4, "link": 5}


def rank(finding: Finding) -> tuple[bool, int]:
    """Strongest first: findings tied to a criterion, then evidence, watch, a removed section,
    vocabulary, other structure changes."""
    order = KIND_ORDER[finding.kind]
    if finding.kind == "structure" and finding.detail.startswith("section removed"):
        order = 2
    return finding.criterion is None, order
QUOTE_CHARS = 80
_SENTENCE = re.compile(r"[^.!?;\n]*(?:[.!?;]+|\n|$)")
_NUMBERING = re.compile(
    r"^\s*(?:§+\s*|(?:article|section|art\.|clause|annex)\s+)?"
    r"(?:(?:\d+(?:\.\d+)*\.?|[ivxlc]+[.)]|[a-z][.)]|\(\w{1,4}\))\s*)+(?=\S)",
    re.I,
)


@dataclass(frozen=True)
class CriterionRef:
    id: str
    label: str
    watch: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    rating: str = "unknown"


@dataclass(frozen=True)
class Finding:
    kind: str  # "evidence" | "watch" | "vocabulary" | "structure" | "link"
    criterion: str | None  # criterion id
    detail: str
    section: str | None
    excerpt: str | None = None  # the change in brief: '"Ireland" → "Ireland, United States"'
    theme: str | None = None  # vocabulary theme id (vocabulary findings)

    def to_json(self) -> dict:
        return {key: value for key, value in asdict(self).items() if value is not None or key in ("criterion", "section")}


_MARKUP = re.compile(r"(?:^|(?<=\s))#{1,6}\s+|\*\*|__|(?<!\w)[*_](?=\w)|(?<=\w)[*_](?!\w)")


_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>])")


def shorten(text: str, limit: int = QUOTE_CHARS) -> str:
    """One line, Markdown emphasis and heading marks dropped, at most limit characters."""
    text = " ".join(_ESCAPE.sub(r"\1", _MARKUP.sub("", text)).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _overlaps(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(a < end and start < b for a, b in spans)


def _widen(text: str, start: int, end: int, words: int = 1) -> tuple[int, int]:
    """Widen [start, end) to whole words, then by ``words`` more words on each side (within the
    line); a span that already took part of a word gets no more context."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    whole_start, whole_end = start, end
    while whole_start > 0 and text[whole_start - 1].isalnum():
        whole_start -= 1
    while whole_end < len(text) and text[whole_end].isalnum():
        whole_end += 1
    if (whole_start, whole_end) != (start, end):
        words = 0
    start, end = whole_start, whole_end
    for _ in range(words):
        left = text.rfind(" ", 0, max(0, start - 1))
        start = 0 if left < 0 else left + 1
        right = text.find(" ", end + 1)
        end = len(text) if right < 0 else right
    line_start = text.rfind("\n", 0, whole_start) + 1
    line_end = text.find("\n", whole_end)
    return max(start, line_start), min(end, len(text) if line_end < 0 else line_end)


def change_excerpt(edit: Edit) -> str:
    """The first change with a word of context: '"Ireland" → "Ireland, United States"'."""
    if edit.deleted and edit.inserted:
        a, b = _widen(edit.old, *edit.deleted[0], words=1)
        c, d = _widen(edit.new, *edit.inserted[0], words=1)
        old, new = edit.old[a:b], edit.new[c:d]
    elif edit.inserted:
        start, end = edit.inserted[0]
        c, d = _widen(edit.new, start, end)
        old, new = edit.new[c:start] + edit.new[end:d], edit.new[c:d]
    elif edit.deleted:
        start, end = edit.deleted[0]
        a, b = _widen(edit.old, start, end)
        old, new = edit.old[a:b], edit.old[a:start] + edit.old[end:b]
    else:
        return ""
    return f'"{shorten(old.strip(), 60)}" → "{shorten(new.strip(), 60)}"'


def _snippet(text: str, start: int, end: int) -> str:
    a, b = _widen(text, start, end, 4)
    return shorten(("…" if a > 0 else "") + text[a:b].strip() + ("…" if b < len(text) else ""), 120)


def _changed_sentences(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentences of text that hold a changed span."""
    out = []
    for match in _SENTENCE.finditer(text):
        if match.end() > match.start() and _overlaps(match.start(), match.end(), spans):
            out.append((match.start(), match.end()))
    return out


# --- evidence --------------------------------------------------------------------------------


def _touching(edits: Sequence[Edit], start: int, end: int) -> Edit | None:
    """The first edit with a change inside old[start:end] (an insertion at its very end counts)."""
    for edit in edits:
        for a, b in edit.old_changes:
            if a < end and b > start if b > a else start < a <= end:
                return edit
    return None


def evidence_findings(
    criteria: Sequence[CriterionRef], old: str, new: str, edits: Sequence[Edit], old_sections, new_sections
) -> list[Finding]:
    findings = []
    for criterion in criteria:
        for quote in criterion.evidence:
            before = locate(quote, old)
            if before.status == MISSING:
                continue  # already missing: nothing new to say
            edit = _touching(edits, before.offset, before.end) if before.status == FOUND else None
            if before.status == FOUND and edit is None:
                continue  # the quoted sentence is unchanged, so still there
            after = locate(quote, new)
            if after.status == FOUND:
                if before.status != FOUND or match_key(before.excerpt) == match_key(after.excerpt):
                    continue  # now found; or the diff touched the quoted sentence, not its words
            elif after.status == before.status:
                continue  # fuzzy before and after
            if after.status == FOUND:
                detail = f'sentence quoted as evidence changed: "{shorten(quote)}" — now: "{shorten(after.excerpt, 160)}"'
                section = new_sections.at(after.offset)
            elif after.status == FUZZY:
                detail = f'evidence reworded or moved: "{shorten(quote)}" — now: "{shorten(after.excerpt, 160)}"'
                section = new_sections.at(after.offset)
            else:
                detail = f'evidence no longer found: "{shorten(quote)}"'
                section = old_sections.at(before.offset)
            if edit is not None:
                excerpt = change_excerpt(edit)
            else:
                excerpt = f'evidence "{shorten(quote, 60)}" ' + ("reworded or moved" if after.status == FUZZY else "no longer found")
            findings.append(Finding("evidence", criterion.id, detail, section, excerpt))
    return findings


# --- watch terms -----------------------------------------------------------------------------


def _term_counts(pattern: re.Pattern, text: str, spans) -> tuple[Counter, dict[str, tuple[int, int]]]:
    counts: Counter = Counter()
    where: dict[str, tuple[int, int]] = {}
    for match in pattern.finditer(text):
        if _overlaps(match.start(), match.end(), spans):
            term = normalise_term(match.group(0))
            counts[term] += 1
            where.setdefault(term, (match.start(), match.end()))
    return counts, where


def watch_findings(criteria: Sequence[CriterionRef], edits: Sequence[Edit]) -> list[Finding]:
    findings = []
    for criterion in criteria:
        if not criterion.watch:
            continue
        pattern = compile_terms(tuple(criterion.watch))
        for edit in edits:
            inserted, at_new = _term_counts(pattern, edit.new, edit.inserted)
            deleted, at_old = _term_counts(pattern, edit.old, edit.deleted)
            reported = False
            for term in sorted(set(inserted) | set(deleted)):
                if inserted[term] > deleted[term]:
                    a, b = at_new[term]
                    detail = f'watched term inserted: "{edit.new[a:b]}" in "{_snippet(edit.new, a, b)}"'
                elif deleted[term] > inserted[term]:
                    a, b = at_old[term]
                    detail = f'watched term deleted: "{edit.old[a:b]}" from "{_snippet(edit.old, a, b)}"'
                else:
                    continue
                findings.append(Finding("watch", criterion.id, detail, edit.section, change_excerpt(edit)))
                reported = True
            if reported:
                continue
            for text, spans in ((edit.new, edit.inserted), (edit.old, edit.deleted)):
                found = None
                for a, b in _changed_sentences(text, spans):
                    match = pattern.search(text, a, b)
                    if match:
                        found = match
                        break
                if found:
                    detail = (
                        f'wording changed in a sentence mentioning watched term "{found.group(0)}": '
                        f"{change_excerpt(edit)}"
                    )
                    findings.append(Finding("watch", criterion.id, detail, edit.section, change_excerpt(edit)))
                    break
    return findings


# --- vocabulary ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VocabularyHit:
    """A theme's terms (or a quantity) inserted/deleted in one edit; criterion-independent."""

    theme: str  # theme id, or "quantity"
    themes: frozenset[str]  # the themes it maps to criteria by
    detail: str
    section: str | None
    excerpt: str
    values: tuple[str, ...]  # quantities involved, to match against evidence and watch terms


def vocabulary_hits(vocabulary: Vocabulary, edits: Sequence[Edit]) -> list[VocabularyHit]:
    hits = []
    for edit in edits:
        inserted: dict[str, Counter] = {}
        deleted: dict[str, Counter] = {}
        shown: dict[tuple[str, str], str] = {}
        for side, text, spans in ((inserted, edit.new, edit.inserted), (deleted, edit.old, edit.deleted)):
            for theme, start, end, matched in vocabulary.find_terms(text):
                if _overlaps(start, end, spans) and not _shouting(text, start, end, matched):
                    term = normalise_term(matched)
                    side.setdefault(theme, Counter())[term] += 1
                    shown.setdefault((theme, term), matched)
        for theme in sorted(set(inserted) | set(deleted)):
            added = inserted.get(theme, Counter()) - deleted.get(theme, Counter())
            removed = deleted.get(theme, Counter()) - inserted.get(theme, Counter())
            if not added and not removed:
                continue
            parts = []
            if added:
                parts.append("inserted " + ", ".join(f'"{shown[(theme, t)]}"' for t in added))
            if removed:
                parts.append("deleted " + ", ".join(f'"{shown[(theme, t)]}"' for t in removed))
            detail = f"{vocabulary.label(theme)}: {'; '.join(parts)}"
            hits.append(VocabularyHit(theme, frozenset([theme]), detail, edit.section, change_excerpt(edit), ()))
        hits.extend(_quantity_hits(vocabulary, edit))
    return hits


def _shouting(text: str, start: int, end: int, matched: str) -> bool:
    """An all-capitals abbreviation inside all-capitals text ("CONTACT US") is not a term."""
    if not matched.isupper() or len(matched) > 4:
        return False
    around = text[max(0, start - 40) : end + 40]
    return not any(char.islower() for char in around)


def _quantities(text: str, spans) -> list[tuple[str, int, int]]:
    return [
        (" ".join(m.group(0).lower().split()), m.start(), m.end())
        for m in QUANTITY_RE.finditer(text)
        if _overlaps(m.start(), m.end(), spans)
    ]


_UNIT = re.compile(r"[a-zà-ÿ%€$£]+$", re.I)
_UNIT_FAMILIES = {
    "day": "day", "days": "day", "jour": "day", "jours": "day", "tag": "day", "tage": "day", "tagen": "day",
    "días": "day", "hour": "hour", "hours": "hour", "heure": "hour", "heures": "hour", "stunden": "hour",
    "horas": "hour", "week": "week", "weeks": "week", "month": "month", "months": "month", "mois": "month",
    "monat": "month", "monate": "month", "monaten": "month", "meses": "month", "year": "year",
    "years": "year", "ans": "year", "années": "year", "jahr": "year", "jahre": "year", "jahren": "year",
    "años": "year", "minute": "minute", "minutes": "minute", "second": "second", "seconds": "second",
    "percent": "%", "cent": "%", "euro": "€", "euros": "€", "eur": "€", "dollar": "$", "dollars": "$", "usd": "$",
}


def _unit(quantity: str) -> str:
    """The unit family of a quantity: "30 days" and "thirty (30) days" are both days."""
    quantity = quantity.strip()
    if quantity[:1] in "€$£":
        return quantity[:1].replace("£", "£")
    match = _UNIT.search(quantity)
    word = match.group(0).lower() if match else ""
    return _UNIT_FAMILIES.get(word, word)


def _word_before(text: str, pos: int) -> int:
    """Start of the word before position pos (pos itself when there is none on the line)."""
    k = pos
    while k > 0 and text[k - 1] == " ":
        k -= 1
    j = k
    while j > 0 and not text[j - 1].isspace():
        j -= 1
    return j if j < k else pos


def _phrase_change(edit: Edit, start: int, end: int) -> tuple[str, str] | None:
    """The old and new wording around an inserted quantity new[start:end] that has no old
    counterpart of its unit: "once per year" → "once every two years". The phrase runs from the
    word before the changed span to its end; the old one lies between the same two neighbours."""
    spans = [(c, d) for c, d in edit.inserted if c < end and start < d]
    if not spans:
        return None
    c, d = _widen(edit.new, min(spans[0][0], start), max(spans[-1][1], end), words=0)
    left = _word_before(edit.new, c)
    right = re.match(r"\s*(\S+)", edit.new[d:])
    before, after = edit.new[left:c].strip(), right.group(1) if right else ""
    new_phrase = edit.new[left:d].strip()
    pattern = (re.escape(before) + r"\s+(.{1,80}?)" if before else r"^(.{1,80}?)") + (
        r"\s+" + re.escape(after) if after else r"\s*$")
    for match in re.finditer(pattern, edit.old, re.M):
        if any(a < match.end(1) and match.start(1) < b for a, b in edit.deleted):
            old_phrase = edit.old[match.start():match.end(1)].strip()
            if match_key(old_phrase) != match_key(new_phrase):
                return old_phrase, new_phrase
    return None


def _quantity_hits(vocabulary: Vocabulary, edit: Edit) -> list[VocabularyHit]:
    """One hit per edit whose quantities changed. Quantities are paired by unit, in order ("30 days"
    → "60 days", not "30 days" → "two years"); a new quantity with no old one of its unit is shown
    with the wording it replaced ("once per year" → "once every two years")."""
    before = _quantities(edit.old, edit.deleted)
    after = _quantities(edit.new, edit.inserted)
    removed = Counter(q for q, _, _ in before) - Counter(q for q, _, _ in after)
    added = Counter(q for q, _, _ in after) - Counter(q for q, _, _ in before)
    if not removed and not added:
        return []
    old_values = [(q, a, b) for q, a, b in before if q in removed]
    new_values = [(q, a, b) for q, a, b in after if q in added]
    paired: dict[int, tuple[str, str]] = {}  # index in new_values -> (old, new)
    unpaired_old = list(old_values)
    for k, (q, _, _) in enumerate(new_values):
        match = next((item for item in unpaired_old if _unit(item[0]) == _unit(q)), None)
        if match is not None:
            unpaired_old.remove(match)
            paired[k] = (match[0], q)
    pairs: list[tuple[str, str]] = [paired[k] for k in sorted(paired)]  # the surest pairs first
    for k, (q, a, b) in enumerate(new_values):
        if k in paired:
            continue
        phrase = _phrase_change(edit, a, b)
        if phrase is not None:
            pairs.append(phrase)
        elif unpaired_old:
            pairs.append((unpaired_old.pop(0)[0], q))
        else:
            pairs.append(("", q))
    pairs.extend((q, "") for q, _, _ in unpaired_old)
    shown = [f'"{old}" → "{new}"' if old and new else f'"{new or old}"' for old, new in pairs]
    if all(old and new for old, new in pairs):
        detail = ("quantity changed: " if len(pairs) == 1 else "quantities changed: ") + ", ".join(shown)
    elif all(not old for old, _ in pairs):
        detail = "quantity inserted: " + ", ".join(shown)
    elif all(not new for _, new in pairs):
        detail = "quantity deleted: " + ", ".join(shown)
    else:
        detail = "quantities changed: " + ", ".join(shown)
    themes = set()
    for text, found in ((edit.old, before), (edit.new, after)):
        for _, start, end in found:
            sentence_start = max(text.rfind(".", 0, start), text.rfind("\n", 0, start)) + 1
            sentence_end = min([i for i in (text.find(".", end), text.find("\n", end)) if i >= 0] or [len(text)])
            themes |= vocabulary.themes_in(text[sentence_start:sentence_end])
    excerpt = "; ".join(shown) if all(old and new for old, new in pairs) else change_excerpt(edit)
    values = tuple(q for q, _, _ in old_values + new_values)
    return [VocabularyHit("quantity", frozenset(themes), detail, edit.section, excerpt, values)]


def vocabulary_findings(
    hits: Sequence[VocabularyHit], criteria: Sequence[CriterionRef], criterion_themes: dict[str, set[str]]
) -> list[Finding]:
    findings = []
    for hit in hits:
        affected = [c.id for c in criteria if hit.themes & criterion_themes[c.id] or _mentions(c, hit.values)]
        for criterion in affected or [None]:
            findings.append(Finding("vocabulary", criterion, hit.detail, hit.section, hit.excerpt, hit.theme))
    return findings


def _mentions(criterion: CriterionRef, values: Sequence[str]) -> bool:
    if not values:
        return False
    text = match_key(" ".join(criterion.evidence + criterion.watch))
    return any(f" {match_key(value)} " in f" {text} " for value in values)


# --- structure -------------------------------------------------------------------------------


def _title_key(title: str) -> str:
    return match_key(_NUMBERING.sub("", title))


def structure_changes(old_sections: SectionIndex, new_sections: SectionIndex) -> list[tuple[str, str | None, str | None]]:
    """``(what, old title, new title)`` for sections added, removed or renamed."""
    old_titles, new_titles = old_sections.titles(), new_sections.titles()
    if old_titles == new_titles:  # most edits: no heading changed, nothing to match
        return []
    old_keys = [_title_key(t) for t in old_titles]
    new_keys = [_title_key(t) for t in new_titles]
    changes: list[tuple[str, str | None, str | None]] = []
    matcher = difflib.SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(pairs):
            changes.append(("renamed", old_titles[i1 + k], new_titles[j1 + k]))
        for k in range(i1 + pairs, i2):
            changes.append(("removed", old_titles[k], None))
        for k in range(j1 + pairs, j2):
            changes.append(("added", None, new_titles[k]))
    moved = {c[1] for c in changes if c[0] == "removed"} & {c[2] for c in changes if c[0] == "added"}
    return [c for c in changes if not (c[0] in ("removed", "added") and (c[1] or c[2]) in moved)]


def structure_findings(
    changes, vocabulary: Vocabulary, criteria: Sequence[CriterionRef], criterion_themes: dict[str, set[str]]
) -> list[Finding]:
    findings = []
    for what, old_title, new_title in changes:
        if what == "renamed":
            detail = f'section renamed: "{old_title}" → "{new_title}"'
            excerpt = f'"{shorten(old_title, 60)}" → "{shorten(new_title, 60)}"'
        else:
            detail = f'section {what}: "{old_title or new_title}"'
            excerpt = f"section {what}"
        titles = " ".join(t for t in (old_title, new_title) if t)
        themes = vocabulary.themes_in(titles)
        affected = [
            c.id
            for c in criteria
            if themes & criterion_themes[c.id] or (c.watch and compile_terms(tuple(c.watch)).search(titles))
        ]
        section = new_title if what != "removed" else old_title
        for criterion in affected or [None]:
            findings.append(Finding("structure", criterion, detail, section, excerpt))
    return findings


# --- links -----------------------------------------------------------------------------------


def link_findings(
    changes, new_text: str, new_sections: SectionIndex, vocabulary: Vocabulary,
    criteria: Sequence[CriterionRef], criterion_themes: dict[str, set[str]],
) -> list[Finding]:
    """A finding per link whose target changed; ``theme`` set when its text names one."""
    from diffing.links import body_offset

    findings = []
    for change in changes:
        themes = vocabulary.themes_in(change.text)
        theme = min(themes) if themes else None
        detail = f'link target changed: "{shorten(change.text, 60)}" now points to {change.new} (was {change.old})'
        excerpt = f'"{shorten(change.old, 70)}" → "{shorten(change.new, 70)}"'
        at = body_offset(new_text, change.text)
        section = new_sections.at(at) if at is not None else None
        affected = [c.id for c in criteria if themes & criterion_themes[c.id]]
        for criterion in affected or [None]:
            findings.append(Finding("link", criterion, detail, section, excerpt, theme))
    return findings
