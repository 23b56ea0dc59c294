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
import getpass
import grp
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TARGET_UNCHANGED = 300.0  # documents/s, (b)
TARGET_CHANGED = 100.0  # documents/s, (c)
TARGET_RSS_MB = 300.0
TARGET_GROWTH = 1024  # bytes per document per unchanged re-check

# -- documents ---------------------------------------------------------------------------------

PROVIDERS = ["Acme AI", "Nimbus Labs", "Borealis Models", "Quillsoft", "Helix Cognition", "Lumen Systems",
             "Orchard Intelligence", "Vantage Neural", "Kestrel Data", "Polaris Assist"]
KINDS = [("privacy-policy", "Privacy Policy"), ("dpa", "Data Processing Addendum"), ("terms", "Terms of Service"),
         ("help-article", "Where is my data stored?"), ("docs", "Security and Privacy")]
HEADINGS = ["Definitions", "Scope and Roles of the Parties", "Categories of Personal Data", "Purposes of Processing",
            "Legal Bases", "Data Location and International Transfers", "Subprocessors", "Security Measures",
            "Confidentiality", "Personal Data Breach Notification", "Data Subject Rights", "Retention and Deletion",
            "Audits and Certifications", "Use of Data for Model Training", "Cookies and Similar Technologies",
            "Children's Privacy", "Liability", "Changes to this Document", "Governing Law", "Contact Us"]
PLURAL = ["We", "Our service providers", "Authorised personnel", "You", "Our affiliates"]
SINGULAR = ["{p}", "The Processor", "Customer", "Each Subprocessor", "The Controller", "The Supervisory Authority"]
VERBS = {"process": "processes", "collect": "collects", "store": "stores", "retain": "retains",
         "disclose": "discloses", "transfer": "transfers", "use": "uses", "share": "shares", "delete": "deletes",
         "encrypt": "encrypts", "pseudonymise": "pseudonymises", "review": "reviews", "access": "accesses",
         "back up": "backs up"}
OBJECTS = ["Personal Data", "Customer Data", "account information", "usage data", "input and output data",
           "billing details", "log files", "support requests", "device identifiers", "contact details",
           "feedback you submit", "prompts and completions", "API keys and credentials", "audit logs"]
PURPOSES = ["to provide and maintain the Services", "to comply with our legal obligations",
            "for the purposes described in this section", "to detect and prevent fraud and abuse",
            "to improve the security and reliability of our systems", "to respond to your requests",
            "to bill you for the Services", "to enforce the Agreement", "to send service notices",
            "to analyse aggregated usage trends"]
CONDITIONS = ["in accordance with Article 28 of the GDPR", "on the documented instructions of the Controller",
              "only for as long as necessary", "unless required to do so by Union or Member State law",
              "subject to appropriate safeguards such as the Standard Contractual Clauses",
              "within the European Economic Area", "under a written contract with equivalent obligations",
              "using encryption in transit and at rest", "after giving Customer thirty (30) days' notice",
              "where you have given your consent", "in line with our retention schedule",
              "as set out in Annex II (Technical and Organisational Measures)"]
EDITS = ["We may store Customer Data in data centres located in the United States.",
         "{p} may use input and output data to improve our models unless Customer opts out.",
         "Personal Data may be transferred to Subprocessors outside the European Economic Area.",
         "We retain support requests for up to five (5) years after the end of the Agreement.",
         "Customer authorises {p} to engage new Subprocessors without prior notice."]
EVIDENCE = "We do not use Customer Data to train our models unless Customer explicitly opts in."
NAV = ["Products", "Pricing", "Research", "Developers", "Customers", "Company", "Careers", "Blog"]
FOOTER = ["Privacy Policy", "Terms of Service", "Data Processing Addendum", "Subprocessors", "Cookie Settings",
          "Security", "Status", "Contact", "Imprint", "Accessibility"]
