"""One run at a time: a named lease row in the database, kept alive by a heartbeat.

`check`, `reextract` and `prune` hold the lease "run" while they work, so a second run started
by cron, by the daemon or on another machine sharing the database refuses to start. Acquiring is
atomic on SQLite and PostgreSQL alike: INSERT the row, or, when it exists, UPDATE it WHERE it is
still the row we read (compare-and-swap) and may be taken, checking the row count.

A lease may be taken over when it has expired (its holder stopped renewing: `kill -9`, a lost
machine) or, at once, when its holder ran on this host and that process no longer exists. A holder
on another host is waited for until `ttl` runs out. Times are the machines' UTC clocks (keep them in
sync with NTP); the TTL should exceed the worst clock skew by a wide margin.

A holder whose lease was taken over while it worked (its heartbeat found the row gone) is
*fenced*: from then on every transaction this process opens raises `LeaseLost`, so it stops writing
and exits non-zero (crawler.errors: LeaseHeld exit 4, LeaseLost exit 5).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from dataclasses import dataclass

from crawler.errors import LeaseHeld as _LeaseHeldBase
from crawler.pids import process_alive
from snapshots import db as _db
from snapshots.kinds import utcnow
from snapshots.sql import at, reader

# the writes import SQLAlchemy and the models when they run: `status` reads the lease (`held`) without them

RUN_LEASE = "run"
log = logging.getLogger("clausewatch.lease")


class LeaseHeld(_LeaseHeldBase):
    """Someone else holds the lease and it has not expired."""

    def __init__(self, name: str, holder: str, since: dt.datetime, expires_at: dt.datetime):
        self.name, self.holder, self.since, self.expires_at = name, holder, since, expires_at
        super().__init__(f"another run holds the {name!r} lease ({holder}, since {since:%H:%M:%S}, "
                         f"expires {expires_at:%H:%M:%S} UTC unless renewed)")


LeaseError = LeaseHeld  # the old name of the base class


@dataclass(frozen=True)
class Taken:
    """A lease we now hold; `previous` is the holder we took over from, `previous_run` its run id."""

    name: str
    holder: str
    ttl: float
    previous: str | None = None
    previous_run: str | None = None


@dataclass(frozen=True)
class LeaseRow:
    """The lease as stored (it may have expired: compare `expires_at` with utcnow())."""

    name: str
    holder: str
    acquired_at: dt.datetime
    expires_at: dt.datetime
    ttl: float
    host: str | None
    pid: int | None
    run_id: str | None


def holder_text(run_id: str | None = None) -> str:
    """'host:pid run RUN_ID' — who holds a lease, readable in `status` and in refusals."""
    return f"{socket.gethostname()}:{os.getpid()}" + (f" run {run_id}" if run_id else "")


def holder_is_dead(row: LeaseRow) -> bool:
    """True when the holder ran on this host and its process is gone (it can be taken over at once)."""
    return bool(row.host and row.pid and row.host == socket.gethostname() and row.pid != os.getpid()
                and not process_alive(row.pid))


def acquire(db, name: str, holder: str, ttl: float, run_id: str | None = None) -> Taken:
    """Take the lease or raise LeaseHeld. Safe against concurrent callers on any machine."""
    from sqlalchemy import insert, update
    from sqlalchemy.exc import IntegrityError

    from snapshots.models import Lease

    now = utcnow()
    mine = {"holder": holder, "acquired_at": now, "expires_at": now + dt.timedelta(seconds=ttl), "ttl": ttl,
            "host": socket.gethostname(), "pid": os.getpid(), "run_id": run_id}
    try:
        with db.session() as s:
            s.execute(insert(Lease).values(name=name, **mine))
        _db.FENCE.clear()
        return Taken(name, holder, ttl)
    except IntegrityError:
        pass  # the row exists: take it over only when it may be taken
    row = current(db, name)
    if row is None:  # released between our two statements: try once more from the start
        return acquire(db, name, holder, ttl, run_id)
    if not (row.expires_at < now or row.holder == holder or holder_is_dead(row)):
        raise LeaseHeld(name, row.holder, row.acquired_at, row.expires_at)
    with db.session() as s:  # compare-and-swap on the row we judged
        taken = s.execute(update(Lease).where(Lease.name == name, Lease.holder == row.holder,
                                              Lease.acquired_at == row.acquired_at).values(**mine)).rowcount
    if taken != 1:
        return acquire(db, name, holder, ttl, run_id)
    _db.FENCE.clear()
    if row.holder == holder:
        return Taken(name, holder, ttl)
    return Taken(name, holder, ttl, row.holder, row.run_id)


def renew(db, name: str, holder: str, ttl: float) -> bool:
    """Push the expiry `ttl` seconds ahead; False when the lease is no longer ours."""
    from sqlalchemy import update

    from snapshots.models import Lease

    with db.session(fenced=False) as s:
        return s.execute(update(Lease).where(Lease.name == name, Lease.holder == holder)
                         .values(expires_at=utcnow() + dt.timedelta(seconds=ttl))).rowcount == 1


def release(db, name: str, holder: str) -> None:
    from sqlalchemy import delete

    from snapshots.models import Lease

    with db.session(fenced=False) as s:
        s.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


def release_dead(db, name: str, host: str, pid: int) -> None:
    """Free the lease of a process that was killed (the daemon does this for its own children)."""
    from sqlalchemy import delete

    from snapshots.models import Lease

    with db.session(fenced=False) as s:
        s.execute(delete(Lease).where(Lease.name == name, Lease.host == host, Lease.pid == pid))


def current(db, name: str = RUN_LEASE) -> LeaseRow | None:
    with db.session(fenced=False) as s:
        return held(s, name)


def held(session, name: str = RUN_LEASE) -> LeaseRow | None:
    """The lease row, read in `session` (a SQLAlchemy session or a snapshots.sql.Reader)."""
    row = reader(session).one("SELECT name, holder, acquired_at, expires_at, ttl, host, pid, run_id FROM leases "
                              "WHERE name = :name", name=name)
    if row is None:
        return None
    name, holder, acquired_at, expires_at, ttl, host, pid, run_id = row
    return LeaseRow(name, holder, at(acquired_at), at(expires_at), ttl, host, pid, run_id)


class Heartbeat(threading.Thread):
    """Renews a lease every ttl/4 seconds until stopped; on loss sets `lost` and fences this process."""

    def __init__(self, db, taken: Taken):
        super().__init__(name=f"lease-{taken.name}", daemon=True)
        self.db, self.taken = db, taken
        self.stopped = threading.Event()
        self.lost = False

    def run(self) -> None:
        while not self.stopped.wait(max(self.taken.ttl / 4, 0.2)):
            try:
                ok = renew(self.db, self.taken.name, self.taken.holder, self.taken.ttl)
            except Exception:  # a database hiccup: try again at the next beat, before expiry
                log.exception("lease %s: heartbeat failed", self.taken.name)
                continue
            if not ok:
                self.lost = True
                _db.FENCE.set()
                log.error("lease %s: lost (another run took it over); this run stops writing", self.taken.name)
                return

    def stop(self) -> None:
        self.stopped.set()
        if self.is_alive() and self is not threading.current_thread():
            self.join()


class hold:  # noqa: N801 - used like a function: `with hold(db, "run", holder, ttl) as taken:`
    """Hold a lease for the duration of a `with` block, renewed by a heartbeat thread.

    Raises LeaseHeld on entry when another holder's lease is live; releases on exit, also after
    an exception or KeyboardInterrupt.
    """

    def __init__(self, db, name: str, holder: str, ttl: float, run_id: str | None = None):
        self.db, self.name, self.holder, self.ttl, self.run_id = db, name, holder, ttl, run_id
        self.heartbeat: Heartbeat | None = None

    def __enter__(self) -> Taken:
        taken = acquire(self.db, self.name, self.holder, self.ttl, self.run_id)
        if taken.previous:
            log.warning("lease %s: took over from %s (expired or its process is gone)", self.name, taken.previous)
        self.heartbeat = Heartbeat(self.db, taken)
        self.heartbeat.start()
        return taken

    def __exit__(self, *exc) -> None:
        if self.heartbeat is not None:
            self.heartbeat.stop()
        if not (self.heartbeat and self.heartbeat.lost):
            release(self.db, self.name, self.holder)
