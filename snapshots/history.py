"""What people read back from the archive: documents and their sources, changes, versions, runs.

The CLI (and later the review page) present these; they never query the tables themselves. Reads
take a session from `archive.reading()`, the two editor writes (`record_review`, `accept_next`) the
open `tx` of `archive.transaction()`. Everything returned is plain data, detached from the session:

    with archive.reading() as session:
        for entry in history.changes(session, profiles=["mistral-api"], everything=True): …
        text = history.text(session, history.version_at(session, doc.id, at))

One *entry* is one (change, citing profile) pair: the `assessments` row — the change's reading for
that profile (significance, affected criteria, findings) and the editor's review of it. Rebaselines
have no reading (they are never alerted): `changes(everything=True)` lists them once per source
citing their document, with no significance and no review.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from heapq import merge

from sqlalchemy import func, select

# the closed vocabularies are re-exported with the data that carries them: outside `snapshots/`
# nothing imports the models, so `from snapshots.history import ReviewStatus` is the way in
from snapshots.models import (Anomaly, AnomalyKind, Assessment, Change, Citation, Document, Fetch, Outcome,
                              ReviewStatus, Run, RunKind, RunStatus, Significance, Version, VersionKind, utcnow)
from snapshots.store import get_text

__all__ = ["AnomalyKind", "Outcome", "ReviewStatus", "RunKind", "RunStatus", "Significance", "VersionKind"]


# -- documents ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class DocumentRef:
    id: int
    key: str
    urls: list[str]
    current_version_id: int | None

    @property
    def address(self) -> str:
        """The URL people recognise: the page itself, or the key of a document combined from several."""
        return self.urls[0] if len(self.urls) == 1 else self.key


def _ref(doc: Document | None) -> DocumentRef | None:
    return DocumentRef(doc.id, doc.key, list(doc.urls), doc.current_version_id) if doc else None


def document(session, key: str) -> DocumentRef | None:
    """The Document with this key (its URL, or its URLs joined), None when never checked."""
    return _ref(session.scalar(select(Document).where(Document.key == key)))


def cited_document(session, profile: str, source: str) -> DocumentRef | None:
    """The Document a source cited at the last check — also for a source no profile declares any more."""
    cit = session.get(Citation, (profile, source))
    return _ref(session.get(Document, cit.document_id)) if cit else None


def citations(session) -> dict[int, list[str]]:
    """{document id: ["profile/source", …]} as of the last profile load, sorted."""
    out: dict[int, list[str]] = {}
    for c in session.scalars(select(Citation).order_by(Citation.profile, Citation.source)):
        out.setdefault(c.document_id, []).append(f"{c.profile}/{c.source}")
    return out


@dataclass(frozen=True)
class DocumentState:
    """One line of `sources`: a document, who cites it, how its last fetch went, what is wrong."""

    document: DocumentRef
    cited_by: list[str]
    last_fetch_at: dt.datetime | None
    last_outcome: Outcome | None
    last_failure: str | None  # the reason of the last fetch, when it failed
    last_change_at: dt.datetime | None
    consecutive_failures: int
    open_anomalies: list[AnomalyKind]


def documents(session) -> list[DocumentState]:
    cites = citations(session)
    kinds: dict[int, list[AnomalyKind]] = {}
    for a in session.scalars(select(Anomaly).where(Anomaly.open.is_(True)).order_by(Anomaly.id)):
        kinds.setdefault(a.document_id, []).append(AnomalyKind(a.kind))
    newest = select(func.max(Fetch.id)).group_by(Fetch.url)
    last_reason = dict(session.execute(select(Fetch.url, Fetch.reason).where(Fetch.id.in_(newest))).all())
    out = []
    for d in session.scalars(select(Document).order_by(Document.key)):
        outcome = Outcome(d.last_outcome) if d.last_outcome else None
        out.append(DocumentState(
            _ref(d), cites.get(d.id, []), d.last_fetch_at, outcome,
            last_reason.get(d.urls[0]) if outcome == Outcome.FAILED else None,
            d.last_change_at, d.consecutive_failures, kinds.get(d.id, [])))
    return out


# -- changes ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FindingEntry:
    kind: str  # FindingKind
    criterion: str | None
    detail: str
    section: str | None


@dataclass(frozen=True)
class ChangeEntry:
    """One change as one citing profile reads it, with the editor's review (None for rebaselines)."""

    change_id: int
    profile: str
    source: str
    document: DocumentRef
    detected_at: dt.datetime
    kind: VersionKind
    added_words: int
    removed_words: int
    significance: Significance | None
    alertable: bool  # minor or material and not a flip-back: listed by default
    affected_criteria: list[str]
    summary: str
    findings: list[FindingEntry]
    status: ReviewStatus | None
    note: str | None = None
    reviewer: str | None = None
    reviewed_at: dt.datetime | None = None


