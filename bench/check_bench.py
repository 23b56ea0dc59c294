"""End-to-end `clausewatch check` throughput, peak memory and database growth (not a test).

    .venv/bin/python bench/check_bench.py [--documents 2000] [--hosts 50] [--size 100000]
                                          [--changed 0.1] [--keep] [--database-url URL]

Generates legal-looking HTML documents (seeded, so every run serves the same bytes), serves them
with nginx (Debian package `nginx`; started and stopped here) on 127.0.0.1 … 127.0.0.<hosts>, writes
one profile per `--per-profile` documents and runs the real `python -m crawler check --json` three
times: (a) the first check, (b) a re-check with nothing changed, (c) a re-check after a sentence in
the middle of `--changed` of the documents was edited. Per run it prints documents/second between
the run's `started_at` and `finished_at` (process start-up excluded; wall-clock for reference), the
peak memory of the `check` process tree, and the database growth of the unchanged re-check.

nginx serves static files with ETag and Last-Modified, so re-checks are answered 304 Not Modified
unless `--no-validators` turns both off (then every re-check downloads and hashes every body).
Politeness is relaxed for loopback only: AutoThrottle off and a higher overall concurrency (printed).

Memory: the largest single process is exact (`ru_maxrss` of the run from wait4); the sum over the
process tree (the `check` process, the process-pool server and its workers) is sampled from /proc
every 0.2 s, as RSS (counts shared copy-on-write pages once per process) and PSS (shares them).
The target is judged on the sampled RSS sum, the strictest of the three.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from legal_site import Nginx, edit_document, find_nginx, free_port, make_documents, nginx_config, render_document, \
    url_of, write_profiles
from proctree import cpu_times, machine_busy, run_tree

ROOT = Path(__file__).resolve().parents[1]

TARGET_UNCHANGED = 300.0  # documents/s, (b)
TARGET_CHANGED = 100.0  # documents/s, (c)
TARGET_RSS_MB = 300.0
TARGET_GROWTH = 1024  # bytes per document per unchanged re-check


@dataclass
class Run:
    label: str
    summary: dict
    wall: float
    seconds: float
    peak_rss_mb: float  # sampled sum over the tree
    peak_pss_mb: float
    largest_rss_mb: float  # exact, the largest single process (wait4)
    processes: int
    cpu: float  # CPU seconds of the process tree (sampled: a process's last 0.2 s may be missed)
    load: str
    others: list[str] = field(default_factory=list)

    @property
    def documents(self) -> int:
        return int(self.summary.get("documents", 0))

    @property
    def rate(self) -> float:
        return self.documents / self.seconds if self.seconds > 0 else 0.0


def run_check(label: str, env: dict, workdir: Path, timeout: float, nginx: Nginx) -> Run:
    out, err = workdir / f"{label}.stdout.json", workdir / f"{label}.stderr.txt"
    load_before = os.getloadavg()
    cpu_before, busy_before = cpu_times(), machine_busy()
    wall, status, usage, sampler = run_tree([sys.executable, "-m", "crawler", "check", "--json"], env, workdir,
                                            out, err, timeout)
    proc = subprocess.CompletedProcess([], os.waitstatus_to_exitcode(status))
    busy_after, cpu_after = machine_busy(), cpu_times()
    text = out.read_text(errors="replace")
    if sampler.timed_out or proc.returncode not in (0, 3):
        why = f"timed out after {timeout:.0f} s" if sampler.timed_out else f"exited with {proc.returncode}"
        raise SystemExit(f"check_bench: ({label}) `clausewatch check --json` {why}\n--- stderr (last 4000 "
                         f"characters) ---\n{err.read_text(errors='replace')[-4000:]}\n--- stdout ---\n{text[-2000:]}")
    summary = json.loads(text)
    seconds = (parse_time(summary["finished_at"]) - parse_time(summary["started_at"])).total_seconds()
    mine = sampler.seen | set(nginx.pids()) | {os.getpid()}
    others = []
    for pid, (comm, cpu) in cpu_after.items():
        used = cpu - cpu_before.get(pid, (comm, 0.0))[1]
        if pid not in mine and used / wall >= 0.05:
            others.append((used / wall, comm))
    busy = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1]) * (os.cpu_count() or 1)
    load_after = os.getloadavg()
    return Run(label, summary, wall, seconds, sampler.peak_rss / 1024, sampler.peak_pss / 1024,
               usage.ru_maxrss / 1024, sampler.peak_procs, sum(sampler.cpu.values()),
               f"loadavg {load_before[0]:.2f} → {load_after[0]:.2f}; machine busy {busy:.2f} of "
               f"{os.cpu_count()} cores",
               [f"{share:.0%} of a core: {comm}" for share, comm in sorted(others, reverse=True)[:4]])


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- the database ------------------------------------------------------------------------------

class Store:
    """Size and per-run statistics of the benchmark's database (SQLite file or PostgreSQL)."""

    def __init__(self, url: str):
        self.url = url
        self.sqlite = url.startswith("sqlite")
        self.path = Path(url.split("///", 1)[-1]) if self.sqlite else None

    def _rows(self, sql: str, **params) -> list[tuple]:
        if self.sqlite:
            with sqlite3.connect(self.path) as conn:  # sqlite3 understands the :name parameters too
                return conn.execute(sql, params).fetchall()
        from sqlalchemy import text  # the project's dependency, for PostgreSQL

        from snapshots.db import make_engine

        engine = make_engine(self.url)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(sql), params)]
        finally:
            engine.dispose()

    def exists(self) -> bool:
        if self.sqlite:
            return self.path.exists()
        try:
            return bool(self._rows("SELECT count(*) FROM runs")[0][0])
        except Exception:  # noqa: BLE001 - no `runs` table yet: a fresh database
            return False

    def size(self) -> tuple[int, int]:
        """(bytes on disk, bytes in use); SQLite after a WAL checkpoint."""
        if self.sqlite:
            with sqlite3.connect(self.path) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                pages, free, page = (conn.execute(f"PRAGMA {p}").fetchone()[0]
                                     for p in ("page_count", "freelist_count", "page_size"))
            wal = Path(str(self.path) + "-wal")
            return self.path.stat().st_size + (wal.stat().st_size if wal.exists() else 0), (pages - free) * page
        size = self._rows("SELECT pg_database_size(current_database())")[0][0]
        return size, size

    def fetch_stats(self, run_id: str) -> dict:
        statuses = dict(self._rows("SELECT coalesce(status, 0), count(*) FROM fetches WHERE run_id = :r "
                                   "GROUP BY status", r=run_id))
        outcomes = dict(self._rows("SELECT outcome, count(*) FROM fetches WHERE run_id = :r GROUP BY outcome", r=run_id))
        last = self._rows("SELECT max(at) FROM fetches WHERE run_id = :r", r=run_id)[0][0]
        snapshots = self._rows("SELECT count(*) FROM snapshots WHERE run_id = :r", r=run_id)[0][0]
        return {"statuses": statuses, "outcomes": outcomes, "last_fetch": last, "snapshots": snapshots}

    def table_sizes(self) -> dict[str, int]:
        """Bytes per table and index (SQLite's dbstat, when compiled in; else empty)."""
        if not self.sqlite:
            return {}
        try:
            with sqlite3.connect(self.path) as conn:
                return dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
        except sqlite3.Error:
            return {}


