"""Anomalies: fetch or extraction trouble, recorded apart from changes so it never reads as an edit.

Kinds: `gone` (404/410), `moved` (permanent redirect or a new final URL), `blocked` (403/429, bot
challenges, login walls), `suspicious` (text shrank by more than half, selector matched nothing,
empty text), `unreachable` (N consecutive failures). While one is open no version is recorded and
the previous version stays current; the next good read of the document closes it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from snapshots.models import Anomaly, Document, Fetch, utcnow

def open_(session, doc: Document, url: str, kind: str, detail: str, run_id: str | None) -> bool:
    """Open an anomaly (or refresh the open one of that kind); True when a new one was opened."""
    current = session.scalar(select(Anomaly).where(Anomaly.document_id == doc.id, Anomaly.kind == kind,
                                                   Anomaly.open.is_(True)))
    if current is not None:
        current.detail, current.url = detail, url
        return False
    session.add(Anomaly(document_id=doc.id, url=url, kind=kind, detail=detail, run_id=run_id, since=utcnow()))
    return True


def close_all(session, doc: Document) -> int:
    rows = session.scalars(select(Anomaly).where(Anomaly.document_id == doc.id, Anomaly.open.is_(True))).all()
    for row in rows:
        row.open, row.closed_at = False, utcnow()
    return len(rows)


def for_failure(session, doc: Document, url: str, reason: str, status: int | None, run_id: str,
                unreachable_after: int) -> int:
    """Open the anomalies a failed fetch calls for; returns how many were opened."""
    from crawler.fetch_errors import immediate_anomaly  # robots.txt refusals and refused destinations: at once

    opened, now = 0, immediate_anomaly(reason)
    if status in (404, 410):
        opened += open_(session, doc, url, "gone", f"{reason}: the last good version is kept", run_id)
    elif status in (401, 403, 429) or (reason or "").startswith("bot challenge") or now == "blocked":
        opened += open_(session, doc, url, "blocked", reason, run_id)
    if doc.consecutive_failures >= unreachable_after or now == "unreachable":
        opened += open_(session, doc, url, "unreachable",
                        f"{doc.consecutive_failures} consecutive failed checks; last: {reason}", run_id)
    return opened


def _same_place(a: str, b: str) -> bool:
    """Equal but for scheme, host case and a trailing slash (http->https is not a move)."""
    pa, pb = urlsplit(a), urlsplit(b)
    return ((pa.hostname or "").lower(), pa.path.rstrip("/") or "/", pa.query) == \
        ((pb.hostname or "").lower(), pb.path.rstrip("/") or "/", pb.query)


def moved(session, fetches: list[Fetch]) -> tuple[str, str] | None:
    """(url, detail) when a page now ends at another URL than it used to, or redirects permanently."""
    for f in fetches:
        if f is None or not f.final_url or _same_place(f.url, f.final_url):
            continue
        previous = session.scalar(select(Fetch.final_url).where(Fetch.url == f.url, Fetch.id < f.id,
                                                                Fetch.outcome != "failed",
                                                                Fetch.final_url.is_not(None))
                                  .order_by(Fetch.id.desc()).limit(1))
        permanent = any(code in ("301", "308") for code in (f.reason or "").split()[:-1])
        if permanent or (previous is not None and not _same_place(previous, f.final_url)):
            how = "redirects permanently" if permanent else "now ends"
            return f.url, f"{f.url} {how} at {f.final_url}; update the source's url (no version recorded meanwhile)"
    return None
