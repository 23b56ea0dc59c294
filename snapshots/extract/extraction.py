"""The entry point: ``extract(body, url=..., content_type=..., rules=...) -> Extraction``."""

import re
from dataclasses import dataclass
from functools import cached_property

from .errors import NotADocument
from .html import extract_html, region_key_of
from .normalise import normalise_text
from .rules import Rules
from .sniff import not_a_document_reason, sniff_format
from .wordcount import count_words

__all__ = ["extract", "Extraction", "EXTRACTOR_VERSION", "PROBLEM_KINDS"]

# Bump whenever the text produced for the same body and rules may change.
EXTRACTOR_VERSION = "1.3.0"
PROBLEM_KINDS = (None, "selector-matched-nothing", "empty", "no-text-layer", "script-shell", "moved")
_HEADING = re.compile(r"#{1,6} (.+)")  # matched at the start of a line
# links.link_definitions' lines (not words), each after its "\n", searched in "\n" + text (a literal first
# character is found by a fast scan; a ^ of re.M is tried at every position, ten times slower)
_LINK_DEFINITION = re.compile(r"\n\[(?:[^\]\\]|\\.)+\]: \S+(?=\n|\Z)")


@dataclass
class Extraction:
    """What extraction made of a body. ``words`` and ``headings`` are read off ``text`` when asked
    (most extractions only need ``has_words``, or neither)."""

    text: str
    format: str
    problem_kind: str | None = None
    problem: str | None = None
    note: str | None = None  # what was selected when it was not the whole page ("fragment #x: …")
    moved_to: str | None = None  # problem "moved": the absolute URL the redirect stub sends to
    region_key: str | None = None  # HTML: the markup-stable key of the regions the text came from (region.key_of)
    same_regions: bool = False  # the regions' key was `known_region_key`: no text was rendered

    @cached_property
    def words(self) -> int:
        """The words of the text, its link definitions (links.link_definitions) left out."""
        return count_words(_without_definitions(self.text))

    @cached_property
    def headings(self) -> list[str]:
        return [match.group(1).strip() for line in self.text.split("\n") if line[:1] == "#"
                and (match := _HEADING.match(line))]

    def has_words(self, n: int) -> bool:
        """``words >= n``, counting only a prefix of the text when that holds there already (a prefix
        cut at a line's end never has more words than the whole text)."""
        size = 16 * n
        while "words" not in self.__dict__ and size * 4 < len(self.text):  # prefixes growing 4× each
            cut = self.text.rfind("\n", 0, size)
            if cut > 0 and count_words(_without_definitions(self.text[:cut])) >= n:
                return True
            size *= 4
        return self.words >= n


def _without_definitions(text: str) -> str:
    return _LINK_DEFINITION.sub("\n", "\n" + text) if "]: " in text else text


def extract(body: bytes, *, url: str, content_type: str | None = None, rules: Rules = Rules(),
            known_region_key: str | None = None) -> Extraction:
    """Turn a fetched body into normalised text; ``NotADocument`` when it is not a document.

    ``known_region_key`` is the ``region_key`` of a page whose text the caller already has: when
    this page's regions have that key, their text is that text, so nothing is rendered and the
    result is ``same_regions`` with an empty text (the cost of a parse and one serialisation).

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
        result = extract_html(body, content_type, rules, url, EXTRACTOR_VERSION, known_region_key)
        if result.same_regions:
            return Extraction(text="", format=kind, region_key=result.region_key, same_regions=True)
    text = normalise_text(result.text)
    problem_kind, problem = result.problem_kind, result.problem
    if not text and problem_kind is None:
        problem_kind, problem = "empty", "the document has no text"
    return Extraction(
        text=text,
        format=kind,
        problem_kind=problem_kind,
        problem=problem,
        note=getattr(result, "note", None),
        moved_to=getattr(result, "moved_to", None),
        region_key=getattr(result, "region_key", None),
    )


def region_key(body: bytes, *, url: str, content_type: str | None = None, rules: Rules = Rules()) -> str | None:
    """The key ``extract(..., known_region_key=)`` compares with, at the cost of a parse and one
    serialisation, without rendering any text (html.region_key_of): None for a PDF, a redirect
    stub, a select that matches nothing. Raises what ``extract`` raises on the same body."""
    kind = sniff_format(body, content_type)
    if kind is None:
        raise NotADocument(not_a_document_reason(body, content_type))
    if kind == "pdf":
        return None
    return region_key_of(body, content_type, rules, url, EXTRACTOR_VERSION)
