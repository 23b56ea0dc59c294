"""The entry point: ``extract(body, url=..., content_type=..., rules=...) -> Extraction``."""

import re
from dataclasses import dataclass, field

from .errors import NotADocument
from .html import extract_html
from .normalise import normalise_text
from .rules import Rules
from .sniff import not_a_document_reason, sniff_format

__all__ = ["extract", "Extraction", "EXTRACTOR_VERSION", "PROBLEM_KINDS"]

# Bump whenever the text produced for the same body and rules may change.
EXTRACTOR_VERSION = "1.3.0"
PROBLEM_KINDS = (None, "selector-matched-nothing", "empty", "no-text-layer", "script-shell", "moved")
_HEADING = re.compile(r"#{1,6} (.+)")  # matched at the start of a line
_WORD = re.compile(r"\w+(?:['’-]\w+)*")
_LINK_DEFINITION = re.compile(r"^\[(?:[^\]\\]|\\.)+\]: \S+$", re.M)  # links.link_definitions: not words

# characters that are neither word characters nor the joiners of _WORD
_PUNCTUATION = ".,;:!?()[]{}<>\"*#/\\|`~@$%^&+=…§•·"
# ASCII bytes -> a (in \w), j (the joiners of _WORD) or a space
_ASCII_CLASSES = bytes(97 if b < 128 and (chr(b).isalnum() or b == 95) else 106 if b in b"-'" else 32 for b in range(256))


def count_words(text: str) -> int:
    """``len(_WORD.findall(text))`` without building the list of words.

    ASCII text (most pages) is mapped byte by byte to ``a`` (a word character), ``j`` (a joiner:
    ``-`` or ``'``) or a space, and counted with substring counts, all in C: a word is a run of
    ``a`` (one starts after a space, after a joiner or at the very start), and every joiner with a
    word character on both sides glues two runs into one word. Other text goes token by token:
    a token that is one run of word characters between punctuation (most of them) is one word,
    and only the others go through the pattern."""
    if text.isascii():
        m = text.encode("ascii").translate(_ASCII_CLASSES)
        runs = m.count(b" a") + m.count(b"ja") + m.startswith(b"a")
        if b"j" in m:  # joiners followed by a word character, after one
            runs -= m.count(b"aj") - m.count(b"aj ") - m.count(b"ajj") - m.endswith(b"aj")
        return runs
    count = 0
    for token in text.split():
        core = token.strip(_PUNCTUATION)
        if core.isalnum():  # every character is in \w: exactly one word
            count += 1
        elif core:
            count += sum(1 for _ in _WORD.finditer(core))
    return count


@dataclass
class Extraction:
    text: str
    format: str
    headings: list[str] = field(default_factory=list)
    words: int = 0
    problem_kind: str | None = None
    problem: str | None = None
    note: str | None = None  # what was selected when it was not the whole page ("fragment #x: …")
    moved_to: str | None = None  # problem "moved": the absolute URL the redirect stub sends to
    region_key: str | None = None  # HTML: the markup-stable key of the regions the text came from (region.key_of)


def extract(body: bytes, *, url: str, content_type: str | None = None, rules: Rules = Rules()) -> Extraction:
    """Turn a fetched body into normalised text; ``NotADocument`` when it is not a document.

    ``url`` is the page's address (extraction never fetches anything): its fragment
    (``#platform-terms``) selects that part of the page when there are no ``select`` rules, its host
    tells links to sibling pages, and a redirect stub's target is made absolute against it.
    """
    kind = sniff_format(body, content_type)
    if kind is None:
        raise NotADocument(not_a_document_reason(body, content_type))
    if kind == "pdf":
        from .pdf import extract_pdf

        result = extract_pdf(body)
    else:
        result = extract_html(body, content_type, rules, url, EXTRACTOR_VERSION)
    text = normalise_text(result.text)
    problem_kind, problem = result.problem_kind, result.problem
    if not text and problem_kind is None:
        problem_kind, problem = "empty", "the document has no text"
    return Extraction(
        text=text,
        format=kind,
        headings=[match.group(1).strip() for line in text.split("\n") if line[:1] == "#"
                  and (match := _HEADING.match(line))],
        words=count_words(_LINK_DEFINITION.sub("", text) if "]: " in text else text),
        problem_kind=problem_kind,
        problem=problem,
        note=getattr(result, "note", None),
        moved_to=getattr(result, "moved_to", None),
        region_key=getattr(result, "region_key", None),
    )
