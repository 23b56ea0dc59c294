"""What the review page and `clausewatch standing` read, and the one write they make (a review).

    with archive.reading() as session:
        items, total = queue(session, QueueFilters(profile="mistral-api"), page=1)
        detail = change_detail(session, change_id)
    with archive.transaction() as tx:
        record_review(tx, change_id, "mistral-api", ReviewStatus.NO_IMPACT, "wording only", by="ana")

Reads take a session and return rows of the models (read them inside the `with` block) or small
dataclasses; nothing here knows about HTML.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Text, cast, func, select

from snapshots.models import (Anomaly, Assessment, Change, Citation, Document, Fetch, ReviewStatus, Snapshot,
                              Version, utcnow)
from snapshots.store import get_blob, get_text

PER_PAGE = 50
REVIEW_STATUSES = tuple(ReviewStatus)  # re-exported for the web page and the CLI
ALL_STATUSES = "all"

SIGNIFICANCE_RANK = {"material": 2, "minor": 1, "cosmetic": 0}


@dataclass(frozen=True)
class QueueFilters:
    profile: str | None = None
    criterion: str | None = None
    significance: str | None = None
    status: str = ReviewStatus.UNREVIEWED  # or ALL_STATUSES
    since: dt.datetime | None = None  # detected on or after
    until: dt.datetime | None = None  # detected before


@dataclass(frozen=True)
class QueueItem:
    change_id: int
    profile: str
    source: str
    document: str
    detected_at: dt.datetime
    kind: str
    significance: str
    summary: str
    affected_criteria: tuple[str, ...]
    status: str
    reviewer: str | None
    reviewed_at: dt.datetime | None
    added_words: int
    removed_words: int


def _queue_where(filters: QueueFilters) -> list:
    """The conditions, on the assessments table only (dates through the changes' detected_at index)."""
    where = [Assessment.reported.is_(True)]
    if filters.profile:
        where.append(Assessment.profile == filters.profile)
    if filters.significance:
        where.append(Assessment.significance == filters.significance)
    if filters.status and filters.status != ALL_STATUSES:
        where.append(Assessment.status == filters.status)
    if filters.criterion:
        # the JSON list as stored, e.g. ["eu-residency", "training"]: match the quoted id
        where.append(cast(Assessment.affected_criteria, Text).like(f'%"{_like_escape(filters.criterion)}"%',
                                                                   escape="\\"))
    dated = []
    if filters.since:
        dated.append(Change.detected_at >= filters.since)
    if filters.until:
        dated.append(Change.detected_at < filters.until)
    if dated:
        where.append(Assessment.change_id.in_(select(Change.id).where(*dated)))
    return where


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def queue(session, filters: QueueFilters, page: int = 1, per_page: int = PER_PAGE) -> tuple[list[QueueItem], int]:
    """Reported changes (one item per citing profile), material first, newest first; and the total.

    Newest is the latest recorded (change ids grow in the order changes are recorded). Counted per
    significance first; then each significance the page overlaps is read on its own along the index
    `ix_assessments_review` (status, reported, significance, change_id), so a page costs a short
    index walk rather than a sort of the whole queue.
    """
    where = _queue_where(filters)
    count = select(Assessment.significance, func.count()).where(*where).group_by(Assessment.significance)
    counts = dict(session.execute(count).all())
    order = sorted(counts, key=lambda s: (-SIGNIFICANCE_RANK.get(s, -1), s))
    offset, items = max(page - 1, 0) * per_page, []
    for significance in order:
        if offset >= counts[significance]:
            offset -= counts[significance]
            continue
        q = (select(Assessment.change_id, Assessment.profile, Assessment.source, Document.key, Change.detected_at,
                    Change.kind, Assessment.significance, Assessment.summary, Assessment.affected_criteria,
                    Assessment.status, Assessment.reviewer, Assessment.reviewed_at, Change.added_words,
                    Change.removed_words)
             .join(Change, Assessment.change_id == Change.id).join(Document, Change.document_id == Document.id)
             .where(*where, Assessment.significance == significance)
             .order_by(Assessment.change_id.desc(), Assessment.profile)
             .limit(per_page - len(items)).offset(offset))
        items += [QueueItem(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], tuple(r[8] or ()), r[9], r[10], r[11],
                            r[12], r[13]) for r in session.execute(q)]
        offset = 0
        if len(items) >= per_page:
            break
    return items, sum(counts.values())


