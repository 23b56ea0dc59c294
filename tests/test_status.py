"""`clausewatch status`: health for monitoring (exit 1 when stale) and a summary for people."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from snapshots.models import Document, Run, utcnow

PAGE = "<html><body><main><h1>Privacy</h1><p>We store customer data in Ireland for thirty days.</p></main></body></html>"


def test_status_is_unhealthy_before_any_run_has_completed(home):
    home.simple_profile("acme", {"privacy": "https://example.org/privacy"}, source_keys={"interval": "6h"})
    status = home.cli_json("status", code=1)
    assert status["healthy"] is False and status["last_run"] is None
    assert status["next_runs"] == [{"schedule": "6h", "due": status["next_runs"][0]["due"], "overdue": True, "documents": 1}]
    text = home.cli("status", check_code=1).stdout
    assert "Last run: none yet" in text and "(overdue)" in text and "UNHEALTHY: last completed check never" in text


def test_status_exits_1_when_the_last_completed_run_is_older_than_max_age(any_home, site):
    any_home.simple_profile("acme", {"privacy": site.serve("/privacy", PAGE)})
    any_home.run("check", check_code=0)
    status = any_home.cli_json("status", code=0)
    assert status["healthy"] is True and status["max_age"] == "36h"
    run = status["last_run"]
    assert run["status"] == "completed" and run["counts"]["new"] == 1 and run["duration_s"] >= 0
    assert status["next_runs"][0]["schedule"] == "1d" and not status["next_runs"][0]["overdue"]

    with any_home.database().session() as s:  # two days without a completed run
        s.execute(update(Run).values(started_at=utcnow() - dt.timedelta(days=2, minutes=5),
                                     finished_at=utcnow() - dt.timedelta(days=2)))
    assert any_home.cli_json("status", code=1)["healthy"] is False
    any_home.cli("status", "--max-age", "3d", check_code=0)


def test_status_lists_failing_documents_and_open_anomalies(home, site):
    good = site.serve("/privacy", PAGE)
    gone = site.serve("/dpa", "gone", status=404)
    home.simple_profile("acme", {"privacy": good, "dpa": gone})
    home.run("check", check_code=3)
    with home.database().session() as s:  # and failed again the next time
        s.execute(update(Document).where(Document.key == gone).values(consecutive_failures=2))
    status = home.cli_json("status", code=0)
    [failing] = status["failing_documents"]
    assert failing["document"] == gone and failing["failures"] == 2 and failing["sources"] == ["acme/dpa"]
    assert [(a["kind"], a["sources"]) for a in status["open_anomalies"]] == [("gone", ["acme/dpa"])]

