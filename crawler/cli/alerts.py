"""`alerts` (the outbox: pending, sent and failed deliveries; retry; a test digest) and `feed` (Atom)."""

from __future__ import annotations

import sys

from crawler.cli.context import UsageError, emit_json, table, when


def register(sub) -> None:
    p = sub.add_parser("alerts", help="alert deliveries: pending, sent, failed; retry them or send a test digest",
                       description="List the alert outbox: one line per digest and channel, pending (with its next "
                                   "attempt), sent or failed. --retry sends the pending and failed ones now, ignoring "
                                   "the back-off; --test sends a sample digest to a subscription's channels. "
                                   "Subscriptions live in $CLAUSEWATCH_ALERTS or <home>/alerts.toml.")
    p.add_argument("--status", choices=["pending", "sent", "failed", "dismissed"], help="only deliveries with this status")
    p.add_argument("--limit", type=int, default=50, help="at most this many lines (default 50)")
    p.add_argument("--retry", action="store_true", help="send the pending and failed deliveries now")
    p.add_argument("--dismiss", type=int, action="append", default=[], metavar="ID",
                   help="forget a failed delivery (repeatable); `status` stops counting it")
    p.add_argument("--test", metavar="SUBSCRIPTION", help="send a sample digest (the newest matching changes) to its channels")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=run_alerts)

    p = sub.add_parser("feed", help="print the reported changes as an Atom feed (of one profile or all)",
                       description="Print an Atom feed (RFC 4287) of the reported changes, newest first: one entry "
                                   "per change with a stable tag: id, the summary, the findings and the link to the "
                                   "review page. Usage: clausewatch feed [PROFILE] > feed.xml")
    p.add_argument("profile", nargs="?", metavar="PROFILE", help="only changes reported for this profile")
    p.add_argument("--base-url", metavar="URL", help="the review page's URL (default: base_url in alerts.toml)")
    p.add_argument("--limit", type=int, default=100, help="at most this many entries (default 100)")
    p.set_defaults(func=run_feed)


def _alerts(ctx, required: bool = True):
    from crawler.alerts.config import alerts_path, load_alerts

    alerts = load_alerts(ctx.settings, ctx.catalog)
    if alerts is None and required:
        raise UsageError(f"no alerts configured: write {alerts_path(ctx.settings)} (see README, Alerts)")
    return alerts


def run_alerts(args, ctx) -> int:
    from crawler.alerts.deliver import deliver, state
    from snapshots import outbox
    from snapshots.archive import Archive

    archive = Archive(ctx.db)
    if args.test:
        return run_test(args, ctx, _alerts(ctx))
    if args.dismiss:
        with archive.transaction() as tx:
            n = outbox.dismiss(tx.session, args.dismiss)
        print(f"dismissed {n} failed deliver{'y' if n == 1 else 'ies'}", file=sys.stderr)
    if args.retry:
        from crawler.alerts.deliver import bundle

        alerts = _alerts(ctx)
        with archive.transaction() as tx:
            outbox.retry_failed(tx.session)
        bundle(archive, alerts, ctx.catalog, None)  # alerts left by a run that stopped before bundling
        report = deliver(archive, alerts, ignore_backoff=True)
        print(f"sent {report.sent}, will retry {report.retrying}, failed {report.failed}", file=sys.stderr)
        for error in report.errors:
            print(f"  {error}", file=sys.stderr)
    with archive.reading() as s:
        rows = outbox.deliveries(s, statuses=[args.status] if args.status else (), limit=args.limit)
        summary = state(s)
    if args.json:
        emit_json({"counts": {k: v for k, v in summary.items() if k != "failed_deliveries"},
                   "deliveries": [r.to_json() for r in rows]})
        return 1 if args.retry and summary["failed"] else 0
    if not rows:
        print("no alert deliveries yet" + (" with this status" if args.status else ""))
    else:
        table([[r.id, r.status, _state_detail(r), r.subscription, r.label[:60], r.subject] for r in rows],
              ["ID", "STATUS", "WHEN", "SUBSCRIPTION", "CHANNEL", "SUBJECT"])
    print(f"\n{summary['pending']} pending, {summary['sent']} sent, {summary['failed']} failed"
          + (f", {summary['queued']} alerts not bundled yet" if summary["queued"] else ""))
    return 1 if args.retry and summary["failed"] else 0


def _state_detail(r) -> str:
    if r.status == "sent":
        return when(r.sent_at)
    if r.status == "pending":
        return f"next {when(r.next_attempt_at)}" if r.next_attempt_at else "due"
    return f"{r.attempts} attempt{'' if r.attempts == 1 else 's'}"


def run_test(args, ctx, alerts) -> int:
    from crawler.alerts.deliver import send
    from crawler.alerts.sample import sample_digest
    from crawler.alerts import render

    sub = alerts.subscription(args.test)
    if sub is None:
        raise UsageError(f"no subscription {args.test!r} in {alerts.path} "
                         f"(known: {', '.join(s.name for s in alerts.subscriptions) or 'none'})")
    view = sample_digest(ctx.db, ctx.catalog, alerts, sub)
    failed = 0
    results = []
    for channel in sub.channels:
        error = send(channel, render.subject(view), render.text(view), render.html_body(view), alerts.base_url, "test")
        failed += error is not None
        results.append({"channel": channel.label, "sent": error is None, "error": error})
    if args.json:
        emit_json({"subscription": sub.name, "subject": render.subject(view), "channels": results})
    else:
        for r in results:
            print(f"{'sent' if r['sent'] else 'FAILED'}  {r['channel']}" + (f"  ({r['error']})" if r["error"] else ""))
    return 1 if failed else 0


def run_feed(args, ctx) -> int:
    from crawler.alerts.feed import atom_feed
    from snapshots.archive import Archive

    if args.profile and args.profile not in ctx.catalog.profiles:
        raise UsageError(f"no profile {args.profile!r} (known: {', '.join(sorted(ctx.catalog.profiles)) or 'none'})")
    base_url = args.base_url
    if not base_url:
        alerts = _alerts(ctx, required=False)
        base_url = alerts.base_url if alerts else ""
    if not base_url:
        raise UsageError("the feed links to the review page: pass --base-url URL or set base_url in alerts.toml")
    sys.stdout.write(atom_feed(Archive(ctx.db), profile=args.profile, base_url=base_url, limit=args.limit,
                               catalog=ctx.catalog))
    return 0
