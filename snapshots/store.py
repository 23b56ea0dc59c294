"""Content-addressed bytes and the fetch-stage writer.

Write order is what keeps the store consistent after a crash at any point: blobs are inserted
first, idempotently, and committed; only then are the snapshot and fetch rows that name them
written, in batches. A crash between the two leaves orphan blobs (harmless, pruned later), never a
row pointing at missing bytes.

Blobs are compressed with zstd (older ones with zlib; `codec` says which). A new snapshot of a URL
is stored as a zstd *delta*: compressed with the previous bytes of the URL as dictionary, so a
re-fetch whose bytes changed only a little (a session token, a build hash, one edited sentence)
costs tens of bytes instead of a full copy. Deltas are one level deep: the base is always a full
blob (the base of the previous snapshot when that one is a delta itself), so reading costs at most
two decompressions, and a delta is only kept while it is at most half a full copy (a page that
drifted far from its base gets a new full blob, and becomes the base of the next ones). A base is an older, committed blob, so the write
order above holds for deltas too; `delete_unreferenced` keeps a base while any delta names it.
`get_blob` returns the original bytes whatever the codec.

A snapshot keeps the response headers that describe the document (`DOCUMENT_HEADERS`: its
language, location, filename, links, robots directives); the validators and its type are columns
of the snapshot. What describes only one response (its date, length, cookies, caching, server,
tracing ids) is not kept: it changes on every fetch, and a blob row for it per snapshot cost more
than the delta of the body itself. A page that sends none of them has no headers blob.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import zstandard
from sqlalchemy import delete, func, select

from crawler import crashpoints
from snapshots import codecs
from snapshots.db import Database
from snapshots.history import blobs
from snapshots.models import Blob, Fetch, Snapshot, utcnow

# representation metadata (RFC 9110 §8) and document-level directives: the same on every fetch of a
# document unless the document itself moved, changed language or changed its robots policy
DOCUMENT_HEADERS = frozenset({"content-language", "content-location", "content-disposition", "content-encoding",
                              "link", "x-robots-tag"})
ZSTD_LEVEL = codecs.ZSTD_LEVEL
# a delta is checked against a full copy only when it is larger than this share of the raw bytes
DELTA_CHECK_SHARE = 1 / 16


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _dictionary(base: bytes) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)


def _encode(data: bytes, base_key: str | None, base: bytes | None) -> tuple[str, str | None, bytes]:
    """(codec, base key, stored bytes): a delta against `base` when that is smaller than a full copy."""
    if base is not None:
        delta = zstandard.ZstdCompressor(level=ZSTD_LEVEL, dict_data=_dictionary(base)).compress(data)
        if len(delta) <= len(data) * DELTA_CHECK_SHARE:
            return "zstd-delta", base_key, delta
        full = codecs.compress(data)
        if len(delta) * 2 <= len(full):  # worth tying the base to this blob: at least half saved
            return "zstd-delta", base_key, delta
        return "zstd", None, full
    return "zstd", None, codecs.compress(data)


def _decode_full(row: Blob) -> bytes:
    return codecs.decode_full(row.sha256, row.codec, row.data)


def _rows(session, keys) -> dict[str, Blob]:
    keys = list(keys)
    return {r.sha256: r for r in session.scalars(select(Blob).where(Blob.sha256.in_(keys)))} if keys else {}


def encode_blobs(session, items: dict[str, bytes], previous: dict[str, str] | None = None) -> list[dict]:
    """The `blobs` rows for {sha256: raw bytes}, reading the delta bases they need.

    `previous` maps a new key to the key of the bytes it replaces (the last snapshot of the same
    URL, already committed): the new bytes are then stored as a delta when that is smaller."""
    previous = {k: v for k, v in (previous or {}).items() if v not in (None, k) and k in items}
    known = _rows(session, set(previous.values()))  # the rows named, then the bases of the deltas among them
    known.update(_rows(session, {r.base_sha256 for r in known.values() if r.codec == "zstd-delta"} - set(known)))
    rows, decoded = [], {}
    for key, data in items.items():
        base_key, base = None, None
        row = known.get(previous.get(key))
        if row is not None and row.codec == "zstd-delta":
            row = known.get(row.base_sha256)
        if row is not None:
            base_key = row.sha256
            if base_key not in decoded:
                decoded[base_key] = _decode_full(row)
            base = decoded[base_key]
        codec, base_key, stored = _encode(data, base_key, base)
        rows.append({"sha256": key, "size": len(data), "data": stored, "codec": codec, "base_sha256": base_key})
    return rows


def insert_blobs(session, rows: list[dict]) -> None:
    """Insert encoded rows; existing hashes are left alone (idempotent, race-safe)."""
    if not rows:
        return
    dialect = session.bind.dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":  # imported here: the PostgreSQL dialect costs ~0.1 s to import
        from sqlalchemy.dialects.postgresql import insert
    else:  # other databases: check first, then insert what is missing
        have = set(session.scalars(select(Blob.sha256).where(Blob.sha256.in_([r["sha256"] for r in rows]))))
        session.add_all(Blob(**r) for r in rows if r["sha256"] not in have)
        return
    # on the connection, not through the ORM: half the cost per statement, and blobs need no flush order
    session.connection().execute(insert(Blob.__table__).on_conflict_do_nothing(index_elements=["sha256"]), rows)


def put_blobs(session, items: dict[str, bytes], previous: dict[str, str] | None = None) -> None:
    """Insert {sha256: raw bytes} (see `encode_blobs` for `previous`); idempotent, race-safe."""
    if items:
        insert_blobs(session, encode_blobs(session, items, previous))


def get_blob(session, key: str) -> bytes:
    return get_blobs(session, [key])[key]


def get_blobs(session, keys) -> dict[str, bytes]:
    """{key: original bytes} of many blobs, read in two queries (the blobs, then their delta bases)."""
    keys, out = list(dict.fromkeys(keys)), {}
    for start in range(0, len(keys), 500):  # stay below every database's limit of bound parameters
        out.update(blobs(session, keys[start:start + 500]))
    return out


def get_text(session, key: str) -> str:
    return get_blob(session, key).decode("utf-8")


def delete_unreferenced(session, *referenced) -> tuple[int, int]:
    """Delete the blobs that none of the `referenced` selects (of sha256 keys) names and that no
    remaining delta uses as its base; returns (blobs, their uncompressed bytes).

    Runs twice at most: a base only its now-deleted deltas used goes in the second pass."""
    count = size = 0
    while True:
        condition = Blob.sha256.not_in(select(Blob.base_sha256).where(Blob.base_sha256.is_not(None)))
        for keys in referenced:
            condition &= Blob.sha256.not_in(keys)
        n, b = session.execute(select(func.count(), func.coalesce(func.sum(Blob.size), 0)).where(condition)).one()
        if not n:
            return count, size
        session.execute(delete(Blob).where(condition))
        count, size = count + n, size + b


@dataclass
class LastFetch:
    """What the previous snapshot of a URL tells the next request (conditional headers, hash)."""

    sha256: str
    etag: str | None
    last_modified: str | None
    snapshot_id: int
    headers_sha256: str | None = None


def last_snapshots(session, urls=None) -> dict[str, LastFetch]:
    newest = select(Snapshot.url, func.max(Snapshot.id).label("id")).group_by(Snapshot.url)
    if urls is not None:
        newest = newest.where(Snapshot.url.in_(list(urls)))
    newest = newest.subquery()
    # the columns only: loading thousands of Snapshot objects cost more than the query
    rows = session.execute(select(Snapshot.url, Snapshot.sha256, Snapshot.etag, Snapshot.last_modified, Snapshot.id,
                                  Snapshot.headers_sha256).join(newest, Snapshot.id == newest.c.id))
    return {url: LastFetch(sha, etag, modified, id_, headers) for url, sha, etag, modified, id_, headers in rows}


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
    known_regions: dict | None = None  # the page's crawler.runs.Page.known_regions, for the writer's `same_text`


SAME_TEXT_REASON = "same text: the bytes changed outside the regions the document is read from"


class SnapshotWriter:
    """Buffers fetch results and writes them blob-first, in batches.

    `same_text(result)`, when given, is asked about a body that differs from the URL's last one:
    true means its text is known to be the current version's (markup churn), and the body is
    stored as a snapshot that is already processed, with the fetch outcome `unchanged`."""

    def __init__(self, db: Database, batch_size: int = 100, known: dict[str, LastFetch] | None = None,
                 same_text=None):
        self.db = db
        self.batch_size = batch_size
        self.known = known if known is not None else {}
        self.same_text = same_text
        self.pending: list[tuple[FetchResult, str | None, str, bool]] = []
        self.outcomes = {"pending": 0, "unchanged": 0, "failed": 0}

    def add(self, result: FetchResult) -> str:
        """Queue one result; returns the fetch-stage outcome: pending | unchanged | failed."""
        result.at = result.at or utcnow()
        digest = sha256(result.body) if result.body is not None and not result.failure else None
        last = self.known.get(result.url)
        stored = False  # a new snapshot is written
        if result.failure:
            outcome = "failed"
        elif result.not_modified or (last is not None and last.sha256 == digest):
            outcome = "unchanged"
        elif last is not None and self.same_text is not None and self.same_text(result):
            outcome, stored = "unchanged", True
        else:
            outcome, stored = "pending", True
        self.pending.append((result, digest, outcome, stored))
        self.outcomes[outcome] += 1
        if len(self.pending) >= self.batch_size:
            self.flush()
        return outcome

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        blobs: dict[str, bytes] = {}
        previous: dict[str, str] = {}  # new key -> the key of the same URL's last bytes (delta base)
        for r, digest, outcome, stored in batch:
            if stored:
                blobs[digest] = r.body
                kept = document_headers(r.headers)
                last = self.known.get(r.url)
                if kept:
                    headers_raw = json.dumps(kept, sort_keys=True).encode()
                    r.headers_key = sha256(headers_raw)
                    if last is None or last.headers_sha256 != r.headers_key:  # else stored already
                        blobs.setdefault(r.headers_key, headers_raw)
                if last is not None:
                    previous[digest] = last.sha256
                    if r.headers_key and last.headers_sha256:
                        previous[r.headers_key] = last.headers_sha256
        if blobs:
            # the delta bases are read and the deltas compressed in a read session: the write lock
            # (taken by a write session from its start on SQLite) is held only for the INSERTs
            with self.db.session(write=False) as s:
                rows = encode_blobs(s, blobs, previous)
            with self.db.session() as s:
                insert_blobs(s, rows)
        with self.db.session() as s:
            # the batch's snapshots first, in one flush (a multi-row INSERT … RETURNING), not one each
            snapshots = {i: Snapshot(url=r.url, sha256=digest, headers_sha256=r.headers_key, fetched_at=r.at,
                                     status=r.status or 200,
                                     final_url=r.final_url if r.final_url not in (None, r.url) else None,
                                     content_type=_header(r.headers, "content-type"), etag=_header(r.headers, "etag"),
                                     last_modified=_header(r.headers, "last-modified"), size=len(r.body),
                                     run_id=r.run_id, processed=outcome == "unchanged")
                         for i, (r, digest, outcome, stored) in enumerate(batch) if stored}
            if snapshots:
                s.add_all(snapshots.values())
                s.flush()
            for i, (r, digest, outcome, stored) in enumerate(batch):
                fetch = Fetch(run_id=r.run_id, url=r.url, at=r.at, status=r.status,
                              final_url=r.final_url if r.final_url != r.url else None,
                              bytes=len(r.body) if r.body is not None else None, duration_ms=r.duration_ms,
                              outcome=outcome, reason=r.failure or r.redirect,
                              redirect_status=r.redirect_status, redirect_to=r.redirect_to)
                if outcome == "unchanged" and not stored:
                    last = self.known.get(r.url)
                    fetch.snapshot_id = last.snapshot_id if last else None
                    if r.not_modified:
                        fetch.reason = "not modified (304)"
                elif stored:
                    snap = snapshots[i]
                    if outcome == "unchanged":
                        fetch.reason = fetch.reason or SAME_TEXT_REASON
                    fetch.snapshot_id = snap.id
                    self.known[r.url] = LastFetch(digest, snap.etag, snap.last_modified, snap.id, r.headers_key)
                s.add(fetch)
        crashpoints.reached("fetch.flushed")


def document_headers(headers: dict) -> dict:
    """The headers of a response a snapshot keeps ({lower-case name: value}; see DOCUMENT_HEADERS)."""
    return {k.lower(): v for k, v in headers.items() if k.lower() in DOCUMENT_HEADERS}


def _header(headers: dict, name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name:
            return v[:500] if isinstance(v, str) else v
    return None
