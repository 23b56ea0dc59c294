"""Telling what a fetched body is: an HTML page, a PDF, or not a document at all — and whether
parsing it would cost more than any legal document needs (`check_parse_cost`, called by the parser)."""

import re

from .errors import ExtractError

__all__ = ["sniff_format", "not_a_document_reason", "check_parse_cost", "parse_limit_problem", "TooComplex",
           "MAX_ELEMENTS"]

MAX_ELEMENTS = 250_000  # a long legal page has a few thousand; a million tiny ones cost ~600 MB in lxml
MAX_DEPTH = 256  # libxml2's own limit: below it the parser stops and the text is lost
_START_TAG = re.compile(rb"<[A-Za-z]")

_BINARY_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"RIFF": "a RIFF (WebP/AVI/WAV) file",
    b"PK\x03\x04": "a zip archive",
    b"\x1f\x8b": "gzip-compressed data",
    b"\x7fELF": "an executable",
    b"%!PS": "a PostScript file",
    b"\xd0\xcf\x11\xe0": "an old Microsoft Office file",
    b"wOFF": "a web font",
    b"wOF2": "a web font",
    b"\x00\x00\x01\x00": "an icon",
    b"BM": "a bitmap image",
}
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/xml", "application/xml", "text/plain")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
_SAMPLE = 4096


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _looks_binary(sample: bytes) -> bool:
    if not sample:
        return False
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 BOM: text
        return False
    if b"\x00" in sample:
        return True
    if len(_CONTROL.findall(sample)) / len(sample) > 0.05:
        return True
    return not _reads_as_text(sample)


def _reads_as_text(sample: bytes) -> bool:
    """False when the bytes decode to no known charset without chaos (random or compressed bytes).

    ASCII and valid UTF-8 are text; anything else is given to charset-normalizer, whose mess
    detector finds no encoding for bytes that are not text in any charset.
    """
    from .charset import _is_utf8

    if sample.isascii() or _is_utf8(sample):
        return True
    from charset_normalizer import from_bytes

    best = from_bytes(sample[:_SAMPLE]).best()
    return best is not None and best.chaos <= 0.3


def sniff_format(body: bytes, content_type: str | None) -> str | None:
    """Return ``"pdf"``, ``"html"`` or ``None`` (not a document we can read).

    Magic bytes win (a PDF served as text/html is a PDF), then the content type, then a
    text/binary heuristic on the first bytes.
    """
    head = body[:1024].lstrip(b"\xef\xbb\xbf\r\n\t ")
    if head.startswith(b"%PDF-") or b"%PDF-" in body[:1024]:
        return "pdf"
    if any(head.startswith(magic) for magic in _BINARY_MAGIC):
        return None
    media = _media_type(content_type)
    if media == "application/pdf":
        return None  # declared PDF without the PDF header: truncated or an error page
    sample = body[:_SAMPLE]
    if _looks_binary(sample):
        return None
    if media in _HTML_TYPES or not media or media == "application/octet-stream":
        return "html"
    if media.startswith(("image/", "audio/", "video/", "font/")) or media in (
        "application/zip", "application/gzip", "application/x-gzip",
    ):
        return None
    return "html"


def not_a_document_reason(body: bytes, content_type: str | None) -> str:
    """A short human reason why ``sniff_format`` returned ``None`` for this body."""
    media = _media_type(content_type) or "no content type"
    head = body[:16].lstrip(b"\xef\xbb\xbf\r\n\t ")
    for magic, what in _BINARY_MAGIC.items():
        if head.startswith(magic):
            return f"not a document: {what} served as {media}"
    if not body:
        return "not a document: empty body"
    if media == "application/pdf":
        return "not a document: served as application/pdf but has no PDF header"
    return f"not a document: binary content served as {media}"


class TooComplex(ExtractError):
    """The page would cost more to parse than any document needs (elements, nesting, size)."""


def check_parse_cost(body: bytes, max_bytes: int) -> None:
    """Raise TooComplex when `body` has more elements or bytes than the extractor will parse.

    Called by the parser (snapshots.extract.tree.parse) before lxml sees the body, so memory stays
    bounded by the body limit instead of by the number of elements.
    """
    if len(body) > max_bytes:
        raise TooComplex(f"too large to extract: {len(body):,} bytes of HTML, over the {max_bytes:,} bytes the "
                         f"extractor reads (nothing is cut silently)")
    if body.count(b"<") > MAX_ELEMENTS:
        elements = sum(1 for _ in _START_TAG.finditer(body))
        if elements > MAX_ELEMENTS:
            raise TooComplex(f"too complex to extract: {elements:,} elements, over the limit of {MAX_ELEMENTS:,} "
                             f"(no legal document needs that many)")


def parse_limit_problem(error_log) -> str | None:
    """Why lxml stopped parsing early (its error log after parsing), or None."""
    for entry in error_log:
        if "Excessive depth" in entry.message or entry.type_name == "ERR_RESOURCE_LIMIT":
            return (f"too deeply nested to extract: elements nested more than {MAX_DEPTH} levels deep; the parser "
                    f"stops there and the text below would be lost")
    return None