STYLE = ("body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a}header,footer{background:#f4f4f6;"
         "padding:1rem 2rem}main{max-width:52rem;margin:auto;padding:2rem}h2{margin-top:2.5rem}"
         ".cookie-banner{position:fixed;bottom:0;background:#222;color:#fff;padding:1rem}.toc ol{columns:2}")


@dataclass
class Doc:
    index: int
    host: int
    path: str  # URL path, also the file's path under the site root
    provider: str
    kind: str


def sentence(rng: random.Random, provider: str) -> str:
    plural = rng.random() < 0.5
    subject = rng.choice(PLURAL if plural else SINGULAR).format(p=provider)
    verb = rng.choice(list(VERBS))
    verb = verb if plural else VERBS[verb]
    return f"{subject} {verb} {rng.choice(OBJECTS)} {rng.choice(PURPOSES)}, {rng.choice(CONDITIONS)}."


def paragraph(rng: random.Random, provider: str) -> str:
    return "<p>" + " ".join(sentence(rng, provider) for _ in range(rng.randint(3, 7))) + "</p>"


def render_document(doc: Doc, size: int, seed: int) -> str:
    """About `size` bytes of a legal page: header/nav, cookie banner, numbered sections, footer."""
    rng = random.Random(f"{seed}-{doc.index}")
    p, title = doc.provider, dict(KINDS)[doc.kind]
    updated = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(300))
    head = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} | {p}</title>"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<meta name=\"description\" content=\"{title} of {p}.\"><link rel=\"stylesheet\" href=\"/static/site.css\">"
            f"<style>{STYLE}</style></head>\n<body>\n<header class=\"site-header\"><a class=\"logo\" href=\"/\">{p}</a>"
            "<nav aria-label=\"Main\"><ul>" + "".join(f"<li><a href=\"/{n.lower()}\">{n}</a></li>" for n in NAV)
            + "</ul></nav><div class=\"cookie-banner\">We use cookies to run this site. "
            "<button>Accept all</button> <button>Reject</button></div></header>\n")
    foot = ("<footer><nav aria-label=\"Legal\"><ul>"
            + "".join(f"<li><a href=\"/legal/{n.lower().replace(' ', '-')}\">{n}</a></li>" for n in FOOTER)
            + f"</ul></nav><p>&copy; 2026 {p}. All rights reserved.</p></footer>\n"
            "<script>document.querySelector('.cookie-banner button').onclick=function(){this.parentNode.remove()}"
            "</script>\n</body></html>\n")
    sections, toc, used = [], [], len(head) + len(foot) + 300
    n = 0
    while used < size:
        n += 1
        heading = HEADINGS[(n - 1) % len(HEADINGS)] + ("" if n <= len(HEADINGS) else f" (continued {n // len(HEADINGS)})")
        parts = [f"<section id=\"s{n}\"><h2>{n}. {heading}</h2>"]
        if n == 1:
            parts.append(f"<p>This {title} explains how {p} handles Personal Data. {EVIDENCE}</p>")
        for k in range(rng.randint(1, 3)):
            parts.append(f"<h3>{n}.{k + 1} {rng.choice(OBJECTS).capitalize()}</h3>")
            parts += [paragraph(rng, p) for _ in range(rng.randint(1, 3))]
            if rng.random() < 0.5:
                parts.append("<ul>" + "".join(f"<li>{rng.choice(OBJECTS).capitalize()}: {rng.choice(PURPOSES)}.</li>"
                                              for _ in range(rng.randint(2, 6))) + "</ul>")
        parts.append("</section>\n")
        section = "".join(parts)
        sections.append(section)
        toc.append(f"<li><a href=\"#s{n}\">{heading}</a></li>")
        used += len(section) + len(toc[-1])
    article = (f"<main><article><h1>{title}</h1><p class=\"updated\">Last updated: {updated:%B %d, %Y}</p>"
               f"<nav class=\"toc\" aria-label=\"Contents\"><ol>{''.join(toc)}</ol></nav>\n" + "".join(sections)
               + "</article></main>\n")
    return head + article + foot


