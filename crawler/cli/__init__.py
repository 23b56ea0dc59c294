"""`clausewatch`: one console script, one subcommand per task.

Each module of this package adds its subcommands with `register(subparsers)`; a subcommand is a
function `(args, ctx) -> exit code`. The modules import only argparse-level things at the top;
what a command needs (Scrapy, SQLAlchemy, the profile parser, the diff renderer …) is imported
inside its function, so `--help` and the read commands start without it. Exit codes: 0 done; 1 status check failed; 2 usage or
configuration error; 3 the run completed but some documents failed; 4 another run holds the lease;
5 the lease was taken over mid-run (this run stopped writing); 6 the database failed; 7 Redis
does not answer (check --distributed). Errors follow crawler/errors.py.
"""

from __future__ import annotations

import argparse
import sys

from crawler.cli import alerts, browse, check, distributed, manage, operate, preview, web
from crawler.cli.context import Context, UsageError
from crawler.errors import ClausewatchError, ConfigError, ProfileError, StorageError, UserError

MODULES = [check, browse, manage, preview, operate, distributed, alerts, web]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clausewatch",
        description="Watch the legal documents behind the GDPR ratings of AI providers (the profiles) "
                    "and list the changes that may invalidate a rating.")
    parser.add_argument("--config", metavar="FILE", help="settings file (default: $CLAUSEWATCH_HOME/clausewatch.toml)")
    parser.add_argument("--home", metavar="DIR", help="data directory (default: $CLAUSEWATCH_HOME or ./.clausewatch)")
    parser.add_argument("--profiles", metavar="DIR", help="profiles folder (default: $CLAUSEWATCH_PROFILES or ./profiles)")
    parser.add_argument("--database-url", metavar="URL", help="database URL (default: SQLite in the data directory)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in MODULES:
        module.register(sub)
    return parser


def console() -> int:
    """The console script and `python -m crawler`: `main` in a process of its own (crawler.heap)."""
    from crawler import heap

    heap.own_process()
    try:
        return main()
    finally:
        heap.exiting()


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        ctx = Context(args)
        return args.func(args, ctx) or 0
    except (UsageError, ConfigError, ProfileError, UserError) as exc:
        print(f"clausewatch: error: {exc}", file=sys.stderr)
        return 2
    except StorageError as exc:  # the database failed: loudly, in one line; nothing half-written
        print(f"clausewatch: storage error: {exc}", file=sys.stderr)
        return exc.exit_code
    except ClausewatchError as exc:  # the tree in crawler/errors.py: each branch has its exit code
        print(f"clausewatch: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("clausewatch: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(console())
