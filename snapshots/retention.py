"""Retention: forget old fetch records and the bytes nothing refers to any more.

Policy for `clausewatch prune --keep 90d`:

- fetch records older than the window go, except the newest one of each URL;
- snapshots older than the window go when no version cites them, no remaining fetch record names
  them, they are processed, and they are not the newest snapshot of their URL;
- blobs go when no snapshot (body or headers) and no version (text) refers to them, and no
  remaining delta uses them as its base.

Versions, changes, assessments, findings and anomalies are never deleted: they are the history.
A dry run does the same work inside a transaction and rolls it back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from snapshots.models import Fetch, Snapshot, Version, utcnow
from snapshots.store import delete_unreferenced

_CHUNK = 500  # ids per DELETE … IN (…)


@dataclass
class Pruned:
    fetches: int = 0
    snapshots: int = 0
    blobs: int = 0
    bytes: int = 0  # uncompressed size of the blobs removed
    dry_run: bool = False

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _delete_ids(session, model, ids: list[int]) -> None:
    for i in range(0, len(ids), _CHUNK):
        session.execute(delete(model).where(model.id.in_(ids[i:i + _CHUNK])))


def prune(db, keep: dt.timedelta, dry_run: bool = False, now: dt.datetime | None = None) -> Pruned:
    cutoff = (now or utcnow()) - keep
    out = Pruned(dry_run=dry_run)
    with db.session() as s:
        newest_fetch = select(func.max(Fetch.id)).group_by(Fetch.url)
        fetch_ids = list(s.scalars(select(Fetch.id).where(Fetch.at < cutoff, Fetch.id.not_in(newest_fetch))))
        _delete_ids(s, Fetch, fetch_ids)
        out.fetches = len(fetch_ids)

        cited = {i for ids in s.scalars(select(Version.snapshot_ids)) for i in (ids or [])}
        newest_snapshot = select(func.max(Snapshot.id)).group_by(Snapshot.url)
        named = select(Fetch.snapshot_id).where(Fetch.snapshot_id.is_not(None))
        candidates = s.scalars(select(Snapshot.id).where(Snapshot.fetched_at < cutoff, Snapshot.processed.is_(True),
                                                         Snapshot.id.not_in(newest_snapshot),
                                                         Snapshot.id.not_in(named)))
        snapshot_ids = [i for i in candidates if i not in cited]
        _delete_ids(s, Snapshot, snapshot_ids)
        out.snapshots = len(snapshot_ids)

        out.blobs, out.bytes = delete_unreferenced(  # and not the base of a remaining delta
            s, select(Snapshot.sha256), select(Snapshot.headers_sha256).where(Snapshot.headers_sha256.is_not(None)),
            select(Version.text_sha256))
        if dry_run:
            s.rollback()
    return out
