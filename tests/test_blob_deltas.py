"""Blob deltas: a re-fetch whose bytes changed a little is stored as a small zstd delta against the
previous bytes of its URL; reading is transparent, extraction is unchanged, prune keeps bases."""

from __future__ import annotations

import datetime as dt
import json
import random

from sqlalchemy import func, select, update

from scheduler.retention import prune
from snapshots.db import open_database
from snapshots.extract import extract
from snapshots.models import Blob, Fetch, Snapshot, Version, utcnow
from snapshots.store import FetchResult, SnapshotWriter, get_blob, get_blobs, last_snapshots, sha256

WORDS = ("personal data controller processor retention transfer subprocessor consent erasure breach "
         "notification audit encryption customer account service agreement annex safeguards").split()


def page(n: int, token: str, edit: str = "", length: int = 60) -> bytes:
    """A legal page of `length` sections (60: about 100 KB) whose nav links carry a session token."""
    rng = random.Random(n)
    nav = "".join(f'<li><a href="/{w}?session={token}">{w.title()}</a></li>' for w in WORDS[:8])
    sections = []
    for s in range(length):
        paragraphs = "".join("<p>" + " ".join(rng.choice(WORDS) for _ in range(40)) + ".</p>" for _ in range(4))
        sections.append(f"<section><h2>{s + 1}. {rng.choice(WORDS).title()}</h2>{paragraphs}</section>")
    if edit:
        sections[30] = f"<section><h2>31. Changed</h2><p>{edit}</p></section>"
    return (f"<!DOCTYPE html><html><head><title>Policy {n}</title></head><body><header><nav><ul>{nav}</ul></nav>"
            f"</header><main><h1>Privacy Policy {n}</h1>{''.join(sections)}</main><footer>(c) 2026</footer>"
            "</body></html>").encode()


def check(db, bodies: dict[str, bytes], run_id: str, known=None) -> SnapshotWriter:
    writer = SnapshotWriter(db, batch_size=len(bodies), known=known)
    for url, body in bodies.items():
        headers = {"content-type": "text/html", "etag": f'"{sha256(body)[:12]}"', "date": f"run {run_id}",
                   "last-modified": f"modified {run_id}", "content-language": "en",
                   "set-cookie": f"session={run_id}", "x-request-id": f"{run_id}-{url}"}
        writer.add(FetchResult(url=url, run_id=run_id, status=200, body=body, headers=headers))
    writer.flush()
    return writer


def blob_bytes(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.coalesce(func.sum(func.length(Blob.data)), 0)))


def known_of(db, urls):
    with db.session() as s:
        return last_snapshots(s, urls)


def test_a_churn_only_recheck_adds_at_most_a_kilobyte_per_document_to_the_blobs_table(database_url):
    db = open_database(database_url)
    urls = [f"http://127.0.0.1/policy-{n}" for n in range(4)]
    check(db, {u: page(n, "token-aaaa") for n, u in enumerate(urls)}, "r1")
    first = blob_bytes(db)
    assert first > 4 * 5_000  # full copies of ~100 KB pages
    check(db, {u: page(n, "token-bbbb") for n, u in enumerate(urls)}, "r2", known_of(db, urls))
    growth = blob_bytes(db) - first
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Snapshot)) == 8  # every new byte string is a snapshot
    assert growth <= 1024 * len(urls), f"{growth / len(urls):.0f} bytes per document"


def test_a_churn_only_recheck_grows_the_whole_sqlite_archive_by_at_most_a_kilobyte_per_document(tmp_path):
    """Fetch record, snapshot row, delta and every index over them: what the archive file gains."""
    db = open_database(f"sqlite:///{tmp_path / 'churn.db'}")
    urls = [f"http://127.0.0.1/help/article-{n:05d}.html" for n in range(400)]
    # enough documents that the partly filled last page of each of the ~10 b-trees is < 0.1 KB each

    def pages_used() -> int:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return conn.exec_driver_sql("PRAGMA page_count").scalar() - conn.exec_driver_sql(
                "PRAGMA freelist_count").scalar()

    for run, token in enumerate(["token-aaaa", "token-bbbb", "token-cccc"]):
        if run == 2:
            before = pages_used()
        check(db, {u: page(n, token, length=4) for n, u in enumerate(urls)}, f"r{run}", known_of(db, urls))
    with db.engine.connect() as conn:
        page_size = conn.exec_driver_sql("PRAGMA page_size").scalar()
    growth = (pages_used() - before) * page_size
    assert growth <= 1024 * len(urls), f"{growth / len(urls):.0f} bytes per document"


