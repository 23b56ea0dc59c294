"""Several crawler machines: real `clausewatch worker` processes, Redis, PostgreSQL, a local site.

The tests with workers are skipped unless CLAUSEWATCH_TEST_REDIS_URL and CLAUSEWATCH_TEST_POSTGRES_URL
are set. Each uses a queue name of its own, so runs sharing the Redis database do not take each other's pages.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
import uuid

import pytest
from conftest import POSTGRES_URL, REDIS_URL, Home, Route, _postgres_database
from sqlalchemy import func, select

from snapshots.models import Fetch, Snapshot

needs_services = pytest.mark.skipif(not (REDIS_URL and POSTGRES_URL),
                                    reason="needs CLAUSEWATCH_TEST_REDIS_URL and CLAUSEWATCH_TEST_POSTGRES_URL")

PAGE = "<html><body><main><h1>Privacy Policy {n}</h1><p>We store customer data in Ireland for {n} days.</p>" \
       "</main></body></html>"


class Worker:
    """One `clausewatch worker` subprocess; its User-Agent tells its requests apart at the site."""

    def __init__(self, home: Home, queue_name: str, name: str):
        self.name = name
        env = {**home.env, "CLAUSEWATCH_REDIS_URL": REDIS_URL, "CLAUSEWATCH_USER_AGENT": f"clausewatch-test/{name}"}
        self.proc = subprocess.Popen([sys.executable, "-m", "crawler", "worker", "--queue", queue_name,
                                      "--idle-exit", "120"], env=env, cwd=home.root, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            self.lines.put(line)

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if "waiting for pages" in self.lines.get(timeout=1):
                    return
            except queue.Empty:
                if self.proc.poll() is not None:
                    self.reader.join(5)
                    log = "".join(self.lines.queue)
                    raise AssertionError(f"worker {self.name} exited with {self.proc.returncode}:\n{log}")
        raise AssertionError(f"worker {self.name} did not start within {timeout}s")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def cluster(tmp_path):
    """A home on a fresh PostgreSQL database, a queue name of its own, and a way to start workers."""
    import redis

    url, drop = _postgres_database()
    home = Home(tmp_path, url)
    home.database()  # the schema exists before workers start (they would race to create it)
    home.env["CLAUSEWATCH_REDIS_URL"] = REDIS_URL
    home.queue = "cwtest-" + uuid.uuid4().hex[:8]
    workers: list[Worker] = []

    def start(*names):
        started = [Worker(home, home.queue, name) for name in names]
        workers.extend(started)
        for w in started:
            w.wait_ready()
        return started

    home.start_workers = start
    yield home
    for w in workers:
        w.stop()
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(f"{home.queue}:pages", f"{home.queue}:requests", f"{home.queue}:dupefilter")
    drop()


def document_hits(site, path_prefix="/doc"):
    """{path: [user agent, …]} of the site's requests for documents (robots.txt left out)."""
    hits: dict[str, list[str]] = {}
    for path, headers in site.hits:
        if path.startswith(path_prefix):
            hits.setdefault(path, []).append(headers.get("User-Agent", ""))
    return hits


def fetched(db, url) -> bool:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Fetch).where(Fetch.url == url)) > 0


@pytest.mark.redis
@needs_services
def test_two_workers_share_a_check_fetching_every_page_once_then_report_one_edit(cluster, site):
    for n in range(10):
        site.routes[f"/doc{n}"] = Route(PAGE.format(n=n), delay=1.0)  # slow enough that both workers get some
    cluster.simple_profile("acme", {f"doc{n}": site.url(f"/doc{n}") for n in range(10)})
    cluster.env["CLAUSEWATCH_CONCURRENCY"] = "1"  # a worker takes one request at a time from the shared queue
    cluster.start_workers("one", "two")

    first = cluster.json("check", "--distributed", "--queue", cluster.queue, "--wait", "120")
    assert first["documents"] == 10 and first["new"] == 10 and first["failed"] == 0
    hits = document_hits(site)
    assert sorted(hits) == sorted(f"/doc{n}" for n in range(10))
    assert all(len(agents) == 1 for agents in hits.values()), hits
    by_worker = {agent for agents in hits.values() for agent in agents}
    assert by_worker == {"clausewatch-test/one", "clausewatch-test/two"}

    site.routes["/doc3"] = Route(PAGE.format(n=3).replace("in Ireland", "in Ireland and the United States"))
    second = cluster.json("check", "--distributed", "--queue", cluster.queue, "--wait", "120")
    assert (second["changed"], second["unchanged"], second["failed"]) == (1, 9, 0)
    with cluster.database().session() as s:  # workers compare with the newest snapshot: identical bodies add none
        assert s.scalar(select(func.count()).select_from(Snapshot)) == 11
    changes = cluster.cli_json("changes")
    assert [(c["source"], c["url"]) for c in changes] == [("doc3", site.url("/doc3"))]


@pytest.mark.redis
@needs_services
def test_pages_of_a_killed_worker_fail_with_a_reason_when_the_wait_ends(cluster, site):
    site.serve("/doc-fast", PAGE.format(n=1))
    site.routes["/doc-slow"] = Route(PAGE.format(n=2), delay=60)
    cluster.simple_profile("acme", {"fast": site.url("/doc-fast"), "slow": site.url("/doc-slow")})
    (worker,) = cluster.start_workers("one")
    check = subprocess.Popen([sys.executable, "-m", "crawler", "check", "--distributed", "--json",
                              "--queue", cluster.queue, "--wait", "15"], env=cluster.env, cwd=cluster.root,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        db, deadline = cluster.database(), time.monotonic() + 60
        while not (fetched(db, site.url("/doc-fast")) and "/doc-slow" in document_hits(site)):
            assert time.monotonic() < deadline, "the worker never fetched the fast page and asked for the slow one"
            time.sleep(0.2)
        worker.proc.kill()  # mid-run: the slow page is in flight
        out, err = check.communicate(timeout=90)
    finally:
        if check.poll() is None:
            check.kill()
    assert check.returncode == 3, err
    summary = json.loads(out)
    assert (summary["new"], summary["failed"]) == (1, 1)
    assert summary["errors"] == [{"url": site.url("/doc-slow"),
                                  "reason": summary["errors"][0]["reason"]}]
    assert summary["errors"][0]["reason"].startswith("not fetched by any worker within 15s")


def test_distributed_check_refuses_sqlite_shared_across_machines(home):
    home.env["CLAUSEWATCH_REDIS_URL"] = "redis://127.0.0.1:1/0"  # refused before any connection
    home.simple_profile("acme", {"privacy": "http://127.0.0.1:9/privacy"})
    proc = home.run("check", "--distributed", check_code=2)
    assert "SQLite" in proc.stderr and "--same-machine" in proc.stderr
    proc = home.run("worker", check_code=2)
    assert "SQLite" in proc.stderr


def test_worker_and_distributed_check_are_documented_in_help(home):
    for args in (["worker", "--help"], ["check", "--help"]):
        assert "--queue" in home.cli(*args, check_code=0).stdout
    assert "--idle-exit" in home.cli("worker", "--help", check_code=0).stdout
