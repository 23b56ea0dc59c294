"""Counting words without building a list of them, in C, for the two words extraction counts.

- ``count_runs(text)`` is ``len(re.findall(r"\\w+", text))``: runs of word characters (how page
  furniture and stubs are measured);
- ``count_words(text)`` is ``len(re.findall(r"\\w+(?:['’-]\\w+)*", text))``: a document's words,
  "don't" and "opt-out" being one each.

Both map the text to one byte per character (``a`` a word character, ``j`` a joiner: ``'``,
``’`` or ``-``, a space anything else) and count byte pairs. ASCII is mapped by one
``bytes.translate``; in other text each distinct non-ASCII character is first replaced by an ASCII
character of its class, and text with many distinct characters (CJK) goes through the pattern
instead. On a 100 KB page this is two to five times faster than ``findall``, which makes one
string per word.
"""

from __future__ import annotations

import re

__all__ = ["count_runs", "count_words", "has_runs"]

_RUN = re.compile(r"\w+")
_WORD = re.compile(r"\w+(?:['’-]\w+)*")
_JOINERS = "'’-"
_MAX_DISTINCT = 48  # distinct non-ASCII characters replaced one by one; beyond, the pattern counts

# ASCII bytes -> a (\w: alphanumeric or _), j (a joiner) or a space
_CLASSES = bytes(97 if b < 128 and (chr(b).isalnum() or b == 95) else 106 if chr(b) in _JOINERS else 32
                 for b in range(256))
_ASCII = bytes(range(128))


def _classes(text: str) -> bytes | None:
    """One class byte per character of `text`, or None when it has too many distinct characters."""
    if not text.isascii():
        # the distinct non-ASCII characters: the UTF-8 bytes of the text without its ASCII bytes
        others = set(text.encode("utf-8", "surrogatepass").translate(None, _ASCII).decode("utf-8", "surrogatepass"))
        if len(others) > _MAX_DISTINCT:
            return None
        for char in others:  # str.replace of one character is a fast scan, bytes.replace of several is not
            text = text.replace(char, "a" if char.isalnum() else "'" if char in _JOINERS else " ")
    return text.encode("ascii").translate(_CLASSES)


def count_runs(text: str) -> int:
    """``len(re.findall(r"\\w+", text))``."""
    m = _classes(text)
    if m is None:
        return len(_RUN.findall(text))
    return m.count(b" a") + m.count(b"ja") + m.startswith(b"a")


def count_words(text: str) -> int:
    """``len(re.findall(r"\\w+(?:['’-]\\w+)*", text))``.

    A word is a run of ``a`` (one starts after a space, after a joiner or at the very start), and
    every joiner with a word character on both sides glues two runs into one word."""
    m = _classes(text)
    if m is None:
        return len(_WORD.findall(text))
    runs = m.count(b" a") + m.count(b"ja") + m.startswith(b"a")
    if b"j" in m:  # joiners followed by a word character, after one
        runs -= m.count(b"aj") - m.count(b"aj ") - m.count(b"ajj") - m.endswith(b"aj")
    return runs


def has_runs(chunks, n: int) -> bool:
    """``count_runs("".join(chunks)) >= n``, counting growing prefixes of the joined text so that a
    long text stops after its first words: a prefix never has more runs than the whole (a cut can
    only shorten its last run). `chunks` may be lazy (an element's itertext)."""
    parts, size, check = [], 0, 16 * n
    for chunk in chunks:
        parts.append(chunk)
        size += len(chunk)
        if size >= check:
            if count_runs("".join(parts)) >= n:
                return True
            check *= 4
    return count_runs("".join(parts)) >= n