def test_a_snapshot_keeps_the_headers_that_describe_the_document_and_stores_them_once(database_url):
    db = open_database(database_url)
    url = "http://127.0.0.1/policy"
    check(db, {url: page(1, "t1")}, "r1")
    with db.session() as s:
        blobs_before = s.scalar(select(func.count()).select_from(Blob))
    check(db, {url: page(1, "t2")}, "r2", known_of(db, [url]))  # new date, cookie and request id
    with db.session() as s:
        first, second = s.scalars(select(Snapshot).order_by(Snapshot.id)).all()
        assert json.loads(get_blob(s, first.headers_sha256)) == {"content-language": "en"}
        assert second.headers_sha256 == first.headers_sha256  # per-response headers are not kept
        assert second.etag and second.last_modified == "modified r2" and second.content_type == "text/html"
        assert s.scalar(select(func.count()).select_from(Blob)) == blobs_before + 1  # the body's delta only

    writer = SnapshotWriter(db, known=known_of(db, [url]))  # the document changed language: kept
    writer.add(FetchResult(url=url, run_id="r3", status=200, body=page(1, "t3"),
                           headers={"Content-Language": "de", "Content-Type": "text/html"}))
    writer.add(FetchResult(url="http://127.0.0.1/bare", run_id="r3", status=200, body=page(2, "t3"),
                           headers={"Date": "today", "Server": "nginx"}))
    writer.flush()
    with db.session() as s:
        third, bare = s.scalars(select(Snapshot).where(Snapshot.run_id == "r3").order_by(Snapshot.id)).all()
        assert json.loads(get_blob(s, third.headers_sha256)) == {"content-language": "de"}
        assert bare.headers_sha256 is None  # nothing but per-response headers: no headers blob


def test_every_delta_snapshot_reads_back_its_bytes_and_re_extracts_to_the_same_text(database_url):
    db = open_database(database_url)
    url = "http://127.0.0.1/dpa"
    history = [page(7, "t0"), page(7, "t1"), page(7, "t2", edit="We may transfer Customer Data to the United States."),
               page(7, "t3", edit="We may transfer Customer Data to the United States."), page(8, "t4"), page(8, "t5")]
    for i, body in enumerate(history):
        check(db, {url: body}, f"r{i}", known_of(db, [url]))
    with db.session() as s:
        snaps = s.scalars(select(Snapshot).order_by(Snapshot.id)).all()
        codecs = [s.get(Blob, snap.sha256).codec for snap in snaps]
        assert codecs.count("zstd-delta") >= 3, codecs
        for snap, original in zip(snaps, history, strict=True):
            stored = get_blob(s, snap.sha256)
            assert stored == original and sha256(stored) == snap.sha256
            assert extract(stored, url=url, content_type="text/html").text == \
                extract(original, url=url, content_type="text/html").text
        for row in s.scalars(select(Blob).where(Blob.codec == "zstd-delta")):
            assert s.get(Blob, row.base_sha256).codec != "zstd-delta"  # one level deep
        # read all at once (as the process stage does): the same bytes, deltas and their bases included
        assert get_blobs(s, [snap.sha256 for snap in reversed(snaps)]) == {snap.sha256: body for snap, body
                                                                           in zip(snaps, history)}


def test_prune_with_deltas_keeps_every_base_a_remaining_snapshot_needs(database_url):
    db = open_database(database_url)
    url = "http://127.0.0.1/terms"
    bodies = [page(3, "a"), page(3, "b"), page(3, "c")]
    for i, body in enumerate(bodies):
        check(db, {url: body}, f"r{i}", known_of(db, [url]))
    old = utcnow() - dt.timedelta(days=100)
    with db.session() as s:
        snaps = s.scalars(select(Snapshot).order_by(Snapshot.id)).all()
        base = s.get(Blob, snaps[2].sha256).base_sha256
        assert base == snaps[0].sha256  # the third is a delta against the first, a full blob
        s.execute(update(Snapshot).values(fetched_at=old, processed=True))
        s.execute(update(Fetch).values(at=old))
        s.add(Version(document_id=_document(s, url), text_sha256=snaps[2].sha256, key="k", words=1,
                      snapshot_ids=[snaps[2].id], extractor_version="1", rules={}))
    done = prune(db, dt.timedelta(days=90))
    assert done.snapshots == 2
    with db.session() as s:
        assert [x.id for x in s.scalars(select(Snapshot))] == [snaps[2].id]
        assert s.get(Blob, snaps[0].sha256) is not None  # its snapshot is gone, but a delta needs it
        assert s.get(Blob, snaps[1].sha256) is None
        assert get_blob(s, snaps[2].sha256) == bodies[2]
        assert get_blob(s, snaps[2].headers_sha256)

    # once the delta itself goes, its base goes in the same prune
    check(db, {url: b"<html><body><main><p>An entirely new page.</p></main></body></html>"}, "r9", known_of(db, [url]))
    with db.session() as s:
        s.execute(update(Version).values(snapshot_ids=[]))
        s.execute(update(Version).values(text_sha256=sha256(b"unrelated")))
    assert prune(db, dt.timedelta(days=90)).snapshots == 1
    with db.session() as s:
        assert s.get(Blob, snaps[2].sha256) is None and s.get(Blob, snaps[0].sha256) is None
        newest = s.scalars(select(Snapshot)).one()
        assert get_blob(s, newest.sha256).startswith(b"<html>")


def _document(session, url: str) -> int:
    from snapshots.models import Document

    doc = Document(key=url, urls=[url])
    session.add(doc)
    session.flush()
    return doc.id
