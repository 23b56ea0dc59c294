"""The Run row, and only here: a run starts, finishes, or ends interrupted/failed.

Every command that runs (`check`, `reextract`, `prune`, the daemon's children) goes through these
functions, so a run has one owner. A run that ends early turns its fetches still `pending` (bytes
stored, not yet processed) into `failed` with a reason; their snapshots stay unprocessed, so the
next check of those documents processes them.
"""

from __future__ import annotations

import os
import socket

from sqlalchemy import select, update

from snapshots.db import FENCE
from snapshots.events import RunFinished
from snapshots.models import Fetch, Outcome, Run, RunKind, RunStatus, utcnow

INTERRUPTED_FETCH = "run interrupted before this document was processed; the next check processes its snapshot"


def this_host() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def start(tx, run_id: str, kind: RunKind = RunKind.CHECK, counts: dict | None = None, host: str | None = None):
    tx.session.add(Run(id=run_id, kind=kind, started_at=utcnow(), host=host or this_host(), counts=counts or {}))


def started_at(session, run_id: str):
    run = session.get(Run, run_id)
    return run.started_at if run else None


def finish(tx, run_id: str, counts: dict, status: RunStatus = RunStatus.COMPLETED):
    """Mark the run done with its counts; returns its finish time (None when there is no such run)."""
    run = tx.session.get(Run, run_id)
    if run is None:
        return None
    run.finished_at, run.status, run.counts = utcnow(), status, counts
    tx.emit(RunFinished(run_id, str(status), dict(counts)))
    return run.finished_at


def record(tx, run_id: str, kind: RunKind, counts: dict, status: RunStatus = RunStatus.COMPLETED) -> None:
    """A run that is recorded once it is over (prune)."""
    now = utcnow()
    tx.session.add(Run(id=run_id, kind=kind, started_at=now, finished_at=now, status=status, host=this_host(),
                       counts=counts))


def end(db, status: RunStatus, run_id: str | None = None, host: str | None = None, force: bool = False) -> None:
    """Mark a run (by id, or the running one of a `host:pid`) that did not complete as `status`.

    Only a run still `running` is changed, unless `force` (a stopped run whose fetched documents were
    processed, which marks it `completed`, is `interrupted` all the same).
    """
    if not (run_id or host):
        raise ValueError("end needs a run id or a host")
    if FENCE.is_set():  # our lease was taken over: the new holder marks this run, we write nothing
        return
    with db.session() as s:
        runs = update(Run) if force else update(Run).where(Run.status == RunStatus.RUNNING)
        runs = runs.where(Run.id == run_id) if run_id else runs.where(Run.host == host)
        s.execute(runs.values(status=status, finished_at=utcnow()))
        if run_id:
            s.execute(update(Fetch).where(Fetch.run_id == run_id, Fetch.outcome == Outcome.PENDING)
                      .values(outcome=Outcome.FAILED, reason=INTERRUPTED_FETCH))


def fetched_urls(session, run_id: str, failed: bool = True) -> set[str]:
    """URLs with a fetch record in the run (`failed=False`: only those that did not fail)."""
    q = select(Fetch.url).where(Fetch.run_id == run_id)
    if not failed:
        q = q.where(Fetch.outcome != Outcome.FAILED)
    return set(session.scalars(q.distinct()))
