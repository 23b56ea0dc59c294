"""Start-up of the `clausewatch` commands, wall clock per invocation (not a test).

    .venv/bin/python bench/startup_bench.py [--runs 7] [--documents 10000] [--changes 50000]
                                            [--no-scale] [--database-url URL] [--keep]

Every row runs the real console script (`.venv/bin/clausewatch`) as a subprocess, output to
/dev/null, `--runs` times, rounds interleaved (one run of every command per round, so a busy
machine slows all rows alike); it prints median, min and max wall time per command.

- reference rows: `python -c pass` (the interpreter) and `python -c "import sqlalchemy"`;
- small: a data directory made by two real `check`s of one document served on 127.0.0.1 (the
  second finds an edit, so `show` has a diff): `--help`, `changes`, `show ID`, `sources`,
  `status`, and a one-document `check` (the page is edited before each run, so every check
  records a change: fetch, extract, diff, assess, record);
- scale: `--documents` documents in 20 profiles and `--changes` stored changes, filled by
  bench/queue_bench.py's builder: `changes`, `sources`, `show ID`, `status`. Its first `changes`
  syncs the profiles into the database once (untimed), as any first command after an edit would.

Targets (issue 10): read commands ≤ 0.3 s on the small directory, `check` ≤ 1.5 s, `changes` and
`sources` ≤ 0.5 s at scale.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"changes": 0.3, "show ID": 0.3, "sources": 0.3, "status": 0.3, "check (1 document)": 1.5}
SCALE_TARGETS = {"changes": 0.5, "sources": 0.5}
PAGE = """<!doctype html><html><head><title>Privacy Policy</title></head><body>
<nav><a href="/">Home</a></nav><main><h1>Privacy Policy</h1>
<h2>Data location</h2><p>We store customer data in the European Union. {edit}</p>
<h2>Training</h2><p>We do not use customer data to train our models.</p>
{filler}</main></body></html>"""
FILLER = "".join(f"<h2>Section {i}</h2><p>" + "Personal data is processed on documented instructions. " * 12
                 + "</p>" for i in range(20))


class Page:
    """One page on 127.0.0.1 whose text the bench edits between checks."""

    def __init__(self):
        self.edit = 0
        page = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - http.server's name
                if self.path != "/privacy":
                    body, status = b"", 404
                else:
                    body, status = PAGE.format(edit=f"Revision {page.edit}.", filler=FILLER).encode(), 200
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/privacy"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def environment(root: Path, database_url: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSEWATCH_")}
    env.update({"CLAUSEWATCH_HOME": str(root / "home"), "CLAUSEWATCH_PROFILES": str(root / "profiles"),
                "CLAUSEWATCH_ALLOW_PRIVATE_NETWORKS": "1", "CLAUSEWATCH_AUTOTHROTTLE": "0",
                "CLAUSEWATCH_PROCESSES": "1", "CLAUSEWATCH_RETRIES": "0"})
    if database_url:
        env["CLAUSEWATCH_DATABASE_URL"] = database_url
    return env


def run(argv: list[str], env: dict, cwd: Path, before=None) -> float:
    if before:
        before()
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - started
    if proc.returncode not in (0, 1):  # `status` exits 1 when unhealthy; that is an answer too
        raise SystemExit(f"{' '.join(argv)}: exit {proc.returncode}\n{proc.stderr}")
    return took


def small_home(root: Path, page: Page, database_url: str | None) -> dict:
    (root / "profiles").mkdir(parents=True)
    (root / "profiles" / "acme.toml").write_text(
        'name = "Acme"\nprovider = "Acme"\nreviewed = 2026-11-20\n\n'
        f'[sources.privacy]\nurl = "{page.url}"\ntype = "privacy-policy"\n\n'
        '[[criteria]]\nid = "eu-residency"\nlabel = "EU data residency"\nrating = "partial"\n'
        'sources = ["privacy"]\nwatch = ["United States", "Revision"]\n', encoding="utf-8")
    env = environment(root, database_url)
    for _ in range(2):  # the first check records the document, the second an edit of it
        page.edit += 1
        run([str(CLAUSEWATCH), "check"], env, root)
    return env


def scale_home(root: Path, documents: int, changes: int, database_url: str | None) -> dict:
    import queue_bench  # the builder of the review queue's benchmark: documents, citations, changes

    from snapshots.archive import Archive

    profiles = 20
    per_profile = max(1, documents // profiles)
    queue_bench.write_profiles(root / "profiles", profiles, per_profile)
    url = database_url or f"sqlite:///{root / 'home' / 'clausewatch.db'}"
    archive = Archive.open(url)
    started = time.perf_counter()
    queue_bench.store(archive, changes, profiles, per_profile)
    if archive.db.engine.dialect.name == "postgresql":
        with archive.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    archive.dispose()
    print(f"scale: stored {profiles * per_profile:,} documents and {changes:,} changes in "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    return environment(root, database_url)


def measure(rows: list[tuple[str, str, list[str], dict, Path, object]], runs: int) -> dict[tuple[str, str], list]:
    times: dict[tuple[str, str], list[float]] = {(group, label): [] for group, label, *_ in rows}
    for _ in range(runs):
        for group, label, argv, env, cwd, before in rows:
            times[(group, label)].append(run(argv, env, cwd, before))
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=50_000)
    parser.add_argument("--no-scale", action="store_true", help="only the small data directory")
    parser.add_argument("--database-url", help="PostgreSQL for both directories (default: SQLite in each)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories")
    args = parser.parse_args()
    if args.database_url and not args.no_scale:
        raise SystemExit("--database-url: give --no-scale too (both directories would share the database)")

    tmp = Path(tempfile.mkdtemp(prefix="startup-bench-"))
    page = Page()
    try:
        small = tmp / "small"
        small_env = small_home(small, page, args.database_url)
        python = [sys.executable]
        ref_env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSEWATCH_")}

        def edit_page():
            page.edit += 1

        rows = [
            ("reference", "python -c pass", python + ["-c", "pass"], ref_env, small, None),
            ("reference", "python -c 'import sqlalchemy'", python + ["-c", "import sqlalchemy"], ref_env, small, None),
            ("small", "--help", [str(CLAUSEWATCH), "--help"], small_env, small, None),
            ("small", "changes", [str(CLAUSEWATCH), "changes"], small_env, small, None),
            ("small", "show ID", [str(CLAUSEWATCH), "show", "1"], small_env, small, None),
            ("small", "sources", [str(CLAUSEWATCH), "sources"], small_env, small, None),
            ("small", "status", [str(CLAUSEWATCH), "status"], small_env, small, None),
            ("small", "check (1 document)", [str(CLAUSEWATCH), "check"], small_env, small, edit_page),
        ]
        if not args.no_scale:
            scale = tmp / "scale"
            scale_env = scale_home(scale, args.documents, args.changes, args.database_url)
            run([str(CLAUSEWATCH), "changes"], scale_env, scale)  # the one sync of the new profiles, untimed
            rows += [("scale", label, [str(CLAUSEWATCH), *argv], scale_env, scale, None)
                     for label, argv in (("changes", ["changes"]), ("sources", ["sources"]), ("show ID", ["show", "1"]),
                                         ("status", ["status"]))]
        times = measure(rows, args.runs)
        db = "PostgreSQL" if args.database_url else "SQLite"
        print(f"\nstart-up, wall seconds over {args.runs} interleaved runs ({db}; {os.cpu_count()} cores, "
              f"load {os.getloadavg()[0]:.1f})")
        scale_note = f"{args.documents:,} documents, {args.changes:,} changes"
        print(f"{'data':10} {'command':32} {'median':>7} {'min':>7} {'max':>7} {'target':>7}")
        for (group, label), values in times.items():
            target = (SCALE_TARGETS if group == "scale" else TARGETS if group == "small" else {}).get(label)
            verdict = "" if target is None else f"{target:>7.1f} {'ok' if statistics.median(values) <= target else 'MISSED'}"
            print(f"{group:10} {label:32} {statistics.median(values):>7.3f} {min(values):>7.3f} {max(values):>7.3f} "
                  f"{verdict}")
        if not args.no_scale:
            print(f"\nscale: {scale_note} (bench/queue_bench.py's builder); small: 1 document, 2 changes")
    finally:
        page.close()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


CLAUSEWATCH = Path(sys.executable).with_name("clausewatch")

if __name__ == "__main__":
    sys.exit(main())
