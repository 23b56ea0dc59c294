"""The archive and the process stage in-process: events, listeners, guards that resolve themselves.

No Scrapy here: fetch results are written with the fetch stage's own SnapshotWriter, then the
process stage runs exactly as after a crawl.
"""

from __future__ import annotations

import pytest

from crawler.config import load_settings
from crawler.process import Processor
from crawler.profiles import load_catalog
from crawler.runs import prepare_run
from snapshots.archive import Archive
from snapshots.db import Database
from snapshots.kinds import Significance
from snapshots.models import Anomaly, Assessment, Change, Document, Outcome, Run
from snapshots.store import FetchResult, SnapshotWriter, last_snapshots

URL = "http://127.0.0.1:9/policy"  # never fetched: the tests write what the fetch stage would have stored
PARAGRAPH = ("Customer data is stored in Ireland and deleted thirty days after the end of the contract. "
             "Sub-processors are listed on the trust centre and customers are told before a new one is added. ")
LONG = f"<html><body><main><h1>Privacy Policy</h1>{''.join(f'<p>{PARAGRAPH}{i}</p>' for i in range(12))}</main></body></html>"
SHORT = "<html><body><main><h1>Privacy Policy</h1><p>We keep customer data in Ireland. That is all.</p></main></body></html>"
EDITED = LONG.replace("Ireland", "Ireland and the United States", 1)


class Checker:
    """One home: profiles, an archive, and `check(body)` = store what a fetch returned, then process it."""

    def __init__(self, home, listeners=()):
        home.simple_profile("acme", {"policy": URL})
        self.settings = load_settings(environ=home.env)
        self.catalog = load_catalog(home.profiles)
        self.archive = Archive(Database(home.database_url))
        for listener in listeners:
            self.archive.attach(listener)

    def check(self, body: str | None = None, status: int = 200):
        plan = prepare_run(self.archive, self.catalog, self.catalog.sources())
        with self.archive.reading() as s:
            known = last_snapshots(s, [URL])
        writer = SnapshotWriter(self.archive.db, known=known)
        if status >= 400:
            writer.add(FetchResult(url=URL, run_id=plan.run_id, status=status, failure=f"HTTP {status}"))
        else:
            writer.add(FetchResult(url=URL, run_id=plan.run_id, status=200, final_url=URL, body=body.encode(),
                                   headers={"content-type": "text/html; charset=utf-8"}))
        writer.flush()
        summary = Processor(self.settings, self.archive, self.catalog, plan.run_id).process(plan)
        summary.sync()
        return summary

    def open_anomalies(self) -> list[str]:
        with self.archive.reading() as s:
            return [a.kind for a in s.query(Anomaly).filter(Anomaly.open.is_(True))]


@pytest.fixture
def checker(home):
    return Checker(home)


class Recorder:
    """A deferred listener: hears every event after its transaction committed."""

    def __init__(self):
        self.events = []

    def on_change_recorded(self, event, tx):
        assert tx is None
        self.events.append(event)

    def on_anomaly_opened(self, event, tx):
        self.events.append(event)

    def on_run_finished(self, event, tx):
        self.events.append(event)


class Broken:
    """A transactional listener that writes, then raises: its writes must be undone, the change kept."""

    transactional = True

    def on_change_recorded(self, event, tx):
        tx.session.add(Run(id="written-by-a-broken-listener"))
        tx.session.flush()
        raise RuntimeError("listener bug")


class SameTransaction:
    transactional = True

    def __init__(self):
        self.seen = []

    def on_change_recorded(self, event, tx):
        # the change is visible inside the very transaction that records it
        self.seen.append(tx.session.get(Change, event.change_id).to_version_id)


def test_listener_that_raises_does_not_fail_the_run_and_its_writes_are_undone(home, caplog):
    recorder, same = Recorder(), SameTransaction()
    c = Checker(home, [Broken(), recorder, same])
    c.check(LONG)
    summary = c.check(EDITED)
    assert summary.changed == 1 and len(summary.changes) == 1
    assert "listener bug" in caplog.text
    with c.archive.reading() as s:
        assert s.get(Run, "written-by-a-broken-listener") is None
        assert s.get(Change, summary.changes[0]) is not None
    kinds = [type(e).__name__ for e in recorder.events]
    assert kinds.count("ChangeRecorded") == 1 and kinds[-1] == "RunFinished"
    assert same.seen and same.seen[0] is not None


def test_check_counts_only_anomalies_opened_by_this_run(checker):
    checker.check(LONG)
    first = checker.check(status=404)
    second = checker.check(status=404)
    assert (first.failed, first.anomalies) == (1, 1)
    assert (second.failed, second.anomalies) == (1, 0)
    assert checker.open_anomalies() == ["gone"]


def test_shrink_that_persists_becomes_one_material_change_and_closes_its_anomaly(checker):
    checker.check(LONG)
    held = checker.check(SHORT)
    assert held.failed == 1 and held.changes == [] and checker.open_anomalies() == ["suspicious"]
    taken = checker.check(SHORT)  # still the same short text: the document really is shorter now
    assert taken.failed == 0 and len(taken.changes) == 1
    with checker.archive.reading() as s:
        assessment = s.query(Assessment).filter(Assessment.change_id == taken.changes[0]).one()
        assert assessment.significance == Significance.MATERIAL and assessment.reported
        assert any("shrank from" in f.detail for f in assessment.findings)
    assert checker.open_anomalies() == []
    again = checker.check(SHORT)
    assert (again.failed, again.unchanged, again.changes) == (0, 1, [])


def test_stub_served_once_leaves_no_change(checker):
    checker.check(LONG)
    checker.check(SHORT)
    back = checker.check(LONG)
    assert back.failed == 0 and back.changes == [] and back.unchanged == 1
    assert checker.open_anomalies() == []
    with checker.archive.reading() as s:
        assert s.query(Change).count() == 0
        assert s.query(Document).one().pending is None


def test_fetch_outcomes_use_the_closed_vocabulary(checker):
    summary = checker.check(LONG)
    assert summary.counts() == {"documents": 1, "new": 1, "changed": 0, "unchanged": 0, "failed": 0, "anomalies": 0}
    assert {str(o) for o in Outcome} >= {"new", "changed", "unchanged", "failed"}


def test_text_cut_off_at_its_end_is_recorded_only_when_the_next_fetch_ends_there_too(checker):
    checker.check(LONG)
    cut = LONG.split("</p>")
    truncated = "</p>".join(cut[:9]) + "</p>"  # the body stops three paragraphs early, without its closing tags
    held = checker.check(truncated)
    assert held.failed == 1 and held.changes == [] and checker.open_anomalies() == ["suspicious"]
    back = checker.check(LONG)  # the next fetch is whole again: nothing happened
    assert back.changes == [] and checker.open_anomalies() == []
    checker.check(truncated)
    confirmed = checker.check(truncated)
    assert len(confirmed.changes) == 1
    with checker.archive.reading() as s:
        assessment = s.query(Assessment).filter(Assessment.change_id == confirmed.changes[0]).one()
        assert any("words earlier (seen by two fetches)" in f.detail for f in assessment.findings)


def test_a_whole_page_whose_last_section_was_removed_is_a_change_at_once(checker):
    checker.check(LONG)
    cut = LONG.split("</p>")
    shorter = "</p>".join(cut[:9]) + "</p></main></body></html>"  # an edit: the page is complete
    summary = checker.check(shorter)
    assert summary.failed == 0 and len(summary.changes) == 1
