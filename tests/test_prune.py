"""`clausewatch prune --keep`: old fetch records and unreferenced bytes go; history never does."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from scheduler.lease import acquire
from scheduler.retention import prune
from snapshots.db import open_database
from snapshots.models import Blob, Change, Document, Fetch, Snapshot, Version, utcnow
from snapshots.store import get_blob, get_text, put_blobs, sha256

POLICY = """<html><body><main><h1>Privacy Policy</h1>
<p>We store customer data in Ireland. Data is kept for 30 days and then deleted.</p>
</main></body></html>"""


def count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def _history(db):
    """Document history of one URL, all 100 days old: v1 (snapshot 1), a markup-only re-fetch
    (snapshot 2, no version), v2 (snapshot 3) and the change v1 -> v2; three fetch records."""
    old = utcnow() - dt.timedelta(days=100)
    with db.session() as s:
        doc = Document(key="https://example.org/p", urls=["https://example.org/p"])
        s.add(doc)
        s.flush()
        snaps = []
        for i, body in enumerate([b"<p>one</p>", b"<p class=x>one</p>", b"<p>two</p>"]):
            headers = f'{{"n": {i}}}'.encode()
            put_blobs(s, {sha256(body): body, sha256(headers): headers})
            snap = Snapshot(url=doc.key, sha256=sha256(body), headers_sha256=sha256(headers), fetched_at=old,
                            status=200, final_url=doc.key, size=len(body), processed=True)
            s.add(snap)
            s.flush()
            s.add(Fetch(url=doc.key, at=old, outcome="new", snapshot_id=snap.id))
            snaps.append(snap)
        versions = []
        for text, snap in ((b"one", snaps[0]), (b"two", snaps[2])):
            put_blobs(s, {sha256(text): text})
            versions.append(Version(document_id=doc.id, text_sha256=sha256(text), key=sha256(text), words=1,
                                    snapshot_ids=[snap.id], extractor_version="1", rules={}))
        s.add_all(versions)
        s.flush()
        s.add(Change(document_id=doc.id, from_version_id=versions[0].id, to_version_id=versions[1].id))
    return snaps


def test_prune_removes_old_fetches_and_unreferenced_snapshots_but_keeps_versions_and_changes(database_url):
    db = open_database(database_url)
    snaps = _history(db)
    before = {m: count(db, m) for m in (Fetch, Snapshot, Blob, Version, Change)}

    dry = prune(db, dt.timedelta(days=90), dry_run=True)
    assert (dry.fetches, dry.snapshots, dry.blobs) == (2, 1, 2)  # snapshot 2's body and headers
    assert {m: count(db, m) for m in before} == before

    done = prune(db, dt.timedelta(days=90))
    assert (done.fetches, done.snapshots, done.blobs, done.bytes) == (dry.fetches, dry.snapshots, dry.blobs, dry.bytes)
    with db.session() as s:
        assert set(s.scalars(select(Snapshot.id))) == {snaps[0].id, snaps[2].id}
        assert s.scalar(select(Fetch.snapshot_id)) == snaps[2].id  # the newest fetch of the URL stays
        for v in s.scalars(select(Version)):
            assert get_text(s, v.text_sha256)
        for snap in s.scalars(select(Snapshot)):
            assert get_blob(s, snap.sha256) and get_blob(s, snap.headers_sha256)
    assert count(db, Version) == 2 and count(db, Change) == 1
    assert prune(db, dt.timedelta(days=90)).snapshots == 0


def test_prune_keeps_everything_younger_than_the_window(database_url):
    db = open_database(database_url)
    _history(db)
    with db.session() as s:
        s.execute(update(Fetch).values(at=utcnow()))
        s.execute(update(Snapshot).values(fetched_at=utcnow()))
    done = prune(db, dt.timedelta(days=90))
    assert (done.fetches, done.snapshots, done.blobs) == (0, 0, 0)


def test_prune_command_reports_a_dry_run_and_then_deletes(home, site):
    home.simple_profile("acme", {"privacy": site.serve("/privacy", POLICY)})
    home.run("check", check_code=0)
    with home.database().session() as s:  # and an earlier fetch record, long ago
        s.add(Fetch(url=site.url("/privacy"), at=utcnow() - dt.timedelta(days=100), outcome="unchanged", id=0))
    assert "would delete 1 fetch records" in home.run("prune", "--keep", "90d", "--dry-run", check_code=0).stdout
    assert home.json("prune", "--keep", "90d")["fetches"] == 1
    assert count(home.database(), Fetch) == 1


def test_prune_refuses_while_another_run_holds_the_lease(home):
    db = home.database()
    acquire(db, "run", "elsewhere:99 run R1", ttl=60)
    refused = home.run("prune", "--keep", "30d", check_code=4)
    assert "elsewhere:99 run R1" in refused.stderr
