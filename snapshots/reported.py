"""Reported changes and anomalies as alerts and feeds show them: plain rows, no ORM objects.

Reads only (a session): the assessments of one change (the alert listener filters on them inside
the recording transaction), the changes and anomalies behind a digest, the reported changes of a feed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from snapshots.models import Anomaly, Assessment, Change, Citation, Document, Version
from snapshots.store import get_text


@dataclass(frozen=True)
class FindingRow:
    kind: str
    criterion: str | None
    detail: str
    section: str | None


@dataclass(frozen=True)
class AssessmentRow:
    change_id: int
    change_kind: str  # VersionKind of the change
    profile: str
    source: str
    significance: str
    reported: bool
    affected_criteria: tuple[str, ...]
    summary: str
    findings: tuple[FindingRow, ...] = ()


@dataclass(frozen=True)
class ChangeRow:
    id: int
    kind: str
    document: str  # the document key (its URL, or URLs joined)
    url: str  # the first URL
    detected_at: dt.datetime
    added_words: int
    removed_words: int
    from_version_id: int
    to_version_id: int
    assessments: tuple[AssessmentRow, ...] = field(default=())


@dataclass(frozen=True)
class AnomalyRow:
    id: int
    document_id: int
    kind: str
    url: str
    detail: str
    since: dt.datetime
    open: bool
    closed_at: dt.datetime | None
    citing: tuple[tuple[str, str], ...]  # (profile, source)


def _assessment(a: Assessment, c: Change) -> AssessmentRow:
    return AssessmentRow(c.id, c.kind, a.profile, a.source, a.significance, a.reported,
                         tuple(a.affected_criteria or ()), a.summary or "",
                         tuple(FindingRow(f.kind, f.criterion, f.detail, f.section) for f in a.findings))


def assessments(session, change_id: int) -> list[AssessmentRow]:
    """What a change means for each citing profile (also unreported ones)."""
    change = session.get(Change, change_id)
    if change is None:
        return []
    return [_assessment(a, change) for a in change.assessments]


def changes(session, ids) -> dict[int, ChangeRow]:
    """The changes with these ids, with every assessment and its findings."""
    out = {}
    rows = session.execute(select(Change, Document).join(Document, Change.document_id == Document.id)
                           .where(Change.id.in_(list(ids))))
    for c, d in rows:
        out[c.id] = ChangeRow(c.id, c.kind, d.key, d.urls[0], c.detected_at, c.added_words, c.removed_words,
                              c.from_version_id, c.to_version_id, tuple(_assessment(a, c) for a in c.assessments))
    return out


def texts(session, change: ChangeRow) -> tuple[str, str]:
    """The old and new normalised text of a change."""
    old, new = session.get(Version, change.from_version_id), session.get(Version, change.to_version_id)
    return get_text(session, old.text_sha256), get_text(session, new.text_sha256)


def citing(session, document_id: int) -> list[tuple[str, str]]:
    """(profile, source) pairs citing a document, as of the last profile load."""
    return [(c.profile, c.source) for c in
            session.scalars(select(Citation).where(Citation.document_id == document_id)
                            .order_by(Citation.profile, Citation.source))]


def anomalies(session, ids) -> dict[int, AnomalyRow]:
    out = {}
    for a in session.scalars(select(Anomaly).where(Anomaly.id.in_(list(ids)))):
        out[a.id] = AnomalyRow(a.id, a.document_id, a.kind, a.url, a.detail or "", a.since, a.open, a.closed_at,
                               tuple(citing(session, a.document_id)))
    return out


def reported_changes(session, *, profile: str | None = None, limit: int = 100) -> list[ChangeRow]:
    """The newest reported changes (of one profile), each with its reported assessments only."""
    q = (select(Change.id).join(Assessment, Assessment.change_id == Change.id).where(Assessment.reported.is_(True))
         .group_by(Change.id).order_by(Change.id.desc()).limit(limit))
    if profile:
        q = q.where(Assessment.profile == profile)
    ids = list(session.scalars(q))
    rows = changes(session, ids)
    out = []
    for cid in ids:
        row = rows[cid]
        kept = tuple(a for a in row.assessments if a.reported and (profile is None or a.profile == profile))
        out.append(ChangeRow(**{**row.__dict__, "assessments": kept}))
    return out
