"""Decoding an HTML body to text: BOM, HTTP charset, <meta> charset, then UTF-8 or cp1252."""

import codecs
import re

__all__ = ["decode_html"]

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
# Browsers read ISO-8859-1 and ASCII labels as windows-1252 (WHATWG Encoding Standard).
_ALIASES = {"iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
            "us-ascii": "cp1252", "ascii": "cp1252", "l1": "cp1252", "windows-1252": "cp1252"}
_SINGLE_BYTE_WESTERN = {"cp1252", "iso8859-15", "cp1250", "iso8859-2"}


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    label = _ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name.startswith("utf-16") or name == "utf-32":
        return None  # an ASCII-compatible page that claims UTF-16 is lying (WHATWG)
    return name


def _utf8_errors(body: bytes) -> str | None:
    """How `body` decodes as UTF-8: "strict" when it is UTF-8, "replace" when it is but for a
    multi-byte sequence cut by truncation at the very end, None when it is not UTF-8."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return "replace" if exc.start >= len(body) - 3 and exc.reason == "unexpected end of data" else None
    return "strict"


def _is_utf8(body: bytes) -> bool:
    return _utf8_errors(body) is not None


def _cp1252_fallback(error: UnicodeDecodeError):
    return error.object[error.start:error.end].decode("cp1252", errors="replace"), error.end


codecs.register_error("clausewatch-cp1252", _cp1252_fallback)
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _mostly_utf8(body: bytes) -> bool:
    """UTF-8 with a few stray bytes (a page pasted together from two charsets): more valid multi-byte
    sequences than invalid bytes."""
    valid = len(_UTF8_MULTIBYTE.findall(body))
    if not valid:
        return False
    invalid = len(body) - len(body.decode("utf-8", errors="ignore").encode("utf-8"))
    return invalid <= valid


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode ``body``; never raises. Order: BOM, HTTP charset, <meta>, UTF-8, cp1252.

    A page declared as a Western single-byte charset whose bytes are valid non-ASCII UTF-8 is
    decoded as UTF-8: valid UTF-8 multi-byte sequences practically never occur in real cp1252 text,
    while servers that label UTF-8 pages "iso-8859-1" are common.
    """
    name, errors, start = _decoding(body, content_type)
    return body[start:].decode(name, errors=errors)


def utf8_as_is(body: bytes, content_type: str | None = None) -> bool:
    """``decode_html(body)`` is ``body.decode("utf-8")``: the body is its text in UTF-8 as it is, so a
    UTF-8 parser may read the bytes themselves."""
    name, errors, start = _decoding(body, content_type)
    if start:
        return False
    if name == "utf-8":
        return errors == "strict"
    return name in _SINGLE_BYTE_WESTERN and body.isascii()  # ASCII reads the same in all of them


def _decoding(body: bytes, content_type: str | None) -> tuple[str, str, int]:
    """(codec, error handler, offset): decode_html decodes ``body[offset:]`` so."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, "replace", len(bom)
    declared = []
    if content_type:
        match = _HEADER_CHARSET.search(content_type)
        if match:
            declared.append(_codec(match.group(1)))
    match = _META_CHARSET.search(body[:8192])
    if match:
        declared.append(_codec(match.group(1).decode("ascii", "replace")))
    for name in declared:
        if name is None:
            continue
        if name == "utf-8":
            if errors := _utf8_errors(body):
                return "utf-8", errors, 0
            if _mostly_utf8(body):
                return "utf-8", "clausewatch-cp1252", 0
            continue  # declared UTF-8 but is not: try the next declaration, then cp1252
        if name in _SINGLE_BYTE_WESTERN and not body.isascii() and (errors := _utf8_errors(body)):
            return "utf-8", errors, 0
        return name, "replace", 0
    if errors := _utf8_errors(body):
        return "utf-8", errors, 0
    if _mostly_utf8(body):  # mixed: each stray byte read as windows-1252, as the rest of the page is UTF-8
        return "utf-8", "clausewatch-cp1252", 0
    return "cp1252", "replace", 0