def _entry(a: Assessment, c: Change, d: Document) -> ChangeEntry:
    return ChangeEntry(
        c.id, a.profile, a.source, _ref(d), c.detected_at, VersionKind(c.kind), c.added_words, c.removed_words,
        Significance(a.significance), bool(a.reported), list(a.affected_criteria or []), a.summary,
        [FindingEntry(f.kind, f.criterion, f.detail, f.section) for f in a.findings],
        ReviewStatus(a.status), a.note, a.reviewer, a.reviewed_at)


def changes(session, *, ids=None, profiles=(), since: dt.datetime | None = None, status: ReviewStatus | None = None,
            significance: Significance | None = None, criterion: str | None = None, everything: bool = False,
            limit: int | None = None) -> list[ChangeEntry]:
    """Entries newest first. By default only alertable ones; `everything` adds cosmetic changes,
    flip-backs and rebaselines. Filters combine; a rebaseline matches no status, significance or criterion."""
    q = (select(Assessment, Change, Document).join(Change, Assessment.change_id == Change.id)
         .join(Document, Change.document_id == Document.id)
         .order_by(Change.detected_at.desc(), Change.id.desc(), Assessment.profile))
    if ids is not None:
        q = q.where(Change.id.in_(list(ids)))
    if profiles:
        q = q.where(Assessment.profile.in_(list(profiles)))
    if since is not None:
        q = q.where(Change.detected_at >= since)
    if status:
        q = q.where(Assessment.status == status)
    if significance:
        q = q.where(Assessment.significance == significance)
    if not everything:
        q = q.where(Assessment.reported.is_(True))
    read: list[ChangeEntry] = []
    for a, c, d in session.execute(q):
        if criterion and criterion not in (a.affected_criteria or []):
            continue
        read.append(_entry(a, c, d))
        if limit and len(read) >= limit:
            break
    rebaselines = []
    if everything and not (status or significance or criterion):
        rebaselines = _rebaselines(session, ids=ids, profiles=profiles, since=since, limit=limit)
    # both lists run newest first; a change is in one of them only, so its entries stay in profile order
    out = list(merge(read, rebaselines, key=lambda e: (e.detected_at, e.change_id), reverse=True))
    return out[:limit] if limit else out


def _rebaselines(session, *, ids, profiles, since, limit) -> list[ChangeEntry]:
    """Rebaselines once per source citing their document (they have no reading of their own)."""
    q = (select(Change, Citation, Document).join(Citation, Citation.document_id == Change.document_id)
         .join(Document, Change.document_id == Document.id)
         .where(Change.kind == VersionKind.REBASELINE, ~Change.assessments.any())
         .order_by(Change.detected_at.desc(), Change.id.desc(), Citation.profile, Citation.source))
    if ids is not None:
        q = q.where(Change.id.in_(list(ids)))
    if profiles:
        q = q.where(Citation.profile.in_(list(profiles)))
    if since is not None:
        q = q.where(Change.detected_at >= since)
    if limit:
        q = q.limit(limit)
    return [ChangeEntry(c.id, cit.profile, cit.source, _ref(d), c.detected_at, VersionKind(c.kind), c.added_words,
                        c.removed_words, None, False, [], "", [], None)
            for c, cit, d in session.execute(q)]


@dataclass(frozen=True)
class VersionInfo:
    id: int
    document_id: int
    fetched_at: dt.datetime
    kind: VersionKind
    words: int
    extractor_version: str
    text_sha256: str


def _version(v: Version | None) -> VersionInfo | None:
    if v is None:
        return None
    return VersionInfo(v.id, v.document_id, v.fetched_at, VersionKind(v.kind), v.words, v.extractor_version,
                       v.text_sha256)


