"""The standing of a criterion from its inputs (plain Python, no database): the rules one by one."""

from __future__ import annotations

import datetime as dt

import pytest

from crawler.profiles import load_profile
from crawler.standing import markdown, profile_standing
from snapshots.reviews import AnomalyItem, DocumentState, ReportedChange

NOW = dt.datetime(2026, 12, 1, 12, 0)
TEXT = "## Data location\n\nWe store customer data in the European Union.\n\n## Training\n\nWe never train on API data.\n"

PROFILE = """\
name = "Acme | API"
reviewed = 2026-11-20

[sources.privacy]
url = "https://acme.example/privacy"
type = "privacy-policy"

[sources.terms]
url = "https://acme.example/terms"
type = "terms"

[[criteria]]
id = "eu-residency"
label = "EU data residency"
rating = "partial"
sources = ["privacy"]
evidence = [{ source = "privacy", quote = "We store customer data in the European Union." }]

[[criteria]]
id = "training"
label = "No training on customer data"
rating = "yes"
sources = ["privacy", "terms"]
evidence = [{ source = "privacy", quote = "We never train on API data." }]
"""


@pytest.fixture
def profile(tmp_path):
    path = tmp_path / "acme.toml"
    path.write_text(PROFILE, encoding="utf-8")
    profile, errors = load_profile(path)
    assert not errors
    return profile


def state(url, text=TEXT, outcome="unchanged", fetched=NOW - dt.timedelta(hours=2), anomalies=(), pending=False,
          failures=0, reason=None):
    return DocumentState(1, url, (url,), fetched, outcome, failures, None, reason, tuple(anomalies), pending, text)


def fine(**override):
    states = {"https://acme.example/privacy": state("https://acme.example/privacy"),
              "https://acme.example/terms": state("https://acme.example/terms", text="Terms.")}
    states.update(override)
    return states


def change(source="privacy", criteria=(), status="unreviewed", at=NOW - dt.timedelta(days=1), change_id=7):
    return ReportedChange(change_id, source, at, "material", status, tuple(criteria), "a summary")


def standings(profile, states, reviews=(), max_age=36 * 3600) -> dict[str, str]:
    result = profile_standing(profile, states, list(reviews), now=NOW, max_age=max_age)
    return {c.id: c.standing for c in result.criteria}


def test_every_criterion_is_verified_when_documents_were_fetched_fine_and_nothing_awaits_review(profile):
    result = profile_standing(profile, fine(), [], now=NOW, max_age=36 * 3600)
    assert [c.standing for c in result.criteria] == ["verified", "verified"]
    assert result.criteria[0].sentence == "sources checked and unchanged since the review of 2026-11-20"


def test_a_change_counts_for_the_criteria_its_findings_name_or_else_for_every_criterion_citing_it(profile):
    assert standings(profile, fine(), [change(criteria=["training"])]) == {"eu-residency": "verified",
                                                                           "training": "pending"}
    assert standings(profile, fine(), [change(criteria=[])]) == {"eu-residency": "pending", "training": "pending"}
    assert standings(profile, fine(), [change(source="terms")]) == {"eu-residency": "verified", "training": "pending"}


def test_follow_up_stays_pending_and_a_closed_review_is_counted_as_reviewed(profile):
    assert standings(profile, fine(), [change(status="follow-up")])["eu-residency"] == "pending"
    result = profile_standing(profile, fine(), [change(status="no-impact")], now=NOW)
    assert result.criteria[0].standing == "verified"
    assert result.criteria[0].sentence == "sources checked; 1 change since the review of 2026-11-20 reviewed"


def test_pending_names_the_changes_and_the_first_since(profile):
    first, second = NOW - dt.timedelta(days=3), NOW - dt.timedelta(days=1)
    result = profile_standing(profile, fine(), [change(at=first, change_id=3), change(at=second, change_id=9)], now=NOW)
    c = result.criteria[0]
    assert c.since == first and [p["change"] for p in c.pending] == [3, 9]
    assert c.sentence == f"change pending review since {first:%Y-%m-%d}"


@pytest.mark.parametrize("trouble, reason", [
    ({"outcome": "failed", "failures": 2, "reason": "HTTP 503"}, "2 failed checks: HTTP 503"),
    ({"fetched": NOW - dt.timedelta(days=3)}, "stuck: last fetched"),
    ({"pending": True}, "awaits confirmation"),
    ({"anomalies": [AnomalyItem(1, 1, "blocked", "u", NOW, "HTTP 403 with a challenge page", True, None, ())]},
     "blocked: HTTP 403"),
    ({"text": None}, "no text recorded yet"),
])
def test_a_failing_or_stuck_document_makes_every_criterion_citing_it_stale_and_says_why(profile, trouble, reason):
    url = "https://acme.example/terms"
    result = profile_standing(profile, fine(**{url: state(url, **{"text": "Terms.", **trouble})}), [], now=NOW,
                              max_age=36 * 3600)
    by_id = {c.id: c for c in result.criteria}
    assert by_id["eu-residency"].standing == "verified" and by_id["training"].standing == "stale"
    assert reason in by_id["training"].stale[0]["reason"] and by_id["training"].stale[0]["source"] == "terms"


def test_a_document_never_checked_is_stale_and_stale_wins_over_pending(profile):
    states = fine()
    del states["https://acme.example/terms"]
    assert standings(profile, states, [change(criteria=["training"])])["training"] == "stale"


def test_a_quote_not_found_in_todays_text_is_evidence_missing_and_a_reworded_one_is_only_listed(profile):
    url = "https://acme.example/privacy"
    gone = TEXT.replace("## Training\n\nWe never train on API data.", "## Support\n\nWrite to us by post.")
    result = profile_standing(profile, fine(**{url: state(url, text=gone)}), [], now=NOW)
    by_id = {c.id: c for c in result.criteria}
    assert by_id["training"].standing == "evidence-missing" and by_id["training"].evidence[0]["status"] == "missing"
    reworded = TEXT.replace("We store customer data in the European Union.",
                            "Customer data: we store it in the European Union.")
    result = profile_standing(profile, fine(**{url: state(url, text=reworded)}), [], now=NOW)
    assert result.criteria[0].standing == "verified" and result.criteria[0].evidence[0]["status"] == "fuzzy"


def test_markdown_is_the_directory_page_with_escaped_table_cells(profile):
    text = markdown(profile_standing(profile, fine(), [change(criteria=["training"])], now=NOW))
    assert text.startswith("# Acme \\| API\n")
    assert "| No training on customer data | yes | **pending**: change pending review since 2026-11-30 |" in text
    assert "- [Terms](<https://acme.example/terms>) — last checked 2026-12-01" in text
