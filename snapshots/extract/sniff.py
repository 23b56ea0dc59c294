"""Telling what a fetched body is: an HTML page, a PDF, or not a document at all."""

import re

__all__ = ["sniff_format", "not_a_document_reason"]

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
    return len(_CONTROL.findall(sample)) / len(sample) > 0.05


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
