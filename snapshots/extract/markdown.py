"""Rendering an lxml HTML tree as Markdown-like text.

Headings become ``#`` lines, lists ``- `` / ``1. `` items (nested lists indented), tables
``| a | b |`` rows, definition lists ``term`` / ``: definition``, blockquotes ``> `` lines; links
keep their text only and emphasis is dropped (it changes nothing a reviewer acts on).
Elements that are hidden (``hidden``, ``aria-hidden``, ``display: none``) are kept when they hold
substantial text — collapsed accordions are part of the document — and dropped otherwise
(icons, duplicated labels).
"""

import re

from .tree import is_disclosure, text_of

__all__ = ["render_blocks", "render"]

_BR = "\x1e"  # a line break inside a paragraph, kept through whitespace collapsing
_DROP = frozenset(
    "script style noscript template svg math input select textarea option optgroup datalist "
    "iframe object embed canvas video audio map area img picture source track head title meta "
    "link base progress meter output frame frameset".split()
)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_CONTAINERS = frozenset(
    "p div section article main header footer aside nav address figure figcaption hgroup "
    "fieldset legend form details summary center dialog body html caption search".split()
)
_SUBSTANTIAL_WORDS = 12
_BACKREF = re.compile(r"^[\s↩↑^⤴︎]*$")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_MAX_DEPTH = 180


def _is_hidden(el) -> bool:
    get = el.get  # three lookups cost less than building the attribute mapping
    if get("hidden") is not None:
        return True
    aria = get("aria-hidden")
    if aria and aria.strip().lower() == "true":
        return True
    style = get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def _substantial(el) -> bool:
    """Hidden but part of the document: a collapsed accordion panel, a tab, a 'read more'."""
    if len(text_of(el).split()) >= _SUBSTANTIAL_WORDS:
        return True
    return any(True for _ in el.iter("p", "li", "table", "dd"))



def _collapse(parts: list[str]) -> str:
    text = parts[0] if len(parts) == 1 else "".join(parts)
    # already collapsed (every paragraph of minified markup): no white space but single spaces between
    # words; each white-space character other than the space (and _BR) is not printable
    if "  " not in text and text.isprintable() and text[:1] != " " and text[-1:] != " ":
        return text
    if _BR not in text:  # one line (nearly always): no line list to build
        return " ".join(text.split())
    lines = [" ".join(line.split()) for line in text.split(_BR)]
    return "\n".join(lines).strip("\n")


