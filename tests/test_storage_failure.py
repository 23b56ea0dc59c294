"""A storage failure stops the crawl and fails the command loudly, in one clear line; nothing looks complete."""

from __future__ import annotations

import sqlite3


def test_a_database_that_refuses_writes_fails_the_check_with_one_clear_line(home, site):
    url = site.serve("/privacy", "<html><body><main><p>Terms that apply to every customer.</p></main></body></html>")
    home.simple_profile("acme", {"privacy": url})
    home.json("check")
    db = home.dir / "clausewatch.db"
    with sqlite3.connect(db) as conn:  # a trigger stands in for a full disk or a broken server
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON fetches BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    proc = home.run("check", "--json")
    assert proc.returncode == 6, proc.stdout
    assert "clausewatch: storage error:" in proc.stderr and "disk full" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert '"unchanged": 1' not in proc.stdout
