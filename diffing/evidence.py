"""Locate an evidence quote in a document: ``found``, ``fuzzy`` or ``missing``.

- ``found``: the quote occurs word for word once case, whitespace, punctuation and Markdown syntax
  are ignored (``textkey.match_key`` on both sides, whole words only) — and a quote written as a
  whole sentence (capital first, full stop last) still is one: words added to its sentence make it
  ``fuzzy``.
- ``fuzzy``: reworded or moved. The text is cut into sentences; every window of one to three
  consecutive sentences (no longer than twice the quote plus ten words) is scored by the share of
  the quote's distinct content words (stop words dropped, crudely stemmed) it contains. The quote is fuzzy when the
  best window holds at least ``FUZZY_THRESHOLD`` (70 %) of them — word order does not matter, so a
  moved or lightly reworded sentence still counts, a sentence sharing a few legal words does not.
- ``missing``: otherwise.

Indexes are cached per text (a document is searched once per citing profile): an exact lookup is
one regex search over the lowered text, a fuzzy one a search for the quote's words.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from diffing.textkey import match_key

FOUND, FUZZY, MISSING = "found", "fuzzy", "missing"
_WORD = re.compile(r"[^\W_]")
FUZZY_THRESHOLD = 0.7
MAX_WINDOW_SENTENCES = 3

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")
_SENTENCE_BREAK = re.compile(r"(?:[.!?;:]\s|\n)\s*")  # shaped so that the regex engine scans fast
STOP_WORDS = frozenset(
    "a an and are as at be by for from has have in is it its of on or our that the their this to "
    "we will with you your not no may can which who any all such do does is was been".split()
)
_SUFFIXES = ("ing", "ed", "es", "s")


def stem(word: str) -> str:
    """A crude stem, enough for "use"/"used"/"using" and "model"/"models" to meet."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def content_words(key: str) -> frozenset[str]:
    words = key.split()
    content = [stem(word) for word in words if word not in STOP_WORDS]
    return frozenset(content or (stem(word) for word in words))


@dataclass(frozen=True)
class Location:
    status: str
    offset: int | None  # where in the text the quote (or its closest window) starts
    end: int | None  # and ends
    score: float  # share of the quote's content words found (1.0 when found)
    excerpt: str  # the sentence(s) found, as written in the text


class TextIndex:
    """One text lowered (same offsets) and its sentence boundaries (computed on first use)."""

    def __init__(self, text: str) -> None:
        self.text = text
        lowered = text.lower()
        if len(lowered) != len(text):  # a character lowers to two ("İ", the only one in Unicode 15): keep it as is
            lowered = "\u0130".join(part.lower() for part in text.split("\u0130"))
            if len(lowered) != len(text):  # another one, in some later Unicode: character by character
                lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        self.lowered = lowered

    @cached_property
    def starts(self) -> list[int]:
        return [0] + [match.end() for match in _SENTENCE_BREAK.finditer(self.text)]

    def words_in(self, sentence: int) -> int:
        """How many words sentence number `sentence` has once keyed (textkey.match_key); computed once."""
        counts = self.__dict__.setdefault("_words", {})
        if sentence not in counts:
            start, end = self.bounds(sentence, sentence)
            counts[sentence] = len(match_key(self.text[start:end]).split())
        return counts[sentence]

    def sentence_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def bounds(self, first: int, last: int) -> tuple[int, int]:
        end = self.starts[last + 1] if last + 1 < len(self.starts) else len(self.text)
        return self.starts[first], end

    def sentence_around(self, start: int, end: int) -> tuple[int, int]:
        """Bounds of the sentence(s) holding text[start:end], found locally (no full scan)."""
        low = max(0, start - 2000)
        begin = low
        for match in _SENTENCE_BREAK.finditer(self.text, low, start + 1):
            if match.end() <= start:
                begin = match.end()
        after = _SENTENCE_BREAK.search(self.text, end)
        finish = after.start() + 1 if after else len(self.text)
        return begin, begin + len(self.text[begin:finish].rstrip())

    def excerpt(self, first: int, last: int) -> str:
        start, end = self.bounds(first, last)
        return self.text[start:end].strip()


@lru_cache(maxsize=16)
def text_index(text: str) -> TextIndex:
    return TextIndex(text)


def _found(index: TextIndex, first: int, last: int, status: str, score: float) -> Location:
    start, end = index.bounds(first, last)
    end = start + len(index.text[start:end].rstrip())
    return Location(status, start, end, score, index.excerpt(first, last))


@lru_cache(maxsize=1024)
def _words_pattern(words: tuple[str, ...]) -> re.Pattern:
    # starts with a literal, so the regex engine scans for it quickly; the word boundary before
    # the match is checked by the caller
    return re.compile(r"[\W_]+".join(map(re.escape, words)) + r"(?![^\W_])")


@lru_cache(maxsize=1024)
def _any_word_pattern(words: frozenset[str]) -> re.Pattern:
    return re.compile("(?:" + "|".join(map(re.escape, sorted(words))) + ")[^\\W_]*")


def _starts_word(text: str, at: int) -> bool:
    return at == 0 or not text[at - 1].isalnum()


def _search_words(words: list[str], lowered: str) -> re.Match | None:
    pattern = _words_pattern(tuple(words))
    position = 0
    while True:
        match = pattern.search(lowered, position)
        if match is None or _starts_word(lowered, match.start()):
            return match
        position = match.start() + 1


def locate(quote: str, text: str) -> Location:
    """Where quote is in text, and how well it matches."""
    key = match_key(quote)
    if not key:
        return Location(FOUND, 0, 0, 1.0, "")
    index = text_index(text)
    words = key.split()
    exact = _search_words(words, index.lowered)
    if exact:
        start, end = index.sentence_around(exact.start(), exact.end())
        # a quote that is a whole sentence must still be one: "… in Ireland." is not backed by
        # "… in Ireland and the United States."
        extended = (quote.rstrip()[-1:] in ".!?" and _WORD.search(text, exact.end(), end) is not None) or \
                   (quote.lstrip()[:1].isupper() and _WORD.search(text, start, exact.start()) is not None)
        return Location(FUZZY if extended else FOUND, start, end, 1.0, text[start:end].strip())
    content = content_words(key)
    # sentences holding any of the quote's content words, and which ones
    pattern = _any_word_pattern(content)
    hits: dict[int, set[str]] = {}
    for match in pattern.finditer(index.lowered):
        word = stem(match.group(0))
        if word in content and _starts_word(index.lowered, match.start()):
            hits.setdefault(index.sentence_of(match.start()), set()).add(word)
    longest = 2 * len(words) + 10
    best, best_length, best_window = 0.0, 0, None
    for i in sorted(hits):
        seen: set[str] = set()
        length = 0
        for j in range(i, min(i + MAX_WINDOW_SENTENCES, len(index.starts))):
            length += index.words_in(j)
            if length > longest and j > i:
                break
            seen |= hits.get(j, set())
            score = len(seen) / len(content)
            if score > best or score == best and length < best_length:
                best, best_length, best_window = score, length, (i, j)
    if best_window is None:
        return Location(MISSING, None, None, 0.0, "")
    status = FUZZY if best >= FUZZY_THRESHOLD else MISSING
    return _found(index, *best_window, status, best)


def evidence_status(quote: str, text: str) -> str:
    """``"found"``, ``"fuzzy"`` or ``"missing"``: see the module docstring."""
    return locate(quote, text).status
