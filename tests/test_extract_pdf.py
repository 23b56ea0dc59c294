"""PDF extraction on real PDFs generated with reportlab: a 30-page DPA with running headers,
footers and page numbers, a two-column page, a table, a scanned (image-only) page."""

import io

import pytest

from snapshots.extract import extract

reportlab = pytest.importorskip("reportlab")
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.styles import getSampleStyleSheet  # noqa: E402
from reportlab.lib.units import cm  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402
from reportlab.platypus import (  # noqa: E402
    BaseDocTemplate, Frame, FrameBreak, PageTemplate, Paragraph, SimpleDocTemplate, Table,
)

CLAUSE = (
    "The Processor shall process Personal Data only on documented instructions from the "
    "Controller, including with regard to transfers of Personal Data to a third country or an "
    "international organisation, unless required to do so by Union or Member State law to which "
    "the Processor is subject; in such a case, the Processor shall inform the Controller of that "
    "legal requirement before processing, unless that law prohibits such information. "
)


def _running(canvas_, doc):
    canvas_.saveState()
    canvas_.setFont("Helvetica", 8)
    canvas_.drawString(2 * cm, A4[1] - 1.2 * cm, "ACME Data Processing Agreement - Confidential")
    canvas_.drawString(2 * cm, 1.2 * cm, "ACME Inc. - version 2024-03")
    canvas_.drawRightString(A4[0] - 2 * cm, 1.2 * cm, f"Page {doc.page} of 30")
    canvas_.restoreState()


def dpa_pdf(pages: int = 30) -> bytes:
    styles = getSampleStyleSheet()
    story = [Paragraph("Data Processing Agreement", styles["Title"])]
    section = 0
    while True:
        section += 1
        story.append(Paragraph(f"{section}. Obligations of the Processor {section}", styles["Heading2"]))
        for clause in range(1, 4):
            story.append(Paragraph(f"{section}.{clause} Sub-clause {section}.{clause}: " + CLAUSE * 2, styles["BodyText"]))
        if section >= pages * 2 - 1:
            break
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, topMargin=2.5 * cm, bottomMargin=2.5 * cm).build(
        story, onFirstPage=_running, onLaterPages=_running
    )
    return buffer.getvalue()


@pytest.fixture(scope="module")
def dpa():
    return dpa_pdf()


def test_dpa_keeps_headings_and_paragraphs(dpa):
    result = extract(dpa, url="https://example.com/dpa.pdf", content_type="application/pdf")
    assert result.format == "pdf" and result.problem_kind is None
    assert result.headings[0] == "Data Processing Agreement"
    assert "1. Obligations of the Processor 1" in result.headings
    assert "12. Obligations of the Processor 12" in result.headings
    paragraphs = result.text.split("\n\n")
    clause = next(p for p in paragraphs if p.startswith("1.1 Sub-clause 1.1"))
    assert clause.endswith("such information.")  # wrapped lines joined into one paragraph
    assert "\n" not in clause


def test_dpa_drops_running_headers_footers_and_page_numbers(dpa):
    text = extract(dpa, url="https://example.com/dpa.pdf").text
    assert "Confidential" not in text
    assert "version 2024-03" not in text
    assert "Page 3 of 30" not in text


def test_pdf_served_as_html_is_sniffed_as_pdf(dpa):
    assert extract(dpa, url="https://example.com/x", content_type="text/html").format == "pdf"


def test_hyphenated_word_at_line_end_is_rejoined():
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setFont("Helvetica", 10)
    page.drawString(72, 750, "The Controller remains responsible for the lawful-")
    page.drawString(72, 738, "ness of the processing and for the instruc-")
    page.drawString(72, 726, "tions it gives to the Processor.")
    page.showPage()
    page.save()
    text = extract(buffer.getvalue(), url="u").text
    assert "lawfulness of the processing and for the instructions it gives" in text


def test_two_column_page_is_read_column_by_column():
    buffer = io.BytesIO()
    doc = BaseDocTemplate(buffer, pagesize=A4)
    width = (A4[0] - 2 * 72 - 18) / 2
    frames = [Frame(72, 72, width, A4[1] - 144, id="left"), Frame(72 + width + 18, 72, width, A4[1] - 144, id="right")]
    doc.addPageTemplates([PageTemplate(frames=frames)])
    styles = getSampleStyleSheet()
    left = "LEFTSTART " + "The left column explains how personal data is collected and used. " * 20 + "LEFTEND"
    right = "RIGHTSTART " + "The right column explains how long personal data is retained. " * 20 + "RIGHTEND"
    doc.build([Paragraph(left, styles["BodyText"]), FrameBreak(), Paragraph(right, styles["BodyText"])])
    text = extract(buffer.getvalue(), url="u").text
    assert text.index("LEFTSTART") < text.index("LEFTEND") < text.index("RIGHTSTART") < text.index("RIGHTEND")
    left_paragraph = next(p for p in text.split("\n\n") if "LEFTSTART" in p)
    assert "LEFTEND" in left_paragraph and "RIGHT" not in left_paragraph


def test_table_rows_stay_on_one_line_each():
    styles = getSampleStyleSheet()
    rows = [["Sub-processor", "Purpose", "Location"],
            ["Amazon Web Services", "Hosting", "Ireland"],
            ["Stripe", "Payments", "United States"],
            ["Zendesk", "Support tickets", "Germany"]]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build(
        [Paragraph("Annex 3. Sub-processors", styles["Heading2"]), Table(rows, colWidths=[6 * cm, 5 * cm, 4 * cm])]
    )
    text = extract(buffer.getvalue(), url="u").text
    assert "| Amazon Web Services | Hosting | Ireland |" in text
    assert "| Stripe | Payments | United States |" in text
    assert "| Sub-processor | Purpose | Location |" in text


def test_scanned_pdf_without_text_layer_is_reported():
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    for y in range(100, 700, 20):
        page.rect(72, y, 400, 8, fill=1)  # "scanned" lines: graphics, no text
    page.showPage()
    page.save()
    result = extract(buffer.getvalue(), url="u", content_type="application/pdf")
    assert result.problem_kind == "no-text-layer"
    assert result.text == ""
    assert "no text layer" in result.problem