class _Renderer:
    def __init__(self) -> None:
        self.depth = 0

    # -- generic ---------------------------------------------------------------------------
    def blocks(self, el, out: list[str]) -> None:
        """Render the children of ``el`` as blocks appended to ``out``."""
        if not len(el):  # text only (most paragraphs, items, cells and headings): what children + flush make of it
            text = el.text
            if text and not text.isspace():
                text = _collapse([text])
                if text.strip():
                    out.append(text)
            return
        buf: list[str] = []
        self.children(el, out, buf)
        if buf:
            self.flush(buf, out)

    def children(self, el, out: list[str], buf: list[str]) -> None:
        """Render the text and children of ``el`` into the current paragraph ``buf``."""
        text = el.text
        if text and (buf or not text.isspace()):  # leading white space is collapsed away: not kept
            buf.append(text)
        self.depth += 1
        try:
            for child in el:
                self.node(child, out, buf)
                tail = child.tail
                if tail and (buf or not tail.isspace()):
                    buf.append(tail)
        finally:
            self.depth -= 1

    @staticmethod
    def flush(buf: list[str], out: list[str]) -> None:
        if buf:
            text = _collapse(buf)
            buf.clear()
            if text.strip():
                out.append(text)

    def node(self, el, out: list[str], buf: list[str]) -> None:
        tag = el.tag
        if not isinstance(tag, str):
            return  # comment or processing instruction (its tail is handled by the caller)
        if tag in _DROP:
            return
        if tag == "button" and not is_disclosure(el):  # buttons are UI, not text
            return
        if _is_hidden(el) and not _substantial(el):
            return
        if tag == "br":
            buf.append(_BR)
            return
        if self.depth > _MAX_DEPTH:  # pathological nesting: keep the words, lose the structure
            buf.append(" " + " ".join(el.itertext()) + " ")
            return
        handler = _BLOCK_HANDLERS.get(tag)
        if handler is None:
            inline = _INLINE_HANDLERS.get(tag)
            if inline is not None and inline(self, el, buf):
                return
            # inline or unknown element: transparent, its blocks (if any) split the paragraph
            self.children(el, out, buf)
            return
        if buf:
            self.flush(buf, out)
        handler(self, el, out)

    def inline_text(self, el) -> str:
        parts: list[str] = []
        self.blocks(el, parts)
        return " ".join(" ".join(part.split()) for part in parts)

    # -- blocks ----------------------------------------------------------------------------
    def container(self, el, out):
        self.blocks(el, out)

    def heading(self, el, out):
        text = self.inline_text(el)
        if text:
            out.append("#" * _HEADINGS[el.tag] + " " + text)

    def list_(self, el, out):
        ordered = el.tag == "ol"
        try:
            number = int(el.get("start", "1"))
        except ValueError:
            number = 1
        items: list[str] = []
        stray: list[str] = []
        for child in el:
            if isinstance(child.tag, str) and child.tag == "li" and not (
                _is_hidden(child) and not _substantial(child)
            ):
                sub: list[str] = []
                self.blocks(child, sub)
                if sub:
                    marker = f"{number}. " if ordered else "- "
                    lines = "\n".join(sub).split("\n")
                    pad = " " * len(marker)
                    items.append("\n".join([marker + lines[0]] + [pad + line if line else line for line in lines[1:]]))
                number += 1
            else:
                sub = []
                self.node(child, sub, stray)
                self.flush(stray, sub)
                items.extend(sub)
        if items:
            out.append("\n".join(items))

    def dlist(self, el, out):
        lines: list[str] = []
        for child in el.iter("dt", "dd"):
            if child is el or (_is_hidden(child) and not _substantial(child)):
                continue
            if child.getparent() is not el and child.getparent().tag != "div":
                continue  # belongs to a nested list, rendered with its dd
            sub: list[str] = []
            self.blocks(child, sub)
            if not sub:
                continue
            body = "\n".join(sub).split("\n")
            if child.tag == "dt":
                lines.extend(body)
            else:
                lines.append(": " + body[0])
                lines.extend("  " + line if line else line for line in body[1:])
        if lines:
            out.append("\n".join(lines))

    def table(self, el, out):
        rows = el.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")
        cells_per_row = [[c for c in row if c.tag in ("td", "th")] for row in rows]
        for caption in el.iterchildren("caption"):
            self.blocks(caption, out)
        if cells_per_row and max(len(cells) for cells in cells_per_row) <= 1:
            for cells in cells_per_row:  # a layout table: its cells are ordinary blocks
                for cell in cells:
                    self.blocks(cell, out)
            return
        lines: list[str] = []
        for index, cells in enumerate(cells_per_row):
            texts = [self.inline_text(cell).replace("|", "\\|") for cell in cells]
            if not any(texts):
                continue
            lines.append("| " + " | ".join(texts) + " |")
            if len(lines) == 1 and (
                all(cell.tag == "th" for cell in cells) or rows[index].getparent().tag == "thead"
            ):
                lines.append("|" + " --- |" * len(cells))
        if lines:
            out.append("\n".join(lines))

    def blockquote(self, el, out):
        sub: list[str] = []
        self.blocks(el, sub)
        if sub:
            lines = "\n\n".join(sub).split("\n")
            out.append("\n".join("> " + line if line else ">" for line in lines))

    def pre(self, el, out):
        text = text_of(el)
        lines = [line.rstrip() for line in text.strip("\n").split("\n")]
        if any(lines):
            out.append("\n".join(lines))

    def skip(self, el, out):
        pass

    # -- inline ----------------------------------------------------------------------------
    def sup(self, el, buf) -> bool:
        """A footnote reference ``<sup><a href="#fn1">1</a></sup>`` becomes ``[1]``."""
        link = el.find("a")
        if link is not None and link.get("href", "").startswith("#"):
            text = " ".join(text_of(el).split()).strip("[]")
            if text:
                buf.append(f"[{text}]")
                return True
        return False

    def anchor(self, el, buf) -> bool:
        """Footnote back-references (↩) are navigation, not text."""
        if el.get("href", "").startswith("#") and len(el) == 0 and el.text and _BACKREF.match(el.text):
            return True
        return False


_BLOCK_HANDLERS = {
    **{tag: _Renderer.container for tag in _CONTAINERS},
    **{tag: _Renderer.heading for tag in _HEADINGS},
    "ul": _Renderer.list_, "ol": _Renderer.list_, "menu": _Renderer.list_, "dir": _Renderer.list_,
    "li": _Renderer.container, "dl": _Renderer.dlist, "dt": _Renderer.container,
    "dd": _Renderer.container, "table": _Renderer.table, "tr": _Renderer.container,
    "td": _Renderer.container, "th": _Renderer.container, "thead": _Renderer.container,
    "tbody": _Renderer.container, "tfoot": _Renderer.container, "blockquote": _Renderer.blockquote,
    "pre": _Renderer.pre, "hr": _Renderer.skip,
}
_INLINE_HANDLERS = {"sup": _Renderer.sup, "a": _Renderer.anchor}


def render_blocks(elements) -> list[str]:
    """Render elements (in the given order) to a list of Markdown blocks."""
    renderer = _Renderer()
    out: list[str] = []
    for el in elements:
        buf: list[str] = []
        renderer.node(el, out, buf)
        renderer.flush(buf, out)
    return out


def render(elements) -> str:
    """Render elements to Markdown-like text, blocks separated by one blank line."""
    return "\n\n".join(render_blocks(elements))
