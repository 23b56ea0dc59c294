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
