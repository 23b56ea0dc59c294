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


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte sequence cut by truncation at the very end is still UTF-8
        return exc.start >= len(body) - 3 and exc.reason == "unexpected end of data"
    return True


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
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(name, errors="replace")
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
            if _is_utf8(body):
                return body.decode("utf-8", errors="replace")
            if _mostly_utf8(body):
                return body.decode("utf-8", errors="clausewatch-cp1252")
            continue  # declared UTF-8 but is not: try the next declaration, then cp1252
        if name in _SINGLE_BYTE_WESTERN and not body.isascii() and _is_utf8(body):
            return body.decode("utf-8", errors="replace")
        return body.decode(name, errors="replace")
    if _is_utf8(body):
        return body.decode("utf-8", errors="replace")
    if _mostly_utf8(body):  # mixed: each stray byte read as windows-1252, as the rest of the page is UTF-8
        return body.decode("utf-8", errors="clausewatch-cp1252")
    return body.decode("cp1252", errors="replace")
