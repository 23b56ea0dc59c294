"""Extraction throughput and peak memory, single process (not a test).

    .venv/bin/python bench/extract_bench.py [--pages 120] [--pdfs 10]

HTML: real 100–400 KB pages from ``../shared/corpus`` (or ``$CLAUSEWATCH_CORPUS``) when present,
else generated pages of the same size. PDF: a generated 30-page DPA (needs reportlab, a test
dependency; skipped without it). Prints pages/second and peak memory: ``ru_maxrss`` of the
process, and the tracemalloc peak of one extraction.
"""

import argparse
import gzip
import io
import json
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from snapshots.extract import extract  # noqa: E402
from snapshots.extract.rules import Rules  # noqa: E402

CORPUS = Path(os.environ.get("CLAUSEWATCH_CORPUS") or ROOT.parent / "shared" / "corpus")
SECTION = (
    "<section id='s{n}'><h2>{n}. Section {n}</h2><p>We process <a href='/x?id={n}'>personal data</a> "
    "of users for the purposes described in this section, on the legal bases of contract and "
    "legitimate interests, and keep it for as long as necessary.</p><ul><li>Account data</li>"
    "<li>Usage data</li></ul><div class='c-{n} flex grid px-4 md:px-8 lg:px-12'><span>x</span></div></section>"
)


def html_pages(limit: int) -> tuple[list[bytes], str]:
    manifest = CORPUS / "manifest_html.json"
    if manifest.is_file():
        paths = sorted({s["path"] for d in json.loads(manifest.read_text())["documents"] for s in d["snapshots"]
                        if s["path"].endswith(".html.gz")})
        bodies = [gzip.decompress((CORPUS / p).read_bytes()) for p in paths]
        bodies = [b for b in bodies if 100_000 <= len(b) <= 400_000][:limit]
        if bodies:
            return bodies, f"corpus pages ({CORPUS})"
    body = ("<html><body><nav>menu</nav><main><h1>Privacy</h1>"
            + "".join(SECTION.format(n=n) for n in range(600)) + "</main></body></html>").encode()
    return [body] * limit, "generated pages"


def dpa_pdf() -> bytes | None:
    try:
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.styles import getSampleStyleSheet
        from reportlab.platypus import Paragraph, SimpleDocTemplate
    except ImportError:
        return None
    styles = getSampleStyleSheet()
    clause = ("The Processor shall process Personal Data only on documented instructions from the "
              "Controller, unless required to do so by Union or Member State law. ") * 4
    story = [Paragraph("Data Processing Agreement", styles["Title"])]
    for n in range(1, 70):
        story.append(Paragraph(f"{n}. Obligations {n}", styles["Heading2"]))
        story += [Paragraph(f"{n}.{k} {clause}", styles["BodyText"]) for k in range(1, 4)]

    def running(canvas, doc):
        canvas.setFont("Helvetica", 8)
        canvas.drawString(56, 810, "ACME DPA - Confidential")
        canvas.drawString(500, 30, f"Page {doc.page} of 30")

    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build(story, onFirstPage=running, onLaterPages=running)
    return buffer.getvalue()


def legal_site_pages(limit: int) -> list[bytes]:
    """The pages of bench/check_bench.py and compare_bench.py (~100 KB each)."""
    from legal_site import make_documents, render_document

    return [render_document(d, 100_000, 1).encode() for d in make_documents(min(limit, 50), 10)] * max(1, limit // 50)


def measure(label: str, bodies: list[bytes], content_type: str, rules: Rules = Rules()) -> None:
    extract(bodies[0], url="bench", content_type=content_type, rules=rules)  # warm-up (imports, caches)
    start, cpu = time.perf_counter(), time.process_time()
    for body in bodies:
        extract(body, url="bench", content_type=content_type, rules=rules)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    tracemalloc.start()
    extract(max(bodies, key=len), url="bench", content_type=content_type, rules=rules)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    total = sum(map(len, bodies))
    print(f"{label}: {len(bodies)} docs, mean {total / len(bodies) / 1000:.0f} KB: {len(bodies) / elapsed:.1f} docs/s "
          f"({elapsed / len(bodies) * 1000:.1f} ms wall each); CPU {cpu / total * 100_000 * 1000:.1f} ms per 100 KB; "
          f"tracemalloc peak {peak / 1e6:.1f} MB (Python objects only, not lxml's C memory)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=120, help="HTML pages to extract")
    parser.add_argument("--pdfs", type=int, default=10, help="times to extract the 30-page PDF")
    args = parser.parse_args()
    bodies, source = html_pages(args.pages)
    measure(f"HTML [{source}]", bodies, "text/html")
    measure("HTML [legal site of compare_bench, default rules]", legal_site_pages(args.pages), "text/html")
    measure("HTML [legal site of compare_bench, select main, remove .toc]", legal_site_pages(args.pages), "text/html",
            Rules.from_declaration(select=["main"], remove=[".toc"]))
    row = b"<tr><td>Cookie name</td><td>Purpose of the cookie and its lifetime</td></tr>"
    huge = b"<html><body><main><table>" + row * 40000 + b"</table></main></body></html>"
    measure(f"HTML [one {len(huge) / 1e6:.1f} MB cookie table, 40,000 rows]", [huge] * 2, "text/html")
    pdf = dpa_pdf()
    if pdf is None:
        print("PDF: skipped (reportlab not installed)")
    else:
        from pypdf import PdfReader

        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        measure(f"PDF [generated DPA, {pages} pages]", [pdf] * args.pdfs, "application/pdf")
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the process: {maxrss:.0f} MB")


if __name__ == "__main__":
    main()
