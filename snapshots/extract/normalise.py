"""Text normalisation shared by extracted text and Open Terms Archive Markdown.

``normalise_text`` removes differences that never matter to a reader (typographic quotes and
dashes, odd spaces, invisible characters, link targets, URL query strings, blank-line runs), so that
two versions differ only when their words do. ``comparison_key`` additionally ignores line breaks.
"""

import hashlib
import re
import unicodedata

__all__ = ["normalise_text", "comparison_key"]

_CHAR_MAP = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u0060\u00b4", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
        **dict.fromkeys(
            "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
            "\u200a\u202f\u205f\u3000",
            " ",
        ),
        **dict.fromkeys("\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064"
                        "\ufeff\u00ad\u180e\u034f", None),
        **dict.fromkeys("\r\u000b\u000c\u0085\u2028\u2029", "\n"),
    }
)
# Control characters other than newline: never meaningful in a document.
_CONTROL = re.compile(r"[\x00-\x09\x0e-\x1f\x7f]")
# Lone surrogates are not text (they cannot even be encoded as UTF-8): the replacement character.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# ![alt](src) and [text](target "title"); the text may hold one level of nested brackets.
_IMAGE = re.compile(r"!\[(?:[^\[\]\n]|\[[^\[\]\n]*\])*\]\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*(?:\s+\"[^\"\n]*\")?\s*\)")
_LINK = re.compile(
    r"\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\(\s*<?[^()\s<>]*(?:\([^()\s]*\)[^()\s<>]*)*>?"
    r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)"
)
_URL_TAIL = re.compile(r"(\bhttps?://[^\s?#()<>\[\]\"']*)[?#][^\s()<>\[\]\"']*")
_SPACES = re.compile(r"(?<=\S) {2,}")
_TRAILING = re.compile(r"[ ]+$", re.M)
_BLANK_RUNS = re.compile(r"\n{3,}")


def normalise_text(text: str) -> str:
    """Return ``text`` with typographic and markup noise removed (deterministic, idempotent).

    The result has no trailing spaces, at most one blank line in a row, no leading or trailing
    blank lines, and ends with one newline unless it is empty.
    """
    text = unicodedata.normalize("NFKC", _SURROGATE.sub("\ufffd", text).replace("\r\n", "\n")).translate(_CHAR_MAP)
    text = _CONTROL.sub("", text)
    for _ in range(8):  # links nested in link text unwrap one level per pass
        unlinked = _LINK.sub(r"\1", _IMAGE.sub("", text))
        if unlinked == text:
            break
        text = unlinked
    text = _URL_TAIL.sub(r"\1", text)
    text = _SPACES.sub(" ", text)
    text = _TRAILING.sub("", text)
    text = _BLANK_RUNS.sub("\n\n", text).strip("\n")
    return text + "\n" if text else ""


def comparison_key(text: str, normalised: bool = False) -> str:
    """sha256 hex digest of the normalised text with all whitespace runs collapsed to one space.

    `normalised=True` skips normalising again a text that `extract()` already produced."""
    collapsed = " ".join((text if normalised else normalise_text(text)).split())
    return hashlib.sha256(collapsed.encode("utf-8")).hexdigest()
