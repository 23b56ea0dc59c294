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

from sqlalchemy import func, or_, select, update

from snapshots.models import Alert, AlertKind, Delivery, DeliveryStatus, Digest, DigestKind, utcnow


def _session(tx_or_session):
    return getattr(tx_or_session, "session", tx_or_session)


# -- alerts ---------------------------------------------------------------------------------
def add_alerts(tx, rows: list[dict]) -> None:
    """Queue alerts: dicts with subscription, kind and change_id+profile or anomaly_id, run_id."""
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
    _session(tx).execute(update(Digest).where(Digest.id == digest_id)
                         .values(subject=subject, text=text, html=html)
                         .execution_options(synchronize_session=False))


def last_digest_at(session, subscription: str) -> dt.datetime | None:
    """When a digest or a heartbeat was last made for this subscription."""
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


def _outgoing(d: Delivery, g: Digest) -> Outgoing:
    return Outgoing(d.id, g.id, g.subscription, d.channel, d.label, DeliveryStatus(d.status), d.attempts,
                    d.next_attempt_at, d.claimed_by, d.claimed_at, d.last_error, d.sent_at, d.created_at,
                    DigestKind(g.kind), g.run_id, g.subject, g.text, g.html)


def deliveries(session, *, statuses=(), ids=(), limit: int | None = None) -> list[Outgoing]:
    """Deliveries newest first, optionally of these statuses or ids."""
    q = select(Delivery, Digest).join(Digest, Delivery.digest_id == Digest.id).order_by(Delivery.id.desc())
    if statuses:
        q = q.where(Delivery.status.in_([str(s) for s in statuses]))
    if ids:
        q = q.where(Delivery.id.in_(list(ids)))
    if limit:
        q = q.limit(limit)
    return [_outgoing(d, g) for d, g in session.execute(q)]


def due(session, now: dt.datetime, *, ignore_backoff: bool = False) -> list[Outgoing]:
    """Pending deliveries whose next attempt is due (all pending ones with `ignore_backoff`), oldest first."""
    q = (select(Delivery, Digest).join(Digest, Delivery.digest_id == Digest.id)
         .where(Delivery.status == DeliveryStatus.PENDING).order_by(Delivery.id))
    if not ignore_backoff:
        q = q.where(or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now))
    return [_outgoing(d, g) for d, g in session.execute(q)]


def claim(session, delivery_id: int, holder: str, now: dt.datetime, stale_before: dt.datetime,
          takeover: str | None = None) -> bool:
    """Take a pending delivery to send it; False when another live holder has it (or it is no longer pending).

    A claim older than `stale_before`, or held by `takeover` (a holder known to be dead), is taken over.
    """
    free = or_(Delivery.claimed_by.is_(None), Delivery.claimed_at < stale_before, Delivery.claimed_by == holder)
    if takeover:
        free = or_(free, Delivery.claimed_by == takeover)
    return session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.PENDING,
                                                  free)
                           .values(claimed_by=holder, claimed_at=now)
                           .execution_options(synchronize_session=False)).rowcount == 1


def mark_sent(session, delivery_id: int, holder: str, now: dt.datetime) -> None:
    session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.claimed_by == holder)
                    .values(status=DeliveryStatus.SENT, sent_at=now, attempts=Delivery.attempts + 1,
                            claimed_by=None, claimed_at=None, last_error=None, next_attempt_at=None)
                    .execution_options(synchronize_session=False))


def mark_attempt_failed(session, delivery_id: int, holder: str, error: str, next_attempt_at: dt.datetime | None) -> None:
    """Record a failed attempt; `next_attempt_at` None means give up (status failed)."""
    values = {"attempts": Delivery.attempts + 1, "claimed_by": None, "claimed_at": None, "last_error": error[:2000],
              "next_attempt_at": next_attempt_at}
    if next_attempt_at is None:
        values["status"] = DeliveryStatus.FAILED
    session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.claimed_by == holder).values(**values)
                    .execution_options(synchronize_session=False))


def retry_failed(session, ids=()) -> int:
    """Failed deliveries (or these ids) become pending again, due now; returns how many."""
    q = update(Delivery).where(Delivery.status == DeliveryStatus.FAILED)
    if ids:
        q = q.where(Delivery.id.in_(list(ids)))
    return session.execute(q.values(status=DeliveryStatus.PENDING, next_attempt_at=None)
                           .execution_options(synchronize_session=False)).rowcount


def dismiss(session, ids=()) -> int:
    """Forget failed deliveries (all, or these ids): `status` stops counting them."""
    q = update(Delivery).where(Delivery.status == DeliveryStatus.FAILED)
    if ids:
        q = q.where(Delivery.id.in_(list(ids)))
    return session.execute(q.values(status=DeliveryStatus.DISMISSED).execution_options(synchronize_session=False)).rowcount


def counts(session) -> dict[str, int]:
    """Deliveries per status, plus alerts not bundled yet (`queued`)."""
    out = {str(s): 0 for s in DeliveryStatus}
    out.update({status: n for status, n in session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))})
    out["queued"] = session.scalar(select(func.count()).select_from(Alert).where(Alert.digest_id.is_(None))) or 0
    return out
