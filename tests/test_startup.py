"""Start-up of the read commands: what they import, and the one-SELECT check that skips the
catalogue sync when the profiles did not change (timings are printed by bench/startup_bench.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from crawler.cli import distributed as cli_distributed
from snapshots import history
from snapshots.db import ReadConnection

# none of these may load for `changes`, `show` or `sources` once the profiles are synced
HEAVY = ["sqlalchemy", "alembic", "scrapy", "twisted", "lxml", "pygments", "jinja2", "apprise", "mako",
         "asyncio", "snapshots.models", "snapshots.extract"]

PAGE = "<html><body><main><h1>Privacy</h1><p>We store customer data in {where} for thirty days.</p></main></body></html>"


def loaded_by(home, *argv) -> tuple[list[str], str]:
    """Run `clausewatch ARGV` in a fresh interpreter; the HEAVY modules it imported, and its output."""
    script = ("import io, sys, contextlib\nfrom crawler.cli import main\nout = io.StringIO()\n"
              "with contextlib.redirect_stdout(out):\n    try:\n        code = main(sys.argv[1:])\n"
              "    except SystemExit as exit:  # --help\n        code = exit.code or 0\n"
              f"print(repr(code), [m for m in {HEAVY!r} if m in sys.modules], repr(out.getvalue()), sep='\\n')")
    proc = subprocess.run([sys.executable, "-c", script, *argv], env=home.env, cwd=home.root, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    code, modules, output = proc.stdout.splitlines()[-3:]
    assert code == "0", proc.stdout + proc.stderr
    return eval(modules), eval(output)  # noqa: S307 - our own repr() above


def synced_at(home):
    with ReadConnection(home.database_url).reading() as r:
        return r.scalar("SELECT synced_at FROM catalog_sync WHERE id = 1")


def test_read_commands_import_neither_sqlalchemy_nor_scrapy_once_the_profiles_are_synced(home, site):
    home.simple_profile("acme", {"privacy": site.serve("/privacy", PAGE.format(where="Ireland"))})
    home.run("check", check_code=0)
    site.serve("/privacy", PAGE.format(where="the United States"))
    home.run("check", check_code=0)
    [change] = home.cli_json("changes")  # in this process: the sync after the check, once

    for argv in (["changes"], ["show", str(change["id"])], ["sources"], ["changes", "--all", "--json"]):
        modules, output = loaded_by(home, *argv)
        assert modules == [], f"{' '.join(argv)} imported {modules}"
        assert output == home.cli(*argv, check_code=0).stdout  # the same answer as through the ORM session


def test_status_reads_without_sqlalchemy_and_answers_as_through_the_orm(home, site):
    home.simple_profile("acme", {"privacy": site.serve("/privacy", PAGE.format(where="Ireland"))})
    home.run("check", check_code=0)
    home.cli("sources", check_code=0)
    modules, output = loaded_by(home, "status")
    # the profiles are parsed for the next runs (their rules import the extractor); nothing else loads
    assert [m for m in modules if m not in ("lxml", "snapshots.extract")] == []
    assert output == home.cli("status", check_code=0).stdout and "healthy: last completed check" in output


def test_help_imports_no_command_module_dependencies(home):
    modules, output = loaded_by(home, "--help")
    assert modules == [] and "changes" in output and "check" in output


def test_listing_with_unchanged_profiles_does_not_sync_again(home):
    home.simple_profile("acme", {"privacy": "https://example.org/privacy"})
    home.cli("sources", check_code=0)
    first = synced_at(home)
    home.cli("sources", check_code=0)
    home.cli("changes", check_code=0)
    assert synced_at(home) == first


def test_a_changed_profile_is_synced_before_the_listing(home):
    home.simple_profile("acme", {"privacy": "https://example.org/privacy"})
    assert [r["cited_by"] for r in home.cli_json("sources")] == [["acme/privacy"]]
    home.simple_profile("acme", {"privacy": "https://example.org/privacy", "dpa": "https://example.org/dpa"})
    assert sorted(r["document"] for r in home.cli_json("sources")) == ["https://example.org/dpa",
                                                                         "https://example.org/privacy"]
    (home.profiles / "acme.toml").unlink()
    assert [r["orphaned"] for r in home.cli_json("sources")] == [True, True]


def test_a_sync_of_other_profiles_makes_the_next_listing_sync_again(home):
    """A check or reextract syncs without naming the files: a different catalogue forgets their
    fingerprint; the same catalogue keeps it."""
    from crawler.profiles import load_catalog
    from snapshots.documents import files_fingerprint, sync_catalog, synced_files

    home.simple_profile("acme", {"privacy": "https://example.org/privacy"})
    home.cli("sources", check_code=0)
    db = home.database()
    with db.session() as s:
        sync_catalog(s, load_catalog(home.profiles))  # the same profiles, from a check
        assert synced_files(s) == files_fingerprint(home.profiles)
    other = home.root / "other"
    other.mkdir()
    (other / "beta.toml").write_text((home.profiles / "acme.toml").read_text().replace("Acme", "Beta"))
    with db.session() as s:
        sync_catalog(s, load_catalog(other))
        assert synced_files(s) is None
    db.dispose()
    assert [r["cited_by"] for r in home.cli_json("sources")] == [["acme/privacy"]]


def test_a_sync_of_an_unchanged_catalogue_writes_one_row_and_a_changed_one_still_applies(home):
    """A check syncs every time: the same catalogue writes no citation (2,000 UPDATEs per check
    before), a source removed from the files still loses its citation, and the ids are the same."""
    from sqlalchemy import event, select

    from crawler.profiles import load_catalog
    from snapshots.documents import sync_catalog
    from snapshots.models import Citation

    home.simple_profile("acme", {"privacy": "https://example.org/privacy", "terms": "https://example.org/terms"})
    db = home.database()
    with db.session() as s:
        first = sync_catalog(s, load_catalog(home.profiles))
        s.commit()
    written = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: written.append(a[2].split()[0].upper()))
    with db.session() as s:
        assert sync_catalog(s, load_catalog(home.profiles)) == first
        s.commit()
    assert written.count("UPDATE") == 1 and "INSERT" not in written and "DELETE" not in written, written
    home.simple_profile("acme", {"privacy": "https://example.org/privacy"})
    with db.session() as s:
        sync_catalog(s, load_catalog(home.profiles))
        s.commit()
        assert s.scalars(select(Citation.source)).all() == ["privacy"]
    db.dispose()


def test_history_reads_the_same_through_a_bare_connection_and_an_orm_session(any_home, site):
    any_home.simple_profile("acme", {"privacy": site.serve("/privacy", PAGE.format(where="Ireland"))})
    any_home.run("check", check_code=0)
    site.serve("/privacy", PAGE.format(where="the United States"))
    any_home.run("check", check_code=0)
    db = any_home.database()
    reads = ReadConnection(any_home.database_url)
    try:
        with db.session() as s, reads.reading() as r:
            for read in (lambda x: history.changes(x, everything=True), history.documents, history.anomalies,
                         history.profiles_failing, lambda x: history.last_run(x)):
                assert read(s) == read(r)
            [entry] = history.changes(r)
            detail = history.change(r, entry.change_id)
            assert history.text(r, detail.new) == history.text(s, detail.new)
            assert "United States" in history.text(r, detail.new)
    finally:
        reads.close()
        db.dispose()


def test_a_fresh_data_directory_is_created_by_a_read_command(home):
    home.simple_profile("acme", {"privacy": "https://example.org/privacy"})
    assert not (home.dir / "clausewatch.db").exists()
    assert home.cli("changes", check_code=0).stdout == "no changes recorded yet\n"
    assert (home.dir / "clausewatch.db").exists()


def test_a_file_that_is_not_a_database_is_one_storage_error_line(home):
    (home.dir / "clausewatch.db").write_bytes(b"this is not sqlite" * 100)
    proc = home.cli("changes")
    assert proc.returncode == 6 and proc.stderr.count("\n") == 1 and "not a clausewatch SQLite database" in proc.stderr


def test_the_cli_names_the_same_default_queue_as_the_coordinator():
    from crawler.distributed import DEFAULT_QUEUE

    assert cli_distributed.DEFAULT_QUEUE == DEFAULT_QUEUE


@pytest.mark.parametrize("value", [[], ["a"], ["a", "b", "c"]])
def test_a_list_parameter_expands_to_an_in_list(value):
    import sqlite3

    from snapshots.sql import Reader

    r = Reader(sqlite3.connect(":memory:"), "sqlite")
    rows = r.all("SELECT x FROM (SELECT 'a' AS x UNION SELECT 'b' UNION SELECT 'z') WHERE x IN :v ORDER BY x", v=value)
    assert [x for (x,) in rows] == sorted(set(value) & {"a", "b"})
