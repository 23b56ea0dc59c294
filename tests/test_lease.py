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


def test_lease_of_a_killed_check_on_this_host_is_taken_over_at_once(home, site):
    site.routes["/privacy"] = Route(PAGE, delay=60)
    home.simple_profile("acme", {"privacy": site.url("/privacy")})
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
    assert dead is not None and dead.pid == proc.pid and dead.expires_at > utcnow()  # not expired yet

    home.run("check", check_code=0)  # its process is gone: no waiting for the TTL
    with db.session() as s:
        statuses = {r.id: r.status for r in s.scalars(select(Run))}
    assert statuses.pop(dead.run_id) == "interrupted"
    assert list(statuses.values()) == ["completed"]
    assert current(db) is None


def test_lease_held_on_another_host_blocks_until_it_expires(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'cw.db'}")
    acquire(db, "run", "elsewhere:1 run R1", ttl=1.5)
    with db.session() as s:  # as if another machine sharing the database held it
        s.execute(update(Lease).values(host="another-machine", pid=1))
    with pytest.raises(LeaseHeld):
        acquire(db, "run", "here:2", ttl=2)
    wait_for(lambda: current(db).expires_at < utcnow(), timeout=10, what="the lease to expire")
    taken = acquire(db, "run", "here:2", ttl=2)
    assert taken.previous == "elsewhere:1 run R1" and taken.previous_run is None


def test_check_whose_lease_was_taken_over_stops_writing_and_exits_non_zero(home, site):
    site.routes["/privacy"] = Route(PAGE, delay=3)
    home.simple_profile("acme", {"privacy": site.url("/privacy")})
    home.env["CLAUSEWATCH_LEASE_TTL"] = "1"
    proc = subprocess.Popen([sys.executable, "-m", "crawler", "check"], env=home.env, cwd=home.root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    db = home.database()
    wait_for(lambda: any(p == "/privacy" for p, _ in site.hits), what="the crawl to start")
    with db.session() as s:  # another run takes the lease over (as after a long stall on our side)
        s.execute(update(Lease).values(holder="usurper:1 run R9", host="another-machine", pid=1,
                                       expires_at=utcnow() + dt.timedelta(seconds=600)))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 5, err
    assert "lease was taken over" in err and "Traceback" not in err
    from snapshots.models import Snapshot, Version

    with db.session() as s:
        assert s.scalars(select(Snapshot)).all() == [] and s.scalars(select(Version)).all() == []
        assert s.get(Lease, "run").holder == "usurper:1 run R9"  # the usurper's lease was left alone
