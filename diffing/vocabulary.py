"""The built-in legal vocabulary: what a change must touch to matter, with no configuration.

Each theme has *terms*, looked for in the inserted and deleted text of an edit, and *keywords*,
looked for (together with the terms) in a criterion's label, watch terms and evidence quotes. A
vocabulary finding affects the criteria that share its theme:

============== ====================================================== ===============================
theme          terms (changed text)                                   criterion keywords (+ terms)
============== ====================================================== ===============================
location       EU/EEA countries, European Union/EEA, United States,   residency, location, hosting,
               US, UK, Switzerland, other large markets, SCCs,        hosted, region, transfer,
               adequacy decision, Data Privacy Framework, transfer,   sovereign, data center
               data center, region, hosted in
subprocessors  sub-processor, third-party processor, subcontractor    processor, vendor, third party
retention      retention, retain, deletion, delete, erase, stored     retention, deletion, delete,
               for, kept for, storage period                          retain, logs, storage
training       train, training, model improvement, improve our        training, train, model,
               models, fine-tune, opt out                             improvement, opt-out
zdr            zero data retention, ZDR, no retention                 zero, retention
certifications ISO 27001, ISO 27701, ISO 27017/27018, SOC 2, C5, HDS  certification, certified, ISO,
                                                                      SOC, security
breach         data breach, security incident, notify, without undue  breach, incident, notification
               delay
audit          audit, inspection, audit report                        audit
liability      liability, liable, indemnify, indemnification          liability, indemn
law            governing law, jurisdiction, courts of, laws of,       law, jurisdiction, court,
               arbitration, "French law", "Irish courts" …            dispute
============== ====================================================== ===============================

Besides the themes, changed *quantities* — a number with a unit of time, a percentage or an
amount ("30 days" → "90 days", "72 hours" → "48 hours", "thirty (30) days") — are findings of
their own; they take the themes of the sentence they sit in (a retention period changed in a
sentence about deletion affects retention criteria) and affect criteria whose evidence quotes or
watch terms mention the old or new quantity. Dates are not quantities.

Terms match whole words, case-insensitively, tolerant of plurals and hyphenation
(``sub-processor`` matches "Sub-processor(s)", "subprocessors", "sub processors"); short
all-capitals abbreviations (EU, US, UK, SCC, SOC, ZDR …) match case-sensitively, so the pronoun
"us" is not the United States.

``Vocabulary.from_config`` takes a mapping (e.g. a ``[vocabulary]`` TOML table)::

    disabled_themes = ["liability"]
    disabled_terms = ["region"]
    [themes.ai_act]                       # a new theme, or replaces a built-in one
    label = "EU AI Act"
    terms = ["AI Act", "high-risk"]
    keywords = ["AI Act"]
    [extra_terms]                         # add terms to built-in themes
    location = ["Frankfurt"]
    [criterion_keywords]                  # add theme → criterion keywords
    training = ["learning"]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache

EU_EEA_COUNTRIES = (
    "Austria", "Belgium", "Bulgaria", "Croatia", "Cyprus", "Czech Republic", "Czechia", "Denmark",
    "Estonia", "Finland", "France", "Germany", "Greece", "Hungary", "Ireland", "Italy", "Latvia",
    "Lithuania", "Luxembourg", "Malta", "Netherlands", "Poland", "Portugal", "Romania", "Slovakia",
    "Slovenia", "Spain", "Sweden", "Iceland", "Liechtenstein", "Norway",
)  # fmt: skip
OTHER_COUNTRIES = (
    "United States", "United States of America", "U.S.", "US", "USA", "United Kingdom", "UK",
    "Great Britain", "Switzerland", "Canada", "India", "China", "Japan", "Singapore", "Australia",
    "Brazil", "Israel", "South Korea", "Hong Kong", "Taiwan", "Philippines", "Mexico",
)  # fmt: skip


# the law a contract is governed by, or its courts, named by adjective: "French law" → "Irish law"
JURISDICTION_ADJECTIVES = (
    "Austrian", "Belgian", "Bulgarian", "Croatian", "Cypriot", "Czech", "Danish", "Dutch", "Estonian",
    "Finnish", "French", "German", "Greek", "Hungarian", "Irish", "Italian", "Latvian", "Lithuanian",
    "Luxembourg", "Maltese", "Polish", "Portuguese", "Romanian", "Slovak", "Slovenian", "Spanish",
    "Swedish", "Icelandic", "Norwegian", "Swiss", "English", "Scottish", "British", "American",
    "Californian", "Delaware", "New York", "Canadian", "Japanese", "Singaporean", "Australian",
    "Indian", "Chinese", "Brazilian", "Israeli", "Korean",
)  # fmt: skip
JURISDICTION_TERMS = tuple(f"{adjective} {noun}" for adjective in JURISDICTION_ADJECTIVES for noun in ("law", "courts"))


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    terms: tuple[str, ...]
    keywords: tuple[str, ...] = ()


DEFAULT_THEMES = (
    Theme(
        "location",
        "data location & transfers",
        EU_EEA_COUNTRIES
        + OTHER_COUNTRIES
        + (
            "European Union", "European Economic Area", "EU", "EEA", "Europe",
            "standard contractual clauses", "SCC", "SCCs", "adequacy decision", "adequacy",
            "Data Privacy Framework", "DPF", "transfer", "data center", "data centre",
            "data residency", "region", "hosted in", "stored in", "located in", "third country",
        ),  # fmt: skip
        ("residency", "location", "hosting", "hosted", "region", "transfer", "sovereign",
         "data center", "data centre", "localisation", "localization"),  # fmt: skip
    ),
    Theme(
        "subprocessors",
        "sub-processors",
        ("sub-processor", "subprocessor", "third-party processor", "subcontractor",
         "sub-contractor", "third-party service provider"),  # fmt: skip
        ("processor", "vendor", "third party", "subcontract"),
    ),
    Theme(
        "retention",
        "retention & deletion",
        ("retention", "retain", "retained", "deletion", "delete", "deleted", "erase", "erasure",
         "stored for", "kept for", "storage period", "purge"),  # fmt: skip
        ("retention", "deletion", "delete", "retain", "logs", "storage", "erase"),
    ),
    Theme(
        "training",
        "training & model improvement",
        ("train", "training", "trained", "model improvement", "improve our models",
         "improve our services", "improve the services", "fine-tune", "fine-tuning", "opt out",
         "opt-out"),  # fmt: skip
        ("training", "train", "model improvement", "improve", "opt-out", "opt out"),
    ),
    Theme(
        "zdr",
        "zero data retention",
        ("zero data retention", "ZDR", "no retention", "zero retention"),
        ("zero data", "ZDR", "zero retention", "no retention"),
    ),
    Theme(
        "certifications",
        "certifications",
        ("ISO 27001", "ISO/IEC 27001", "ISO 27701", "ISO/IEC 27701", "ISO 27017", "ISO 27018",
         "ISO 42001", "SOC 2", "SOC2", "SOC 3", "C5", "HDS", "certification", "certified"),  # fmt: skip
        ("certification", "certified", "ISO", "SOC", "security"),
    ),
    Theme(
        "breach",
        "breach notification",
        ("data breach", "personal data breach", "security incident", "breach",
         "without undue delay", "notify", "notification"),  # fmt: skip
        ("breach", "incident", "notification", "notify"),
    ),
    Theme(
        "audit",
        "audit rights",
        ("audit", "inspection", "audit report", "on-site audit"),
        ("audit", "inspection"),
    ),
    Theme(
        "liability",
        "liability",
        ("liability", "liable", "indemnify", "indemnification", "indemnity", "limitation of liability"),
        ("liability", "indemn"),
    ),
    Theme(
        "law",
        "governing law & jurisdiction",
        ("governing law", "jurisdiction", "courts of", "laws of", "arbitration", "venue") + JURISDICTION_TERMS,
        ("law", "jurisdiction", "court", "dispute"),
    ),
)

_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|fifteen|"
    "twenty|thirty|forty|forty-five|fifty|sixty|ninety|hundred|eighteen|twenty-four|"
    "thirty-six|forty-eight|seventy-two"
)
_UNITS = (
    r"(?:business\s+|calendar\s+|working\s+)?(?:days?|hours?|weeks?|months?|years?|minutes?|seconds?)"
    r"|jours?|heures?|mois|ans|années|tage?n?|stunden|monate?n?|jahre?n?|días|horas|meses|años"
    r"|%|percent|per\s+cent|eur|euros?|usd|dollars?|gb|tb|mb"
)
QUANTITY_RE = re.compile(
    rf"(?:[€$£]\s?\d[\d,.]*(?:\s?(?:k|m|million|billion))?"
    rf"|(?<![\w.,])(?:\d+(?:[.,]\d+)?|{_NUMBER_WORDS})(?:\s*\(\d+\))?[\s-]*(?:{_UNITS})(?!\w))",
    re.I,
)
_ABBREVIATION = re.compile(r"^[A-Z][A-Z0-9]{0,4}s?$")


class VocabularyError(ValueError):
    """A vocabulary configuration names an unknown theme or has the wrong shape."""


def _term_body(term: str) -> tuple[str, bool]:
    """The regex body of a term (no word boundaries), and whether it keeps case (abbreviations)."""
    term = term.strip()
    if term.endswith("(s)"):
        term = term[:-3]
    parts = [part for part in re.split(r"[\s\-]+", term) if part]
    if not parts:
        raise VocabularyError(f"empty term {term!r}")
    pieces = []
    for k, part in enumerate(parts):
        piece = re.escape(part)
        if k == len(parts) - 1 and part[-1].isalpha():
            if part[-1] in "yY" and len(part) > 2:
                piece = re.escape(part[:-1]) + r"(?:y|ies)"
            else:
                piece += r"(?:s|es|\(s\))?"
        pieces.append(piece)
    keeps_case = len(parts) == 1 and bool(_ABBREVIATION.match(term)) and term.upper() == term
    return r"[\s\-]*".join(pieces), keeps_case


def term_pattern(term: str) -> str:
    """A regex for term: whole words, tolerant of plurals and hyphenation; abbreviations keep case."""
    body, keeps_case = _term_body(term)
    return rf"(?<!\w){body}(?!\w)" if keeps_case else rf"(?i:(?<!\w){body}(?!\w))"


@lru_cache(maxsize=512)
def compile_terms(terms: tuple[str, ...]) -> re.Pattern:
    """One pattern for all terms, longest first (so "personal data breach" wins over "breach").

    The word boundaries are outside the alternation and a lookahead admits only the terms' first
    characters, so the engine tries the alternatives at a word's start only: the same matches as
    ``"|".join(term_pattern(t) …)``, several times faster (Python's re does not optimise
    alternations)."""
    ordered = sorted(set(terms), key=len, reverse=True)
    alternatives, exact, folded = [], set(), set()
    for term in ordered:
        body, keeps_case = _term_body(term)
        alternatives.append(body if keeps_case else f"(?i:{body})")
        (exact if keeps_case else folded).add(re.escape(term.strip()[0]))
    first = "|".join(([f"(?i:[{''.join(sorted(folded))}])"] if folded else []) + ([f"[{''.join(sorted(exact))}]"] if exact else []))
    return re.compile(rf"(?<!\w)(?=(?:{first}))(?:{'|'.join(alternatives)})(?!\w)")


def normalise_term(text: str) -> str:
    """A matched term in a comparable form: "Sub-Processors" and "subprocessor" are one."""
    text = re.sub(r"[\s\-]+", "", text.lower()).replace("(s)", "")
    return re.sub(r"(?:ies)$", "y", re.sub(r"(?<=[a-z]{3})e?s$", "", text))


@dataclass(eq=False)  # identity: a vocabulary is a cache key
class Vocabulary:
    themes: tuple[Theme, ...]

    def __post_init__(self) -> None:
        for theme in self.themes:  # a bad term fails here, when the settings are read
            for term in (*theme.terms, *theme.keywords):
                _term_body(term)

    # compiled when a change is first classified: a check that finds nothing new never pays for it
    @cached_property
    def _terms(self) -> dict[str, re.Pattern]:
        return {theme.id: compile_terms(theme.terms) for theme in self.themes if theme.terms}

    @cached_property
    def _keywords(self) -> dict[str, re.Pattern]:
        return {
            theme.id: compile_terms(tuple(theme.keywords) + tuple(theme.terms))
            for theme in self.themes
            if theme.terms or theme.keywords
        }

    @classmethod
    def default(cls) -> Vocabulary:
        return _DEFAULT

    @classmethod
    def from_config(cls, config: Mapping) -> Vocabulary:
        """Build from a mapping; see the module docstring for the keys."""
        known = {"disabled_themes", "disabled_terms", "themes", "extra_terms", "criterion_keywords"}
        unknown = set(config) - known
        if unknown:
            raise VocabularyError(f"unknown vocabulary keys {sorted(unknown)}; expected {sorted(known)}")
        themes = {theme.id: theme for theme in DEFAULT_THEMES}
        for theme_id, spec in dict(config.get("themes", {})).items():
            if not isinstance(spec, Mapping) or not isinstance(spec.get("terms", []), list):
                raise VocabularyError(f"themes.{theme_id}: expected a table with a list of terms")
            themes[theme_id] = Theme(
                theme_id,
                str(spec.get("label", theme_id)),
                tuple(spec.get("terms", ())),
                tuple(spec.get("keywords", ())),
            )
        for key in ("extra_terms", "criterion_keywords"):
            for theme_id, words in dict(config.get(key, {})).items():
                theme = _theme(themes, theme_id, key)
                if key == "extra_terms":
                    themes[theme_id] = Theme(theme.id, theme.label, theme.terms + tuple(words), theme.keywords)
                else:
                    themes[theme_id] = Theme(theme.id, theme.label, theme.terms, theme.keywords + tuple(words))
        for theme_id in config.get("disabled_themes", ()):
            _theme(themes, theme_id, "disabled_themes")
            del themes[theme_id]
        disabled = {normalise_term(term) for term in config.get("disabled_terms", ())}
        if disabled:
            themes = {
                theme_id: Theme(
                    theme.id,
                    theme.label,
                    tuple(t for t in theme.terms if normalise_term(t) not in disabled),
                    theme.keywords,
                )
                for theme_id, theme in themes.items()
            }
        return cls(tuple(themes.values()))

    def label(self, theme_id: str) -> str:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme.label
        return theme_id

    def find_terms(self, text: str) -> Iterable[tuple[str, int, int, str]]:
        """``(theme id, start, end, matched text)`` for every term in text."""
        for theme_id, pattern in self._terms.items():
            for match in pattern.finditer(text):
                yield theme_id, match.start(), match.end(), match.group(0)

    def themes_in(self, text: str) -> set[str]:
        return {theme_id for theme_id, pattern in self._terms.items() if pattern.search(text)}

    def criterion_themes(self, text: str) -> set[str]:
        """The themes a criterion (its label, watch terms and evidence, joined) is about."""
        return {theme_id for theme_id, pattern in self._keywords.items() if pattern.search(text)}


def _theme(themes: dict[str, Theme], theme_id: str, key: str) -> Theme:
    if theme_id not in themes:
        raise VocabularyError(f"{key}: unknown theme {theme_id!r}; known themes: {sorted(themes)}")
    return themes[theme_id]


_DEFAULT = Vocabulary(DEFAULT_THEMES)
