"""`worker` (a crawler machine) and `check --distributed` (the coordinator), through scrapy-redis."""

from __future__ import annotations

import os
import sys

from crawler.cli.context import UsageError

DEFAULT_QUEUE = "clausewatch"  # crawler.distributed.DEFAULT_QUEUE, here without its imports (a test keeps them equal)
RENDER_TIMEOUT = 60.0  # seconds; bounds a rendered page's load beyond its own `render_timeout`


def register(sub) -> None:
    p = sub.add_parser("worker", help="fetch pages for distributed checks, on this crawler machine",
                       description="Fetch the pages that `clausewatch check --distributed` queues in Redis "
                                   "(redis_url), and write snapshots and fetch records to the shared database "
                                   "(database_url). Runs until stopped; start one per crawler machine.")
    queue_option(p)
    p.add_argument("--idle-exit", type=float, default=0, metavar="SECONDS",
                   help="stop after this many seconds without pages (default: never)")
    same_machine_option(p)
    p.add_argument("--verbose", action="store_true", help="show Scrapy's log")
    p.set_defaults(func=run_worker)


def check_options(p) -> None:
    """The options `check` gets for handing its pages to workers."""
    p.add_argument("--distributed", action="store_true",
                   help="let `clausewatch worker`s fetch the pages (needs redis_url and a shared database)")
    p.add_argument("--wait", type=float, default=None, metavar="SECONDS",
                   help="with --distributed: fail pages no worker fetched within this time "
                        "(default: the run time limit, [schedule] time_limit)")
    queue_option(p)
    same_machine_option(p)


def queue_option(p) -> None:
    p.add_argument("--queue", default=DEFAULT_QUEUE, metavar="NAME",
                   help=f"Redis key prefix shared by a coordinator and its workers (default: {DEFAULT_QUEUE})")


def same_machine_option(p) -> None:
    p.add_argument("--same-machine", action="store_true",
                   help="allow a SQLite database: every worker runs on this machine, with this data directory")


def require_shared_setup(args, ctx) -> None:
    from crawler.distributed import shared_database_problem

    if not ctx.settings.redis_url:
        raise UsageError("no Redis to share pages through: set redis_url in clausewatch.toml or "
                         "CLAUSEWATCH_REDIS_URL=redis://host:6379/0")
    problem = shared_database_problem(ctx.settings.database)
    if problem and not args.same_machine:
        raise UsageError(problem)


def distributed_fetch(args, ctx):
    """A stand-in for crawler.crawl.fetch that hands the pages to workers; checks the setup first."""
    from crawler.distributed import Coordinator, duration, fetch_through_workers

    require_shared_setup(args, ctx)
    timeout = args.wait if args.wait is not None else ctx.settings.run_time_limit
    coordinator = Coordinator.from_url(ctx.settings.redis_url, ctx.db, args.queue)

    def report(progress):
        if not args.json:
            print(f"  {progress.fetched}/{progress.total} pages fetched, {progress.queued} waiting for a worker",
                  file=sys.stderr)

    def fetch(settings, plan, log_level="ERROR", progress=False):
        if not args.json:
            print(f"Queued on {args.queue!r}; waiting up to {duration(timeout)} for workers …", file=sys.stderr)
        fetch_through_workers(coordinator, plan, timeout, report)

    return fetch


def run_worker(args, ctx) -> int:
    import importlib.util
    import socket

    from crawler.crawl import crawl
    from spiders.documents_redis import DocumentsRedisSpider

    from crawler.distributed import connect

    require_shared_setup(args, ctx)
    connect(ctx.settings.redis_url, "no page was taken").close()  # one line and exit 7, not a crawl that waits on nothing
    worker = f"{socket.gethostname()}:{os.getpid()}"

    started = []

    def announce():
        started.append(True)
        print(f"clausewatch worker {worker}: waiting for pages on {args.queue!r}", file=sys.stderr, flush=True)

    # the browser is set up for pages with `render = true`, and launched only when one arrives
    render_timeout = RENDER_TIMEOUT if importlib.util.find_spec("scrapy_playwright") else None
    crawl(ctx.settings, DocumentsRedisSpider, log_level="INFO" if args.verbose else "ERROR",
          render_timeout=render_timeout, announce=announce,
          overrides={"CLAUSEWATCH_QUEUE": args.queue, "MAX_IDLE_TIME_BEFORE_CLOSE": int(args.idle_exit)})
    if not started:
        print(f"clausewatch worker {worker}: stopped before taking pages (see the log above)", file=sys.stderr)
        return 1
    return 0
