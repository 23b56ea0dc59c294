"""snapshots.history on a small archive built row by row: what the CLI (and the review page) read back."""

from __future__ import annotations

import datetime as dt

import pytest

from snapshots import history
from snapshots.archive import Archive
from snapshots.db import open_database
from snapshots.models import Assessment, Change, Citation, Document, Finding, Version
from snapshots.store import put_blobs, sha256

T0 = dt.datetime(2026, 11, 1, 6, 0)


@pytest.fixture
def archive(tmp_path):
    archive = Archive(open_database(f"sqlite:///{tmp_path / 'history.db'}"))
    yield archive
    archive.dispose()


def version(s, doc, text, at, kind="change") -> Version:
    put_blobs(s, {sha256(text.encode()): text.encode()})
    v = Version(document_id=doc.id, text_sha256=sha256(text.encode()), key=sha256(text.encode()), words=len(text.split()),
                snapshot_ids=[], extractor_version="test", rules={}, kind=kind, fetched_at=at)
    s.add(v)
    s.flush()
    doc.current_version_id = v.id
    return v


def build(archive) -> dict:
    """One document cited by two profiles: a first version, a change (material for one profile, cosmetic
    for the other), then a rebaseline."""
    with archive.transaction() as tx:
        s = tx.session
        doc = Document(key="http://127.0.0.1/dpa", urls=["http://127.0.0.1/dpa"])
        s.add(doc)
        s.flush()
        s.add_all([Citation(profile="acme", source="dpa", document_id=doc.id),
                   Citation(profile="zeta", source="terms", document_id=doc.id)])
        v1 = version(s, doc, "Data is stored in Ireland.", T0, kind="first")
        v2 = version(s, doc, "Data is stored in Ireland and the United States.", T0 + dt.timedelta(days=1))
        change = Change(document_id=doc.id, from_version_id=v1.id, to_version_id=v2.id, kind="change",
                        detected_at=T0 + dt.timedelta(days=1), added_words=4)
        material = Assessment(profile="acme", source="dpa", significance="material", reported=True,
                              affected_criteria=["eu-residency"], summary="now also the United States")
        material.findings = [Finding(kind="watch", criterion="eu-residency", detail='inserted "United States"')]
        change.assessments = [material, Assessment(profile="zeta", source="terms", significance="cosmetic",
                                                   reported=False, summary="wording")]
        s.add(change)
        v3 = version(s, doc, "Data is stored in Ireland and the United States. (new rules)", T0 + dt.timedelta(days=2),
                     kind="rebaseline")
        rebaseline = Change(document_id=doc.id, from_version_id=v2.id, to_version_id=v3.id, kind="rebaseline",
                            detected_at=T0 + dt.timedelta(days=2))
        s.add(rebaseline)
        s.flush()
        return {"doc": doc.id, "change": change.id, "rebaseline": rebaseline.id, "versions": [v1.id, v2.id, v3.id]}


def test_changes_lists_alertable_readings_by_default_and_everything_adds_cosmetic_ones_and_rebaselines(archive):
    ids = build(archive)
    with archive.reading() as s:
        [entry] = history.changes(s)
        everything = history.changes(s, everything=True)
        newest = history.changes(s, everything=True, limit=1)
        zeta = history.changes(s, everything=True, profiles=["zeta"])
        unreviewed = history.changes(s, everything=True, status=history.ReviewStatus.UNREVIEWED)
    assert (entry.change_id, entry.profile, entry.significance, entry.alertable) == (ids["change"], "acme", "material", True)
    assert entry.findings[0].detail == 'inserted "United States"' and entry.document.address == "http://127.0.0.1/dpa"
    assert [(e.change_id, e.profile, e.kind) for e in everything] == [
        (ids["rebaseline"], "acme", "rebaseline"), (ids["rebaseline"], "zeta", "rebaseline"),
        (ids["change"], "acme", "change"), (ids["change"], "zeta", "change")]
    assert [e.significance for e in everything] == [None, None, "material", "cosmetic"]
    assert [(e.change_id, e.profile) for e in newest] == [(ids["rebaseline"], "acme")]
    assert [(e.change_id, e.source) for e in zeta] == [(ids["rebaseline"], "terms"), (ids["change"], "terms")]
    assert {e.change_id for e in unreviewed} == {ids["change"]}  # a rebaseline has no review to filter on


def test_a_change_comes_with_both_versions_and_every_reading_and_the_versions_with_what_made_them(archive):
    ids = build(archive)
    with archive.reading() as s:
        detail = history.change(s, ids["change"])
        doc = history.document(s, "http://127.0.0.1/dpa")
        versions = history.versions(s, doc)
        old_text = history.text(s, detail.old)
        missing = history.change(s, 999)
    assert (detail.old.id, detail.new.id) == tuple(ids["versions"][:2]) and old_text == "Data is stored in Ireland."
    assert [e.profile for e in detail.entries] == ["acme", "zeta"] and missing is None
    assert [(v.version.kind, v.change_id, v.current) for v in versions] == [
        ("first", None, False), ("change", ids["change"], False), ("rebaseline", ids["rebaseline"], True)]
    assert versions[1].significance == "material"  # the first reading by profile id


def test_version_at_a_time_and_a_version_of_another_document_is_none(archive):
    ids = build(archive)
    with archive.reading() as s:
        doc = history.document(s, "http://127.0.0.1/dpa")
        assert history.version_at(s, doc, T0 - dt.timedelta(seconds=1)) is None
        assert history.version_at(s, doc, T0 + dt.timedelta(hours=30)).id == ids["versions"][1]
        assert history.version_at(s, doc).id == ids["versions"][2]
        other = history.DocumentRef(doc.id + 1, "http://127.0.0.1/other", ["http://127.0.0.1/other"], None)
        assert history.version(s, other, ids["versions"][0]) is None and history.version_at(s, other) is None
        assert history.current_texts(s, [doc.key, other.key]) == {doc.key: history.text(s, history.version_at(s, doc)),
                                                                  other.key: None}


def test_a_review_is_recorded_for_one_profile_and_a_profile_without_a_reading_is_refused(archive):
    ids = build(archive)
    with archive.transaction() as tx:
        assert history.assessed_profiles(tx.session, ids["change"]) == ["acme", "zeta"]
        assert history.assessed_profiles(tx.session, ids["rebaseline"]) == []
        assert history.assessed_profiles(tx.session, 999) is None
        review = history.record_review(tx, ids["change"], "zeta", history.ReviewStatus.NO_IMPACT, None, "ed")
        with pytest.raises(LookupError):
            history.record_review(tx, ids["change"], "nobody", history.ReviewStatus.NO_IMPACT, None, "ed")
    assert (review.status, review.note, review.reviewer) == ("no-impact", None, "ed")
    with archive.reading() as s:
        by_profile = {e.profile: e for e in history.changes(s, ids=[ids["change"]], everything=True)}
    assert by_profile["zeta"].status == "no-impact" and by_profile["zeta"].reviewed_at is not None
    assert by_profile["acme"].status == "unreviewed" and by_profile["acme"].reviewer is None
