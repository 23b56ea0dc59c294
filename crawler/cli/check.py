"""`check` (fetch and process the cited documents) and `validate` (check the profiles)."""

from __future__ import annotations

import contextlib
import functools
import sys

from crawler import heap
from crawler.cli.context import UsageError, emit_json, table
from crawler.cli.distributed import check_options, distributed_fetch
from crawler.cli.operate import exclusive


def register(sub) -> None:
    p = sub.add_parser("check", help="fetch every cited document and record what changed",
                       description="Fetch the documents cited by the profiles, store snapshots, extract and "
                                   "compare the text, and record changes. Exit 0: all fetched; 3: some failed; "
                                   "2: a profile is invalid (it is skipped, the others run).")
    p.add_argument("--profile", action="append", default=[], metavar="ID", help="only this profile (repeatable)")
    p.add_argument("--source", action="append", default=[], metavar="PROFILE/SOURCE", help="only this source (repeatable)")
    p.add_argument("--json", action="store_true", help="print the run summary as JSON")
    p.add_argument("--verbose", action="store_true", help="show Scrapy's log")
    check_options(p)
    p.set_defaults(func=run_check)

    p = sub.add_parser("validate", help="check every profile and report problems with file and key",
                       description="Check every profile: TOML syntax, unknown or missing keys, duplicate ids, "
                                   "non-http(s) URLs, criteria citing unknown sources. Exit 2 when any is invalid.")
    p.add_argument("--json", action="store_true", help="print the problems as JSON")
    p.set_defaults(func=run_validate)


def run_check(args, ctx) -> int:
    from crawler.alerts.config import load_alerts
    from crawler.fetchers import start_fetchers
    from crawler.runs import plan_pages

    catalog = ctx.catalog
    load_alerts(ctx.settings, catalog)  # an invalid alerts.toml stops here (exit 2), before anything is recorded
    invalid = ctx.report_profile_errors()
    for pid in args.profile:
        if pid not in catalog.profiles:
            raise UsageError(f"no valid profile {pid!r} (known: {', '.join(sorted(catalog.profiles)) or 'none'})")
    sources = [ctx.source(ref) for ref in args.source]
    selected = catalog.sources(args.profile, [s.ref for s in sources])
    if not selected:  # nothing to check is not a successful check: no run is recorded
        raise UsageError(f"nothing to check: no valid profile with sources in {ctx.settings.profiles}"
                         + (" (see the errors above)" if invalid else ""))
    log_level = "INFO" if args.verbose else "ERROR"
    # a big run's extra fetch processes start first, before the lease and the database (0.5 s here):
    # they import Scrapy (~1 s) meanwhile, and fetch nothing before this process shares the plan
    fetchers = None if args.distributed else start_fetchers(ctx.settings, list(plan_pages(selected)[1].values()),
                                                           log_level)
    if fetchers:
        fetchers.start()
    try:
        return _check(args, ctx, selected=selected, invalid=invalid, fetchers=fetchers, log_level=log_level)
    finally:
        if fetchers:
            fetchers.abandon()  # stops them when no run was started (the lease is held, say)


@exclusive("check")
def _check(args, ctx, *, selected, invalid: bool, fetchers, log_level: str) -> int:
    from crawler.runs import prepare_run

    catalog = ctx.catalog
    with fetchers or contextlib.nullcontext():
        with heap.settling():  # what is loaded here lives until the end of the run
            from crawler.alerts.deliver import after_run
            from crawler.crawl import fetch
            from crawler.process import process_run
            from scheduler.stopping import crawl_was_stopped, terminate_as_interrupt

            if args.distributed:  # `clausewatch worker`s fetch the pages; refuses a setup they cannot share
                fetch = distributed_fetch(args, ctx)
            elif fetchers:
                fetch = functools.partial(fetch, fetchers=fetchers)
            plan = prepare_run(ctx.archive, catalog, selected, run_id=ctx.run_id,
                               follow_moves_default=ctx.settings.follow_moves)
        if not args.json:
            profiles = len({s.profile for s in selected})
            print(f"Checking {plural(len(plan.documents), 'document')} ({plural(len(plan.pages), 'page')}) for "
                  f"{plural(profiles, 'profile')}, run {plan.run_id} …", file=sys.stderr)
        fetch(ctx.settings, plan, log_level=log_level,
              progress=not args.json and sys.stderr.isatty())  # people at a terminal see the fetch progress
    stopped = crawl_was_stopped()  # SIGTERM/SIGINT during the crawl: Scrapy stopped it gracefully
    terminate_as_interrupt()  # Scrapy's handlers are done; ours again for the process stage
    if stopped and (code := finish_stopped_run(args, ctx, plan)) is not None:
        return code
    summary = process_run(ctx.settings, plan, catalog, ctx.archive)
    if args.json:
        emit_json(summary.to_json())
    else:
        print_summary(ctx, summary)
    after_run(ctx.db, ctx.settings, catalog, plan.run_id)  # the digests go out (failures are retried later)
    if invalid:
        return 2
    summary.sync()
    return 3 if summary.failed else 0


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


