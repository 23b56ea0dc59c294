"""Anomalies: fetch or extraction trouble, recorded apart from changes so it never reads as an edit.

Kinds (models.AnomalyKind): `gone` (404/410), `moved` (permanent redirect, a new final URL, or a
redirect stub), `blocked` (403/429, bot challenges, login walls, robots.txt), `suspicious` (text
shrank by more than half, selector matched nothing, empty text, an error page served with 200),
`unreachable` (N consecutive failures). While one is open no version is recorded and the previous
version stays current; the next good read of the document closes it. Opening and closing emit
AnomalyOpened / AnomalyClosed through the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import func, select

from snapshots.events import AnomalyClosed, AnomalyOpened
from snapshots.models import Anomaly, AnomalyKind, Fetch, Outcome, utcnow


def open_(tx, document_id: int, url: str, kind: AnomalyKind, detail: str, run_id: str | None) -> bool:
    """Open an anomaly (or refresh the open one of that kind); True when a new one was opened."""
    s = tx.session
    current = s.scalar(select(Anomaly).where(Anomaly.document_id == document_id, Anomaly.kind == kind,
                                             Anomaly.open.is_(True)))
    if current is not None:
        current.detail, current.url = detail, url
        return False
    row = Anomaly(document_id=document_id, url=url, kind=kind, detail=detail, run_id=run_id, since=utcnow())
    s.add(row)
    s.flush()
    tx.emit(AnomalyOpened(row.id, document_id, str(kind), url, detail, run_id))
    return True


def close_all(tx, document_id: int, run_id: str | None = None, kinds=None) -> int:
    """Close the document's open anomalies (of `kinds`, default all); returns how many."""
    q = select(Anomaly).where(Anomaly.document_id == document_id, Anomaly.open.is_(True))
    if kinds is not None:
        q = q.where(Anomaly.kind.in_([str(k) for k in kinds]))
    rows = tx.session.scalars(q).all()
    for row in rows:
        row.open, row.closed_at = False, utcnow()
    tx.session.flush()
    for row in rows:
        tx.emit(AnomalyClosed(row.id, document_id, row.kind, run_id))
    return len(rows)


def open_document_ids(session) -> set[int]:
    return set(session.scalars(select(Anomaly.document_id).where(Anomaly.open.is_(True))))


def open_kinds(session, document_id: int) -> set[str]:
    return set(session.scalars(select(Anomaly.kind).where(Anomaly.document_id == document_id,
                                                          Anomaly.open.is_(True))))


@dataclass(frozen=True)
class Move:
    url: str
    target: str
    permanent: bool

    @property
    def detail(self) -> str:
        how = "redirects permanently" if self.permanent else "now ends"
        return f"{self.url} {how} at {self.target}; update the source's url (no version recorded meanwhile)"


def same_place(a: str, b: str) -> bool:
    """Equal but for scheme, host case and a trailing slash (http->https is not a move)."""
    pa, pb = urlsplit(a), urlsplit(b)
    return ((pa.hostname or "").lower(), pa.path.rstrip("/") or "/", pa.query) == \
        ((pb.hostname or "").lower(), pb.path.rstrip("/") or "/", pb.query)


def moved(session, fetches) -> Move | None:
    """A page that now ends at another URL than it used to, or that redirects permanently."""
    for f in fetches:
        if f is None or not f.final_url or same_place(f.url, f.final_url):
            continue
        # where the page ended before (a fetch that was not redirected records no final URL)
        previous = session.scalar(select(func.coalesce(Fetch.final_url, Fetch.url))
                                  .where(Fetch.url == f.url, Fetch.id < f.id, Fetch.outcome != Outcome.FAILED)
                                  .order_by(Fetch.id.desc()).limit(1))
        permanent = f.redirect_status in (301, 308)
        if permanent or (previous is not None and not same_place(previous, f.final_url)):
            return Move(f.url, f.final_url, permanent)
    return None