@dataclass(frozen=True)
class ChangeDetail:
    """One change with its two versions and every entry (reading per citing profile)."""

    id: int
    document: DocumentRef
    kind: VersionKind
    detected_at: dt.datetime
    added_words: int
    removed_words: int
    old: VersionInfo
    new: VersionInfo
    entries: list[ChangeEntry] = field(default_factory=list)


def change(session, change_id: int) -> ChangeDetail | None:
    c = session.get(Change, change_id)
    if c is None:
        return None
    return ChangeDetail(c.id, _ref(session.get(Document, c.document_id)), VersionKind(c.kind), c.detected_at,
                        c.added_words, c.removed_words, _version(session.get(Version, c.from_version_id)),
                        _version(session.get(Version, c.to_version_id)),
                        changes(session, ids=[c.id], everything=True))


# -- versions -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class VersionEntry:
    """One line of `history`: a version and the change that produced it (None for the first)."""

    version: VersionInfo
    current: bool
    change_id: int | None
    added_words: int | None
    removed_words: int | None
    significance: Significance | None  # of the change's first reading (by profile id)
    summary: str | None


def versions(session, doc: DocumentRef) -> list[VersionEntry]:
    made_by = {c.to_version_id: c for c in session.scalars(select(Change).where(Change.document_id == doc.id))}
    first_reading: dict[int, Assessment] = {}
    for a in session.scalars(select(Assessment).where(Assessment.change_id.in_([c.id for c in made_by.values()]))
                             .order_by(Assessment.change_id, Assessment.profile)):
        first_reading.setdefault(a.change_id, a)
    out = []
    for v in session.scalars(select(Version).where(Version.document_id == doc.id).order_by(Version.id)):
        c = made_by.get(v.id)
        a = first_reading.get(c.id) if c else None
        out.append(VersionEntry(_version(v), v.id == doc.current_version_id, c.id if c else None,
                                c.added_words if c else None, c.removed_words if c else None,
                                Significance(a.significance) if a else None, a.summary if a else None))
    return out


def version(session, doc: DocumentRef, version_id: int) -> VersionInfo | None:
    """Version `version_id` when it is one of `doc`'s, else None."""
    v = session.get(Version, version_id)
    return _version(v) if v is not None and v.document_id == doc.id else None


def version_at(session, doc: DocumentRef, at: dt.datetime | None = None) -> VersionInfo | None:
    """The version current at `at` (naive UTC), or the current one; None when there was none yet."""
    if at is None:
        return _version(session.get(Version, doc.current_version_id)) if doc.current_version_id else None
    return _version(session.scalar(
        select(Version).where(Version.document_id == doc.id, Version.fetched_at <= at)
        .order_by(Version.fetched_at.desc(), Version.id.desc()).limit(1)))


def text(session, version: VersionInfo) -> str:
    """The normalised text of a version."""
    return get_text(session, version.text_sha256)


def current_texts(session, keys) -> dict[str, str | None]:
    """{document key: its current text, None when never read} — the inputs of the evidence check."""
    out: dict[str, str | None] = {}
    for key in keys:
        if key in out:
            continue
        doc = document(session, key)
        current = version_at(session, doc) if doc else None
        out[key] = text(session, current) if current else None
    return out


# -- anomalies and runs -------------------------------------------------------------------------
@dataclass(frozen=True)
class AnomalyEntry:
    id: int
    document_id: int
    url: str
    kind: AnomalyKind
    since: dt.datetime
    detail: str
    open: bool
    closed_at: dt.datetime | None


def anomalies(session, *, closed: bool = False) -> list[AnomalyEntry]:
    """Open anomalies (and closed ones with `closed`), newest first."""
    q = select(Anomaly).order_by(Anomaly.since.desc(), Anomaly.id.desc())
    if not closed:
        q = q.where(Anomaly.open.is_(True))
    return [AnomalyEntry(a.id, a.document_id, a.url, AnomalyKind(a.kind), a.since, a.detail, a.open, a.closed_at)
            for a in session.scalars(q)]


