"""Content-addressed bytes and the fetch-stage writer.

Write order is what keeps the store consistent after a crash at any point: blobs are inserted
first, idempotently, and committed; only then are the snapshot and fetch rows that name them
written, in batches. A crash between the two leaves orphan blobs (harmless, pruned later), never a
row pointing at missing bytes.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from crawler import crashpoints
from snapshots.db import Database
from snapshots.models import Blob, Fetch, Snapshot, utcnow


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put_blobs(session, items: dict[str, bytes]) -> None:
    """Insert {sha256: raw bytes}; existing hashes are left alone (idempotent, race-safe)."""
    if not items:
        return
    rows = [{"sha256": k, "size": len(v), "data": zlib.compress(v, 6), "created_at": utcnow()} for k, v in items.items()]
    dialect = session.bind.dialect.name
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(dialect)
    if insert is None:  # other databases: check first, then insert what is missing
        have = set(session.scalars(select(Blob.sha256).where(Blob.sha256.in_(list(items)))))
        session.add_all(Blob(**r) for r in rows if r["sha256"] not in have)
        return
    session.execute(insert(Blob).on_conflict_do_nothing(index_elements=["sha256"]), rows)


def get_blob(session, key: str) -> bytes:
    data = session.get(Blob, key)
    if data is None:
        raise LookupError(f"blob {key} is missing from the store")
    return zlib.decompress(data.data)


def get_text(session, key: str) -> str:
    return get_blob(session, key).decode("utf-8")


@dataclass
class LastFetch:
    """What the previous snapshot of a URL tells the next request (conditional headers, hash)."""

    sha256: str
    etag: str | None
    last_modified: str | None
    snapshot_id: int


def last_snapshots(session, urls=None) -> dict[str, LastFetch]:
    newest = select(Snapshot.url, func.max(Snapshot.id).label("id")).group_by(Snapshot.url)
    if urls is not None:
        newest = newest.where(Snapshot.url.in_(list(urls)))
    newest = newest.subquery()
    rows = session.execute(select(Snapshot).join(newest, Snapshot.id == newest.c.id)).scalars()
    return {s.url: LastFetch(s.sha256, s.etag, s.last_modified, s.id) for s in rows}


@dataclass
class FetchResult:
    """What the fetch stage learned about one URL; `body` is None for failures and 304s."""

    url: str
    run_id: str | None
    status: int | None = None
    final_url: str | None = None
    headers: dict = field(default_factory=dict)
    body: bytes | None = None
    duration_ms: int | None = None
    failure: str | None = None  # human-readable reason when the fetch failed
    not_modified: bool = False
    at: object = None
    headers_key: str | None = None
    redirect: str | None = None  # "301 https://old" when the request was redirected (for people)
    redirect_status: int | None = None  # 301/308 when any hop was permanent, else the first hop's status
    redirect_to: str | None = None  # where that hop pointed


class SnapshotWriter:
    """Buffers fetch results and writes them blob-first, in batches."""

    def __init__(self, db: Database, batch_size: int = 100, known: dict[str, LastFetch] | None = None):
        self.db = db
        self.batch_size = batch_size
        self.known = known if known is not None else {}
        self.pending: list[FetchResult] = []
        self.outcomes = {"pending": 0, "unchanged": 0, "failed": 0}

    def add(self, result: FetchResult) -> str:
        """Queue one result; returns the fetch-stage outcome: pending | unchanged | failed."""
        result.at = result.at or utcnow()
        digest = sha256(result.body) if result.body is not None and not result.failure else None
        last = self.known.get(result.url)
        if result.failure:
            outcome = "failed"
        elif result.not_modified or (last is not None and last.sha256 == digest):
            outcome = "unchanged"
        else:
            outcome = "pending"
        self.pending.append((result, digest, outcome))
        self.outcomes[outcome] += 1
        if len(self.pending) >= self.batch_size:
            self.flush()
        return outcome

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        blobs: dict[str, bytes] = {}
        for r, digest, outcome in batch:
            if outcome == "pending":
                headers_raw = json.dumps(r.headers, sort_keys=True).encode()
                r.headers_key = sha256(headers_raw)
                blobs[digest] = r.body
                blobs[r.headers_key] = headers_raw
        if blobs:
            with self.db.session() as s:
                put_blobs(s, blobs)
        with self.db.session() as s:
            for r, digest, outcome in batch:
                fetch = Fetch(run_id=r.run_id, url=r.url, at=r.at, status=r.status, final_url=r.final_url,
                              bytes=len(r.body) if r.body is not None else None, duration_ms=r.duration_ms,
                              outcome=outcome, reason=r.failure or r.redirect,
                              redirect_status=r.redirect_status, redirect_to=r.redirect_to)
                if outcome == "unchanged":
                    last = self.known.get(r.url)
                    fetch.snapshot_id = last.snapshot_id if last else None
                    if r.not_modified:
                        fetch.reason = "not modified (304)"
                elif outcome == "pending":
                    snap = Snapshot(url=r.url, sha256=digest, headers_sha256=r.headers_key, fetched_at=r.at,
                                    status=r.status or 200, final_url=r.final_url or r.url,
                                    content_type=_header(r.headers, "content-type"), etag=_header(r.headers, "etag"),
                                    last_modified=_header(r.headers, "last-modified"), size=len(r.body), run_id=r.run_id)
                    s.add(snap)
                    s.flush()
                    fetch.snapshot_id = snap.id
                    self.known[r.url] = LastFetch(digest, snap.etag, snap.last_modified, snap.id)
                s.add(fetch)
        crashpoints.reached("fetch.flushed")


def _header(headers: dict, name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name:
            return v[:500] if isinstance(v, str) else v
    return None
