"""clausewatch side by side with urlwatch, changedetection.io and a bare Scrapy spider (not a test).

    .venv/bin/python bench/compare_bench.py [--pages 2000] [--hosts 50] [--rounds 1]
                                            [--tools clausewatch,urlwatch,changedetection,scrapy]

Builds the legal site of `check_bench.py` (bench/legal_site.py: seeded ~100 KB pages, served by nginx
on 127.0.0.1 … 127.0.0.<hosts>, or by a threaded Python server when nginx is not installed) and lets
every tool watch all of it, from a fresh state each round, through four scenarios:

  first      the first check of every page (truly changed: every page is new);
  unchanged  a re-check with nothing changed (servers answer 304 to conditional requests);
  edited     a re-check after one sentence in the middle of `--edited` of the pages was rewritten;
  churn      a re-check after a session token changed in the nav links of every page (the bytes of
             every page change, the text of `<main>` does not: truly changed 0).

The peers are installed from PyPI into a throwaway virtualenv (`--peers-venv` to reuse one):

- urlwatch: a generated urls.yaml, each job `filter: [css: main, html2text]`, the default config
  (stdout reporter, colour off), its own cache file; changes are the NEW/CHANGED lines it reports.
- changedetection.io: its server on 127.0.0.1 with ALLOW_IANA_RESTRICTED_ADDRESSES=true and `-u`
  with one paused loopback dummy watch (so no default watches); the pages are added through
  POST /api/v1/import?include_filters=main and re-checked with GET /api/v1/watch?recheck_all=1; a
  scenario ends when every watch's last_checked moved and the queue is empty; changes are counted
  from the lines of each watch's history.txt (not from the API's last_changed).
- bare Scrapy: a spider that only fetches (conditional requests from its last ETag/Last-Modified)
  and compares a hash of the body; the limit of what a fetch-only crawler costs. It counts a byte
  change as a change, so it "detects" churn.
- clausewatch: `python -m crawler check --json` with one profile per 20 pages (select main).

Politeness, the same for all where the tool allows it: 10 requests in flight overall (urlwatch's
fixed thread pool size; changedetection.io FETCH_WORKERS=10; Scrapy and clausewatch
CONCURRENT_REQUESTS=10 with 2 per host), no delay, no robots.txt (urlwatch and changedetection.io
do not read it), AutoThrottle off.

Per tool and scenario: wall seconds (clausewatch, urlwatch, Scrapy: the process from start to exit;
changedetection.io, a daemon: from the API request until the last watch is checked), CPU seconds of
the process tree, pages/s (pages / wall), peak RSS summed over the process tree (sampled every 0.2 s),
disk growth of the tool's state folder, changes detected / truly changed. Tools run one at a time
(the order rotates every round); the table gives min/median/max over rounds and the within-round
ratios clausewatch / peer (below 1: clausewatch is faster). Only 127.0.0.0/8 addresses are used.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from legal_site import edit_document, find_nginx, free_port, make_documents, render_document, serve_site, set_token, \
    url_of, write_profiles
from proctree import run_tree, tree_cpu, tree_rss_kb

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ("clausewatch", "urlwatch", "changedetection", "scrapy")
SCENARIOS = ("first", "unchanged", "edited", "churn")
CONCURRENCY, PER_HOST = 10, 2
PEERS = ["urlwatch", "changedetection.io"]


@dataclass
class Result:
    tool: str
    scenario: str
    round: int
    wall: float
    cpu: float
    peak_rss_mb: float
    disk_growth: int
    detected: int
    truly: int
    note: str = ""


# -- running and measuring a command -------------------------------------------------------------

def run_measured(cmd: list[str], env: dict, cwd: Path, timeout: float, log: Path) -> tuple[float, float, float, int, str]:
    """Run `cmd`; (wall, CPU of the tree, peak RSS MB of the tree, exit code, stdout)."""
    out = log.with_suffix(".stdout")
    wall, status, usage, sampler = run_tree(cmd, env, cwd, out, log, timeout)
    # wait4 counts the root and every descendant that was reaped up the chain; the samples count
    # processes that were not (a forkserver's workers): take the larger
    cpu = max(usage.ru_utime + usage.ru_stime, sum(sampler.cpu.values()))
    code = -1 if sampler.timed_out else os.waitstatus_to_exitcode(status)
    return wall, cpu, max(sampler.peak_rss / 1024, usage.ru_maxrss / 1024), code, out.read_text(errors="replace")


def folder_bytes(path: Path) -> int:
    total = 0
    for p in path.rglob("*"):
        try:
            if p.is_file():
                total += p.stat().st_size
        except OSError:
            pass
    return total


def fail(tool: str, what: str, log: Path | None = None) -> None:
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise ToolFailed(f"{tool}: {what}\n{tail}")


class ToolFailed(Exception):
    pass


# -- the tools -----------------------------------------------------------------------------------

class Tool:
    name = ""

    def __init__(self, bench: Bench):
        self.bench = bench
        self.state: Path | None = None

    def reset(self, round_: int) -> None:
        self.state = self.bench.tmp / f"round{round_}" / self.name
        self.state.mkdir(parents=True)

    def disk(self) -> int:
        return folder_bytes(self.state)

    def run(self, scenario: str) -> tuple[float, float, float, int]:  # wall, cpu, rss, detected
        raise NotImplementedError

    def close(self) -> None:
        pass


class Clausewatch(Tool):
    name = "clausewatch"

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSEWATCH_")}
        env.update({"CLAUSEWATCH_HOME": str(self.state), "CLAUSEWATCH_PROFILES": str(self.bench.tmp / "profiles"),
                    "CLAUSEWATCH_ALLOW_PRIVATE_NETWORKS": "1", "CLAUSEWATCH_AUTOTHROTTLE": "0",
                    "CLAUSEWATCH_CONCURRENCY": str(CONCURRENCY), "CLAUSEWATCH_PER_HOST_CONCURRENCY": str(PER_HOST),
                    "CLAUSEWATCH_OBEY_ROBOTS": "0",
                    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
        return env

    def disk(self) -> int:
        db = self.state / "clausewatch.db"
        if db.exists():
            with sqlite3.connect(db) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return folder_bytes(self.state)

    def run(self, scenario):
        log = self.state / f"{scenario}.log"
        cmd = [sys.executable, "-m", "crawler", "check", "--json"]
        if self.bench.args.py_spy:  # sampled stacks of every process of the run, folded, one file per scenario
            folded = self.state / f"{scenario}.folded"
            cmd = [self.bench.args.py_spy, "record", "--subprocesses", "--nonblocking", "-r", "200", "-f", "raw",
                   "-o", str(folded), "--", *cmd]
            self.bench.notes.append(f"clausewatch {scenario}: py-spy stacks in {folded}")
        wall, cpu, rss, code, out = run_measured(cmd, self.env(),
                                                 self.state, self.bench.args.timeout, log)
        if code not in (0, 3):
            fail(self.name, f"`check` exited with {code}", log)
        summary = json.JSONDecoder().raw_decode(out[out.find("{"):])[0]  # py-spy prints lines around it
        if summary.get("failed"):
            errors = "; ".join(f"{e['url']}: {e['reason']}" for e in summary.get("errors", [])[:3])
            self.bench.notes.append(f"clausewatch {scenario}: {summary['failed']} failed ({errors})")
        return wall, cpu, rss, summary["new"] + summary["changed"]


class Urlwatch(Tool):
    name = "urlwatch"

    def reset(self, round_):
        super().reset(round_)
        jobs = [{"name": f"doc-{d.index:05d}", "url": url_of(d, self.bench.port),
                 "filter": [{"css": "main"}, "html2text"]} for d in self.bench.docs]
        # YAML is a superset of JSON: one JSON document per job, `---` between them
        (self.state / "urls.yaml").write_text("\n---\n".join(json.dumps(j) for j in jobs) + "\n")
        self.command("--list")  # writes the default config
        config = self.state / "config.yaml"
        config.write_text(config.read_text().replace("color: true", "color: false"))

    def command(self, *extra) -> list[str]:
        cmd = [str(self.bench.peers / "bin" / "urlwatch"), "--urls", str(self.state / "urls.yaml"), "--config",
               str(self.state / "config.yaml"), "--cache", str(self.state / "cache.db"),
               "--hooks", str(self.state / "hooks.py"), *extra]
        if extra:
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env())
        return cmd

    def env(self) -> dict:
        return {**os.environ, "HOME": str(self.state), "NO_COLOR": "1"}

    def run(self, scenario):
        log = self.state / f"{scenario}.log"
        wall, cpu, rss, code, out = run_measured(self.command(), self.env(), self.state, self.bench.args.timeout, log)
        if code not in (0, 1):
            fail(self.name, f"exited with {code}", log)
        errors = len(re.findall(r"^\s*\d+\. ERROR: ", out, re.M))
        if errors:
            self.bench.notes.append(f"urlwatch {scenario}: {errors} errors")
        return wall, cpu, rss, len(re.findall(r"^\s*\d+\. (?:NEW|CHANGED): ", out, re.M))


class Changedetection(Tool):
    name = "changedetection"

    def __init__(self, bench):
        super().__init__(bench)
        self.proc: subprocess.Popen | None = None
        self.key = ""

    def reset(self, round_):
        self.close()
        super().reset(round_)
        self.port = free_port(1)
        dummy = f"http://127.0.0.1:{self.bench.port}/dummy"
        env = {**os.environ, "ALLOW_IANA_RESTRICTED_ADDRESSES": "true", "FETCH_WORKERS": str(CONCURRENCY),
               "LOGGER_LEVEL": "WARNING"}
        self.log = open(self.state.parent / "changedetection.log", "ab")
        self.proc = subprocess.Popen([str(self.bench.peers / "bin" / "changedetection.py"), "-d", str(self.state),
                                      "-h", "127.0.0.1", "-p", str(self.port), "-u", dummy, "-u0", '{"paused": true}'],
                                     env=env, stdout=self.log, stderr=self.log, start_new_session=True)
        deadline = time.monotonic() + 90
        while True:
            settings = self.state / "changedetection.json"
            try:
                self.key = json.loads(settings.read_text())["settings"]["application"]["api_access_token"]
                self.api("GET", "/api/v1/systeminfo")
                break
            except (OSError, ValueError, KeyError, urllib.error.URLError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    fail(self.name, "the server did not start", self.state.parent / "changedetection.log")
                time.sleep(0.3)

    def api(self, method: str, path: str, body: bytes | None = None):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, method=method,
                                         headers={"x-api-key": self.key, "Content-Type": "text/plain"})
        for attempt in range(120):
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    return json.loads(response.read() or b"null")
            except urllib.error.HTTPError as e:
                # listing races with the import, which adds watches in a background thread:
                # "dictionary changed size during iteration" (HTTP 500); ask again, for a minute at most
                if e.code != 500 or method != "GET":
                    raise
                if attempt == 119:
                    fail(self.name, f"GET {path} kept answering HTTP 500 for a minute")
                time.sleep(0.5)

    def watches(self) -> dict:
        return {k: v for k, v in self.api("GET", "/api/v1/watch").items() if not v["url"].endswith("/dummy")}

    def history_lines(self) -> int:
        return sum(sum(1 for line in p.read_text().splitlines() if line.strip())
                   for p in self.state.glob("*/history.txt"))

    def run(self, scenario):
        before = {k: v["last_checked"] for k, v in self.watches().items()}
        history = self.history_lines()
        cpu0, peak = tree_cpu(self.proc.pid), 0
        start = time.monotonic()
        if scenario == "first":
            urls = "\n".join(url_of(d, self.bench.port) for d in self.bench.docs).encode()
            self.api("POST", "/api/v1/import?include_filters=main", urls)
        else:
            self.api("GET", "/api/v1/watch?recheck_all=1")
        n, deadline, last_poll = len(self.bench.docs), start + self.bench.args.timeout, 0.0
        while True:
            time.sleep(0.2)
            peak = max(peak, tree_rss_kb(self.proc.pid))
            now = time.monotonic()
            if now - last_poll < 1.0:
                continue
            last_poll = now
            if self.api("GET", "/api/v1/systeminfo")["queue_size"]:
                continue
            watches = self.watches()
            done = sum(1 for k, v in watches.items() if v["last_checked"] and v["last_checked"] != before.get(k))
            if done >= n:
                break
            if now > deadline:
                fail(self.name, f"timed out: {done} of {n} checked", self.state.parent / "changedetection.log")
        wall = time.monotonic() - start
        errors = sum(1 for v in watches.values() if v.get("last_error"))
        if errors:
            self.bench.notes.append(f"changedetection.io {scenario}: {errors} watches with errors")
        return wall, tree_cpu(self.proc.pid) - cpu0, peak / 1024, self.history_lines() - history

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


SPIDER = '''
import hashlib, json, os
import scrapy

class Bare(scrapy.Spider):
    """Fetch every URL (conditionally), hash the body, nothing else."""
    name = "bare"
    custom_settings = {"HTTPERROR_ALLOWED_CODES": [304]}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.state = json.load(open(self.state_file)) if os.path.exists(self.state_file) else {}
        self.counts = {"new": 0, "changed": 0, "unchanged": 0}

    async def start(self):
        for url in open(self.urls).read().split():
            headers = {}
            old = self.state.get(url) or {}
            if old.get("etag"):
                headers["If-None-Match"] = old["etag"]
            if old.get("last_modified"):
                headers["If-Modified-Since"] = old["last_modified"]
            yield scrapy.Request(url, headers=headers, callback=self.parse, dont_filter=True)

    def parse(self, response):
        old = self.state.get(response.url)
        if response.status == 304:
            self.counts["unchanged"] += 1
            return
        digest = hashlib.sha256(response.body).hexdigest()
        outcome = "new" if old is None else ("unchanged" if old["sha256"] == digest else "changed")
        self.counts[outcome] += 1
        header = lambda k: (response.headers.get(k) or b"").decode() or None
        self.state[response.url] = {"sha256": digest, "etag": header("ETag"), "last_modified": header("Last-Modified")}

    def closed(self, reason):
        json.dump(self.state, open(self.state_file, "w"))
        print(json.dumps(self.counts))
'''


class BareScrapy(Tool):
    name = "scrapy"

    def reset(self, round_):
        super().reset(round_)
        (self.state / "bare_spider.py").write_text(SPIDER)
        (self.state / "urls.txt").write_text("\n".join(url_of(d, self.bench.port) for d in self.bench.docs))

    def run(self, scenario):
        log = self.state / f"{scenario}.log"
        settings = {"CONCURRENT_REQUESTS": CONCURRENCY, "CONCURRENT_REQUESTS_PER_DOMAIN": PER_HOST,
                    "ROBOTSTXT_OBEY": False, "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
                    "COOKIES_ENABLED": False, "TELNETCONSOLE_ENABLED": False, "LOG_LEVEL": "WARNING"}
        cmd = [sys.executable, "-m", "scrapy", "runspider", "bare_spider.py", "-a", "urls=urls.txt",
               "-a", "state_file=state.json", *[a for k, v in settings.items() for a in ("-s", f"{k}={v}")]]
        wall, cpu, rss, code, out = run_measured(cmd, dict(os.environ), self.state, self.bench.args.timeout, log)
        if code != 0:
            fail(self.name, f"exited with {code}", log)
        counts = json.loads(out.strip().splitlines()[-1])
        return wall, cpu, rss, counts["new"] + counts["changed"]


TOOL_CLASSES = {c.name: c for c in (Clausewatch, Urlwatch, Changedetection, BareScrapy)}


# -- the benchmark -------------------------------------------------------------------------------

class Bench:
    def __init__(self, args, tmp: Path):
        self.args, self.tmp = args, tmp
        self.docs = make_documents(args.pages, args.hosts)
        self.port = args.port or free_port(args.hosts)
        self.site = tmp / "site"
        self.peers: Path | None = None
        self.notes: list[str] = []

    # the site
    def path_of(self, doc) -> Path:
        return self.site / doc.path.lstrip("/")

    def build_site(self) -> float:
        base = self.tmp / "site-base"
        start, total = time.monotonic(), 0
        for d in self.docs:
            path = base / d.path.lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            body = render_document(d, self.args.size, self.args.seed, ascii=self.args.ascii).encode()
            path.write_bytes(body)
            total += len(body)
        write_profiles(self.tmp / "profiles", self.docs, self.port, 20)
        print(f"{len(self.docs)} pages ({total / len(self.docs) / 1000:.0f} KB on average, {total / 1e6:.0f} MB) "
              f"on {self.args.hosts} addresses 127.0.0.1-{self.args.hosts}:{self.port}; generated in "
              f"{time.monotonic() - start:.1f} s")
        return total

    def reset_site(self) -> None:
        shutil.rmtree(self.site, ignore_errors=True)
        shutil.copytree(self.tmp / "site-base", self.site)

    def rewrite(self, doc, change, bump: float) -> None:
        path = self.path_of(doc)
        stat = path.stat()
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
        os.utime(path, (stat.st_atime, stat.st_mtime + bump))  # a new ETag and Last-Modified, even within a second

    def mutate(self, scenario: str, round_: int) -> int:
        """Change the site for `scenario`; the number of pages whose text truly changed."""
        if scenario == "first":
            return len(self.docs)
        if scenario == "edited":
            edited = random.Random(f"{self.args.seed}-{round_}-edited").sample(
                self.docs, max(1, round(len(self.docs) * self.args.edited)))
            for d in edited:
                self.rewrite(d, lambda html, d=d: edit_document(html, d, self.args.seed), 60)
            return len(edited)
        if scenario == "churn":
            token = f"{round_:02d}{random.Random(round_).getrandbits(64):016x}"
            for d in self.docs:
                self.rewrite(d, lambda html: set_token(html, token), 120)
        return 0

    # the peers
    def install_peers(self) -> str:
        venv = Path(self.args.peers_venv) if self.args.peers_venv else self.tmp / "peers"
        self.peers = venv
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        wanted = [p for p, tool in (("urlwatch", "urlwatch"), ("changedetection.io", "changedetection"))
                  if tool in self.args.tools]
        if not wanted:
            return "no peers"
        start = time.monotonic()
        done = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", *wanted],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if done.returncode != 0:
            print(f"pip install {' '.join(wanted)} failed:\n{done.stdout[-3000:]}", file=sys.stderr)
        versions = subprocess.run([str(venv / "bin" / "pip"), "list", "--format=json"], capture_output=True, text=True)
        have = {p["name"].lower(): p["version"] for p in json.loads(versions.stdout or "[]")}
        for package, tool in (("urlwatch", "urlwatch"), ("changedetection.io", "changedetection")):
            if tool in self.args.tools and package.lower() not in have:
                print(f"{package} could not be installed: dropped (see the pip output above)", file=sys.stderr)
                self.args.tools.remove(tool)
        return ", ".join(f"{p} {have[p.lower()]}" for p in wanted if p.lower() in have) + \
            f" in {venv} ({time.monotonic() - start:.0f} s)"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pages", type=int, default=2000, help="pages to serve and watch (default 2000)")
    p.add_argument("--hosts", type=int, default=50, help="loopback addresses 127.0.0.1 … 127.0.0.N (default 50)")
    p.add_argument("--size", type=int, default=100_000, help="approximate bytes per page (default 100000)")
    p.add_argument("--edited", type=float, default=0.1, help="share of pages edited in `edited` (default 0.1)")
    p.add_argument("--rounds", type=int, default=1, help="rounds, each from a fresh state (default 1)")
    p.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated subset of {','.join(TOOLS)}")
    p.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated prefix of the scenarios "
                   "(each needs the ones before it)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--ascii", action="store_true", help="pages without typographic apostrophes and dashes "
                   "(the site of the runs before 2026-12-01; urlwatch is much lighter on it)")
    p.add_argument("--port", type=int, default=0, help="site port on every address (default: a free one)")
    p.add_argument("--nginx", help="nginx binary (default: from PATH or /usr/sbin/nginx)")
    p.add_argument("--no-nginx", action="store_true", help="serve with the threaded Python server")
    p.add_argument("--peers-venv", help="virtualenv for urlwatch and changedetection.io (default: a throwaway one)")
    p.add_argument("--timeout", type=float, default=900, help="seconds one tool may take for one scenario")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    p.add_argument("--py-spy", metavar="PATH", help="run clausewatch under this py-spy (its figures then include "
                   "the sampling); the folded stacks stay in the kept temporary folder (implies --keep)")
    args = p.parse_args(argv)
    args.tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    if unknown := [t for t in args.tools if t not in TOOLS]:
        p.error(f"unknown tools: {', '.join(unknown)}")
    if args.scenarios != list(SCENARIOS[:len(args.scenarios)]):
        p.error(f"--scenarios must be a prefix of {','.join(SCENARIOS)}")
    if not 1 <= args.hosts <= 254:
        p.error("--hosts must be between 1 and 254")
    args.keep = args.keep or bool(args.py_spy)
    return args


def spread(values: list[float], fmt: str) -> str:
    if len(values) == 1:
        return format(values[0], fmt)
    return "/".join(format(v, fmt) for v in (min(values), statistics.median(values), max(values)))


def print_table(rows: list[list[str]], headers: list[str]) -> None:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    for r in [headers, ["-" * w for w in widths], *rows]:
        print("  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip())


def report(results: list[Result], args, pages: int) -> None:
    by = {}
    for r in results:
        by.setdefault((r.scenario, r.tool), []).append(r)
    rounds = "min/median/max over %d rounds" % args.rounds if args.rounds > 1 else "1 round"
    print(f"\n== results ({pages} pages; {rounds}) ==")
    rows = []
    for scenario in args.scenarios:
        for tool in args.tools:
            rs = by.get((scenario, tool))
            if not rs:
                continue
            rows.append([scenario, tool, spread([r.wall for r in rs], ".1f"), spread([r.cpu for r in rs], ".1f"),
                         spread([pages / r.wall for r in rs], ".0f"), f"{max(r.peak_rss_mb for r in rs):.0f}",
                         spread([r.disk_growth / 1e6 for r in rs], ".1f"),
                         spread([r.disk_growth / pages / 1000 for r in rs], ".2f"),
                         " ".join(sorted({f"{r.detected}/{r.truly}" for r in rs}))])
    print_table(rows, ["scenario", "tool", "wall s", "CPU s", "pages/s", "peak RSS MB", "disk +MB", "KB/page",
                       "detected/truly"])
    peers = [t for t in args.tools if t != "clausewatch"]
    if "clausewatch" not in args.tools or not peers:
        return
    print("\n== within-round ratios clausewatch / peer (wall; CPU); below 1: clausewatch is faster ==")
    rows = []
    for scenario in args.scenarios:
        row = [scenario, ""]
        for peer in peers:
            walls, cpus = [], []
            for mine in by.get((scenario, "clausewatch"), []):
                theirs = [r for r in by.get((scenario, peer), []) if r.round == mine.round]
                if theirs:
                    walls.append(mine.wall / theirs[0].wall)
                    cpus.append(mine.cpu / theirs[0].cpu if theirs[0].cpu else float("inf"))
            row.append(f"{spread(walls, '.2f')}; {spread(cpus, '.2f')}" if walls else "-")
        rows.append(row)
    print_table(rows, ["scenario", "", *[f"vs {p}" for p in peers]])


def interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = parse_args(argv)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, interrupt)
    tmp = Path(tempfile.mkdtemp(prefix="clausewatch-compare-bench-"))
    bench = Bench(args, tmp)
    server, tools = None, []
    started = time.monotonic()
    try:
        print(f"peers: {bench.install_peers()}")
        bench.build_site()
        bench.reset_site()
        binary = None if args.no_nginx else find_nginx(args.nginx)
        server = serve_site(tmp, bench.site, args.hosts, bench.port, binary,
                            probe_urls=[url_of(d, bench.port) for d in bench.docs[:args.hosts]])
        print(f"server: {server.name}")
        print(f"politeness: {CONCURRENCY} requests in flight overall, {PER_HOST} per host where the tool has the "
              "setting (clausewatch, Scrapy), no delay, no robots.txt, AutoThrottle off; changedetection.io "
              f"FETCH_WORKERS={CONCURRENCY}; urlwatch: its fixed pool of 10 threads")
        print(f"machine: {os.cpu_count()} cores, loadavg {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        tools = [TOOL_CLASSES[name](bench) for name in args.tools]
        results: list[Result] = []
        for round_ in range(1, args.rounds + 1):
            bench.reset_site()
            order = tools[(round_ - 1) % len(tools):] + tools[:(round_ - 1) % len(tools)]
            for tool in order:
                tool.reset(round_)
            for scenario in args.scenarios:
                truly = bench.mutate(scenario, round_)
                for tool in order:
                    if tool.name not in args.tools:
                        continue
                    disk = tool.disk()
                    try:
                        wall, cpu, rss, detected = tool.run(scenario)
                    except ToolFailed as e:
                        print(f"  round {round_} {scenario} {tool.name}: FAILED, dropped: {e}", file=sys.stderr)
                        args.tools.remove(tool.name)
                        tool.close()
                        continue
                    r = Result(tool.name, scenario, round_, wall, cpu, rss, tool.disk() - disk, detected, truly)
                    results.append(r)
                    print(f"  round {round_} {scenario:9} {tool.name:15} wall {wall:6.1f} s  CPU {cpu:6.1f} s  "
                          f"peak RSS {rss:5.0f} MB  disk {r.disk_growth / 1e6:+7.1f} MB  detected {detected}/{truly}"
                          f"  (loadavg {os.getloadavg()[0]:.2f})", flush=True)
            for tool in tools:
                tool.close()
        report(results, args, len(bench.docs))
        for note in bench.notes:
            print("note: " + note)
        print(f"\ntotal {time.monotonic() - started:.0f} s; detected: clausewatch and changedetection.io count text "
              "changes (first check: new), urlwatch NEW/CHANGED reports, bare Scrapy body-hash changes; "
              "disk: growth of the tool's state folder (clausewatch's SQLite after a WAL checkpoint)")
        return 0
    except KeyboardInterrupt:
        print("compare_bench: interrupted", file=sys.stderr)
        return 130
    finally:
        for tool in tools:
            tool.close()
        if server is not None:
            server.stop()
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
