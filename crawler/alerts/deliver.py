"""After a run: bundle the queued alerts into one digest per subscription, then send what is due.

Sending is deliver-then-mark: a delivery is claimed (so no other process sends it meanwhile), sent
through Apprise, and marked `sent` in its own short transaction right after. A process killed in
the instant between sending and marking leaves the delivery pending; the next run (or `alerts
--retry`) sends it again. So a channel may, rarely, receive one digest twice — with the same digest
id (in the text and the `X-Clausewatch-Digest` header of e-mails and webhooks) — but never loses
one: for alerts that may invalidate a rating, a duplicate is cheap and a silent loss is not.

A failed attempt is retried on later runs after `backoff`, doubling each time, until
`max_attempts`; then the delivery is `failed` and `clausewatch status` exits 1. One channel's
failure never stops the others, nor the crawl.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import sys
from dataclasses import dataclass, field

from crawler.alerts import digest as digests
from crawler.alerts import render
from crawler.alerts.config import Alerts, Channel, Subscription
from snapshots import outbox
from snapshots.archive import Archive
from snapshots.kinds import DeliveryStatus, DigestKind, utcnow

log = logging.getLogger("clausewatch.alerts")
CLAIM_TTL = dt.timedelta(minutes=10)  # a claim older than this is taken over (its holder is stuck or dead)
KILL_AFTER_SEND = "CLAUSEWATCH_TEST_KILL_AFTER_SEND"  # tests: SIGKILL ourselves between sending and marking
DIGEST_HEADER = "X-Clausewatch-Digest"


def holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Report:
    digests: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _archive(db_or_archive) -> Archive:
    return db_or_archive if isinstance(db_or_archive, Archive) else Archive(db_or_archive)


# -- bundling ------------------------------------------------------------------------------------
def _compose(tx, view: digests.DigestView, digest_id: int) -> None:
    outbox.set_body(tx, digest_id, subject=render.subject(view), text=render.text(view, digest_id),
                    html=render.html_body(view, digest_id))


def bundle(db_or_archive, alerts: Alerts, catalog, run_id: str | None, now: dt.datetime | None = None) -> int:
    """One digest per subscription owed alerts (and heartbeats that are due); returns how many."""
    archive, now = _archive(db_or_archive), now or utcnow()
    made = 0
    with archive.transaction() as tx:
        queued = outbox.unbundled(tx.session)
        for name, items in queued.items():
            sub = alerts.subscription(name)
            view = digests.build(tx.session, catalog, alerts.base_url, name, items, run_id)
            channels = [(c.key, c.label) for c in sub.channels] if sub is not None and not view.empty else []
            if sub is None:
                log.warning("alerts: subscription %r is no longer in %s; %d alerts dropped", name, alerts.path, len(items))
            digest_id = outbox.add_digest(tx, subscription=name, kind=DigestKind.DIGEST, run_id=run_id,
                                          alert_ids=[a.id for a in items], channels=channels)
            _compose(tx, view, digest_id)
            made += bool(channels)
        for sub in alerts.subscriptions:
            if sub.heartbeat and sub.name not in queued and sub.channels:
                last = outbox.last_digest_at(tx.session, sub.name)
                if last is None or now - last >= dt.timedelta(seconds=sub.heartbeat):
                    digest_id = outbox.add_digest(tx, subscription=sub.name, kind=DigestKind.HEARTBEAT, run_id=run_id,
                                                  alert_ids=[], channels=[(c.key, c.label) for c in sub.channels])
                    outbox.set_body(tx, digest_id, **heartbeat(sub, last, alerts.base_url, digest_id))
                    made += 1
    return made


def heartbeat(sub: Subscription, since: dt.datetime | None, base_url: str, digest_id: int) -> dict:
    period = "since " + since.strftime("%Y-%m-%d %H:%M UTC") if since else "so far"
    text = (f"clausewatch — all clear: nothing to report {period} for subscription {sub.name}.\n"
            f"{base_url}\n\n-- \ndigest {digest_id} (heartbeat)")
    html_text = render.e(text.split("\n")[0])
    return {"subject": f"clausewatch: all clear — nothing to report {period}", "text": text,
            "html": f'<!DOCTYPE html><html><body><p>{html_text}</p><p><a href="{render.e(base_url)}">'
                    f"{render.e(base_url)}</a></p><p>digest {digest_id} (heartbeat)</p></body></html>"}


# -- sending -------------------------------------------------------------------------------------
def _prefers_html(plugin) -> bool:
    formats = plugin.notify_format
    first = formats[0] if isinstance(formats, (tuple, list)) else formats
    return str(getattr(first, "value", first)) == "html"


def send(channel: Channel, subject: str, text: str, html: str, base_url: str, ident: str) -> str | None:
    """Send one message; None when the channel accepted it, else why not. Never raises."""
    import apprise

    plugin = apprise.Apprise.instantiate(channel.url, suppress_exceptions=True)
    if plugin is None:
        return f"{channel.label}: not a notification URL Apprise understands"
    headers = getattr(plugin, "headers", None)
    if isinstance(headers, dict):
        headers[DIGEST_HEADER] = ident
    if _prefers_html(plugin):  # e-mail: multipart text + HTML
        body, fmt = html, apprise.NotifyFormat.HTML
    else:
        limit = int(plugin.body_maxlen or 0)
        if limit and (plugin.title_maxlen <= 0 or getattr(plugin, "overflow_amalgamate_title", False)):
            limit -= len(subject) + 2
        body, fmt = render.fit(text, limit, base_url), apprise.NotifyFormat.TEXT
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
        try:
            ok = plugin.notify(body=body, title=subject, body_format=fmt)
        except Exception as exc:  # noqa: BLE001 - a channel never breaks a run
            return f"{type(exc).__name__}: {exc}"
    if ok:
        return None
    return " ".join(captured.getvalue().split())[:500] or "the channel refused the message"


def _dead(claimed_by: str | None) -> str | None:
    """The claim's holder when it is a process of this host that no longer exists."""
    if not claimed_by or ":" not in claimed_by:
        return None
    host, _, pid = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return claimed_by
    except PermissionError:
        return None
    return None


