"""Comparison keys: what is left of a text once differences that do not change its meaning go.

- ``match_key``: lower case, no punctuation or Markdown syntax, whitespace collapsed. Two texts
  with the same key differ only in case, punctuation or formatting. Used to find evidence quotes
  and to spot cosmetic edits.
- ``strip_volatile``: link targets lose their query string and fragment, and UUIDs and long
  id-like tokens (16+ characters with a digit) are replaced: per-request tracking ids inside links
  made one real privacy policy record hundreds of "versions". A link that is added, removed or
  pointed at another page still counts.
- ``strip_dates``: dates (English, French, German, Spanish and Italian month names; ISO and
  numeric forms), relative dates ("11 days ago", "over a week ago", "yesterday", "this week": a help
  centre's "Updated …" line changes with the reader's clock), and years.
- ``is_copyright_line``: "Meta © 2026", a footer's notice.
- ``strip_timestamps``: clock times to the second, with the date and zone around them
  ("2026-12-01 07:22:10 UTC", "2026-12-01T07:22:10Z", "07:22:10"): by its shape, text that a server
  writes on every request ("Page generated …"), never a term of the document.
"""

from __future__ import annotations

import re

_URL = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]\"']+|(?<=\]\()[^)\s]+")
_QUERY = re.compile(r"[?#].*$")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_LONG_ID = re.compile(r"\b(?=[A-Za-z_-]*\d)[\w-]{16,}\b")
_NOT_WORD = re.compile(r"[\W_]+")

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec|"
    "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|"
    "décembre|decembre|januar|februar|märz|maerz|juni|juli|oktober|dezember|"
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|"
    "gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th|er|º|\.)?"
_YEAR = r"(?:19|20)\d{2}"
DATE_RE = re.compile(
    rf"\b(?:{_DAY}\s+(?:of\s+|de\s+)?(?:{_MONTHS})\.?,?(?:\s+(?:de\s+)?{_YEAR})?"
    rf"|(?:{_MONTHS})\.?\s+{_DAY},?(?:\s+{_YEAR})?"
    rf"|(?:{_MONTHS})\.?,?\s+{_YEAR}"
    rf"|{_YEAR}[-/.]\d{{1,2}}[-/.]\d{{1,2}}"
    rf"|\d{{1,2}}[-/.]\d{{1,2}}[-/.](?:{_YEAR}|\d{{2}})"
    rf"|(?:(?:over|about|almost|nearly|around|more\s+than|less\s+than)\s+)?"
    rf"(?:an?|\d+|a\s+few|several)\s+(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?)\s+ago"
    rf"|today|yesterday|(?:this|last)\s+(?:week|month|year)"
    rf"|{_YEAR}(?:\s*[-–]\s*{_YEAR})?)\b",
    re.I,
)

# the words (match_key tokens) a DATE_RE match may hold, besides those with a digit
_DATE_WORDS = frozenset(_MONTHS.split("|") + (
    "of de over about almost nearly around more than less an a few several second seconds minute minutes hour "
    "hours day days week weeks month months year years ago today yesterday this last").split())


def undated_words_at_least(text: str) -> int:
    """A lower bound of how many words ``match_key(strip_dates(text))`` has besides "date", without
    the date pattern: the ASCII words with no digit that no date can hold. A date match starts and
    ends at word boundaries, so the words outside it are the text's own (non-ASCII words are left
    out: under re.I a letter like "ſ" matches "s")."""
    return sum(1 for word in match_key(text).split()
               if word not in _DATE_WORDS and word.isascii() and word.isalpha() and word.replace("date", ""))


TIMESTAMP_RE = re.compile(
    rf"(?:(?:{DATE_RE.pattern[2:-2]})[T,\s]*(?:at\s+)?)?"
    r"(?<![\d:])\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?:\s*(?:am|pm))?(?:\s*(?:z|utc|gmt|[A-Z]{2,4}T|[+-]\d{2}:?\d{2}))?(?![\w:])",
    re.I,
)


# a notice, with its year: "Meta © 2026", "Copyright 2025-2026 Example" (not "DMCA copyright policy")
_COPYRIGHT = re.compile(r"(?:©|\(c\)|\bcopyright\b).{0,40}\b(?:19|20)\d\d\b|\b(?:19|20)\d\d\b.{0,40}(?:©|\(c\))", re.I)
COPYRIGHT_LINE_WORDS = 8


def is_copyright_line(line: str) -> bool:
    """A short copyright notice and nothing else: a footer's line, never a term of the document."""
    return bool(_COPYRIGHT.search(line)) and len(match_key(line).split()) <= COPYRIGHT_LINE_WORDS


_CLOCK = re.compile(r"\d:\d\d:\d\d")  # every timestamp has one: a cheap test before the long pattern


def strip_timestamps(text: str) -> str:
    return TIMESTAMP_RE.sub(" TIMESTAMP ", text) if _CLOCK.search(text) else text


def match_key(text: str) -> str:
    """Lower case, punctuation and Markdown syntax dropped, whitespace collapsed."""
    return _NOT_WORD.sub(" ", text.lower()).strip()


def _strip_url(match: re.Match) -> str:
    url = _QUERY.sub("", match.group(0))
    url = _UUID.sub("ID", url)
    return _LONG_ID.sub("ID", url)


def strip_volatile(text: str) -> str:
    """Drop query strings and fragments of links, UUIDs and long id-like tokens."""
    text = _URL.sub(_strip_url, text)
    text = _UUID.sub("ID", text)
    return _LONG_ID.sub("ID", text)


def strip_dates(text: str) -> str:
    return DATE_RE.sub(" DATE ", text)
