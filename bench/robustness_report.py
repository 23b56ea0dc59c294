"""Robustness report (not a test): hostile servers, unsafe destinations, fuzzing, peak memory.

    .venv/bin/python bench/robustness_report.py [--fuzz-examples 300] [--timeout 2]

1. Hostile behaviours: the hostile server of tests/hostile.py (127.0.0.1 only) serves one route per
   behaviour; one real `python -m crawler check` fetches them all plus one good page, and each
   route's outcome is judged against `hostile.ROUTES` (a failure with the expected reason, an
   anomaly of the expected kind, or a version with the expected text). The wall time of the run and
   the peak RSS summed over the `check` process tree (sampled from /proc every 0.1 s) are printed.
2. Unsafe spellings: the destination policy is called as a function on every spelling of a
   non-public address listed in tests/test_destinations.py (nothing is connected to), plus the
   host names of this machine that resolve to a loopback address, checked after resolution.
3. Fuzz cases: the property-based tests of tests/test_fuzz.py run with `--fuzz-examples` each;
   every generated case is counted and any failure is reported.
4. Kill points: tests/crash_harness.py kills `check` with SIGKILL at every named point
   (crawler/crashpoints.py) of every epoch of its scenario, re-runs it normally, checks the
   archive's integrity after each step and compares the final history with an uninterrupted run's
   (`--kill-points N` runs the first N; 0 skips them).

Exit status 1 when anything is lost: a behaviour not handled, a spelling allowed, a fuzz failure,
or peak memory over 400 MB.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
MEMORY_LIMIT_MB = 400


def tree_rss_kb(root: int) -> int:
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    todo += [int(c) for c in f.read().split()]
            with open(f"/proc/{pid}/status") as f:
                total += next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
        except OSError:
            continue
    return total


def hostile_run(timeout: float) -> dict:
    from hostile import ROUTES, HostileServer
    from sqlalchemy import select

    from snapshots.db import open_database
    from snapshots.models import Anomaly, Document, Fetch, Version
    from snapshots.store import get_blob

    with HostileServer() as server, tempfile.TemporaryDirectory() as tmp:
        home, profiles = Path(tmp, "home"), Path(tmp, "profiles")
        home.mkdir()
        profiles.mkdir()
        urls = {f"r{i}": server.url(path) for i, path in enumerate(ROUTES)} | {"good": server.url("/good")}
        lines = ['name = "Hostile"']
        for sid, url in urls.items():
            lines += [f"[sources.{sid}]", f'url = "{url}"']
        lines += ["[[criteria]]", 'id = "c"', 'label = "C"', f"sources = {list(urls)!r}".replace("'", '"')]
        (profiles / "hostile.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSEWATCH_")}
        env.update({"CLAUSEWATCH_HOME": str(home), "CLAUSEWATCH_PROFILES": str(profiles), "PYTHONPATH": str(ROOT),
                    "CLAUSEWATCH_ALLOW_PRIVATE_NETWORKS": "1", "CLAUSEWATCH_AUTOTHROTTLE": "0",
                    "CLAUSEWATCH_TIMEOUT": str(timeout), "CLAUSEWATCH_PER_HOST_CONCURRENCY": "8"})
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "crawler", "check"], env=env, cwd=tmp,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        peak = [0]

        def sample():
            while proc.poll() is None:
                peak[0] = max(peak[0], tree_rss_kb(proc.pid))
                time.sleep(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, stderr = proc.communicate(timeout=600)
        sampler.join()
        wall = time.monotonic() - started
        db = open_database(f"sqlite:///{home / 'clausewatch.db'}")
        with db.session() as s:
            fetches = {f.url: f for f in s.scalars(select(Fetch))}
            anomalies: dict[str, set] = {}
            for a in s.scalars(select(Anomaly)):
                anomalies.setdefault(a.url, set()).add(a.kind)
            texts = {d.key: get_blob(s, s.get(Version, d.current_version_id).text_sha256).decode()
                     for d in s.scalars(select(Document)) if d.current_version_id}
        rows, handled = [], 0
        for path, (kind, detail) in ROUTES.items():
            url = server.url(path)
            fetch = fetches.get(url)
            reason = (fetch.reason or "") if fetch else ""
            if kind == "failed":
                ok = fetch is not None and fetch.outcome == "failed" and detail in reason
                got = reason or (fetch.outcome if fetch else "no fetch")
            elif kind == "anomaly":
                ok = detail in anomalies.get(url, set())
                got = f"{'/'.join(sorted(anomalies.get(url, []))) or 'no'} anomaly: {reason}"
            else:
                ok = url in texts and detail in texts[url]
                got = f"version of {len(texts.get(url, '').split())} words" if url in texts else reason or "no version"
            handled += ok
            rows.append((path, "ok" if ok else "LOST", got[:90]))
        good = server.url("/good") in texts
    return {"rows": rows, "handled": handled, "total": len(ROUTES), "good": good, "wall": wall,
            "peak_mb": peak[0] / 1024, "exit": proc.returncode, "stderr": stderr[-500:]}


def unsafe_spellings() -> tuple[int, int, list[str]]:
    from test_destinations import LOOPBACK_SPELLINGS, OTHER_NON_PUBLIC, _loopback_names

    from crawler.destinations import DestinationRefused, check_address, check_url

    refused, allowed = 0, []
    spellings = LOOPBACK_SPELLINGS + OTHER_NON_PUBLIC
    for host in spellings:
        try:
            check_url(f"http://{host}/")
            allowed.append(host)
        except DestinationRefused:
            refused += 1
    names = _loopback_names()
    for name in names:  # after resolution, as the resolver checks it
        try:
            for info in socket.getaddrinfo(name, 80, proto=socket.IPPROTO_TCP):
                check_address(name, info[4][0])
            allowed.append(name)
        except DestinationRefused:
            refused += 1
    return refused, len(spellings) + len(names), allowed


def fuzz(examples: int) -> tuple[int, list[str]]:
    os.environ["CLAUSEWATCH_FUZZ_EXAMPLES"] = str(examples)
    import test_fuzz

    cases, failures = 0, []
    for name in dir(test_fuzz):
        test = getattr(test_fuzz, name)
        if not (name.startswith("test_") and hasattr(test, "hypothesis")):
            continue
        inner = test.hypothesis.inner_test

        def counting(*args, _inner=inner, **kwargs):
            nonlocal cases
            cases += 1
            return _inner(*args, **kwargs)

        test.hypothesis.inner_test = counting
        try:
            with tempfile.TemporaryDirectory() as tmp:
                test(Path(tmp)) if _wants_tmp(inner) else test()
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            failures.append(f"{name}: {str(exc)[:200]}")
        finally:
            test.hypothesis.inner_test = inner
    return cases, failures


def _wants_tmp(function) -> bool:
    import inspect

    return "tmp_path" in inspect.signature(function).parameters


def kill_points(limit: int | None) -> dict:
    import crash_harness as harness
    from conftest import Home, Site

    points = harness.kill_points()[:limit] if limit is not None else harness.kill_points()
    out = {"total": len(points), "survived": 0, "reached": 0, "lost": [], "points": len(harness.POINTS),
           "epochs": len(harness.EPOCHS)}
    if not points:
        return out
    with tempfile.TemporaryDirectory() as tmp:
        site = Site()
        try:
            reference = harness.reference(Home(Path(tmp) / "reference"), site)
            for i, (point, epoch) in enumerate(points):
                killed, problems, final = harness.crash_run(Home(Path(tmp) / f"kill{i}"), site, point, epoch)
                out["reached"] += killed
                if not problems and final == reference:
                    out["survived"] += 1
                else:
                    out["lost"].append(f"{point}@{epoch}: {problems[:2] or 'history differs'}")
                print(f"  kill at {point} in epoch {epoch}: {'killed' if killed else 'not reached'}, "
                      f"{'ok' if not problems and final == reference else 'LOST'}", flush=True)
        finally:
            site.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fuzz-examples", type=int, default=300)
    parser.add_argument("--timeout", type=float, default=2.0, help="CLAUSEWATCH_TIMEOUT for the hostile run")
    parser.add_argument("--kill-points", type=int, default=None, help="run only the first N kill points (0: none)")
    args = parser.parse_args()

    hostile = hostile_run(args.timeout)
    print("Hostile behaviours (one check of every route of tests/hostile.py plus one good page)")
    width = max(len(r[0]) for r in hostile["rows"])
    for path, verdict, got in hostile["rows"]:
        print(f"  {path:<{width}}  {verdict:<4}  {got}")
    refused, spellings, allowed = unsafe_spellings()
    cases, failures = fuzz(args.fuzz_examples)
    peak_ok = hostile["peak_mb"] <= MEMORY_LIMIT_MB
    kills = kill_points(args.kill_points)
    rows = [
        ("kill points survived", f"{kills['survived']}/{kills['total']} ({kills['reached']} reached, "
                                 f"{kills['points']} points x {kills['epochs']} epochs)",
         "ok" if kills["survived"] == kills["total"] else "LOST: " + "; ".join(kills["lost"])[:300]),
        ("hostile behaviours handled", f"{hostile['handled']}/{hostile['total']}",
         "ok" if hostile["handled"] == hostile["total"] and hostile["good"] else "LOST"),
        ("other documents of the run", "completed" if hostile["good"] else "NOT completed", "ok" if hostile["good"] else "LOST"),
        ("hostile run wall time", f"{hostile['wall']:.1f} s (timeout {args.timeout:g} s)", ""),
        ("unsafe spellings refused", f"{refused}/{spellings}", "ok" if not allowed else "ALLOWED: " + ", ".join(allowed)),
        ("fuzz cases run", f"{cases:,} ({args.fuzz_examples} per property)", "ok" if not failures else "FAILED"),
        ("peak memory (check process tree)", f"{hostile['peak_mb']:.0f} MB (limit {MEMORY_LIMIT_MB} MB)",
         "ok" if peak_ok else "OVER"),
    ]
    print()
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    print(f"{'measure':<{width}}  {'result':<{value_width}}  verdict")
    for name, value, verdict in rows:
        print(f"{name:<{width}}  {value:<{value_width}}  {verdict}")
    for failure in failures:
        print("fuzz failure:", failure)
    lost = (hostile["handled"] != hostile["total"] or not hostile["good"] or allowed or failures or not peak_ok
            or kills["survived"] != kills["total"])
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
