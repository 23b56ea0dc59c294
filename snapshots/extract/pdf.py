"""PDF extraction with pypdf: positioned text fragments → lines → paragraphs and headings.

pypdf's ``visitor_text`` gives each text fragment with its text and current transformation
matrices, hence its position and font size. From those:

* two-column pages are detected by a cluster of line starts right of the middle whose lines, like
  those of the left column, are long running text (table cells are short); each band between
  full-width lines is read left column first;
* fragments on one baseline form a line; wide gaps between them make a table row ``| a | b |``;
* lines in the top or bottom margin band (8 % of the page) repeated on most pages are running
  headers or footers (short ones may differ in their numbers), and margin lines such as "3",
  "Page 3 of 30", "- 3 -" are page numbers: all dropped, but only on pages with body text outside
  the bands — body lines are never dropped, however alike across pages;
* headings: a larger font than the body, or a short bold, all-caps or numbered line
  ("1. Definitions", "Article 3") not ending like a sentence;
* other lines are joined into paragraphs (a word hyphenated at a line end is re-joined); a
  paragraph ends at a larger vertical gap, a short line ending a sentence, or a list marker.
"""

import io
import re
from collections import Counter
from dataclasses import dataclass

from .errors import ExtractError

__all__ = ["extract_pdf", "PdfResult"]

MAX_PAGES = 1000
_PAGE_NUMBER = re.compile(
    r"^\W*((page|seite|página|pagina|p\.)\s*)?\d{1,4}(\s*(of|/|sur|von|de|di)\s*\d{1,4})?\W*$", re.I
)
_NUMBERED_HEADING = re.compile(
    r"^((article|section|clause|annex|schedule|appendix|exhibit|part|chapter|artikel|article)\s+"
    r"[\dIVXLC]+[a-z]?\b|\d{1,2}(\.\d{1,2})*\.?\s+\S)",
    re.I,
)
_BULLET = re.compile(r"^([•●▪‣◦·*-]|\(?[a-z]\)|\(?[ivx]{1,4}\)|\(\d{1,2}\))\s+")
_SENTENCE_END = re.compile(r"[.:;!?)\]]\s*$")


@dataclass
class PdfResult:
    text: str
    problem_kind: str | None = None
    problem: str | None = None


@dataclass
class _Line:
    text: str
    x: float
    y: float
    size: float
    bold: bool
    page: int
    is_row: bool = False


def _fragments(page) -> list[tuple[float, float, float, bool, str]]:
    frags = []

    def visit(text, cm, tm, font, size):
        if not text or not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = (abs(tm[3] * cm[3]) or abs(tm[0] * cm[0]) or 1.0)
        bold = bool(font) and "bold" in str(font.get("/BaseFont", "")).lower()
        for index, piece in enumerate(text.split("\n")):
            if piece.strip():
                frags.append((x, y - index * size * scale * 1.2, size * scale, bold, piece))

    page.extract_text(visitor_text=visit)
    return frags


def _width(frag) -> float:
    return 0.5 * frag[2] * len(frag[4])


