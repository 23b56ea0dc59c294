"""Small fixtures: a temporary home with a fresh database, a local site on 127.0.0.1, profiles.

The database is SQLite; tests marked with the `database_url` fixture also run against PostgreSQL
when CLAUSEWATCH_TEST_POSTGRES_URL is set (each test gets a database of its own).

`home.run(…)` runs `clausewatch` as a subprocess (what `check` needs: Scrapy's reactor starts once
per process, signals, exit codes); `home.cli(…)` runs a command in this process, with the home's
environment, for the commands that only read or write the archive (a subprocess costs a few seconds
on a busy machine, a call here tens of milliseconds).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import threading
import uuid
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("CLAUSEWATCH_CORPUS", ROOT.parent / "shared" / "corpus"))
POSTGRES_URL = os.environ.get("CLAUSEWATCH_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("CLAUSEWATCH_TEST_REDIS_URL")


@dataclass
class Route:
    body: bytes | str = b""
    status: int = 200
    headers: dict = field(default_factory=dict)
    delay: float = 0.0


class Site:
    """An HTTP server on 127.0.0.1 (or another loopback `address`) whose pages a test can change between runs."""

    def __init__(self, address: str = "127.0.0.1"):
        self.address = address
        self.routes: dict[str, Route] = {}
        self.hits: list[tuple[str, dict]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - http.server's name
                site.hits.append((self.path, dict(self.headers)))
                route = site.routes.get(self.path)
                if route is None:
                    route = Route("not found", 404) if self.path != "/robots.txt" else Route("", 404)
                if route.delay:
                    import time

                    time.sleep(route.delay)
                body = route.body.encode() if isinstance(route.body, str) else route.body
                etag = route.headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(route.status)
                headers = {"Content-Type": "text/html; charset=utf-8", **route.headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((address, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://{self.address}:{self.port}{path}"

    def serve(self, path: str, body, status: int = 200, **headers) -> str:
        self.routes[path] = Route(body, status, {k.replace("_", "-"): v for k, v in headers.items()})
        return self.url(path)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site():
    s = Site()
    yield s
    s.close()


def _postgres_database():
    """Create a throw-away database on the test server; returns (url, drop)."""
    from sqlalchemy import create_engine, text

    base = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    name = "cw_" + uuid.uuid4().hex[:12]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + "/" + name

    def drop():
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'home' / 'clausewatch.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("CLAUSEWATCH_TEST_POSTGRES_URL not set")
    url, drop = _postgres_database()
    yield url
    drop()


class Home:
    """A temporary data directory, profiles folder and environment for running clausewatch."""

    def __init__(self, root: Path, database_url: str | None = None):
        self.root = root
        self.dir = root / "home"
        self.profiles = root / "profiles"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.profiles.mkdir(exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSEWATCH_")}
        self.env.update({
            "CLAUSEWATCH_HOME": str(self.dir),
            "CLAUSEWATCH_PROFILES": str(self.profiles),
            "CLAUSEWATCH_ALLOW_PRIVATE_NETWORKS": "1",
            "CLAUSEWATCH_PROCESSES": "1",
            "CLAUSEWATCH_AUTOTHROTTLE": "0",
            "CLAUSEWATCH_TIMEOUT": "5",
            "CLAUSEWATCH_RETRIES": "0",
            "PYTHONPATH": str(ROOT),
        })
        if database_url:
            self.env["CLAUSEWATCH_DATABASE_URL"] = database_url

    @property
    def database_url(self) -> str:
        return self.env.get("CLAUSEWATCH_DATABASE_URL", f"sqlite:///{self.dir / 'clausewatch.db'}")

    def profile(self, name: str, text: str) -> Path:
        path = self.profiles / f"{name}.toml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def simple_profile(self, name: str, sources: dict[str, str], **extra) -> Path:
        """A profile citing `sources` {id: url}, one criterion over all of them."""
        lines = [f'name = "{name.title()}"', 'provider = "Example"', "reviewed = 2026-11-20", ""]
        for sid, url in sources.items():
            lines += [f"[sources.{sid}]", f'url = "{url}"', f'type = "{extra.get("type", "privacy-policy")}"']
            for key, value in extra.get("source_keys", {}).items():
                lines.append(f"{key} = {json.dumps(value)}")
            lines.append("")
        lines += ["[[criteria]]", 'id = "eu-residency"', 'label = "EU data residency"', 'rating = "partial"',
                  f"sources = {json.dumps(list(sources))}", 'watch = ["United States", "data location"]']
        path = self.profiles / f"{name}.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def run(self, *args, timeout=120, check_code=None) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "crawler", *args], env=self.env, cwd=self.root,
                              capture_output=True, text=True, timeout=timeout)
        if check_code is not None:
            assert proc.returncode == check_code, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        return proc

    def json(self, *args, code=0):
        proc = self.run(*args, "--json", check_code=code)
        return json.loads(proc.stdout)

    def cli(self, *args, check_code=None) -> subprocess.CompletedProcess:
        """`clausewatch ARGS` in this process: `crawler.cli.main(argv)` with the home's environment and
        working directory, stdout and stderr captured; the database connections it opened are closed."""
        from crawler import cli

        opened = []

        class Context(cli.Context):
            def __init__(self, parsed):
                super().__init__(parsed)
                opened.append(self)

        out, err = io.StringIO(), io.StringIO()
        with pytest.MonkeyPatch.context() as patch, redirect_stdout(out), redirect_stderr(err):
            for key in [k for k in os.environ if k.startswith("CLAUSEWATCH_")]:
                patch.delenv(key)
            for key, value in self.env.items():
                if key.startswith("CLAUSEWATCH_"):
                    patch.setenv(key, value)
            patch.chdir(self.root)
            patch.setattr(cli, "Context", Context)
            try:
                code = cli.main(list(args))
            except SystemExit as exc:  # argparse's usage errors
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            finally:
                for ctx in opened:
                    ctx.close()
        proc = subprocess.CompletedProcess(["clausewatch", *args], code, out.getvalue(), err.getvalue())
        if check_code is not None:
            assert proc.returncode == check_code, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        return proc

    def cli_json(self, *args, code=0):
        return json.loads(self.cli(*args, "--json", check_code=code).stdout)

    def database(self):
        from snapshots.db import open_database

        return open_database(self.database_url)


@pytest.fixture
def home(tmp_path):
    return Home(tmp_path)


@pytest.fixture
def any_home(tmp_path, database_url):
    """A home on SQLite and, when configured, on PostgreSQL."""
    return Home(tmp_path, database_url)
