"""Response time of the review queue with many stored changes (not a test; target ≤ 300 ms).

    .venv/bin/python bench/queue_bench.py [--changes 50000] [--profiles 20] [--repeat 15]
                                          [--database-url URL] [--keep]

Stores `--changes` changes (one assessment each, a fifth of them material, a tenth reviewed, spread
over `--profiles` profiles and 40 days) with their documents, versions and findings in a fresh
database through the archive's transaction, then asks the real app (in-process, signed in as an
editor, through Starlette's TestClient: routing, session, queries and the Jinja2 template all run)
for queue pages and prints the median and worst response time of each. On PostgreSQL the load is
followed by `VACUUM ANALYZE`, as autovacuum would do shortly after it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from crawler.config import load_settings  # noqa: E402
from crawler.web.app import create_app  # noqa: E402
from crawler.web.auth import hash_password  # noqa: E402
from snapshots.archive import Archive  # noqa: E402
from snapshots.models import Assessment, Change, Citation, Document, Finding, Version  # noqa: E402
from snapshots.store import put_blobs, sha256  # noqa: E402
from snapshots.users import save_user  # noqa: E402

CRITERIA = ["eu-residency", "no-training", "retention", "subprocessors", "dpa-signed"]


def write_profiles(folder: Path, profiles: int, docs_per_profile: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for p in range(profiles):
        lines = [f'name = "Tool {p}"', 'provider = "Bench"', "reviewed = 2026-10-01", ""]
        for d in range(docs_per_profile):
            lines += [f"[sources.doc{d}]", f'url = "https://bench.invalid/p{p}/doc{d}"', 'type = "privacy-policy"', ""]
        for c in CRITERIA:
            lines += ["[[criteria]]", f'id = "{c}"', f'label = "{c}"', 'rating = "partial"',
                      f"sources = {['doc' + str(d) for d in range(docs_per_profile)]}".replace("'", '"'), ""]
        (folder / f"tool-{p}.toml").write_text("\n".join(lines), encoding="utf-8")


def store(archive: Archive, n_changes: int, profiles: int, docs_per_profile: int) -> None:
    rng = random.Random(13)
    text = ("## Data location\n\nWe store customer data in the European Union.\n" * 20).encode()
    key = sha256(text)
    now = dt.datetime(2026, 12, 1)
    with archive.transaction() as tx:
        s = tx.session
        put_blobs(s, {key: text})
        docs, cites = [], []
        for p in range(profiles):
            for d in range(docs_per_profile):
                doc_id = p * docs_per_profile + d + 1
                url = f"https://bench.invalid/p{p}/doc{d}"
                docs.append({"id": doc_id, "key": url, "urls": [url], "consecutive_failures": 0, "accept_next": False,
                             "last_fetch_at": now, "last_outcome": "unchanged", "created_at": now})
                cites.append({"profile": f"tool-{p}", "source": f"doc{d}", "document_id": doc_id,
                              "type": "privacy-policy", "seen_at": now})
        s.execute(insert(Document), docs)
        s.execute(insert(Citation), cites)
        versions = [{"id": i + 1, "document_id": i % len(docs) + 1, "text_sha256": key, "key": key, "words": 200,
                     "snapshot_ids": [], "extractor_version": "bench", "rules": {}, "format": "html", "kind": "change",
                     "created_at": now, "fetched_at": now} for i in range(n_changes + len(docs))]
        s.execute(insert(Version), versions)
        changes, assessments, findings = [], [], []
        for i in range(n_changes):
            doc_id = i % len(docs) + 1
            p, d = divmod(doc_id - 1, docs_per_profile)
            at = now - dt.timedelta(seconds=rng.randrange(40 * 86400))
            significance = "material" if rng.random() < 0.2 else "minor"
            reviewed = rng.random() < 0.1
            criteria = rng.sample(CRITERIA, rng.randrange(0, 3))
            changes.append({"id": i + 1, "document_id": doc_id, "from_version_id": i + 1,
                            "to_version_id": i + 1 + len(docs), "detected_at": at, "kind": "change",
                            "added_words": rng.randrange(1, 50), "removed_words": rng.randrange(0, 50)})
            assessments.append({"id": i + 1, "change_id": i + 1, "profile": f"tool-{p}", "source": f"doc{d}",
                                "significance": significance, "reported": True, "affected_criteria": criteria,
                                "summary": f"Privacy policy Data location: edit {i} — may affect: {', '.join(criteria)}",
                                "status": "no-impact" if reviewed else "unreviewed",
                                "reviewer": "bench" if reviewed else None, "reviewed_at": at if reviewed else None})
            findings += [{"assessment_id": i + 1, "kind": "watch", "criterion": c, "detail": "watched term inserted",
                          "section": "Data location"} for c in criteria]
        for table, rows in ((Change, changes), (Assessment, assessments), (Finding, findings)):
            for start in range(0, len(rows), 5000):
                s.execute(insert(table), rows[start:start + 5000])
        save_user(tx, "bench", "editor", hash_password("bench password"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=50_000)
    parser.add_argument("--profiles", type=int, default=20)
    parser.add_argument("--documents-per-profile", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--database-url", help="default: SQLite in a temporary directory")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    from starlette.testclient import TestClient

    root = Path(tempfile.mkdtemp(prefix="queue-bench-"))
    try:
        url = args.database_url or f"sqlite:///{root / 'home' / 'clausewatch.db'}"
        write_profiles(root / "profiles", args.profiles, args.documents_per_profile)
        archive = Archive.open(url)
        started = time.perf_counter()
        store(archive, args.changes, args.profiles, args.documents_per_profile)
        print(f"stored {args.changes:,} changes in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})")
        if archive.db.engine.dialect.name == "postgresql":
            # what autovacuum does soon after a bulk load: statistics and the visibility map
            with archive.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
            print("VACUUM ANALYZE done (as autovacuum would after the load)")
        settings = load_settings(environ={"CLAUSEWATCH_HOME": str(root / "home"),
                                          "CLAUSEWATCH_PROFILES": str(root / "profiles"),
                                          "CLAUSEWATCH_DATABASE_URL": url})
        client = TestClient(create_app(settings, archive=archive))
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        assert client.post("/login", data={"username": "bench", "password": "bench password",
                                           "csrf_token": token}, follow_redirects=False).status_code == 303
        pages = {
            "queue (unreviewed, page 1)": "/",
            "queue, one profile": "/?profile=tool-3",
            "queue, criterion + material": "/?criterion=no-training&significance=material",
            "queue, date range": "/?since=2026-11-20&until=2026-11-25",
            "queue, all statuses, page 400": "/?status=all&page=400",
        }
        print(f"\n{'page':34} {'rows':>7} {'median ms':>10} {'worst ms':>9}")
        for label, path in pages.items():
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200, response.text[:500]
            total = re.search(r'id="queue-total">(\d+)<', response.text).group(1)
            print(f"{label:34} {total:>7} {statistics.median(times):>10.1f} {max(times):>9.1f}")
        print("\ntarget: the queue page answers in ≤ 300 ms")
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
