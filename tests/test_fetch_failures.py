"""Every kind of fetch failure is recorded with a clear reason; the run goes on; exit code 3."""

from __future__ import annotations

import socket

import pytest
from conftest import Route
from sqlalchemy import select

from snapshots.models import Document, Fetch, Version

GOOD = "<html><body><main><h1>Terms</h1><p>These terms apply to every customer of the service.</p></main></body></html>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


FAILURES = [
    ("unresolvable host", lambda site: "http://no-such-host.invalid/terms", "DNS lookup failed"),
    ("connection refused", lambda site: f"http://127.0.0.1:{free_port()}/terms", "connection refused"),
    ("404", lambda site: site.serve("/gone", "nope", 404), "HTTP 404 Not Found"),
    ("500", lambda site: site.serve("/broken", "oops", 500), "HTTP 500 Internal Server Error"),
    ("timeout", lambda site: (site.routes.__setitem__("/slow", Route(GOOD, delay=4)), site.url("/slow"))[1], "timed out"),
    ("too large", lambda site: site.serve("/huge", "<html><body>" + "x" * 300_000 + "</body></html>"), "too large"),
    ("robots", lambda site: (site.serve("/robots.txt", "User-agent: *\nDisallow: /private", Content_Type="text/plain"),
                             site.serve("/private/terms", GOOD))[1], "disallowed by robots.txt"),
    ("binary garbage", lambda site: site.serve("/garbage", bytes(range(256)) * 50), "not a document"),
]


@pytest.mark.parametrize("name,make_url,reason", FAILURES, ids=[f[0] for f in FAILURES])
def test_failed_fetch_is_recorded_with_reason_and_keeps_previous_version(home, site, name, make_url, reason):
    home.env.update({"CLAUSEWATCH_MAX_BYTES": "200000", "CLAUSEWATCH_TIMEOUT": "1.5"})
    ok_url = site.serve("/ok", GOOD)
    bad_url = make_url(site)
    home.simple_profile("acme", {"ok": ok_url, "bad": bad_url})
    result = home.json("check", code=3)
    assert result["failed"] == 1 and result["new"] == 1, result
    assert [e["url"] for e in result["errors"]] == [bad_url]
    assert reason in result["errors"][0]["reason"], result["errors"]
    db = home.database()
    with db.session() as s:
        fetch = s.scalar(select(Fetch).where(Fetch.url == bad_url))
        assert fetch.outcome == "failed" and reason in fetch.reason
        doc = s.scalar(select(Document).where(Document.key == bad_url))
        assert doc.current_version_id is None and doc.consecutive_failures == 1


def test_failure_after_a_good_version_keeps_that_version_current(home, site):
    url = site.serve("/terms", GOOD)
    home.simple_profile("acme", {"terms": url})
    home.json("check")
    site.serve("/terms", "server error", 500)
    result = home.json("check", code=3)
    assert result["failed"] == 1 and result["changes"] == []
    db = home.database()
    with db.session() as s:
        doc = s.scalar(select(Document))
        assert s.get(Version, doc.current_version_id) is not None
        assert s.query(Version).count() == 1