def finish_stopped_run(args, ctx, plan) -> int | None:
    """Process the documents the stopped crawl fetched completely; the rest wait for the next run.

    None when every document was fetched: the run then completes as usual.
    """
    from crawler.process import process_run
    from crawler.runs import Plan
    from scheduler.stopping import end_run
    from snapshots.runs import fetched_urls

    with ctx.archive.reading() as s:
        fetched = fetched_urls(s, plan.run_id, failed=False)
    done = {key: urls for key, urls in plan.documents.items() if set(urls) <= fetched}
    if len(done) == len(plan.documents):  # stopped after the last page came in: nothing was lost
        return None
    summary = process_run(ctx.settings, Plan(plan.run_id, done, [p for p in plan.pages if p.url in fetched]),
                          ctx.catalog, ctx.archive)
    end_run(ctx.db, "interrupted", run_id=plan.run_id, force=True)
    if args.json:
        emit_json({**summary.to_json(), "interrupted": True, "documents": len(plan.documents)})
    print(f"clausewatch: run {plan.run_id} interrupted: {len(done)} of {len(plan.documents)} documents fetched "
          f"and processed; the others are checked next time", file=sys.stderr)
    return 130


def print_summary(ctx, summary) -> None:
    from crawler.cli.browse import change_rows

    summary.sync()
    print(f"run {summary.run_id}: {plural(summary.documents, 'document')} — {summary.new} new, {summary.changed} changed, "
          f"{summary.unchanged} unchanged, {summary.failed} failed"
          + (f", {plural(summary.anomalies, 'anomaly', 'anomalies')} opened" if summary.anomalies else "")
          + (f", {summary.pending_confirmation} pending confirmation" if summary.pending_confirmation else ""))
    if summary.changes:  # the same rows `clausewatch changes` lists: alertable ones only
        with ctx.archive.reading() as s:
            rows = change_rows(s, ctx, ids=summary.changes)
            everything = change_rows(s, ctx, ids=summary.changes, include_unreported=True)
        if rows:
            print()
            table([[r["id"], r["significance"], f"{r['profile']}/{r['source']}", r["summary"]] for r in rows],
                  ["CHANGE", "SIGNIFICANCE", "SOURCE", "SUMMARY"])
            print("\nSee a diff with: clausewatch show CHANGE")
        if len(everything) > len(rows):
            print(f"\n{plural(len(everything) - len(rows), 'change')} recorded but not alertable (cosmetic or "
                  f"flip-back): clausewatch changes --all")
    if summary.errors:
        print()
        table([[e["url"], e["reason"]] for e in summary.errors], ["FAILED", "REASON"])


def run_validate(args, ctx) -> int:
    from crawler.alerts.config import AlertsError, load_alerts

    catalog = ctx.catalog
    problems = [{"file": e.path, "key": e.key, "problem": e.message} for e in catalog.errors]
    try:
        load_alerts(ctx.settings, catalog)
    except AlertsError as exc:
        problems += exc.problems
    warnings = catalog.conflicts()
    if not catalog.profiles and not catalog.errors:  # an empty folder validates nothing: say so
        problems.append({"file": str(ctx.settings.profiles), "key": "",
                         "problem": "no profiles here (*.toml); nothing would be checked"})
    if args.json:
        emit_json({"profiles": sorted(catalog.profiles), "errors": problems, "warnings": warnings})
    else:
        for e in problems:
            print(f"error: {e['file']}: {e['key'] + ': ' if e['key'] else ''}{e['problem']}")
        for w in warnings:
            print(f"warning: {w}")
        docs = {s.key for s in catalog.sources()}
        print(f"{len(catalog.profiles)} valid profiles, {len(docs)} documents, {len(problems)} problems")
    return 2 if problems else 0
