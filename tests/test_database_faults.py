"""Database faults end in one clear line naming what and where, with a documented exit code, nothing written."""

from __future__ import annotations

import sqlite3

import pytest



@pytest.fixture
def cli(home):
    """`clausewatch ARGS` in-process with the home's environment; (exit code, stdout, stderr)."""
    home.simple_profile("acme", {"policy": "http://127.0.0.1:9/policy"})

    def run(*args):
        proc = home.cli(*args)
        return proc.returncode, proc.stdout, proc.stderr

    return run


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_a_file_that_is_not_a_database_is_named_and_left_untouched(cli, home):
    path = home.dir / "clausewatch.db"
    path.write_bytes(b"this is a spreadsheet, not a database\n" * 100)
    before = path.read_bytes()
    code, _, err = cli("sources")
    assert code == 6
    line = one_line(err)
    assert str(path) in line and "not a database" in line
    assert path.read_bytes() == before


def test_a_home_that_is_a_file_is_a_settings_error(cli, home, tmp_path):
    not_a_folder = tmp_path / "home-file"
    not_a_folder.write_text("oops")
    home.env["CLAUSEWATCH_HOME"] = str(not_a_folder)
    code, _, err = cli("sources")
    assert code == 2 and str(not_a_folder) in one_line(err)


def test_an_unsupported_database_url_is_a_settings_error(cli):
    code, _, err = cli("--database-url", "mysql://root@127.0.0.1/test", "sources")
    assert code == 2 and "unsupported database 'mysql'" in one_line(err)


def test_postgresql_that_does_not_answer_is_one_line_naming_the_server(cli):
    code, _, err = cli("--database-url", "postgresql://postgres:secret@127.0.0.1:1/test", "sources")
    line = one_line(err)
    assert code == 6 and "127.0.0.1:1" in line and "secret" not in line


def test_a_missing_postgresql_database_is_one_line(cli):
    import os

    if not os.environ.get("CLAUSEWATCH_TEST_POSTGRES_URL"):
        pytest.skip("CLAUSEWATCH_TEST_POSTGRES_URL not set")
    url = os.environ["CLAUSEWATCH_TEST_POSTGRES_URL"].rsplit("/", 1)[0] + "/no_such_database_cw"
    code, _, err = cli("--database-url", url, "sources")
    assert code == 6 and "no_such_database_cw" in one_line(err)


def test_a_locked_database_fails_the_run_in_one_line_and_the_next_run_completes(cli, home, monkeypatch):
    cli("sources")  # creates the schema
    path = home.dir / "clausewatch.db"
    import snapshots.db as db

    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    db._upgraded.clear()
    holder = sqlite3.connect(path, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing for longer than the busy timeout
    try:
        code, _, err = cli("prune", "--keep", "1d")
    finally:
        holder.rollback()
        holder.close()
    assert code == 6 and "database is locked" in one_line(err)
    code, out, _ = cli("prune", "--keep", "1d")
    assert code == 0 and "deleted 0 fetch records" in out


def test_redis_that_does_not_answer_is_one_line_and_nothing_is_recorded(cli, home):
    code, _, err = cli("check", "--distributed", "--same-machine")
    assert code == 2  # no redis_url at all: a settings error
    home.env["CLAUSEWATCH_REDIS_URL"] = "redis://127.0.0.1:1/0"
    code, _, err = cli("check", "--distributed", "--same-machine")
    line = one_line(err)
    assert code == 7 and "redis 127.0.0.1:1/0" in line and "nothing was queued" in line
    from sqlalchemy import select

    from snapshots.models import Run

    with home.database().session() as s:
        assert s.scalars(select(Run)).all() == []


def test_a_worker_whose_redis_does_not_answer_says_so_in_one_line(cli, home):
    home.env["CLAUSEWATCH_REDIS_URL"] = "redis://127.0.0.1:1/0"
    code, _, err = cli("worker", "--same-machine", "--idle-exit", "1")
    line = one_line(err)
    assert code == 7 and "redis 127.0.0.1:1/0" in line and "no page was taken" in line


def test_a_read_only_database_is_one_line_and_the_file_is_untouched(cli, home):
    cli("sources")  # creates the schema
    path = home.dir / "clausewatch.db"
    before = path.read_bytes()
    code, _, err = cli("--database-url", f"sqlite:///file:{path}?mode=ro&uri=true", "prune", "--keep", "1d")
    line = one_line(err)
    assert code == 6 and "readonly" in line and "not writable" in line
    assert path.read_bytes() == before


def test_postgresql_gone_mid_run_fails_that_transaction_in_one_line_and_the_next_one_works():
    import os

    if not os.environ.get("CLAUSEWATCH_TEST_POSTGRES_URL"):
        pytest.skip("CLAUSEWATCH_TEST_POSTGRES_URL not set")
    from conftest import _postgres_database
    from sqlalchemy import create_engine, text

    from crawler.errors import StorageError
    from snapshots import runs
    from snapshots.archive import Archive
    from snapshots.db import Database

    url, drop = _postgres_database()
    try:
        archive = Archive(Database(url))
        killer = create_engine(os.environ["CLAUSEWATCH_TEST_POSTGRES_URL"].replace("postgresql://", "postgresql+psycopg://"),
                               isolation_level="AUTOCOMMIT")
        database = url.rsplit("/", 1)[1]
        with pytest.raises(StorageError) as failed:
            with archive.transaction() as tx:
                runs.start(tx, "R1")
                tx.session.flush()
                with killer.connect() as c:  # the server drops every connection of the database
                    c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
                              {"d": database})
                runs.start(tx, "R2")
                tx.session.flush()
        assert "\n" not in str(failed.value) and database in str(failed.value)
        with archive.transaction() as tx:  # the next run completes: nothing half-written remains
            runs.start(tx, "R3")
        with archive.reading() as s:
            from snapshots.models import Run

            assert [r.id for r in s.query(Run)] == ["R3"]
        killer.dispose()
        archive.dispose()
    finally:
        drop()
