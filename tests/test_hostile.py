"""Hostile servers: each behaviour ends as a failure or anomaly with a clear reason, or as a correct
version; the other documents of the run complete (tests/hostile.py has one route per behaviour)."""

from __future__ import annotations

import pytest
from hostile import ROUTES, HostileServer
from sqlalchemy import select

from snapshots.models import Anomaly, Document, Fetch, Version
from snapshots.store import get_blob


@pytest.fixture(scope="module")
def hostile():
    with HostileServer() as server:
        yield server


def _unreadable(reason: str) -> bool:
    """A reason a person cannot read: an exception class name or Scrapy's internal wording."""
    return any(word in reason for word in ("Error", "Exception", "Ignoring non-200", "DOWNLOAD_MAXSIZE", "Traceback"))


def test_every_hostile_behaviour_ends_with_a_clear_reason_or_a_correct_version(home, hostile):
    home.env.update({"CLAUSEWATCH_TIMEOUT": "2", "CLAUSEWATCH_RETRIES": "2", "CLAUSEWATCH_PER_HOST_CONCURRENCY": "8"})
    sources = {f"r{i}": hostile.url(path) for i, path in enumerate(ROUTES)}
    sources["good"] = hostile.url("/good")
    home.simple_profile("acme", sources)
    home.run("check", timeout=300)
    url_of = {hostile.url(path): path for path in ROUTES}
    with home.database().session() as s:
        fetches = {f.url: f for f in s.scalars(select(Fetch))}
        anomalies = {}
        for a in s.scalars(select(Anomaly)):
            anomalies.setdefault(a.url, set()).add(a.kind)
        docs = {d.key: d for d in s.scalars(select(Document))}
        texts = {key: get_blob(s, s.get(Version, d.current_version_id).text_sha256).decode()
                 for key, d in docs.items() if d.current_version_id}
    assert "every customer of the service" in texts[hostile.url("/good")]  # the others complete
    problems = []
    for url, path in url_of.items():
        kind, detail = ROUTES[path]
        fetch = fetches.get(url)
        reason = fetch.reason or "" if fetch else "(no fetch recorded)"
        if kind == "failed":
            ok = fetch is not None and fetch.outcome == "failed" and detail in reason and url not in texts
        elif kind == "anomaly":
            ok = detail in anomalies.get(url, set()) and url not in texts
        else:
            ok = url in texts and detail in texts[url]
        if not ok or (fetch is not None and fetch.outcome == "failed" and _unreadable(reason)):
            problems.append(f"{path}: expected {kind} {detail!r}; got {fetch.outcome if fetch else None} "
                            f"{reason!r} anomalies={sorted(anomalies.get(url, []))} version={url in texts}")
    assert not problems, "\n".join(problems)
    assert hostile.hits.count("/hang") <= 2 and hostile.hits.count("/drip") <= 2  # a timeout is retried once at most
    assert "/loop-b" in hostile.hits and hostile.hits.count("/loop-a") == 1  # the loop ends at once
    assert sum(1 for path in hostile.hits if path.startswith("/chain/")) <= 11  # 10 redirects at most
