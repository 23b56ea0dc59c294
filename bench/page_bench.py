"""CPU per document of the process stage, end to end in one process (not a test).

    .venv/bin/python bench/page_bench.py [--documents 200] [--size 100000] [--database-url URL]

The pages of bench/legal_site.py (seeded ~100 KB legal documents, `select = main`, two criteria per
profile, one with an evidence quote) are written into a fresh archive as the fetch stage would
(snapshots.store.SnapshotWriter: no network, no Scrapy), then processed by the real process stage
(crawler.process.Processor) with one process (`processes = 1`), so that every step is timed in
this process: extraction, comparison, diff, assessment for every citing profile, and recording
(versions, changes, findings, blobs, settlements). Four runs:

  first      every document is new: extract and record a first version;
  unchanged  new bytes, same regions (a session token in a nav link): the region keys say unchanged;
  edited     one sentence in the middle of every document rewritten: extract, diff, assess, record;
  flip       the edited text again behind new markup (a text the document had): the same path.

It prints, per run, CPU milliseconds per document (time.process_time around the processing only:
storing the fetch results is excluded) split into `analyse` (crawler.analysis.analyse: extract,
key, diff, assess) and the rest (reading jobs, recording), with p50/p95 of analyse per document.
The issue's target: a changed 100 KB page costs at most 10 ms CPU end to end (the `edited` row).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from legal_site import edit_document, make_documents, render_document, set_token, url_of, write_profiles  # noqa: E402

PORT = 9  # never connected to: the bodies are written into the archive directly


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--documents", type=int, default=200)
    p.add_argument("--size", type=int, default=100_000, help="approximate bytes per page")
    p.add_argument("--database-url", help="PostgreSQL (default: SQLite in a temporary folder)")
    p.add_argument("--ascii", action="store_true", help="pages without typographic apostrophes and dashes")
    args = p.parse_args(argv)

    import crawler.analysis as analysis
    import crawler.process as process
    from crawler.config import load_settings
    from crawler.profiles import load_catalog
    from crawler.runs import prepare_run
    from snapshots.archive import Archive
    from snapshots.db import Database
    from snapshots.store import FetchResult, SnapshotWriter, last_snapshots

    tmp = Path(tempfile.mkdtemp(prefix="clausewatch-page-bench-"))
    docs = make_documents(args.documents, hosts=10)
    write_profiles(tmp / "profiles", docs, PORT, per_profile=20)
    url = args.database_url or f"sqlite:///{tmp / 'clausewatch.db'}"
    settings = load_settings(environ={"CLAUSEWATCH_HOME": str(tmp), "CLAUSEWATCH_PROFILES": str(tmp / "profiles"),
                                      "CLAUSEWATCH_DATABASE_URL": url, "CLAUSEWATCH_PROCESSES": "1"})
    catalog = load_catalog(settings.profiles)
    archive = Archive(Database(url))

    timings: list[float] = []
    real_analyse = analysis.analyse

    def timed_analyse(job):
        start = time.process_time()
        try:
            return real_analyse(job)
        finally:
            timings.append(time.process_time() - start)

    process.analyse = timed_analyse  # the process stage's own reference to it

    pages = {d.index: render_document(d, args.size, seed=1, ascii=args.ascii) for d in docs}
    edited = {i: edit_document(html, d, seed=2) for (i, html), d in zip(pages.items(), docs)}
    runs = [("first", pages), ("unchanged", {i: set_token(h, "token-2") for i, h in pages.items()}),
            ("edited", edited), ("flip", {i: set_token(h, "token-3") for i, h in pages.items()})]
    print(f"{args.documents} documents of ~{args.size // 1000} KB, {url.split(':')[0]}, one process "
          f"(process_time, ms per document)")
    print(f"{'run':10} {'total':>7} {'analyse':>8} {'rest':>6} {'analyse p50':>12} {'p95':>6}  outcome")
    for label, bodies in runs:
        plan = prepare_run(archive, catalog, catalog.sources())
        with archive.reading() as s:
            known = last_snapshots(s, [url_of(d, PORT) for d in docs])
        writer = SnapshotWriter(archive.db, known=known)
        for d in docs:
            body = bodies[d.index].encode()
            writer.add(FetchResult(url=url_of(d, PORT), run_id=plan.run_id, status=200, final_url=url_of(d, PORT),
                                   body=body, headers={"content-type": "text/html; charset=utf-8"}))
        writer.flush()
        timings.clear()
        start = time.process_time()
        summary = process.Processor(settings, archive, catalog, plan.run_id).process(plan)
        total = (time.process_time() - start) * 1000 / len(docs)
        summary.sync()
        analysed = sum(timings) * 1000 / len(docs)
        per_doc = sorted(t * 1000 for t in timings) or [0.0]
        p95 = per_doc[min(len(per_doc) - 1, int(len(per_doc) * 0.95))]
        print(f"{label:10} {total:7.2f} {analysed:8.2f} {total - analysed:6.2f} {statistics.median(per_doc):12.2f} "
              f"{p95:6.2f}  {summary.new} new, {summary.changed} changed, {summary.unchanged} unchanged, "
              f"{summary.failed} failed")
    print("target (issue 10): edited <= 10 ms per document end to end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