# -- the benchmark -----------------------------------------------------------------------------

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--documents", type=int, default=2000, help="documents to serve and check (default 2000)")
    p.add_argument("--hosts", type=int, default=50, help="loopback addresses 127.0.0.1 … 127.0.0.N (default 50)")
    p.add_argument("--size", type=int, default=100_000, help="approximate bytes per document (default 100000)")
    p.add_argument("--changed", type=float, default=0.1, help="share of documents edited before (c) (default 0.1)")
    p.add_argument("--per-profile", type=int, default=20, help="documents per profile (default 20)")
    p.add_argument("--seed", type=int, default=1, help="seed of the generated documents (default 1)")
    p.add_argument("--database-url", help="bench this database instead of a temporary SQLite file (must be empty)")
    p.add_argument("--concurrency", type=int, default=32, help="CLAUSEWATCH_CONCURRENCY (default 32)")
    p.add_argument("--per-host-concurrency", type=int, default=2, help="CLAUSEWATCH_PER_HOST_CONCURRENCY (default 2)")
    p.add_argument("--processes", type=int, help="CLAUSEWATCH_PROCESSES (default: unset, one per core)")
    p.add_argument("--ignore-robots", action="store_true", help="CLAUSEWATCH_OBEY_ROBOTS=0 (default: obeyed)")
    p.add_argument("--no-validators", action="store_true",
                   help="nginx sends no ETag and ignores If-Modified-Since: re-checks download every body")
    p.add_argument("--port", type=int, default=0, help="nginx port on every address (default: a free one)")
    p.add_argument("--nginx", help="nginx binary (default: from PATH or /usr/sbin/nginx)")
    p.add_argument("--timeout", type=float, default=1800, help="seconds one check may take (default 1800)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (documents, profiles, database)")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = p.parse_args(argv)
    if not 1 <= args.hosts <= 254:
        p.error("--hosts must be between 1 and 254")
    if not 0 < args.changed <= 1:
        p.error("--changed must be in (0, 1]")
    return args