def deliver(db_or_archive, alerts: Alerts, *, now: dt.datetime | None = None, ignore_backoff: bool = False,
            ids=()) -> Report:
    """Send every due delivery (or only these ids); see the module docstring."""
    archive, report, me = _archive(db_or_archive), Report(), holder()
    with archive.reading() as s:
        rows = [r for r in outbox.due(s, now or utcnow(), ignore_backoff=ignore_backoff) if not ids or r.id in ids]
    for row in rows:
        at = now or utcnow()
        with archive.transaction() as tx:
            if not outbox.claim(tx.session, row.id, me, at, at - CLAIM_TTL, takeover=_dead(row.claimed_by)):
                continue  # another process is sending it
        sub = alerts.subscription(row.subscription)
        channel = next((c for c in sub.channels if c.key == row.channel), None) if sub else None
        if channel is None:
            error, give_up = f"{row.label}: no longer a channel of subscription {row.subscription!r} in {alerts.path}", True
        else:
            error = send(channel, row.subject, row.text, row.html, alerts.base_url, f"{row.digest_id}")
            give_up = row.attempts + 1 >= alerts.max_attempts
        if error is None:
            if os.environ.get(KILL_AFTER_SEND):
                os.kill(os.getpid(), signal.SIGKILL)
            with archive.transaction() as tx:
                outbox.mark_sent(tx.session, row.id, me, utcnow())
            report.sent += 1
            continue
        wait = dt.timedelta(seconds=alerts.backoff * 2 ** row.attempts)
        with archive.transaction() as tx:
            outbox.mark_attempt_failed(tx.session, row.id, me, error, None if give_up else at + wait)
        log.warning("alerts: delivery %d to %s failed (attempt %d%s): %s", row.id, row.label, row.attempts + 1,
                    ", giving up" if give_up else f", next after {(at + wait):%Y-%m-%d %H:%M} UTC", error)
        report.errors.append(f"{row.label}: {error}")
        if give_up:
            report.failed += 1
        else:
            report.retrying += 1
    return report


def after_run(db, settings, catalog, run_id: str | None) -> Report | None:
    """`check` and the daemon's runs call this once the run is recorded: bundle, then send what is due."""
    from crawler.alerts.config import load_alerts

    alerts = load_alerts(settings, catalog)
    if alerts is None:
        return None
    archive = Archive(db)
    made = bundle(archive, alerts, catalog, run_id)
    report = deliver(archive, alerts)
    report.digests = made
    if report.sent or report.errors:
        print(f"alerts: {report.sent} sent" + (f", {report.retrying} to retry" if report.retrying else "")
              + (f", {report.failed} failed for good (see: clausewatch alerts)" if report.failed else ""), file=sys.stderr)
        for error in report.errors:
            print(f"  {error}", file=sys.stderr)
    return report


def state(session, failed_limit: int = 20) -> dict:
    """For `status`: deliveries per status, and the failed ones (snapshots.outbox.state)."""
    return outbox.state(session, failed_limit)
