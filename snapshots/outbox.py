"""The alert outbox: alerts owed to subscriptions, the digests bundling them, their deliveries.

    alerts (written in the transaction that records the change or anomaly)
      └─ bundled after the run into one digest per subscription (subject, text, HTML, frozen)
           └─ one delivery per channel of the subscription: pending → sent | failed (→ dismissed)

Sending is claimed first (a conditional UPDATE, atomic on SQLite and PostgreSQL alike), so two
processes never send the same delivery at once; a claim whose holder died is taken over once it
is stale. Writes take the archive `tx` (or a session), reads a session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from snapshots.kinds import AlertKind, DeliveryStatus, DigestKind, utcnow
from snapshots.sql import at, reader

# SQLAlchemy and the models are imported by the functions that use them: `status` reads the counts
# (`state`) through plain SQL, without them


def _session(tx_or_session):
    return getattr(tx_or_session, "session", tx_or_session)


# -- alerts ---------------------------------------------------------------------------------
def add_alerts(tx, rows: list[dict]) -> None:
    """Queue alerts: dicts with subscription, kind and change_id+profile or anomaly_id, run_id."""
    from snapshots.models import Alert

    _session(tx).add_all([Alert(created_at=utcnow(), **row) for row in rows])


@dataclass(frozen=True)
class QueuedAlert:
    id: int
    subscription: str
    kind: AlertKind
    change_id: int | None
    profile: str | None
    anomaly_id: int | None
    run_id: str | None


def unbundled(session) -> dict[str, list[QueuedAlert]]:
    """Alerts not yet in a digest, by subscription, oldest first."""
    from sqlalchemy import select

    from snapshots.models import Alert

    out: dict[str, list[QueuedAlert]] = {}
    for a in session.scalars(select(Alert).where(Alert.digest_id.is_(None)).order_by(Alert.id)):
        out.setdefault(a.subscription, []).append(
            QueuedAlert(a.id, a.subscription, AlertKind(a.kind), a.change_id, a.profile, a.anomaly_id, a.run_id))
    return out


class BundleRace(RuntimeError):
    """Another process bundled some of these alerts first; roll back and look again."""


def add_digest(tx, *, subscription: str, kind: DigestKind, run_id: str | None, alert_ids: list[int],
               channels: list[tuple[str, str]]) -> int:
    """Start a digest: bind its alerts to it and add one pending delivery per (channel key, label).

    Its words come next, with its id in them (`set_body`), in the same transaction.
    """
    from sqlalchemy import update

    from snapshots.models import Alert, Delivery, Digest

    session = _session(tx)
    now = utcnow()
    digest = Digest(subscription=subscription, kind=kind, run_id=run_id, created_at=now, subject="", text="", html="")
    session.add(digest)
    session.flush()
    if alert_ids:
        bound = session.execute(update(Alert).where(Alert.id.in_(alert_ids), Alert.digest_id.is_(None))
                                .values(digest_id=digest.id).execution_options(synchronize_session=False)).rowcount
        if bound != len(alert_ids):
            raise BundleRace(f"{len(alert_ids) - bound} alerts of {subscription!r} were bundled by another process")
    session.add_all([Delivery(digest_id=digest.id, channel=key, label=label, status=DeliveryStatus.PENDING,
                              attempts=0, created_at=now) for key, label in channels])
    return digest.id


def set_body(tx, digest_id: int, *, subject: str, text: str, html: str) -> None:
    from sqlalchemy import update

    from snapshots.models import Digest

    _session(tx).execute(update(Digest).where(Digest.id == digest_id)
                         .values(subject=subject, text=text, html=html)
                         .execution_options(synchronize_session=False))


def last_digest_at(session, subscription: str) -> dt.datetime | None:
    """When a digest or a heartbeat was last made for this subscription."""
    from sqlalchemy import func, select

    from snapshots.models import Digest

    return session.scalar(select(func.max(Digest.created_at)).where(Digest.subscription == subscription))


# -- deliveries -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Outgoing:
    """A delivery with what it sends."""

    id: int
    digest_id: int
    subscription: str
    channel: str
    label: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: dt.datetime | None
    claimed_by: str | None
    claimed_at: dt.datetime | None
    last_error: str | None
    sent_at: dt.datetime | None
    created_at: dt.datetime
    kind: DigestKind
    run_id: str | None
    subject: str
    text: str
    html: str

    def to_json(self) -> dict:
        iso = (lambda v: v.isoformat(timespec="seconds") + "Z" if v else None)
        return {"id": self.id, "digest": self.digest_id, "subscription": self.subscription, "channel": self.label,
                "status": str(self.status), "attempts": self.attempts, "next_attempt_at": iso(self.next_attempt_at),
                "last_error": self.last_error, "sent_at": iso(self.sent_at), "created_at": iso(self.created_at),
                "kind": str(self.kind), "run_id": self.run_id, "subject": self.subject}


_OUTGOING = ("SELECT d.id, g.id, g.subscription, d.channel, d.label, d.status, d.attempts, d.next_attempt_at, "
             "d.claimed_by, d.claimed_at, d.last_error, d.sent_at, d.created_at, g.kind, g.run_id, g.subject, g.text, "
             "g.html FROM alert_deliveries d JOIN alert_digests g ON d.digest_id = g.id")


def deliveries(session, *, statuses=(), ids=(), limit: int | None = None) -> list[Outgoing]:
    """Deliveries newest first, optionally of these statuses or ids (plain SQL: `status` reads them too)."""
    where, params = [], {}
    if statuses:
        where.append("d.status IN :statuses")
        params["statuses"] = [str(s) for s in statuses]
    if ids:
        where.append("d.id IN :ids")
        params["ids"] = list(ids)
    statement = _OUTGOING + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY d.id DESC"
    if limit:
        statement += f" LIMIT {int(limit)}"
    return [_outgoing(row) for row in reader(session).all(statement, **params)]


def _outgoing(row) -> Outgoing:
    (did, gid, subscription, channel, label, status, attempts, next_attempt_at, claimed_by, claimed_at, last_error,
     sent_at, created_at, kind, run_id, subject, text, html) = row
    return Outgoing(did, gid, subscription, channel, label, DeliveryStatus(status), attempts, at(next_attempt_at),
                    claimed_by, at(claimed_at), last_error, at(sent_at), at(created_at), DigestKind(kind), run_id,
                    subject, text, html)


def due(session, now: dt.datetime, *, ignore_backoff: bool = False) -> list[Outgoing]:
    """Pending deliveries whose next attempt is due (all pending ones with `ignore_backoff`), oldest first."""
    statement = _OUTGOING + " WHERE d.status = :pending"
    if not ignore_backoff:
        statement += " AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= :now)"
    return [_outgoing(row) for row in reader(session).all(statement + " ORDER BY d.id",
                                                          pending=str(DeliveryStatus.PENDING), now=now)]


def claim(session, delivery_id: int, holder: str, now: dt.datetime, stale_before: dt.datetime,
          takeover: str | None = None) -> bool:
    """Take a pending delivery to send it; False when another live holder has it (or it is no longer pending).

    A claim older than `stale_before`, or held by `takeover` (a holder known to be dead), is taken over.
    """
    from sqlalchemy import or_, update

    from snapshots.models import Delivery

    free = or_(Delivery.claimed_by.is_(None), Delivery.claimed_at < stale_before, Delivery.claimed_by == holder)
    if takeover:
        free = or_(free, Delivery.claimed_by == takeover)
    return session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.PENDING,
                                                  free)
                           .values(claimed_by=holder, claimed_at=now)
                           .execution_options(synchronize_session=False)).rowcount == 1


def mark_sent(session, delivery_id: int, holder: str, now: dt.datetime) -> None:
    from sqlalchemy import update

    from snapshots.models import Delivery

    session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.claimed_by == holder)
                    .values(status=DeliveryStatus.SENT, sent_at=now, attempts=Delivery.attempts + 1,
                            claimed_by=None, claimed_at=None, last_error=None, next_attempt_at=None)
                    .execution_options(synchronize_session=False))


def mark_attempt_failed(session, delivery_id: int, holder: str, error: str, next_attempt_at: dt.datetime | None) -> None:
    """Record a failed attempt; `next_attempt_at` None means give up (status failed)."""
    from sqlalchemy import update

    from snapshots.models import Delivery

    values = {"attempts": Delivery.attempts + 1, "claimed_by": None, "claimed_at": None, "last_error": error[:2000],
              "next_attempt_at": next_attempt_at}
    if next_attempt_at is None:
        values["status"] = DeliveryStatus.FAILED
    session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.claimed_by == holder).values(**values)
                    .execution_options(synchronize_session=False))


def retry_failed(session, ids=()) -> int:
    """Failed deliveries (or these ids) become pending again, due now; returns how many."""
    from sqlalchemy import update

    from snapshots.models import Delivery

    q = update(Delivery).where(Delivery.status == DeliveryStatus.FAILED)
    if ids:
        q = q.where(Delivery.id.in_(list(ids)))
    return session.execute(q.values(status=DeliveryStatus.PENDING, next_attempt_at=None)
                           .execution_options(synchronize_session=False)).rowcount


def dismiss(session, ids=()) -> int:
    """Forget failed deliveries (all, or these ids): `status` stops counting them."""
    from sqlalchemy import update

    from snapshots.models import Delivery

    q = update(Delivery).where(Delivery.status == DeliveryStatus.FAILED)
    if ids:
        q = q.where(Delivery.id.in_(list(ids)))
    return session.execute(q.values(status=DeliveryStatus.DISMISSED).execution_options(synchronize_session=False)).rowcount


def counts(session) -> dict[str, int]:
    """Deliveries per status, plus alerts not bundled yet (`queued`)."""
    r = reader(session)
    out = {str(s): 0 for s in DeliveryStatus}
    out.update(dict(r.all("SELECT status, count(*) FROM alert_deliveries GROUP BY status")))
    out["queued"] = r.scalar("SELECT count(*) FROM alerts WHERE digest_id IS NULL") or 0
    return out


def state(session, failed_limit: int = 20) -> dict:
    """For `status`: deliveries per status, and the failed ones."""
    failed = [r.to_json() for r in deliveries(session, statuses=[DeliveryStatus.FAILED], limit=failed_limit)]
    return {**counts(session), "failed_deliveries": failed}