def edit_document(html: str, doc: Doc, seed: int) -> str:
    """A realistic edit: the first sentence of the paragraph nearest the middle is rewritten."""
    start = html.index("<p>", len(html) // 2) + 3
    end = html.index(". ", start) + 1
    new = random.Random(f"{seed}-edit-{doc.index}").choice(EDITS).format(p=doc.provider)
    return html[:start] + new + html[end:]


def make_documents(count: int, hosts: int) -> list[Doc]:
    docs = []
    for i in range(count):
        provider = PROVIDERS[(i // len(KINDS)) % len(PROVIDERS)]
        kind = KINDS[i % len(KINDS)][0]
        slug = provider.lower().replace(" ", "-")
        docs.append(Doc(i, i % hosts + 1, f"/{slug}/{kind}-{i:05d}.html", provider, kind))
    return docs


def url_of(doc: Doc, port: int) -> str:
    return f"http://127.0.0.{doc.host}:{port}{doc.path}"


def write_profiles(folder: Path, docs: list[Doc], port: int, per_profile: int) -> int:
    """One profile per `per_profile` documents; two criteria over all its sources, one with evidence."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for first in range(0, len(docs), per_profile):
        group = docs[first:first + per_profile]
        ids = [f"doc-{d.index:05d}" for d in group]
        lines = [f'name = "Bench tool {count + 1}"', f'provider = "{group[0].provider}"', "reviewed = 2026-11-20", ""]
        for sid, d in zip(ids, group):
            lines += [f"[sources.{sid}]", f'url = "{url_of(d, port)}"', f'type = "{d.kind}"', 'select = ["main"]',
                      'remove = [".toc"]', ""]
        lines += ["[[criteria]]", 'id = "eu-saas"', 'label = "EU SaaS / managed hosting"', 'rating = "partial"',
                  f"sources = {json.dumps(ids)}",
                  'watch = ["United States", "data location", "transfer", "European Economic Area"]', "",
                  "[[criteria]]", 'id = "no-training"', 'label = "No training on customer data"', 'rating = "yes"',
                  f"sources = {json.dumps(ids)}", 'watch = ["training", "train", "improve our models", "opt-out"]',
                  "evidence = [" + ", ".join(f'{{ source = "{sid}", quote = "{EVIDENCE}" }}' for sid in ids) + "]", ""]
        (folder / f"bench-{count + 1:03d}.toml").write_text("\n".join(lines), encoding="utf-8")
        count += 1
    return count


# -- nginx -------------------------------------------------------------------------------------

def find_nginx(explicit: str | None) -> str | None:
    for candidate in [explicit] if explicit else [shutil.which("nginx"), "/usr/sbin/nginx"]:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port(hosts: int) -> int:
    """A port free on every 127.0.0.x address (picked by the kernel on .1, checked on the others)."""
    for _ in range(20):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if all(port_free(f"127.0.0.{h}", port) for h in range(1, hosts + 1)):
            return port
    raise SystemExit("check_bench: no free port on 127.0.0.1 … 127.0.0.%d" % hosts)


def port_free(address: str, port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((address, port))
            return True
        except OSError:
            return False


def nginx_config(tmp: Path, site: Path, hosts: int, port: int, validators: bool) -> str:
    user = ""
    if os.geteuid() == 0:  # workers would otherwise switch to `nobody`, who cannot read the 0700 temp dir
        user = f"user {getpass.getuser()} {grp.getgrgid(os.getegid()).gr_name};\n"
    temp = "\n".join(f"    {name}_temp_path {tmp / 'nginx' / name};" for name in
                     ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    listen = "\n".join(f"        listen 127.0.0.{h}:{port};" for h in range(1, hosts + 1))
    return f"""{user}daemon off;
worker_processes 1;
pid {tmp / 'nginx' / 'nginx.pid'};
error_log {tmp / 'nginx' / 'error.log'} warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    types {{ text/html html; text/plain txt; }}
    default_type application/octet-stream;
    etag {'on' if validators else 'off'};
    if_modified_since {'exact' if validators else 'off'};
{temp}
    server {{
{listen}
        root {site};
        location / {{ }}
    }}
}}
"""


class Nginx:
    """nginx in the foreground (`daemon off`) under a subprocess of ours; `stop()` is idempotent."""

    def __init__(self, binary: str, tmp: Path, config: str):
        self.binary, self.tmp = binary, tmp
        (tmp / "nginx").mkdir(exist_ok=True)
        self.conf = tmp / "nginx" / "nginx.conf"
        self.conf.write_text(config, encoding="utf-8")
        self.proc: subprocess.Popen | None = None

    def start(self, probe_urls: list[str]) -> None:
        args = [self.binary, "-p", str(self.tmp / "nginx"), "-e", str(self.tmp / "nginx" / "error.log"), "-c", str(self.conf)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 15
        pending = list(probe_urls)
        while pending:
            if self.proc.poll() is not None:
                raise SystemExit(f"check_bench: nginx exited with {self.proc.returncode}:\n{self.proc.stderr.read().decode()}"
                                 f"{self.error_log()}")
            try:
                with urllib.request.urlopen(pending[0], timeout=2) as response:
                    response.read()
                pending.pop(0)
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit(f"check_bench: nginx does not answer {pending[0]}\n{self.error_log()}") from None
                time.sleep(0.05)

    def pids(self) -> list[int]:
        return [self.proc.pid, *tree_pids(self.proc.pid)[1:]] if self.proc and self.proc.poll() is None else []

    def error_log(self) -> str:
        path = self.tmp / "nginx" / "error.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGQUIT)  # graceful shutdown
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


# -- measuring a run ---------------------------------------------------------------------------

def tree_pids(root: int) -> list[int]:
    """`root` and its descendants, from /proc/<pid>/task/<tid>/children."""
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            continue
    return out


def proc_kb(pid: int, path: str, key: str) -> int:
    try:
        with open(f"/proc/{pid}/{path}") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_times() -> dict[int, tuple[str, float]]:
    """{pid: (command name, CPU seconds)} of every process now."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        comm = cmd[:70] or stat[stat.index("(") + 1:stat.rindex(")")]
        out[int(name)] = (comm, (int(fields[11]) + int(fields[12])) / tick)
    return out


def own_cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class Sampler(threading.Thread):
    """Samples the RSS and PSS sums of a process tree; kills the tree when the deadline passes."""

    def __init__(self, pid: int, deadline: float):
        super().__init__(daemon=True)
        self.pid, self.deadline = pid, deadline
        self.peak_rss = self.peak_pss = self.peak_procs = 0
        self.seen: set[int] = set()
        self.cpu: dict[int, float] = {}  # pid -> its own CPU seconds when last seen
        self.timed_out = False
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            pids = tree_pids(self.pid)
            self.seen.update(pids)
            self.peak_rss = max(self.peak_rss, sum(proc_kb(p, "status", "VmRSS:") for p in pids))
            self.peak_pss = max(self.peak_pss, sum(proc_kb(p, "smaps_rollup", "Pss:") for p in pids))
            self.peak_procs = max(self.peak_procs, len(pids))
            for pid in pids:
                self.cpu[pid] = own_cpu(pid) or self.cpu.get(pid, 0.0)
            if time.monotonic() > self.deadline and not self.timed_out:
                self.timed_out = True
                kill_tree(self.pid)


def kill_tree(pid: int) -> None:
    for p in reversed(tree_pids(pid)):
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass


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
    wall_start = time.monotonic()
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "crawler", "check", "--json"], env=env, cwd=workdir,
                                stdout=stdout, stderr=stderr, start_new_session=True)
    sampler = Sampler(proc.pid, wall_start + timeout)
    sampler.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        kill_tree(proc.pid)
        proc.wait()
        raise
    finally:
        sampler.done.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - wall_start
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
