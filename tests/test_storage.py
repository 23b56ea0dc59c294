"""Storage: schema created once under concurrency, bytes stored once, rows never point at missing bytes."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT
from sqlalchemy import func, select

from snapshots.db import open_database
from snapshots.models import Blob, Fetch, Snapshot
from snapshots.store import FetchResult, SnapshotWriter, get_blob, sha256


def test_a_fresh_database_opened_by_several_processes_at_once_is_migrated_once(database_url):
    code = f"from snapshots.db import open_database; open_database({database_url!r}); print('ok')"
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [err[-500:] for _, err in results]
    db = open_database(database_url)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Snapshot)) == 0


def test_identical_bodies_are_stored_once_and_unchanged_refetches_add_only_fetch_records(database_url):
    db = open_database(database_url)
    body = b"<html><body><main><p>The same terms everywhere.</p></main></body></html>"
    writer = SnapshotWriter(db, batch_size=2)
    for url in ("http://a.example/terms", "http://b.example/terms"):
        assert writer.add(FetchResult(url=url, run_id="r1", status=200, body=body, headers={"etag": '"1"'})) == "pending"
    writer.flush()
    again = SnapshotWriter(db, known=writer.known)
    assert again.add(FetchResult(url="http://a.example/terms", run_id="r2", status=200, body=body)) == "unchanged"
    again.flush()
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Snapshot)) == 2
        assert s.scalar(select(func.count()).select_from(Fetch)) == 3
        assert s.scalar(select(func.count()).select_from(Blob).where(Blob.sha256 == sha256(body))) == 1
        assert get_blob(s, sha256(body)) == body


def test_a_crash_between_blob_and_rows_leaves_only_an_orphan_blob(tmp_path, monkeypatch):
    db = open_database(f"sqlite:///{tmp_path / 'x.db'}")
    writer = SnapshotWriter(db)
    writer.add(FetchResult(url="http://a.example/dpa", run_id="r1", status=200, body=b"<p>version one</p>"))

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(Snapshot, "__init__", crash)
    with pytest.raises(RuntimeError):
        writer.flush()
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Snapshot)) == 0
        assert s.scalar(select(func.count()).select_from(Fetch)) == 0
        assert s.scalar(select(func.count()).select_from(Blob)) >= 1


def test_the_migrations_build_exactly_the_models_schema(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from snapshots.models import Base

    db = open_database(database_url)
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_opening_a_database_at_the_head_revision_does_not_import_alembic(database_url):
    open_database(database_url)  # creates and migrates
    code = (f"import sys; from snapshots.db import HEAD, open_database; open_database({database_url!r}); "
            "print(HEAD, 'alembic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    head, imported = done.stdout.split()
    assert head != "None" and imported == "False"


def test_an_archive_written_before_binary_digests_is_converted_and_reads_as_before(database_url):
    """0008 turns the hex keys of an existing archive into bytes; blobs, texts and new deltas read back."""
    import datetime as dt

    from alembic import command
    from sqlalchemy import text

    from scheduler.retention import prune
    from snapshots.db import alembic_config, make_engine, migrating, upgrade
    from snapshots.models import Change, Version
    from snapshots.store import encode_blobs, get_text, last_snapshots

    url = "http://127.0.0.1/dpa"
    body, words = b"<html><body><main><p>Data stays in Ireland.</p></main></body></html>", b"Data stays in Ireland.\n"
    engine = make_engine(database_url)
    with engine.begin() as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007")
    at = dt.datetime(2026, 11, 1)
    with engine.begin() as conn:  # the archive as 0007 wrote it: hex keys, final_url always set
        for row in encode_blobs(None, {sha256(body): body, sha256(words): words}):
            conn.execute(text("INSERT INTO blobs (sha256, size, data, created_at, codec) "
                              "VALUES (:sha256, :size, :data, :at, :codec)"), {**row, "at": at})
        doc = conn.execute(text("INSERT INTO documents (key, urls, created_at, consecutive_failures, accept_next) "
                                "VALUES (:u, :urls, :at, 0, false) RETURNING id"),
                           {"u": url, "urls": f'["{url}"]', "at": at}).scalar()
        snap_id = conn.execute(text("INSERT INTO snapshots (url, sha256, fetched_at, status, final_url, size, processed) "
                                    "VALUES (:u, :k, :at, 200, :u, :n, true) RETURNING id"),
                               {"u": url, "k": sha256(body), "n": len(body), "at": at}).scalar()
        version_id = conn.execute(text(
            "INSERT INTO versions (document_id, created_at, fetched_at, text_sha256, key, words, snapshot_ids, "
            "extractor_version, rules, format, kind) VALUES (:d, :at, :at, :k, 'key', 4, :ids, '1', '{}', 'html', "
            "'first') RETURNING id"), {"d": doc, "k": sha256(words), "at": at, "ids": f"[{snap_id}]"}).scalar()
        # a change refers to the version: SQLite's rebuild of `versions` must keep the reference
        conn.execute(text("INSERT INTO changes (document_id, from_version_id, to_version_id, detected_at, kind, "
                          "added_words, removed_words) VALUES (:d, :v, :v, :at, 'change', 1, 1)"),
                     {"d": doc, "v": version_id, "at": at})
        conn.execute(text("INSERT INTO fetches (url, at, status, final_url, outcome, snapshot_id) "
                          "VALUES (:u, :at, 200, :u, 'new', :s)"), {"u": url, "at": at, "s": snap_id})
    upgrade(engine)
    with migrating(engine) as conn:  # and back: the downgrade restores the hex keys, the upgrade converts them again
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007")
        assert conn.execute(text("SELECT sha256, final_url FROM snapshots")).one() == (sha256(body), url)
        assert conn.execute(text("SELECT final_url FROM fetches")).scalar() == url
    upgrade(engine)
    engine.dispose()

    db = open_database(database_url)
    with db.session() as s:
        snap = s.get(Snapshot, snap_id)
        assert snap.sha256 == sha256(body) and snap.final_url is None  # not redirected
        assert get_blob(s, snap.sha256) == body and get_text(s, s.get(Version, version_id).text_sha256) == words.decode()
        assert s.scalar(select(func.length(Blob.__table__.c.sha256)).where(Blob.sha256 == sha256(body))) == 32
        assert s.scalars(select(Fetch.final_url)).one() is None  # it ended where it was asked for
        assert s.scalars(select(Change.to_version_id)).one() == version_id
        known = last_snapshots(s, [url])
    edited = body.replace(b"Ireland", b"Ireland and the United States")
    writer = SnapshotWriter(db, known=known)
    writer.add(FetchResult(url=url, run_id="r2", status=200, body=edited))
    writer.flush()
    with db.session() as s:
        assert s.get(Blob, sha256(edited)).base_sha256 == sha256(body)  # a delta against the converted blob
        assert get_blob(s, sha256(edited)) == edited
    assert prune(db, dt.timedelta(days=1)).blobs == 0  # every converted key is still seen as referenced
