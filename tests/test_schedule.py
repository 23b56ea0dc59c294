"""`clausewatch schedule`: the real daemon in a subprocess, crawling the local site on its schedule."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import time

import pytest
from conftest import Route
from sqlalchemy import select, update

from scheduler import plan
from scheduler.lease import current
from snapshots.models import Document, Fetch, Run, utcnow

PAGE = "<html><body><main><h1>Privacy</h1><p>We store customer data in Ireland for thirty days.</p></main></body></html>"


class Daemon:
    """`clausewatch schedule --log-json` running in the background; its events read from the log."""

    def __init__(self, home, tmp_path):
        home.env.update({"CLAUSEWATCH_SCHEDULE_JITTER": "0", "CLAUSEWATCH_STOP_GRACE": "20"})
        self.log_path = tmp_path / f"daemon-{time.monotonic_ns()}.log"
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "crawler", "schedule", "--log-json", "--watch-interval", "0.5"],
                                     env=home.env, cwd=home.root, stdout=subprocess.DEVNULL, stderr=self.log)

    def events(self, name: str | None = None) -> list[dict]:
        out = []
        for line in self.log_path.read_text().splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a child's own output on the shared stderr
            if name is None or event.get("event") == name:
                out.append(event)
        return out

    def wait_for(self, name: str, count: int = 1, timeout: float = 60.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.events(name)
            if len(found) >= count:
                return found
            assert self.proc.poll() is None, f"daemon exited {self.proc.returncode}:\n{self.log_path.read_text()}"
            time.sleep(0.1)
        raise AssertionError(f"no {count}x {name} within {timeout}s:\n{self.log_path.read_text()}")

    def stop(self, timeout: float = 60.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.log.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture
def daemons(home, tmp_path):
    started = []

    def start():
        started.append(Daemon(home, tmp_path))
        return started[-1]

    yield start
    for d in started:
        d.kill()


def runs(db) -> list[Run]:
    with db.session() as s:
        return list(s.scalars(select(Run).where(Run.kind == "check").order_by(Run.started_at)))


def assert_one_at_a_time(rows: list[Run]) -> None:
    for before, after in zip(rows, rows[1:]):
        assert before.finished_at is not None and before.finished_at <= after.started_at, (before.id, after.id)


def test_interval_schedule_checks_repeatedly_and_queues_what_comes_due_during_a_long_crawl(home, site, daemons):
    # the page alone outlasts the 2 s interval: the job comes due during every crawl, however fast the
    # child starts (a 1 s page plus the child's start-up stopped doing so once a check started faster)
    site.routes["/privacy"] = Route(PAGE, delay=2.5)
    home.simple_profile("acme", {"privacy": site.url("/privacy")}, source_keys={"interval": "2s"})
    daemon = daemons()
    daemon.wait_for("run.finished", count=2, timeout=60)
    assert daemon.stop() == 0

    db = home.database()
    rows = runs(db)
    assert len(rows) >= 2 and [r.status for r in rows[:2]] == ["completed"] * 2
    assert_one_at_a_time(rows)
    events = daemon.events()
    starts = [e for e in events if e["event"] == "run.starting"]
    # the job came due while the first crawl ran; it was queued and its documents ran once, in the next batch
    queued = [e for e in events if e["event"] == "job.due" and e["running"]]
    assert queued and all(s["documents"] == 1 for s in starts)
    assert starts[1]["fires"] >= 1
    finished = daemon.events("run.finished")
    assert [e["run_id"] for e in finished[:2]] == [r.id for r in rows[:2]]
    assert current(db) is None


def test_check_missed_during_downtime_runs_exactly_once_at_start(home, site, daemons):
    site.serve("/privacy", PAGE)
    home.simple_profile("acme", {"privacy": site.url("/privacy")}, source_keys={"interval": "1h"})
    home.run("check", check_code=0)
    db = home.database()
    with db.session() as s:  # the daemon was down for five hours: five checks were missed
        s.execute(update(Document).values(last_fetch_at=utcnow() - dt.timedelta(hours=5)))

    daemon = daemons()
    daemon.wait_for("run.finished")
    assert daemon.stop() == 0
    assert len(runs(db)) == 2, "the missed checks ran once, coalesced"

    again = daemons()  # restarted right after: nothing is due for another hour
    scheduled = again.wait_for("job.scheduled")[0]
    assert again.stop() == 0
    next_run = dt.datetime.fromisoformat(scheduled["next_run"])
    assert next_run > dt.datetime.now(plan.UTC) + dt.timedelta(minutes=50)
    assert len(runs(db)) == 2 and not again.events("run.starting")


def test_sigterm_during_a_crawl_stops_cleanly_and_the_next_check_completes(home, site, daemons):
    pages = {f"p{i}": site.url(f"/p{i}") for i in range(3)}
    for i in range(3):
        site.routes[f"/p{i}"] = Route(PAGE.replace("thirty", f"{i} and thirty"), delay=1.5)
    home.simple_profile("acme", pages, source_keys={"interval": "1h"})
    home.env["CLAUSEWATCH_CONCURRENCY"] = "1"  # one page at a time: the stop comes mid-crawl
    daemon = daemons()
    deadline = time.monotonic() + 60
    while not any(path.startswith("/p") for path, _ in site.hits):
        assert time.monotonic() < deadline, daemon.log_path.read_text()
        time.sleep(0.05)
    assert daemon.stop() == 0
    stopped = daemon.events("run.stopped")
    assert stopped and not stopped[0]["killed"]

    db = home.database()
    [run] = runs(db)
    assert run.status == "interrupted" and run.finished_at is not None
    assert current(db) is None
    with db.session() as s:
        assert s.scalars(select(Fetch).where(Fetch.outcome == "pending")).all() == []

    for i in range(3):
        site.routes[f"/p{i}"].delay = 0
    result = home.json("check")
    assert result["failed"] == 0 and result["new"] + result["unchanged"] == 3
    assert [r.status for r in runs(db)] == ["interrupted", "completed"]


def test_most_frequent_schedule_wins_when_several_profiles_cite_one_document(home):
    from crawler.profiles import load_catalog

    shared = "https://example.org/privacy"
    home.simple_profile("daily", {"privacy": shared}, source_keys={"interval": "1d"})
    home.simple_profile("often", {"privacy": shared, "dpa": "https://example.org/dpa"},
                        source_keys={"schedule": "*/30 * * * *"})
    home.simple_profile("plain", {"terms": "https://example.org/terms"})
    entries = plan.build(load_catalog(home.profiles), default="6h")
    assert [(e.id, sorted(e.documents)) for e in entries] == [
        ("check:*/30 * * * *", ["https://example.org/dpa", shared]),
        ("check:6h", ["https://example.org/terms"]),
    ]


def test_crontab_day_of_week_is_read_as_cron_reads_it():
    monday = dt.datetime(2026, 11, 23, 12, tzinfo=plan.UTC)
    for expression in ("0 6 * * 0", "0 6 * * 7", "0 6 * * sun"):
        fire = plan.cron_trigger(expression).get_next_fire_time(None, monday)
        assert fire.strftime("%a") == "Sun", expression
    assert plan.period("0 6 * * 1-5") == 86400 and plan.period("*/15 * * * *") == 900


def test_a_missed_fire_time_makes_a_job_due_now_and_an_unmissed_one_waits():
    now = dt.datetime(2026, 11, 23, 12, tzinfo=plan.UTC)
    assert plan.first_due("6h", now - dt.timedelta(hours=30), now) == now
    assert plan.first_due("6h", now - dt.timedelta(hours=1), now) == now + dt.timedelta(hours=5)
    assert plan.first_due("0 6 * * *", now - dt.timedelta(days=3), now) == now
    assert plan.first_due("6h", None, now) == now
