"""The benchmarks' legal site: seeded legal-looking HTML documents, their profiles, and a server.

`render_document` writes about `size` bytes of a privacy policy / DPA / help page (header with nav,
cookie banner, numbered sections in `<main>`, footer); `edit_document` rewrites one sentence in the
middle (a real change); `token=` puts a session token into every nav link (markup churn: the bytes
change, the text of `<main>` does not). `serve_site` serves a folder on 127.0.0.1 … 127.0.0.<hosts>
with nginx (Debian package `nginx`) when installed, else with a threaded Python server.
"""

from __future__ import annotations

import datetime as dt
import getpass
import grp
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from proctree import tree_pids

PROVIDERS = ["Acme AI", "Nimbus Labs", "Borealis Models", "Quillsoft", "Helix Cognition", "Lumen Systems",
             "Orchard Intelligence", "Vantage Neural", "Kestrel Data", "Polaris Assist"]
KINDS = [("privacy-policy", "Privacy Policy"), ("dpa", "Data Processing Addendum"), ("terms", "Terms of Service"),
         ("help-article", "Where is my data stored?"), ("docs", "Security and Privacy")]
HEADINGS = ["Definitions", "Scope and Roles of the Parties", "Categories of Personal Data", "Purposes of Processing",
            "Legal Bases", "Data Location and International Transfers", "Subprocessors", "Security Measures",
            "Confidentiality", "Personal Data Breach Notification", "Data Subject Rights", "Retention and Deletion",
            "Audits and Certifications", "Use of Data for Model Training", "Cookies and Similar Technologies",
            "Children’s Privacy", "Liability", "Changes to this Document", "Governing Law", "Contact Us"]
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
              "using encryption in transit and at rest", "after giving Customer thirty (30) days’ notice",
              "where you have given your consent", "in line with our retention schedule",
              "as set out in Annex II – Technical and Organisational Measures"]
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


_ASCII = str.maketrans({"\u2019": "'", "\u2013": "-"})


def render_document(doc: Doc, size: int, seed: int, token: str | None = None, ascii: bool = False) -> str:
    """About `size` bytes of a legal page: header/nav, cookie banner, numbered sections, footer.

    `token` (markup churn) is appended to every nav link as `?session=…`; the text is the same.
    The text has typographic apostrophes and dashes, as nearly every real legal page has;
    `ascii=True` makes them ASCII (the pages of the benchmarks before 2026-12-01)."""
    query = f"?session={token}" if token else ""
    rng = random.Random(f"{seed}-{doc.index}")
    p, title = doc.provider, dict(KINDS)[doc.kind]
    updated = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(300))
    head = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} | {p}</title>"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<meta name=\"description\" content=\"{title} of {p}.\"><link rel=\"stylesheet\" href=\"/static/site.css\">"
            f"<style>{STYLE}</style></head>\n<body>\n<header class=\"site-header\"><a class=\"logo\" href=\"/\">{p}</a>"
            "<nav aria-label=\"Main\"><ul>" + "".join(f"<li><a href=\"/{n.lower()}{query}\">{n}</a></li>" for n in NAV)
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
    page = head + article + foot
    return page.translate(_ASCII) if ascii else page


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
    raise SystemExit("legal_site: no free port on 127.0.0.1 … 127.0.0.%d" % hosts)


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
                raise SystemExit(f"legal_site: nginx exited with {self.proc.returncode}:\n{self.proc.stderr.read().decode()}"
                                 f"{self.error_log()}")
            try:
                with urllib.request.urlopen(pending[0], timeout=2) as response:
                    response.read()
                pending.pop(0)
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit(f"legal_site: nginx does not answer {pending[0]}\n{self.error_log()}") from None
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




def set_token(html: str, token: str) -> str:
    """`html` with the session token of every main-nav link set to `token` (markup churn)."""
    head, sep, rest = html.partition('<nav aria-label="Main">')
    nav, end, tail = rest.partition("</nav>")
    nav = re.sub(r'href="([^"?]*)(?:\?[^"]*)?"', lambda m: f'href="{m.group(1)}?session={token}"', nav)
    return head + sep + nav + end + tail


class _QuietHandler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like nginx

    def log_message(self, *args):
        pass


class ThreadedSite:
    """The fallback server: one ThreadingHTTPServer per address (Last-Modified / If-Modified-Since, no ETag)."""

    name = "python http.server (threaded)"

    def __init__(self, site: Path, hosts: int, port: int):
        handler = partial(_QuietHandler, directory=str(site))
        self.servers = [ThreadingHTTPServer((f"127.0.0.{h}", port), handler) for h in range(1, hosts + 1)]
        for server in self.servers:
            server.daemon_threads = True
        self.threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in self.servers]

    def start(self, probe_urls: list[str]) -> None:
        for t in self.threads:
            t.start()

    def pids(self) -> list[int]:
        return []  # it runs inside the benchmark's own process

    def stop(self) -> None:
        for s in self.servers:
            s.shutdown()
            s.server_close()


def serve_site(tmp: Path, site: Path, hosts: int, port: int, nginx: str | None, validators: bool = True,
               probe_urls: list[str] = ()):
    """Start nginx (or the threaded fallback when `nginx` is None) and return it; call `.stop()`."""
    if nginx:
        server = Nginx(nginx, tmp, nginx_config(tmp, site, hosts, port, validators))
        server.name = f"nginx {nginx} (1 worker, access_log off, sendfile on, ETag/If-Modified-Since {'on' if validators else 'off'})"
    else:
        server = ThreadedSite(site, hosts, port)
    server.start(list(probe_urls))
    return server