def profile_counts(session) -> dict[str, dict[str, int]]:
    """Unreviewed reported changes per profile: {profile: {"material": n, "minor": n, "total": n}}."""
    q = (select(Assessment.profile, Assessment.significance, func.count())
         .where(Assessment.reported.is_(True), Assessment.status == ReviewStatus.UNREVIEWED)
         .group_by(Assessment.profile, Assessment.significance))
    out: dict[str, dict[str, int]] = {}
    for profile, significance, n in session.execute(q):
        row = out.setdefault(profile, {"material": 0, "minor": 0, "total": 0})
        row[significance] = row.get(significance, 0) + n
        row["total"] += n
    return out


@dataclass(frozen=True)
class AnomalyItem:
    id: int
    document_id: int
    kind: str
    url: str
    since: dt.datetime
    detail: str
    open: bool
    closed_at: dt.datetime | None
    cited_by: tuple[tuple[str, str], ...]  # (profile, source)


def _anomaly_items(session, q) -> list[AnomalyItem]:
    rows = list(session.scalars(q))
    cites: dict[int, list[tuple[str, str]]] = {}
    if rows:
        for c in session.scalars(select(Citation).where(Citation.document_id.in_({a.document_id for a in rows}))
                                 .order_by(Citation.profile, Citation.source)):
            cites.setdefault(c.document_id, []).append((c.profile, c.source))
    return [AnomalyItem(a.id, a.document_id, a.kind, a.url, a.since, a.detail, a.open, a.closed_at,
                        tuple(cites.get(a.document_id, ()))) for a in rows]


def open_anomalies(session, profile: str | None = None, limit: int = 200) -> list[AnomalyItem]:
    q = select(Anomaly).where(Anomaly.open.is_(True)).order_by(Anomaly.since.desc(), Anomaly.id.desc()).limit(limit)
    if profile:
        q = q.where(Anomaly.document_id.in_(select(Citation.document_id).where(Citation.profile == profile)))
    return _anomaly_items(session, q)


@dataclass
class ChangeDetail:
    change: Change
    document: Document
    old: Version
    new: Version
    old_text: str
    new_text: str
    assessments: list[Assessment]
    old_snapshots: list[Snapshot]
    new_snapshots: list[Snapshot]
    previous_id: int | None
    next_id: int | None
    citations: list[tuple[str, str]] = field(default_factory=list)  # (profile, source) citing the document


def _snapshots(session, ids) -> list[Snapshot]:
    ids = list(ids or ())
    if not ids:
        return []
    return list(session.scalars(select(Snapshot).where(Snapshot.id.in_(ids)).order_by(Snapshot.id)))


def change_detail(session, change_id: int) -> ChangeDetail | None:
    change = session.get(Change, change_id)
    if change is None:
        return None
    doc = session.get(Document, change.document_id)
    old, new = session.get(Version, change.from_version_id), session.get(Version, change.to_version_id)
    previous_id = session.scalar(select(func.max(Change.id)).where(Change.document_id == doc.id,
                                                                  Change.id < change.id))
    next_id = session.scalar(select(func.min(Change.id)).where(Change.document_id == doc.id, Change.id > change.id))
    citations = [(c.profile, c.source) for c in session.scalars(
        select(Citation).where(Citation.document_id == doc.id).order_by(Citation.profile, Citation.source))]
    for a in change.assessments:
        list(a.findings)  # loaded while the session is open
    return ChangeDetail(change, doc, old, new, get_text(session, old.text_sha256), get_text(session, new.text_sha256),
                        list(change.assessments), _snapshots(session, old.snapshot_ids),
                        _snapshots(session, new.snapshot_ids), previous_id, next_id, citations)


def cited_document(session, profile: str, source: str) -> Document | None:
    """The document a profile's source cites (as of the last check that loaded the profile)."""
    cit = session.get(Citation, (profile, source))
    return session.get(Document, cit.document_id) if cit else None


def document_by_key(session, key: str) -> Document | None:
    return session.scalar(select(Document).where(Document.key == key))


@dataclass
class Timeline:
    versions: list[Version]  # oldest first
    changes: dict[int, Change]  # by to_version_id
    anomalies: list[AnomalyItem]


def timeline(session, document_id: int) -> Timeline:
    versions = list(session.scalars(select(Version).where(Version.document_id == document_id).order_by(Version.id)))
    changes = {c.to_version_id: c for c in session.scalars(select(Change).where(Change.document_id == document_id))}
    for c in changes.values():
        list(c.assessments)
    anomalies = _anomaly_items(session, select(Anomaly).where(Anomaly.document_id == document_id)
                               .order_by(Anomaly.since, Anomaly.id))
    return Timeline(versions, changes, anomalies)