@dataclass(frozen=True)
class RunEntry:
    id: str
    kind: RunKind
    status: RunStatus
    started_at: dt.datetime
    finished_at: dt.datetime | None
    host: str
    counts: dict


def _run(r: Run | None) -> RunEntry | None:
    if r is None:
        return None
    return RunEntry(r.id, RunKind(r.kind), RunStatus(r.status), r.started_at, r.finished_at, r.host, dict(r.counts or {}))


def last_run(session, kind: RunKind = RunKind.CHECK) -> RunEntry | None:
    """The newest run of this kind, whatever its status."""
    return _run(session.scalar(select(Run).where(Run.kind == kind).order_by(Run.started_at.desc()).limit(1)))


def last_completed_run(session, kind: RunKind = RunKind.CHECK) -> RunEntry | None:
    return _run(session.scalar(select(Run).where(Run.kind == kind, Run.status == RunStatus.COMPLETED)
                               .order_by(Run.finished_at.desc()).limit(1)))


@dataclass(frozen=True)
class FailingDocument:
    document: DocumentRef
    failures: int
    last_fetch_at: dt.datetime | None
    reason: str | None  # of its newest failed fetch


def failing_documents(session, at_least: int = 2) -> list[FailingDocument]:
    """Documents whose last `at_least` or more fetches failed, the longest failing first."""
    out = []
    for d in session.scalars(select(Document).where(Document.consecutive_failures >= at_least)
                             .order_by(Document.consecutive_failures.desc(), Document.key)):
        reason = session.scalar(select(Fetch.reason).where(Fetch.url.in_(d.urls), Fetch.outcome == Outcome.FAILED)
                                .order_by(Fetch.id.desc()).limit(1))
        out.append(FailingDocument(_ref(d), d.consecutive_failures, d.last_fetch_at, reason))
    return out


# -- the editors' writes ------------------------------------------------------------------------
def assessed_profiles(session, change_id: int) -> list[str] | None:
    """The profiles that have a reading of this change; None when there is no such change."""
    c = session.get(Change, change_id)
    return None if c is None else [a.profile for a in c.assessments]


@dataclass(frozen=True)
class Review:
    change_id: int
    profile: str
    status: ReviewStatus
    note: str | None
    reviewer: str
    reviewed_at: dt.datetime


def record_review(tx, change_id: int, profile: str, status: ReviewStatus, note: str | None, by: str) -> Review:
    """Set the editor's verdict on a change for one citing profile (LookupError when it has no reading).

    The one write of a verdict is `snapshots.reviews.record_review`, which the review page uses too."""
    from snapshots.reviews import record_review as write

    a = write(tx, change_id, profile, status, note, by)
    return Review(change_id, a.profile, ReviewStatus(a.status), a.note, a.reviewer, a.reviewed_at)


def accept_next(tx, doc: DocumentRef) -> None:
    """The next extraction of `doc` becomes its current version however much it shrank; drops a pending text."""
    d = tx.session.get(Document, doc.id)
    d.accept_next = True
    d.pending = None


@dataclass(frozen=True)
class FailingProfile:
    profile: str
    documents: int
    failed: int  # documents whose last check failed


def profiles_failing(session) -> list[FailingProfile]:
    """Per profile: how many of its cited documents failed their last check."""
    counts: dict[str, list[int]] = {}
    rows = session.execute(select(Citation.profile, Document.last_outcome)
                           .join(Document, Document.id == Citation.document_id))
    for profile, outcome in rows:
        c = counts.setdefault(profile, [0, 0])
        c[0] += 1
        c[1] += outcome == Outcome.FAILED
    return [FailingProfile(p, n, f) for p, (n, f) in sorted(counts.items())]


def failing_since(session, document_id: int) -> dt.datetime | None:
    """When the document's current run of failed checks began (None when its last check did not fail)."""
    doc = session.get(Document, document_id)
    if doc is None or doc.last_outcome != Outcome.FAILED:
        return None
    good = session.scalar(select(func.max(Fetch.at)).where(Fetch.url.in_(doc.urls), Fetch.outcome != Outcome.FAILED))
    q = select(func.min(Fetch.at)).where(Fetch.url.in_(doc.urls), Fetch.outcome == Outcome.FAILED)
    if good is not None:
        q = q.where(Fetch.at > good)
    return session.scalar(q)
