"""Unattended operation: `schedule` (the daemon), `status` (health for people and monitors), `prune`.

`exclusive(kind)` wraps a command that must run alone (`check`, `reextract`, `prune`): it takes the
run lease or exits 4 with who holds it, makes SIGTERM behave like Ctrl-C, and marks the command's
run `interrupted` or `failed` when it does not complete.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys

from crawler.cli.context import UsageError, emit_json, plural, table

EXIT_LEASE_HELD = 4


def exclusive(kind: str):
    """Decorate `func(args, ctx, **extra)`: run it holding the run lease, with `ctx.run_id` set."""

    def decorate(func):
        @functools.wraps(func)
        def command(args, ctx, **extra) -> int:
            from crawler.logs import bind_run
            from crawler.runs import new_run_id
            from scheduler.child import RUN_ID_VARIABLE
            from scheduler.lease import RUN_LEASE, LeaseHeld, hold, holder_text
            from scheduler.stopping import end_run, terminate_as_interrupt

            # the daemon names its child's run in advance, so its log lines carry the id from the start
            ctx.run_id = os.environ.get(RUN_ID_VARIABLE) or new_run_id()
            lease = hold(ctx.db, RUN_LEASE, holder_text(ctx.run_id), ctx.settings.lease_ttl, run_id=ctx.run_id)
            try:
                taken = lease.__enter__()
            except LeaseHeld as exc:
                print(f"clausewatch: {exc}; not starting {kind}", file=sys.stderr)
                return EXIT_LEASE_HELD
            try:
                terminate_as_interrupt()
                if taken.previous_run:  # its holder died: so did its run
                    end_run(ctx.db, "interrupted", run_id=taken.previous_run)
                with bind_run(ctx.run_id):
                    return func(args, ctx, **extra)
            except KeyboardInterrupt:
                end_run(ctx.db, "interrupted", run_id=ctx.run_id)
                raise
            except BaseException:
                end_run(ctx.db, "failed", run_id=ctx.run_id)
                raise
            finally:
                lease.__exit__(None, None, None)

        return command

    return decorate


def _duration(text: str, option: str) -> dt.timedelta:
    from crawler.profiles import parse_interval

    seconds = parse_interval(text)
    if not seconds:
        raise UsageError(f"{option} {text!r}: expected a number and s/m/h/d, e.g. 36h or 90d")
    return dt.timedelta(seconds=seconds)


def register(sub) -> None:
    p = sub.add_parser("schedule", help="run checks on the profiles' schedules until stopped (a daemon)",
                       description="Run as a long-lived daemon: check each document on its schedule (a profile's or "
                                   "source's `schedule`/`interval`, else [schedule] default), one crawl at a time in a "
                                   "child process. Reloads the profiles when they change or on SIGHUP; stops cleanly "
                                   "on SIGTERM or Ctrl-C. A check missed while the daemon was down runs once at start.")
    p.add_argument("--watch-interval", type=float, default=2.0, metavar="SECONDS",
                   help="how often to look for changed profile files (default: 2)")
    p.add_argument("--log-json", action="store_true", default=None,
                   help="log one JSON object per line (default: the log_json setting)")
    p.set_defaults(func=run_schedule)

    p = sub.add_parser("status", help="last run, next runs, open anomalies, failing documents; exit 1 if stale",
                       description="Health for people and monitoring: the last run (when, how long, outcomes), the "
                                   "next scheduled runs, open anomalies and documents failing repeatedly. Exit 1 when "
                                   "no run has completed within --max-age, 0 otherwise.")
    p.add_argument("--max-age", metavar="AGE", default=None,
                   help="unhealthy when the last completed check is older than this, e.g. 36h (default: the max_age setting)")
    p.add_argument("--json", action="store_true", help="print the status as JSON")
    p.set_defaults(func=run_status)

    p = sub.add_parser("prune", help="delete old fetch records and unreferenced snapshot bytes",
                       description="Apply the retention policy: fetch records older than --keep go (the newest per URL "
                                   "stays); snapshots older than --keep that no version or fetch record cites go; then "
                                   "bytes nothing refers to. Versions and changes are never deleted. Takes the run lease.")
    p.add_argument("--keep", required=True, metavar="AGE", help="keep records younger than this, e.g. 90d")
    p.add_argument("--dry-run", action="store_true", help="report what would be deleted, delete nothing")
    p.add_argument("--json", action="store_true", help="print the counts as JSON")
    p.set_defaults(func=run_prune)


# -- schedule ---------------------------------------------------------------------------------
def run_schedule(args, ctx) -> int:
    from crawler import logs
    from scheduler.daemon import Daemon

    logs.setup(json_lines=ctx.settings.log_json if args.log_json is None else args.log_json)
    return Daemon(ctx.settings, ctx.db, config=args.config, watch_interval=args.watch_interval).run()


# -- status -----------------------------------------------------------------------------------
def collect_status(ctx, max_age: dt.timedelta) -> dict:
    from scheduler import lease, plan
    from snapshots import history, outbox

    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    with ctx.reading() as s:
        last, completed = history.last_run(s), history.last_completed_run(s)
        cites = history.citations(s)
        anomalies = [{"id": a.id, "kind": a.kind, "url": a.url, "since": _iso(a.since), "detail": a.detail,
                      "sources": cites.get(a.document_id, [])}
                     for a in reversed(history.anomalies(s))]  # oldest first
        failing = [{"document": f.document.key, "failures": f.failures, "last_check": _iso(f.last_fetch_at),
                    "reason": f.reason, "sources": cites.get(f.document.id, []),
                    "failing_since": _iso(history.failing_since(s, f.document.id))}
                   for f in history.failing_documents(s, at_least=1)]
        all_failed = [p.profile for p in history.profiles_failing(s) if p.documents and p.failed == p.documents]
        holder = lease.held(s)
        alerts = outbox.state(s)
    too_long = [f["document"] for f in failing if f["failing_since"]
                and now - dt.datetime.fromisoformat(f["failing_since"].rstrip("Z")) > max_age]
    failing = [f for f in failing if f["failures"] >= 2 or f["document"] in too_long]  # shown: failing repeatedly
    next_runs = []
    catalog = ctx.catalog
    if catalog.profiles:
        entries = plan.build(catalog, ctx.settings.schedule_default)
        checks = plan.last_checks(ctx.reads, [k for e in entries for k in e.documents])
        aware_now = now.replace(tzinfo=plan.UTC)
        for entry in entries:
            due = plan.due_time(entry, checks, aware_now)
            next_runs.append({"schedule": entry.schedule, "due": _iso(due.astimezone(plan.UTC).replace(tzinfo=None)),
                              "overdue": due <= aware_now, "documents": len(entry.documents)})
        next_runs.sort(key=lambda r: r["due"])
    finished = completed.finished_at if completed else None
    return {
        "last_run": _run_json(last) if last else None,
        "last_completed_at": _iso(finished),
        "next_runs": next_runs,
        "open_anomalies": anomalies,
        "failing_documents": failing,
        "lease": ({"holder": holder.holder, "since": _iso(holder.acquired_at), "expires": _iso(holder.expires_at),
                   "expired": holder.expires_at < now} if holder else None),
        "alerts": alerts,
        "profiles_all_failing": all_failed,
        "failing_too_long": too_long,
        "healthy": (finished is not None and now - finished <= max_age and not alerts["failed"] and not all_failed
                    and not too_long),
        "max_age": ctx.args.max_age or ctx.settings.max_age,
    }


def _iso(value) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def _run_json(run) -> dict:
    took = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    return {"id": run.id, "status": run.status, "started_at": _iso(run.started_at), "finished_at": _iso(run.finished_at),
            "duration_s": round(took, 1) if took is not None else None, "host": run.host, "counts": run.counts or {}}


def _ago(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def run_status(args, ctx) -> int:
    max_age_text = args.max_age or ctx.settings.max_age
    data = collect_status(ctx, _duration(max_age_text, "--max-age"))
    if args.json:
        emit_json(data)
        return 0 if data["healthy"] else 1
    run = data["last_run"]
    if run is None:
        print("Last run: none yet (run: clausewatch check)")
    else:
        c = run["counts"]
        took = f", took {_ago(run['duration_s'])}" if run["duration_s"] is not None else ""
        print(f"Last run: {run['id']} {run['status']}, started {run['started_at']}{took}")
        if "new" in c:
            print(f"  {plural(c.get('documents', 0), 'document')}: {c.get('new', 0)} new, {c.get('changed', 0)} changed, "
                  f"{c.get('unchanged', 0)} unchanged, {c.get('failed', 0)} failed")
    if data["lease"]:
        lease = data["lease"]
        print(f"Running now: {lease['holder']} since {lease['since']}"
              + (" (lease expired: its holder died; the next run takes over)" if lease["expired"] else ""))
    if data["next_runs"]:
        print("\nNext runs")
        table([[r["schedule"], r["due"] + (" (overdue)" if r["overdue"] else ""), r["documents"]]
               for r in data["next_runs"]], ["SCHEDULE", "DUE (UTC)", "DOCUMENTS"])
    if data["open_anomalies"]:
        print(f"\nOpen anomalies ({len(data['open_anomalies'])})")
        table([[a["id"], a["kind"], a["since"], ", ".join(a["sources"]) or a["url"]] for a in data["open_anomalies"]],
              ["ID", "KIND", "SINCE", "SOURCES"])
    if data["failing_documents"]:
        print(f"\nFailing documents ({len(data['failing_documents'])})")
        table([[f["failures"], ", ".join(f["sources"]) or f["document"], f["reason"] or ""]
               for f in data["failing_documents"]], ["FAILURES", "SOURCES", "LAST REASON"])
    if data["alerts"]["failed_deliveries"]:
        print(f"\nFailed alert deliveries ({data['alerts']['failed']}; retry: clausewatch alerts --retry)")
        table([[d["id"], d["subscription"], d["channel"][:60], d["last_error"] or ""]
               for d in data["alerts"]["failed_deliveries"]], ["ID", "SUBSCRIPTION", "CHANNEL", "LAST ERROR"])
    for pid in data["profiles_all_failing"]:
        print(f"\nEvery document of profile {pid} failed its last check")
    if data["failing_too_long"]:
        print(f"\n{plural(len(data['failing_too_long']), 'document')} failing for longer than {max_age_text}")
    verdict = "healthy" if data["healthy"] else "UNHEALTHY"
    last = data["last_completed_at"] or "never"
    failed = f"; {data['alerts']['failed']} alert deliveries failed" if data["alerts"]["failed"] else ""
    print(f"\n{verdict}: last completed check {last} (max age {max_age_text}){failed}")
    return 0 if data["healthy"] else 1


# -- prune ------------------------------------------------------------------------------------
@exclusive("prune")
def run_prune(args, ctx) -> int:
    from scheduler.retention import prune
    from snapshots import runs
    from snapshots.kinds import RunKind

    keep = _duration(args.keep, "--keep")
    result = prune(ctx.db, keep, dry_run=args.dry_run)
    if not args.dry_run:
        with ctx.archive.transaction() as tx:
            runs.record(tx, ctx.run_id, RunKind.PRUNE, result.to_json())
    if args.json:
        emit_json(result.to_json())
    else:
        verb = "would delete" if args.dry_run else "deleted"
        print(f"{verb} {result.fetches} fetch records, {result.snapshots} snapshots, {result.blobs} blobs "
              f"({result.bytes / 1e6:.1f} MB) older than {args.keep}")
    return 0

