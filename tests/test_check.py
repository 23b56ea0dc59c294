"""`clausewatch check` end to end: a local site, the real CLI in a subprocess, a fresh database."""

from __future__ import annotations

import gzip
import json

from conftest import Route
from sqlalchemy import func, select

from snapshots.models import Change, Fetch, Snapshot, Version

POLICY = """<html><head><title>Privacy</title></head><body>
<nav><a href="/">Home</a> <a href="/pricing?utm_source=nav">Pricing</a></nav>
<main>
<h1>Privacy Policy</h1>
<p>We store customer data in Ireland. Data is kept for 30 days and then deleted.</p>
<h2>Sub-processors</h2>
<ul><li>Cloud hosting provider in the European Union</li><li>Email delivery provider</li></ul>
</main>
<footer>&copy; 2026 Example</footer>
</body></html>"""


def count(db, model, **where) -> int:
    with db.session() as s:
        q = select(func.count()).select_from(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return s.scalar(q)


def test_first_run_records_a_version_then_a_change_then_nothing(any_home, site):
    url = site.serve("/privacy", POLICY)
    any_home.simple_profile("acme", {"privacy": url})

    first = any_home.json("check")
    assert first["documents"] == 1 and first["new"] == 1 and first["failed"] == 0
    db = any_home.database()
    assert count(db, Version) == 1

    site.serve("/privacy", POLICY.replace("in Ireland.", "in Ireland and the United States."))
    second = any_home.json("check")
    assert second["changed"] == 1 and len(second["changes"]) == 1
    assert count(db, Version) == 2 and count(db, Change) == 1

    shown = any_home.cli("show", str(second["changes"][0]), "--no-color", check_code=0).stdout
    assert "{+and the United States.+}" in shown or "United States" in shown
    changes = any_home.cli_json("changes")
    assert [c["id"] for c in changes] == second["changes"]
    assert changes[0]["profile"] == "acme" and changes[0]["source"] == "privacy" and changes[0]["url"] == url
    assert changes[0]["added_words"] >= 4

    third = any_home.json("check")
    assert third["unchanged"] == 1 and third["changes"] == []
    assert count(db, Version) == 2 and count(db, Snapshot) == 2 and count(db, Fetch) == 3


def test_markup_only_change_records_snapshot_but_no_version(home, site):
    url = site.serve("/privacy", POLICY)
    home.simple_profile("acme", {"privacy": url})
    home.json("check")
    site.serve("/privacy", POLICY.replace("<p>We store", '<p class="lead" data-track="x81f">We store')
               .replace('/pricing?utm_source=nav', '/pricing?utm_source=footer&sid=99'))
    result = home.json("check")
    assert result["unchanged"] == 1 and result["changes"] == []
    db = home.database()
    assert count(db, Snapshot) == 2 and count(db, Version) == 1


def test_not_modified_reply_records_no_new_snapshot(home, site):
    site.routes["/privacy"] = Route(POLICY, 200, {"ETag": '"v1"'})
    home.simple_profile("acme", {"privacy": site.url("/privacy")})
    home.json("check")
    result = home.json("check")
    assert result["unchanged"] == 1
    assert any(h.get("If-None-Match") == '"v1"' for p, h in site.hits if p == "/privacy")
    db = home.database()
    assert count(db, Snapshot) == 1 and count(db, Fetch, outcome="unchanged") == 1
    with db.session() as s:
        assert s.scalar(select(Fetch.reason).where(Fetch.outcome == "unchanged")) == "not modified (304)"


def test_gzip_body_over_the_size_limit_after_decompression_fails(home, site):
    big = "<html><body><main>" + "<p>lorem ipsum dolor sit amet</p>" * 40000 + "</main></body></html>"
    packed = gzip.compress(big.encode())
    site.routes["/big"] = Route(packed, 200, {"Content-Encoding": "gzip"})
    home.env["CLAUSEWATCH_MAX_BYTES"] = str(200_000)
    assert len(packed) < 200_000 < len(big)
    home.simple_profile("acme", {"big": site.url("/big")})
    result = home.json("check", code=3)
    assert result["failed"] == 1
    assert "too large" in result["errors"][0]["reason"]


def test_an_invalid_profile_is_reported_and_skipped_while_the_others_run(home, site):
    url = site.serve("/privacy", POLICY)
    home.simple_profile("acme", {"privacy": url})
    home.profile("broken", 'name = "Broken"\n[sources.x]\nurl = "ftp://example.com/x"\n')
    proc = home.run("check", "--json", check_code=2)
    assert json.loads(proc.stdout)["new"] == 1
    assert "broken.toml: sources.x.url" in proc.stderr and "http(s)" in proc.stderr