def check_env(args, tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSEWATCH_")}
    env.update({
        "CLAUSEWATCH_HOME": str(tmp / "home"),
        "CLAUSEWATCH_PROFILES": str(tmp / "profiles"),
        "CLAUSEWATCH_ALLOW_PRIVATE_NETWORKS": "1",
        "CLAUSEWATCH_AUTOTHROTTLE": "0",
        "CLAUSEWATCH_CONCURRENCY": str(args.concurrency),
        "CLAUSEWATCH_PER_HOST_CONCURRENCY": str(args.per_host_concurrency),
        "CLAUSEWATCH_OBEY_ROBOTS": "0" if args.ignore_robots else "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    })
    if args.processes is not None:
        env["CLAUSEWATCH_PROCESSES"] = str(args.processes)
    if args.database_url:
        env["CLAUSEWATCH_DATABASE_URL"] = args.database_url
    return env


def expected_counts(label: str, n: int, changed: int) -> dict:
    return {"a": {"new": n, "changed": 0, "unchanged": 0, "failed": 0},
            "b": {"new": 0, "changed": 0, "unchanged": n, "failed": 0},
            "c": {"new": 0, "changed": changed, "unchanged": n - changed, "failed": 0}}[label]


def describe(run: Run, store: Store, expected: dict) -> list[str]:
    s = run.summary
    stats = store.fetch_stats(s["run_id"])
    lines = [f"({run.label}) run {s['run_id']}: {s['documents']} documents: {s['new']} new, {s['changed']} changed, "
             f"{s['unchanged']} unchanged, {s['failed']} failed; {len(s.get('changes', []))} changes recorded"]
    statuses = ", ".join(f"{k or 'none'}: {v}" for k, v in sorted(stats["statuses"].items()))
    lines.append(f"    fetches by HTTP status: {statuses}; snapshots stored: {stats['snapshots']}")
    if stats["last_fetch"]:
        last = stats["last_fetch"]
        last = dt.datetime.fromisoformat(str(last)).replace(tzinfo=dt.timezone.utc)
        fetch_s = (last - parse_time(s["started_at"])).total_seconds()
        lines.append(f"    time: {fetch_s:.1f} s to the last fetch, {run.seconds - fetch_s:.1f} s after it "
                     f"(process stage); wall-clock {run.wall:.1f} s, so {run.wall - run.seconds:.1f} s start-up/exit")
    lines.append(f"    CPU {run.cpu:.1f} s over the process tree; {run.load}")
    if run.others:
        lines.append("    other processes busy meanwhile: " + "; ".join(run.others))
    lines.append(f"    memory: tree RSS sum {run.peak_rss_mb:.0f} MB (PSS {run.peak_pss_mb:.0f} MB) over up to "
                 f"{run.processes} processes; largest single process {run.largest_rss_mb:.0f} MB")
    wrong = {k: (s.get(k), v) for k, v in expected.items() if s.get(k) != v}
    if wrong or s["documents"] != sum(expected.values()):
        lines.append("    WARNING: unexpected counts: " + ", ".join(f"{k} {got} (expected {want})"
                                                              for k, (got, want) in wrong.items()))
        for e in s.get("errors", [])[:5]:
            lines.append(f"      failed: {e['url']}: {e['reason']}")
    return lines


def print_table(rows: list[list[str]], headers: list[str]) -> None:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    for r in [headers, ["-" * w for w in widths], *rows]:
        print("  ".join(str(c).ljust(w) if i == 0 or i >= len(r) - 2 else str(c).rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths))).rstrip())


def interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = parse_args(argv)
    for sig in (signal.SIGINT, signal.SIGTERM):  # clean up (nginx, the check, the temp dir) on both
        signal.signal(sig, interrupt)
    binary = find_nginx(args.nginx)
    if binary is None:
        print("check_bench: nginx is not installed; install it with:  apt-get install -y nginx", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="clausewatch-check-bench-"))
    nginx: Nginx | None = None
    try:
        port = args.port or free_port(args.hosts)
        docs = make_documents(args.documents, args.hosts)
        site = tmp / "site"
        started = time.monotonic()
        total = 0
        for d in docs:
            path = site / d.path.lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            body = render_document(d, args.size, args.seed).encode("utf-8")
            path.write_bytes(body)
            total += len(body)
        profiles = write_profiles(tmp / "profiles", docs, port, args.per_profile)
        print(f"{len(docs)} documents ({total / len(docs) / 1000:.0f} KB on average, {total / 1e6:.0f} MB) on "
              f"{args.hosts} addresses 127.0.0.1-{args.hosts}:{port}, {profiles} profiles; generated in "
              f"{time.monotonic() - started:.1f} s in {tmp}")

        nginx = Nginx(binary, tmp, nginx_config(tmp, site, args.hosts, port, not args.no_validators))
        nginx.start([url_of(d, port) for d in docs[:args.hosts]])
        env = check_env(args, tmp)
        store = Store(args.database_url or f"sqlite:///{tmp / 'home' / 'clausewatch.db'}")
        if args.database_url and store.exists():
            raise SystemExit("check_bench: --database-url must name an empty database (it has runs already)")
        print(f"nginx {binary} (1 worker, access_log off, sendfile on, ETag and If-Modified-Since "
              f"{'ON: re-checks may be answered 304' if not args.no_validators else 'OFF'})")
        print("politeness relaxed for loopback: " + ", ".join(
            f"{k}={env[k]}" for k in sorted(env) if k.startswith("CLAUSEWATCH_") and k not in
            ("CLAUSEWATCH_HOME", "CLAUSEWATCH_PROFILES", "CLAUSEWATCH_DATABASE_URL")))
        print(f"  robots.txt {'ignored' if args.ignore_robots else 'obeyed (nginx answers 404: everything allowed)'}; "
              f"process stage workers: {args.processes or 'one per core'} ({os.cpu_count()} cores); "
              f"database: {'SQLite ' + str(store.path) if store.sqlite else args.database_url}")
        print(f"machine: {os.cpu_count()} cores, loadavg {' '.join(f'{x:.2f}' for x in os.getloadavg())} before the runs")
        print()

        n, changed = len(docs), max(1, round(len(docs) * args.changed))
        runs: dict[str, Run] = {}
        sizes = {}
        for label, title in (("a", "first check"), ("b", "re-check, nothing changed"),
                             ("c", f"re-check, {changed} changed")):
            if label == "c":
                for d in random.Random(f"{args.seed}-changed").sample(docs, changed):
                    path = site / d.path.lstrip("/")
                    stat = path.stat()
                    path.write_text(edit_document(path.read_text(encoding="utf-8"), d, args.seed), encoding="utf-8")
                    os.utime(path, (stat.st_atime, stat.st_mtime + 60))  # a new ETag even within the same second
            print(f"({label}) {title} …", flush=True)
            run = run_check(label, env, tmp, args.timeout, nginx)
            runs[label] = run
            sizes[label] = store.size()
            for line in describe(run, store, expected_counts(label, n, changed)):
                print(line)
            print(flush=True)

        growth = sizes["b"][0] - sizes["a"][0]
        used_growth = sizes["b"][1] - sizes["a"][1]
        rows, missed = [], []
        targets = {"a": None, "b": TARGET_UNCHANGED, "c": TARGET_CHANGED}
        titles = {"a": "(a) first check", "b": "(b) re-check, unchanged", "c": f"(c) re-check, {args.changed:.0%} changed"}
        for label, run in runs.items():
            rate_ok = targets[label] is None or run.rate >= targets[label]
            rss_ok = run.peak_rss_mb <= TARGET_RSS_MB
            target = (f">= {targets[label]:.0f} docs/s, " if targets[label] else "") + f"<= {TARGET_RSS_MB:.0f} MB"
            verdict = "met" if rate_ok and rss_ok else "NOT MET (" + ", ".join(
                w for w, ok in (("rate", rate_ok), ("memory", rss_ok)) if not ok) + ")"
            if verdict != "met":
                missed.append(titles[label])
            rows.append([titles[label], run.documents, f"{run.seconds:.1f}", f"{run.rate:.0f}", f"{run.wall:.1f}",
                         f"{run.peak_rss_mb:.0f} ({run.largest_rss_mb:.0f})", target, verdict])
        per_doc = growth / n
        verdict = "met" if per_doc < TARGET_GROWTH else "NOT MET"
        if verdict != "met":
            missed.append("database growth")
        print_table(rows, ["scenario", "documents", "seconds", "docs/s", "wall s", "peak RSS MB (largest)",
                           "target", "result"])
        print(f"\ndatabase growth per unchanged re-check (b): {growth:,} bytes on disk = {per_doc:,.0f} bytes/document "
              f"(in use: {used_growth:,} bytes = {used_growth / n:,.0f} bytes/document); target < {TARGET_GROWTH} "
              f"bytes/document: {verdict}")
        print("database size after each run: " + ", ".join(f"({k}) {v[0] / 1e6:,.1f} MB" for k, v in sizes.items()))
        tables = store.table_sizes()
        if tables:
            print("largest tables/indexes now: " + ", ".join(
                f"{name} {size / 1e6:.1f} MB" for name, size in sorted(tables.items(), key=lambda t: -t[1])[:5]))
        print("seconds: between the run's started_at and finished_at (process start-up excluded); "
              "peak RSS: sampled sum over the check process tree (largest single process, exact)")
        if missed:
            print("targets missed: " + ", ".join(missed))
        return 1 if missed and args.strict else 0
    except KeyboardInterrupt:
        print("check_bench: interrupted", file=sys.stderr)
        return 130
    finally:
        if nginx is not None:
            nginx.stop()
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
