"""The archive's review queries on many changes: order, pagination, filters, counts, a review."""

from __future__ import annotations

import datetime as dt
import importlib.util

import pytest
from conftest import ROOT

from snapshots.archive import Archive
from snapshots.reviews import ALL_STATUSES, QueueFilters, ReviewError, profile_counts, queue, record_review


def load_bench():
    spec = importlib.util.spec_from_file_location("queue_bench", ROOT / "bench" / "queue_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    archive = Archive.open(f"sqlite:///{tmp_path_factory.mktemp('reviews') / 'clausewatch.db'}")
    load_bench().store(archive, 240, profiles=3, docs_per_profile=2)  # the benchmark's generator, small
    return archive


def everything(session, filters: QueueFilters, per_page: int = 50):
    items, total = queue(session, filters, page=1, per_page=per_page)
    page = 2
    while len(items) < total:
        more, _ = queue(session, filters, page=page, per_page=per_page)
        assert more, "a page before the end came back empty"
        items += more
        page += 1
    return items, total


def test_the_queue_pages_through_every_item_once_material_first_then_newest_recorded(archive):
    with archive.reading() as s:
        items, total = everything(s, QueueFilters(status=ALL_STATUSES), per_page=50)
        assert total == 240 and len({(i.change_id, i.profile) for i in items}) == 240
        ranks = [{"material": 2, "minor": 1}[i.significance] for i in items]
        assert ranks == sorted(ranks, reverse=True)
        for significance in ("material", "minor"):
            ids = [i.change_id for i in items if i.significance == significance]
            assert ids == sorted(ids, reverse=True)
        assert queue(s, QueueFilters(status=ALL_STATUSES), page=99)[0] == []


def test_filters_agree_with_the_items_and_counts_per_profile_with_the_unreviewed_queue(archive):
    with archive.reading() as s:
        unreviewed, total = everything(s, QueueFilters())
        assert all(i.status == "unreviewed" for i in unreviewed)
        counts = profile_counts(s)
        assert sum(c["total"] for c in counts.values()) == total
        for profile, c in counts.items():
            assert c["material"] == sum(1 for i in unreviewed if i.profile == profile and i.significance == "material")
        crit, _ = everything(s, QueueFilters(criterion="no-training", significance="material"))
        assert crit and all("no-training" in i.affected_criteria and i.significance == "material" for i in crit)
        assert len(crit) == sum(1 for i in unreviewed if "no-training" in i.affected_criteria
                                and i.significance == "material")
        since, until = dt.datetime(2026, 11, 10), dt.datetime(2026, 11, 20)
        dated, _ = everything(s, QueueFilters(since=since, until=until))
        assert dated and all(since <= i.detected_at < until for i in dated)
        assert len(dated) == sum(1 for i in unreviewed if since <= i.detected_at < until)


def test_a_recorded_review_leaves_the_unreviewed_queue(archive):
    with archive.reading() as s:
        first = queue(s, QueueFilters())[0][0]
        before = queue(s, QueueFilters())[1]
    with archive.transaction() as tx:
        row = record_review(tx, first.change_id, first.profile, "follow-up", "ask the provider", by="edith")
        assert (row.status, row.reviewer) == ("follow-up", "edith") and row.reviewed_at is not None
    with archive.reading() as s:
        assert queue(s, QueueFilters())[1] == before - 1
        assert first.change_id in [i.change_id for i in everything(s, QueueFilters(status="follow-up"))[0]]
    with pytest.raises(ReviewError):
        with archive.transaction() as tx:
            record_review(tx, first.change_id, "no-such-profile", "no-impact", None, by="edith")
    with pytest.raises(ValueError):
        with archive.transaction() as tx:
            record_review(tx, first.change_id, first.profile, "approved", None, by="edith")