def _column_split(frags, page_width: float) -> float | None:
    """The x where a right column starts, or None for a single-column page."""
    starts = Counter(round(f[0] / 3) * 3 for f in frags if 0.35 * page_width <= f[0] <= 0.75 * page_width)
    if not starts:
        return None
    split, count = starts.most_common(1)[0]
    right = [f for f in frags if abs(f[0] - split) <= 4]
    left = [f for f in frags if f[0] < split - 10 and f[0] + _width(f) <= split + 10]
    if count < 3 or len(left) < 3:
        return None
    xs = Counter(round(f[0] / 3) for f in frags)
    if sum(1 for n in xs.values() if n >= 3) > 3:
        return None  # many aligned starting points: a table, not columns
    median = lambda values: sorted(values)[len(values) // 2]
    if median([len(f[4]) for f in left]) < 25 or median([len(f[4]) for f in right]) < 25:
        return None
    return split


def _lines_of(frags, page_no: int) -> list[_Line]:
    """Group fragments sharing a baseline (already in reading order) into lines."""
    lines: list[_Line] = []
    frags = sorted(frags, key=lambda f: (-round(f[1], 1), f[0]))
    group: list = []
    for frag in frags + [None]:
        if group and (frag is None or abs(frag[1] - group[0][1]) > 0.4 * group[0][2]):
            group.sort(key=lambda f: f[0])
            cells = [[group[0]]]
            for f in group[1:]:
                prev = cells[-1][-1]
                if f[0] - (prev[0] + _width(prev)) > 2.0 * prev[2]:
                    cells.append([f])
                else:
                    cells[-1].append(f)
            texts = [" ".join(" ".join(f[4].split()) for f in cell) for cell in cells]
            first = group[0]
            text = texts[0] if len(texts) == 1 else "| " + " | ".join(texts) + " |"
            lines.append(_Line(text, first[0], first[1], max(f[2] for f in group),
                               all(f[3] for f in group), page_no, len(texts) > 1))
            group = []
        if frag is not None:
            group.append(frag)
    return lines


def _page_lines(frags, page_no: int, width: float) -> list[_Line]:
    split = _column_split(frags, width)
    if split is None:
        return _lines_of(frags, page_no)
    ordered: list[_Line] = []
    band: list = []
    for frag in sorted(frags, key=lambda f: (-f[1], f[0])):
        if frag[0] < split - 10 and frag[0] + _width(frag) > split + 20:  # a full-width line
            ordered += _band(band, split, page_no)
            band = []
            ordered += _lines_of([frag], page_no)
        else:
            band.append(frag)
    return ordered + _band(band, split, page_no)


def _band(frags, split, page_no):
    left = [f for f in frags if f[0] < split - 4]
    right = [f for f in frags if f[0] >= split - 4]
    return _lines_of(left, page_no) + _lines_of(right, page_no)


MARGIN_BAND = 0.08  # share of the page height at the top and at the bottom where running lines live
RUNNING_MASKED_WORDS = 12  # lines alike but for their numbers are running lines only when this short


def _strip_running(pages: list[list[_Line]], heights: list[float]) -> None:
    """Drop running headers/footers and page numbers in place.

    Only lines inside the top or bottom margin band are candidates, and only when the page has
    body text outside the bands: a line repeated word for word on most pages, a short line repeated
    but for its numbers ("Acme DPA — page 3"), or a page number. Body lines stay, however alike
    across pages ("Section 2. Sub-processors are notified …" on page 2)."""
    def margin(line, height):
        return line.y > (1 - MARGIN_BAND) * height or line.y < MARGIN_BAND * height

    exact, masked = Counter(), Counter()
    for lines, height in zip(pages, heights):
        band = [line for line in lines if margin(line, height)]
        exact.update({line.text.lower() for line in band})
        masked.update({_masked(line.text) for line in band if len(line.text.split()) <= RUNNING_MASKED_WORDS})
    threshold = max(2, len(pages) // 2)

    def running(line) -> bool:
        if _PAGE_NUMBER.match(line.text):
            return True
        if len(pages) < 2:
            return False
        if exact[line.text.lower()] >= threshold:
            return True
        return len(line.text.split()) <= RUNNING_MASKED_WORDS and masked[_masked(line.text)] >= threshold

    for index, (lines, height) in enumerate(zip(pages, heights)):
        if not any(not margin(line, height) for line in lines):
            continue  # nothing but band lines: they are the page's text
        pages[index] = [line for line in lines if not (margin(line, height) and running(line))]


def _masked(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower())


def _heading_level(line: _Line, body: float, sizes: list[float]) -> int | None:
    words = line.text.split()
    if line.is_row or not words or len(words) > 20:
        return None
    for rank, size in enumerate(sizes):
        if line.size >= size - 0.5:
            return rank + 1
    if len(words) > 12 or _SENTENCE_END.search(line.text) and not line.text.endswith(")"):
        return None
    letters = [c for c in line.text if c.isalpha()]
    caps = len(letters) >= 4 and all(c.isupper() for c in letters)
    if line.bold or caps or _NUMBERED_HEADING.match(line.text) and len(words) <= 8:
        if _BULLET.match(line.text):
            return None
        return min(6, len(sizes) + 1)
    return None


def _assemble(lines: list[_Line]) -> str:
    if not lines:
        return ""
    weights = Counter()
    for line in lines:
        weights[round(line.size)] += len(line.text)
    body = weights.most_common(1)[0][0]
    sizes = sorted({round(line.size) for line in lines if line.size >= body * 1.15 and len(line.text.split()) <= 20}, reverse=True)[:5]
    long_line = sorted(len(line.text) for line in lines)[int(len(lines) * 0.8)]
    blocks: list[str] = []
    para: list[str] = []
    rows: list[str] = []
    prev: _Line | None = None

    def flush():
        if para:
            blocks.append(" ".join(para))
            para.clear()
        if rows:
            blocks.append("\n".join(rows))
            rows.clear()

    for line in lines:
        level = _heading_level(line, body, sizes)
        if level:
            flush()
            blocks.append("#" * level + " " + line.text)
        elif line.is_row:
            if para:
                flush()
            rows.append(line.text)
        else:
            if rows:
                flush()
            gap = prev is not None and prev.page == line.page and (prev.y - line.y) > 1.7 * line.size
            short_end = bool(para) and len(para[-1]) < 0.75 * long_line and _SENTENCE_END.search(para[-1])
            bullet = _BULLET.match(line.text)
            if gap or short_end or bullet or (prev is not None and prev.page == line.page and line.y > prev.y + 1):
                flush()
            text = line.text
            if bullet:
                text = "- " + text[bullet.end():] if bullet.group(1) in "•●▪‣◦·*-" else text
            if para and para[-1].endswith("-") and len(para[-1]) > 1 and para[-1][-2].isalpha() and text[:1].islower():
                para[-1] = para[-1][:-1] + text
            else:
                para.append(text)
        prev = line
    flush()
    return "\n\n".join(blocks)


def extract_pdf(body: bytes) -> PdfResult:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(body))
        if reader.is_encrypted:
            reader.decrypt("")
        pages = list(reader.pages)[:MAX_PAGES]
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, NotImplementedError) as exc:
        raise ExtractError(f"unreadable PDF: {exc}") from None
    per_page: list[list[_Line]] = []
    heights: list[float] = []
    for number, page in enumerate(pages):
        try:
            box = page.mediabox
            width, height = float(box.width), float(box.height)
            frags = _fragments(page)
        except Exception:  # noqa: BLE001 — one broken page must not lose the document
            frags, width, height = [], 612.0, 792.0
        per_page.append(_page_lines(frags, number, width) if frags else [])
        heights.append(height)
    if not any(per_page):
        return PdfResult("", "no-text-layer",
                         f"the PDF has no text layer ({len(pages)} pages, probably scanned); OCR is not supported")
    _strip_running(per_page, heights)
    return PdfResult(_assemble([line for lines in per_page for line in lines]))
