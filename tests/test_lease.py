"""One run at a time: the lease in the database, and `clausewatch check` refusing with exit code 4."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import Route
from sqlalchemy import select, update

from scheduler.lease import LeaseHeld, acquire, current, hold, release, renew
from snapshots.db import open_database
from snapshots.models import Lease, Run, utcnow

PAGE = "<html><body><main><h1>Privacy</h1><p>We store customer data in Ireland for thirty days.</p></main></body></html>"


def wait_for(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_second_holder_is_refused_with_the_holder_and_expiry(database_url):
    db = open_database(database_url)
    acquire(db, "run", "host-a:1 run R1", ttl=60)
    with pytest.raises(LeaseHeld) as refused:
        acquire(db, "run", "host-b:2 run R2", ttl=60)
    assert refused.value.holder == "host-a:1 run R1"
    assert refused.value.expires_at > utcnow()
    assert "host-a:1 run R1" in str(refused.value)
    release(db, "run", "host-a:1 run R1")
    assert acquire(db, "run", "host-b:2 run R2", ttl=60).previous is None


def test_expired_lease_is_taken_over_and_its_old_holder_can_no_longer_renew(database_url):
    db = open_database(database_url)
    acquire(db, "run", "dead:1", ttl=60)
    with db.session() as s:  # the holder died long ago: its lease ran out
        s.execute(update(Lease).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    taken = acquire(db, "run", "alive:2", ttl=60)
    assert taken.previous == "dead:1"
    assert not renew(db, "run", "dead:1", ttl=60)
    assert renew(db, "run", "alive:2", ttl=60)
    release(db, "run", "dead:1")  # releasing someone else's lease does nothing
    assert current(db).holder == "alive:2"


def test_heartbeat_keeps_a_lease_alive_past_its_ttl_and_release_frees_it(database_url):
    db = open_database(database_url)
    with hold(db, "run", "busy:1", ttl=1):
        time.sleep(1.5)  # longer than the TTL: only the heartbeat keeps it
        with pytest.raises(LeaseHeld):
            acquire(db, "run", "other:2", ttl=1)
    assert current(db) is None


def test_only_one_of_many_simultaneous_acquirers_wins(database_url):
    db = open_database(database_url)
    winners, start = [], threading.Barrier(6)

    def contend(n):
        start.wait()
        try:
            acquire(db, "run", f"contender:{n}", ttl=60)
            winners.append(n)
        except LeaseHeld:
            pass

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(winners) == 1
    assert current(db).holder == f"contender:{winners[0]}"


def test_two_checks_started_together_one_runs_and_the_other_exits_4(home, site):
    site.routes["/privacy"] = Route(PAGE, delay=3)  # the winner holds the lease while the loser starts
    home.simple_profile("acme", {"privacy": site.url("/privacy")})
    home.database()  # schema in place before two processes race for it
    command = [sys.executable, "-m", "crawler", "check"]
    procs = [subprocess.Popen(command, env=home.env, cwd=home.root, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=90), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 4], results
    refused = next(err for code, _, err in results if code == 4)
    assert "another run holds the 'run' lease" in refused and "not starting check" in refused
    db = home.database()
    with db.session() as s:
        assert [r.status for r in s.scalars(select(Run))] == ["completed"]
    assert current(db) is None


def test_lease_of_a_killed_check_blocks_only_until_it_expires(home, site):
    site.routes["/privacy"] = Route(PAGE, delay=60)
    home.simple_profile("acme", {"privacy": site.url("/privacy")})
    home.env["CLAUSEWATCH_LEASE_TTL"] = "2"
    proc = subprocess.Popen([sys.executable, "-m", "crawler", "check"], env=home.env, cwd=home.root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: any(p == "/privacy" for p, _ in site.hits), what="the crawl to start")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    site.routes["/privacy"].delay = 0
    db = home.database()
    dead = current(db)
    assert dead is not None and f":{proc.pid} run " in dead.holder
    if dead.expires_at > utcnow():
        with pytest.raises(LeaseHeld):
            acquire(db, "run", "too-early:1", ttl=2)
    wait_for(lambda: current(db).expires_at < utcnow(), timeout=10, what="the lease to expire")

    home.run("check", check_code=0)
    with db.session() as s:
        statuses = {r.id: r.status for r in s.scalars(select(Run))}
    killed_run = dead.holder.rsplit(" run ", 1)[1]
    assert statuses.pop(killed_run) == "interrupted"
    assert list(statuses.values()) == ["completed"]
    assert current(db) is None
