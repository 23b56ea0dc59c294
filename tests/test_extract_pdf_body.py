"""PDF text is never dropped: only running lines in the margin bands go, body lines stay."""

import io

import pytest

from snapshots.extract import extract

pytest.importorskip("reportlab")
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402


def pdf(pages: list[list[tuple[float, str]]]) -> bytes:
    """One PDF page per entry, each a list of (distance from the top in points, line)."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    for lines in pages:
        for from_top, text in lines:
            page.setFont("Helvetica", 11 if from_top > 60 else 8)
            page.drawString(72, A4[1] - from_top, text)
        page.showPage()
    page.save()
    return buffer.getvalue()


@pytest.mark.parametrize("from_top", [72, 40])
def test_one_body_line_per_page_alike_but_for_its_number_is_kept_on_every_page(from_top):
    body = pdf([[(from_top, f"Section {n}. Sub-processors are notified thirty days in advance.")] for n in (1, 2, 3)])
    text = extract(body, url="u", content_type="application/pdf").text
    for n in (1, 2, 3):
        assert f"Section {n}. Sub-processors are notified thirty days in advance." in text


def test_running_headers_and_page_numbers_go_and_the_first_body_line_of_every_page_stays():
    pages = [[(30, "ACME Data Processing Agreement - Confidential"),
              (72, f"Section {n}. Sub-processors are notified thirty days in advance."),
              (100, f"Clause {n}.1 applies to every processing activity of the processor."),
              (A4[1] - 30, f"Page {n} of 3")] for n in (1, 2, 3)]
    text = extract(pdf(pages), url="u", content_type="application/pdf").text
    assert "Confidential" not in text and "Page 2 of 3" not in text
    for n in (1, 2, 3):
        assert f"Section {n}. Sub-processors are notified thirty days in advance." in text
        assert f"Clause {n}.1 applies" in text
