"""A redesign breaks `select`: a suspicious anomaly names the selector and a candidate, no empty version."""

from __future__ import annotations

from sqlalchemy import func, select

from snapshots.models import Document, Version

BODY = ("<h1>Privacy Policy</h1><p>We store customer data in Ireland. Data is kept for 30 days and then "
        "deleted. Sub-processors in the European Union host our services and answer support requests. "
        "You may ask for a copy of your data at any time by writing to our data protection officer.</p>")
BEFORE = f"<html><body><nav>Home Pricing Blog</nav><main class='legal'>{BODY}</main></body></html>"
REDESIGNED = (f"<html><body><header>Home Pricing Blog</header><div class='layout'>"
              f"<article class='policy-text'>{BODY.replace('30 days', '90 days')}</article>"
              f"<aside>Related: cookie policy</aside></div></body></html>")


def test_selector_matching_nothing_opens_a_suspicious_anomaly_until_the_selector_is_fixed(home, site):
    url = site.serve("/privacy", BEFORE)
    home.simple_profile("acme", {"privacy": url}, source_keys={"select": "main.legal"})
    assert home.json("check")["new"] == 1

    site.serve("/privacy", REDESIGNED)
    broken = home.json("check", code=3)

    assert broken["failed"] == 1 and broken["changes"] == []
    [anomaly] = home.cli_json("anomalies")
    assert anomaly["kind"] == "suspicious" and anomaly["url"] == url
    assert "select 'main.legal' matched nothing" in anomaly["detail"]
    assert "closest candidate region: 'article.policy-text'" in anomaly["detail"]
    with home.database().session() as s:
        assert s.scalar(select(func.count()).select_from(Version)) == 1  # no empty version
        first = s.scalar(select(Document.current_version_id))

    home.simple_profile("acme", {"privacy": url}, source_keys={"select": "article.policy-text"})
    fixed = home.json("check")

    assert fixed["changed"] == 1 and fixed["failed"] == 0
    assert home.cli_json("anomalies") == []
    [closed] = home.cli_json("anomalies", "--all")
    assert closed["id"] == anomaly["id"] and closed["open"] is False
    history = home.cli_json("history", "acme/privacy")  # the same document: its key is its URL
    assert [v["version"] for v in history if v["current"]] != [first] and len(history) == 2
    text = home.cli("version", "acme/privacy", check_code=0).stdout
    assert "kept for 90 days" in text and "cookie policy" not in text