def version_of(session, document_id: int, version_id: int) -> Version | None:
    version = session.get(Version, version_id)
    return version if version is not None and version.document_id == document_id else None


def version_text(session, version: Version) -> str:
    return get_text(session, version.text_sha256)


def snapshot_bytes(session, snapshot_id: int) -> tuple[Snapshot, bytes] | None:
    snap = session.get(Snapshot, snapshot_id)
    return (snap, get_blob(session, snap.sha256)) if snap else None


@dataclass(frozen=True)
class DocumentState:
    """How a cited document stands today: its last fetch, open anomalies, current text."""

    document_id: int
    key: str
    urls: tuple[str, ...]
    last_fetch_at: dt.datetime | None
    last_outcome: str | None
    consecutive_failures: int
    last_change_at: dt.datetime | None
    failure_reason: str | None
    open_anomalies: tuple[AnomalyItem, ...]
    awaiting_confirmation: bool  # a candidate text waits for `confirm` checks
    current_text: str | None


@dataclass(frozen=True)
class ReportedChange:
    """A reported change of one of a profile's documents, and where its review stands."""

    change_id: int
    source: str
    detected_at: dt.datetime
    significance: str
    status: str
    affected_criteria: tuple[str, ...]
    summary: str
    reviewed_at: dt.datetime | None = None

    @property
    def open(self) -> bool:
        """Unreviewed, or marked for follow-up: the editor's work is not done."""
        return self.status in (ReviewStatus.UNREVIEWED, ReviewStatus.FOLLOW_UP)


def document_states(session, keys) -> dict[str, DocumentState]:
    """{document key: state} for the documents with these keys that have been checked."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    docs = list(session.scalars(select(Document).where(Document.key.in_(keys))))
    ids = [d.id for d in docs]
    anomalies: dict[int, list[AnomalyItem]] = {}
    for a in _anomaly_items(session, select(Anomaly).where(Anomaly.open.is_(True), Anomaly.document_id.in_(ids))
                            .order_by(Anomaly.since)):
        anomalies.setdefault(a.document_id, []).append(a)
    out = {}
    for d in docs:
        reason = None
        if d.last_outcome == "failed":
            reason = session.scalar(select(Fetch.reason).where(Fetch.url.in_(d.urls), Fetch.outcome == "failed")
                                    .order_by(Fetch.id.desc()).limit(1))
        version = session.get(Version, d.current_version_id) if d.current_version_id else None
        out[d.key] = DocumentState(d.id, d.key, tuple(d.urls), d.last_fetch_at, d.last_outcome, d.consecutive_failures,
                                   d.last_change_at, reason, tuple(anomalies.get(d.id, ())), bool(d.pending),
                                   get_text(session, version.text_sha256) if version else None)
    return out


def reported_changes(session, profile: str, since: dt.datetime | None = None) -> list[ReportedChange]:
    """Reported changes of `profile`'s documents detected since `since`, oldest first, any review status."""
    q = (select(Assessment.change_id, Assessment.source, Change.detected_at, Assessment.significance,
                Assessment.status, Assessment.affected_criteria, Assessment.summary, Assessment.reviewed_at)
         .join(Change, Assessment.change_id == Change.id)
         .where(Assessment.profile == profile, Assessment.reported.is_(True))
         .order_by(Change.detected_at, Change.id))
    if since is not None:
        q = q.where(Change.detected_at >= since)
    return [ReportedChange(r[0], r[1], r[2], r[3], r[4], tuple(r[5] or ()), r[6], r[7]) for r in session.execute(q)]


class ReviewError(LookupError):
    """The change does not exist or is not assessed for that profile."""


def record_review(tx, change_id: int, profile: str | None, status: ReviewStatus | str, note: str | None,
                  by: str) -> Assessment:
    """Write the verdict on `change_id` for `profile` (may be None when one profile cites the document)."""
    status = ReviewStatus(status)
    change = tx.session.get(Change, change_id)
    if change is None:
        raise ReviewError(f"no change {change_id}")
    rows = [a for a in change.assessments if profile in (None, a.profile)]
    if not rows:
        raise ReviewError(f"change {change_id} is not assessed for profile {profile!r}")
    if len(rows) > 1:
        raise ReviewError(f"change {change_id} concerns several profiles ({', '.join(a.profile for a in rows)})")
    a = rows[0]
    a.status, a.note, a.reviewer, a.reviewed_at = str(status), (note or None), by, utcnow()
    tx.session.flush()
    return a

