"""The parsed page: lxml parsing of decoded HTML, and the few tree edits the engine needs."""

import re

from lxml import etree

from .charset import decode_html, utf8_as_is
from .sniff import TooComplex, check_parse_cost, parse_limit_problem

__all__ = ["parse", "drop", "text_of", "MAX_HTML_BYTES"]

MAX_HTML_BYTES = 12_000_000  # larger bodies are cut: nothing legal is that long
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0b, 0x0c, *range(0x0e, 0x20)])  # its ASCII part
# and its other part in UTF-8 (U+FFFE, U+FFFF): one search, four times faster than two `in` tests
_NONCHARACTERS = re.compile(rb"\xef\xbf[\xbe\xbf]")
# Plain lxml elements (no lxml.html element-class lookup): about 10 % faster on big pages.
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, default_doctype=False)
_UTF8_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, default_doctype=False,
                                encoding="utf-8")
# what the text path would change at the start of a body: white space before an XML declaration
# (str's \s also holds \x1c-\x1f and non-ASCII spaces), or nothing but white space
_AS_IS_START = re.compile(rb"[ \t\n\r\x0b\x0c]*(?![ \t\n\r\x0b\x0c]|<\?xml|[\x1c-\x1f\x80-\xff]|\Z)", re.I)


def parse(body: bytes, content_type: str | None):
    """Decode and parse ``body``; ``None`` when there is nothing to parse; TooComplex past the bounds."""
    check_parse_cost(body, MAX_HTML_BYTES)
    if _as_is(body, content_type):  # lxml reads the bytes: no decoding to str and back to UTF-8
        parser, source = _UTF8_PARSER, body
    else:
        text = decode_html(body, content_type)
        text = _drop_controls(_XML_DECLARATION.sub("", text, count=1))
        if not text.strip():
            return None
        parser, source = _PARSER, text
    try:
        root = etree.fromstring(source, parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    problem = parse_limit_problem(parser.error_log)
    if problem:
        raise TooComplex(problem)
    if root is None or not isinstance(root.tag, str):
        return None
    return root


def _as_is(body: bytes, content_type: str | None) -> bool:
    """The text path would give lxml the body's own characters: a UTF-8 body (utf8_as_is) with no
    control characters to drop and no XML declaration to remove, that is not all white space."""
    return (_AS_IS_START.match(body) is not None and len(body.translate(None, _CONTROL_BYTES)) == len(body)
            and _NONCHARACTERS.search(body) is None
            and utf8_as_is(body, content_type))


def _drop_controls(text: str) -> str:
    """``text`` without the characters of _CONTROL. Its bytes are checked in C, five to ten times
    faster than the pattern: ASCII ones by deleting them from the ASCII bytes, and other text by
    looking for them in its UTF-8 bytes (which hold an ASCII byte only for that ASCII character)."""
    if text.isascii():
        data = text.encode("ascii")
        kept = data.translate(None, _CONTROL_BYTES)
        return text if len(kept) == len(data) else kept.decode("ascii")
    data = text.encode("utf-8", "surrogatepass")
    if len(data.translate(None, _CONTROL_BYTES)) == len(data) and "\ufffe" not in text and "\uffff" not in text:
        return text
    return _CONTROL.sub("", text)


def text_of(el) -> str:
    """All text inside ``el`` (like ``textContent``)."""
    return "".join(el.itertext())


def drop(el) -> None:
    """Remove ``el`` and its subtree, keeping the text that follows it (its tail)."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_TITLE_HOLDERS = frozenset((*HEADINGS, "summary", "dt", "th"))
_SECTIONS = frozenset(("section", "article", "main", "body"))


def is_disclosure(button) -> bool:
    """A button that opens part of the document — an accordion or a tab, its label that part's
    title, or an FAQ entry's question. Other buttons (vote, copy, accept, share) are controls."""
    attrib = button.attrib
    if "aria-controls" in attrib or "aria-expanded" in attrib or attrib.get("role") == "tab":
        return True
    parent = button.getparent()
    while parent is not None:
        if parent.tag in _TITLE_HOLDERS:
            return True
        parent = parent.getparent() if parent.tag not in _SECTIONS else None
    return text_of(button).rstrip().endswith("?")
