"""Two writers on one SQLite file: a transaction that reads before it writes (the process stage)
while another connection commits (the lease heartbeat, the fetch stage's snapshot writer) waits for
its turn instead of failing with "database is locked".

SQLite's deferred transactions fail such a write at once (SQLITE_BUSY_SNAPSHOT: the snapshot its
read saw is no longer the newest, and busy_timeout does not apply); write sessions therefore begin
with BEGIN IMMEDIATE, read sessions stay deferred so that they never wait for a writer.
"""

from __future__ import annotations

import threading

from sqlalchemy import select, update

from snapshots.archive import Archive
from snapshots.db import Database
from snapshots.models import Document


def test_a_read_then_write_transaction_survives_a_commit_from_another_connection_between_its_steps(tmp_path):
    url = f"sqlite:///{tmp_path / 'clausewatch.db'}"
    process_stage, heartbeat = Database(url), Database(url)
    with process_stage.session() as s:
        s.add(Document(key="k", urls=["http://127.0.0.1/p"]))
    read, written, errors = threading.Event(), threading.Event(), []

    def other_writer():
        read.wait(5)
        try:
            with heartbeat.session() as s:  # waits while the first transaction holds the write lock
                s.execute(update(Document).values(consecutive_failures=Document.consecutive_failures + 10))
        except Exception as error:  # noqa: BLE001 - the assertion below names it
            errors.append(error)
        written.set()

    thread = threading.Thread(target=other_writer)
    thread.start()
    with process_stage.session() as s:
        doc = s.scalars(select(Document)).one()  # the read …
        read.set()
        written.wait(0.5)  # … the other connection tries to commit meanwhile …
        doc.consecutive_failures += 1  # … and the write
    thread.join(10)
    assert errors == []
    with process_stage.session() as s:
        assert s.scalars(select(Document)).one().consecutive_failures == 11  # both writes, one after the other


def test_a_reading_session_does_not_wait_for_a_writer(tmp_path):
    url = f"sqlite:///{tmp_path / 'clausewatch.db'}"
    archive, other = Archive(Database(url)), Database(url)
    with other.session() as s:
        s.add(Document(key="k", urls=["http://127.0.0.1/p"]))
    with other.session() as writer:  # holds the write lock until the end of the block
        writer.execute(update(Document).values(consecutive_failures=5))
        writer.flush()
        with archive.reading() as s:  # WAL: a reader sees the last commit at once
            assert s.scalars(select(Document.consecutive_failures)).one() == 0


def test_a_check_on_sqlite_with_the_lease_renewed_every_quarter_second_records_every_document_and_every_beat(home, site):
    """Write sessions hold the write lock from their start: the heartbeat waits for them, never fails."""
    paragraph = "Customer data is stored in Ireland and deleted thirty days after the end of the contract. "
    urls = {f"p{n}": site.serve(f"/policy/{n}", f"<html><body><main><h1>Policy {n}</h1>"
                                + "".join(f"<p>{paragraph}{i}</p>" for i in range(40)) + "</main></body></html>")
            for n in range(40)}
    home.simple_profile("acme", urls)
    home.env.update({"CLAUSEWATCH_LEASE_TTL": "1", "CLAUSEWATCH_PROCESSES": "2"})  # a heartbeat every 0.25 s
    proc = home.run("check", "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert '"new": 40' in proc.stdout and "database is locked" not in proc.stderr
    assert "heartbeat failed" not in proc.stderr
