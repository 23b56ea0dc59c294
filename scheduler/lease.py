"""One run at a time: a named lease row in the database, kept alive by a heartbeat.

`check`, `reextract` and `prune` hold the lease "run" while they work, so a second run started
by cron, by the daemon or on another machine sharing the database refuses to start. Acquiring is
atomic on SQLite and PostgreSQL alike: INSERT the row, or, when it exists, UPDATE it WHERE it has
expired (or is already ours) and check the row count. A holder that dies (`kill -9`, a lost
machine) stops renewing; its lease expires after `ttl` seconds and the next run takes it over.

Times are the machines' UTC clocks (keep them in sync with NTP); the TTL should exceed the worst
clock skew by a wide margin.

Exceptions:

    LeaseError
     └── LeaseHeld   another holder's lease has not expired (carries holder, since, expires_at)
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from snapshots.models import Lease, utcnow

RUN_LEASE = "run"
log = logging.getLogger("clausewatch.lease")


class LeaseError(Exception):
    """Base class of lease problems."""


class LeaseHeld(LeaseError):
    """Someone else holds the lease and it has not expired."""

    def __init__(self, name: str, holder: str, since: dt.datetime, expires_at: dt.datetime):
        self.name, self.holder, self.since, self.expires_at = name, holder, since, expires_at
        super().__init__(f"another run holds the {name!r} lease ({holder}, since {since:%H:%M:%S}, "
                         f"expires {expires_at:%H:%M:%S} UTC unless renewed)")


@dataclass(frozen=True)
class Taken:
    """A lease we now hold; `previous` is the holder whose expired lease we took over, if any."""

    name: str
    holder: str
    ttl: float
    previous: str | None = None


def holder_text(run_id: str | None = None) -> str:
    """'host:pid run RUN_ID' — who holds a lease, readable in `status` and in refusals."""
    return f"{socket.gethostname()}:{os.getpid()}" + (f" run {run_id}" if run_id else "")


def acquire(db, name: str, holder: str, ttl: float) -> Taken:
    """Take the lease or raise LeaseHeld. Safe against concurrent callers on any machine."""
    now = utcnow()
    expires = now + dt.timedelta(seconds=ttl)
    try:
        with db.session() as s:
            s.execute(insert(Lease).values(name=name, holder=holder, acquired_at=now, expires_at=expires, ttl=ttl))
        return Taken(name, holder, ttl)
    except IntegrityError:
        pass  # the row exists: take it over only when it has expired
    with db.session() as s:
        previous = s.scalar(select(Lease.holder).where(Lease.name == name))
        taken = s.execute(update(Lease).where(Lease.name == name,
                                              (Lease.expires_at < now) | (Lease.holder == holder))
                          .values(holder=holder, acquired_at=now, expires_at=expires, ttl=ttl)).rowcount
    if taken == 1:
        return Taken(name, holder, ttl, previous if previous != holder else None)
    row = current(db, name)
    if row is None:  # released between our two statements: try once more from the start
        return acquire(db, name, holder, ttl)
    raise LeaseHeld(name, row.holder, row.acquired_at, row.expires_at)


def renew(db, name: str, holder: str, ttl: float) -> bool:
    """Push the expiry `ttl` seconds ahead; False when the lease is no longer ours."""
    with db.session() as s:
        return s.execute(update(Lease).where(Lease.name == name, Lease.holder == holder)
                         .values(expires_at=utcnow() + dt.timedelta(seconds=ttl))).rowcount == 1


def release(db, name: str, holder: str) -> None:
    with db.session() as s:
        s.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


def current(db, name: str = RUN_LEASE) -> Lease | None:
    """The lease row as stored (it may have expired; compare `expires_at` with utcnow())."""
    with db.session() as s:
        row = s.get(Lease, name)
        if row is not None:
            s.expunge(row)
        return row


class Heartbeat(threading.Thread):
    """Renews a lease every ttl/4 seconds until stopped; sets `lost` if someone took it over."""

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
                log.error("lease %s: lost (another run took it over after it expired)", self.taken.name)
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

    def __init__(self, db, name: str, holder: str, ttl: float):
        self.db, self.name, self.holder, self.ttl = db, name, holder, ttl
        self.heartbeat: Heartbeat | None = None

    def __enter__(self) -> Taken:
        taken = acquire(self.db, self.name, self.holder, self.ttl)
        if taken.previous:
            log.warning("lease %s: took over from %s (expired)", self.name, taken.previous)
        self.heartbeat = Heartbeat(self.db, taken)
        self.heartbeat.start()
        return taken

    def __exit__(self, *exc) -> None:
        if self.heartbeat is not None:
            self.heartbeat.stop()
        release(self.db, self.name, self.holder)
