"""Anomalies, not changes: trouble never becomes a version; the previous one stays current; recovery closes it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from snapshots.models import Document, Version

PARAGRAPH = ("Customer data is stored in Ireland and deleted thirty days after the end of the contract. "
             "Sub-processors are listed on the trust centre and customers are told before a new one is added. ")
POLICY = f"<html><body><main><h1>Privacy Policy</h1>{''.join(f'<p>{PARAGRAPH}</p>' for _ in range(12))}</main></body></html>"

CHALLENGE = """<html><head><title>Just a moment...</title></head><body>
<div id="cf-challenge">Checking your browser before accessing the site.</div>
<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/jsch/v1"></script></body></html>"""

VANISHED = "<html><body><main><h1>Privacy Policy</h1><p>Coming soon.</p></main></body></html>"


def current_version(home):
    with home.database().session() as s:
        doc = s.scalar(select(Document))
        return doc.current_version_id, s.query(Version).count()


def break_bot_challenge(site):
    site.serve("/policy", CHALLENGE, 200)


def break_not_found(site):
    site.serve("/policy", "<html><body>Not found</body></html>", 404)


def break_redirect(site):
    site.serve("/new-policy", POLICY)
    site.serve("/policy", "", 301, Location=site.url("/new-policy"))


def break_vanished(site):
    site.serve("/policy", VANISHED)


CASES = [("blocked", break_bot_challenge), ("gone", break_not_found), ("moved", break_redirect),
         ("suspicious", break_vanished)]


@pytest.mark.parametrize("kind,breakage", CASES, ids=[c[0] for c in CASES])
def test_trouble_opens_an_anomaly_keeps_the_version_and_recovery_closes_it(home, site, kind, breakage):
    url = site.serve("/policy", POLICY)
    home.simple_profile("acme", {"policy": url})
    home.json("check")
    before = current_version(home)

    breakage(site)
    result = home.json("check", code=3)
    assert result["failed"] == 1 and result["changes"] == [] and result["anomalies"] == 1
    anomalies = home.cli_json("anomalies")
    assert [(a["kind"], a["url"], a["open"]) for a in anomalies] == [(kind, url, True)], anomalies
    assert anomalies[0]["detail"]
    assert current_version(home) == before
    assert home.cli_json("changes") == []

    site.serve("/policy", POLICY)
    recovered = home.json("check")
    assert recovered["unchanged"] == 1 and recovered["failed"] == 0
    assert home.cli_json("anomalies") == []
    history = home.cli("anomalies", "--all", "--json", check_code=0).stdout
    assert f'"kind": "{kind}"' in history and '"open": false' in history
    assert current_version(home) == before


def test_repeated_failures_open_an_unreachable_anomaly(home, site):
    home.env["CLAUSEWATCH_UNREACHABLE_AFTER"] = "2"
    url = site.serve("/policy", POLICY)
    home.simple_profile("acme", {"policy": url})
    home.json("check")
    site.serve("/policy", "overloaded", 503)
    home.json("check", code=3)
    assert [a["kind"] for a in home.cli_json("anomalies")] == []
    home.json("check", code=3)
    assert [a["kind"] for a in home.cli_json("anomalies")] == ["unreachable"]
    sources = home.cli_json("sources")
    assert sources[0]["consecutive_failures"] == 2 and sources[0]["anomalies"] == ["unreachable"]


def test_accepted_shrink_becomes_the_current_version(home, site):
    url = site.serve("/policy", POLICY)
    home.simple_profile("acme", {"policy": url})
    home.json("check")
    site.serve("/policy", VANISHED)
    home.json("check", code=3)
    home.cli("accept", "acme/policy", check_code=0)
    result = home.json("check")
    assert result["changed"] == 1 and len(result["changes"]) == 1
    assert home.cli_json("anomalies") == []
    assert "Coming soon" in home.cli("version", "acme/policy", check_code=0).stdout


def test_a_long_document_that_mentions_captcha_is_not_blocked(home, site):
    text = POLICY.replace("</main>", "<p>We use a captcha (g-recaptcha) on the sign-up form to stop abuse.</p></main>")
    url = site.serve("/policy", text)
    home.simple_profile("acme", {"policy": url})
    assert home.json("check")["new"] == 1
