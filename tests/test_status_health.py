"""`status` is not healthy while a profile's documents all fail; `accept` says when there is nothing to accept."""

from __future__ import annotations

from test_archive import LONG, SHORT, Checker


def cli(home, *args):
    proc = home.cli(*args)
    return proc.returncode, proc.stdout + proc.stderr


def test_status_is_unhealthy_when_every_document_of_a_profile_failed(home, monkeypatch, capsys):
    c = Checker(home)
    c.check(LONG)
    assert cli(home, "status")[0] == 0
    c.check(status=503)
    code, out = cli(home, "status")
    assert code == 1 and "Every document of profile acme failed its last check" in out and "UNHEALTHY" in out


def test_status_is_unhealthy_when_a_document_failed_for_longer_than_max_age(home, monkeypatch, capsys):
    import time

    c = Checker(home)
    c.check(LONG)
    c.check(status=503)
    time.sleep(1.2)
    code, out = cli(home, "status", "--max-age", "1s", "--json")
    out = out[out.index("{"):]
    import json

    from test_archive import URL

    assert code == 1 and json.loads(out)["failing_too_long"] == [URL]


def test_accept_without_a_held_text_says_there_is_nothing_to_accept(home, monkeypatch, capsys):
    c = Checker(home)
    c.check(LONG)
    code, out = cli(home, "accept", "acme/policy")
    assert code == 0 and "nothing to accept" in out
    c.check(SHORT)  # held back as a suspicious shrink
    code, out = cli(home, "accept", "acme/policy")
    assert code == 0 and "the next check records" in out


def test_check_lists_the_same_changes_as_changes_and_counts_the_others(home, monkeypatch, capsys):
    import argparse

    from crawler.cli.check import print_summary
    from crawler.cli.context import Context

    c = Checker(home)
    c.check(LONG)
    summary = c.check(LONG.replace("thirty days", "thirty days,", 1))
    for key, value in home.env.items():
        if key.startswith("CLAUSEWATCH_"):
            monkeypatch.setenv(key, value)
    ctx = Context(argparse.Namespace(config=None, home=None, profiles=None, database_url=None, json=False))
    print_summary(ctx, summary)
    out = capsys.readouterr().out
    assert len(summary.changes) == 1  # punctuation only: recorded, cosmetic
    assert "SIGNIFICANCE" not in out and "1 change recorded but not alertable" in out
    code, listed = cli(home, "changes")
    assert "no changes" in listed


def test_version_at_a_date_means_the_end_of_that_day():
    import datetime as dt

    from crawler.cli.browse import parse_since

    assert parse_since("2026-12-01", "--at", end_of_day=True) == dt.datetime(2026, 12, 1, 23, 59, 59, 999999)
    assert parse_since("2026-12-01") == dt.datetime(2026, 12, 1)
    assert parse_since("2026-12-01T06:00", "--at", end_of_day=True) == dt.datetime(2026, 12, 1, 6, 0)


def test_a_bad_at_names_the_at_option():
    import pytest

    from crawler.cli.browse import parse_since
    from crawler.cli.context import UsageError

    with pytest.raises(UsageError, match="--at 'yesterday'"):
        parse_since("yesterday", "--at")


def test_listings_follow_the_profiles_as_they_are_now_and_name_an_invalid_profile(home, monkeypatch, capsys):
    import json

    c = Checker(home)
    c.check(LONG)
    home.profile("acme", 'name = "Acme"\nprovider = "Example"\n')  # now invalid: no sources, no criteria
    code, out = cli(home, "sources", "--json")
    assert code == 0
    code, err = cli(home, "changes", "--profile", "acme")
    assert code == 2 and "profile 'acme' is invalid" in err
    home.simple_profile("acme", {"renamed": "http://127.0.0.1:9/policy"})
    code, out = cli(home, "sources", "--json")
    assert json.loads(out)[0]["cited_by"] == ["acme/renamed"]
