"""What every subcommand needs: settings, the profiles, the database, and output helpers.

Everything heavy is opened on first use: `ctx.catalog` parses the profiles, `ctx.db` /
`ctx.archive` open the database through SQLAlchemy (and migrate it), `ctx.reading()` is a read
transaction on a bare DB-API connection (snapshots.db.ReadConnection) for the commands that only
read, so `changes`, `show` and `sources` import neither SQLAlchemy nor the profile parser when the
profiles have not changed since they were last synced.
"""

from __future__ import annotations

import json
import sys
from functools import cached_property
from pathlib import Path

from crawler.config import Settings, load_settings
from crawler.terminal import safe_text


class UsageError(Exception):
    """The command line names something that does not exist or makes no sense (exit code 2)."""


class Context:
    def __init__(self, args):
        self.args = args
        self.settings: Settings = load_settings(args.config, home=args.home, profiles=args.profiles,
                                                database_url=args.database_url)

    @cached_property
    def catalog(self):
        """The profiles (crawler.profiles.Catalog), parsed on first use."""
        from crawler.profiles import catalog_cache, load_catalog

        return load_catalog(self.settings.profiles, cache=catalog_cache(self.settings))

    @cached_property
    def db(self):
        """The database through SQLAlchemy (snapshots.db.Database), created or upgraded on first use."""
        from snapshots.db import open_database

        return open_database(self.settings.database)

    @cached_property
    def reads(self):
        """For reading only: a bare DB-API connection (snapshots.db.ReadConnection), without SQLAlchemy —
        or `db` for a database in memory, which only the engine's own connection sees."""
        from snapshots.db import ReadConnection
        from snapshots.sql import database_path

        url = self.settings.database
        if url.startswith("sqlite") and database_path(url) is None:
            return self.db
        return ReadConnection(url)

    def reading(self):
        """A read transaction for history's queries (a snapshots.sql.Reader, or a session in memory)."""
        return self.reads.session()

    @cached_property
    def archive(self):
        """The archive with this command's listeners attached (crawler.listeners)."""
        from crawler.listeners import attach_listeners
        from snapshots.archive import Archive

        archive = Archive(self.db)
        attach_listeners(archive, self)
        return archive

    def require_profile(self, pid: str) -> None:
        """UsageError unless `pid` is a valid profile; an invalid one is named with its first error."""
        if pid in self.catalog.profiles:
            return
        broken = [e for e in self.catalog.errors if Path(e.path).stem == pid]
        if broken:
            raise UsageError(f"profile {pid!r} is invalid: {broken[0]}")
        raise UsageError(f"no profile {pid!r} (known: {', '.join(sorted(self.catalog.profiles)) or 'none'})")

    def sync_catalog(self) -> None:
        """Bring the citations up to date with the profiles as they are now, so listings never show
        removed sources or old names of renamed ones (the same sync a check does first).

        One SELECT when the profile files are the ones last synced: then nothing is parsed or written."""
        from snapshots.documents import files_fingerprint, sync_catalog, synced_files

        files = files_fingerprint(self.settings.profiles)
        with self.reading() as r:
            if synced_files(r) == files:
                return
        with self.archive.transaction() as tx:
            sync_catalog(tx.session, self.catalog, files=files)

    def close(self) -> None:
        """Release the database connections, if the command opened any."""
        if "reads" in self.__dict__ and self.reads is not self.__dict__.get("db"):
            self.reads.close()
        if "db" in self.__dict__:
            self.db.dispose()

    def report_profile_errors(self) -> bool:
        """Print broken profiles to stderr; True when there were any."""
        for error in self.catalog.errors:
            print(f"clausewatch: invalid profile: {error}", file=sys.stderr)
        return bool(self.catalog.errors)

    def source(self, ref: str):
        """The crawler.profiles.Source behind PROFILE/SOURCE."""
        if "/" not in ref:
            raise UsageError(f"{ref!r}: expected PROFILE/SOURCE, e.g. mistral-api/dpa")
        try:
            return self.catalog.find_source(ref)
        except KeyError as exc:
            raise UsageError(exc.args[0]) from None

    def document(self, session, ref: str):
        """The Document (history.DocumentRef) behind PROFILE/SOURCE — also for a source no profile cites any more."""
        from snapshots import history

        try:
            key = self.source(ref).key
        except UsageError:
            pid, _, sid = ref.partition("/")
            doc = history.cited_document(session, pid, sid)
            if doc is None:
                raise
            return doc
        doc = history.document(session, key)
        if doc is None:
            raise UsageError(f"{ref} has not been checked yet (run: clausewatch check --source {ref})")
        return doc


def emit_json(data) -> None:
    json.dump(data, sys.stdout, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write("\n")


def say(*parts, file=None) -> None:
    """print() for text that may come from a fetched page: control characters made visible."""
    print(*(safe_text(p) for p in parts), file=file or sys.stdout)


def table(rows: list[list], headers: list[str], out=None) -> None:
    """A plain aligned table for people (scripts use --json)."""
    out = out or sys.stdout
    cells = [["" if c is None else str(c) for c in row] for row in rows]
    # page text cannot drive the terminal: a cell that is all printable (no control, format or
    # line-breaking character) is what safe_text would return anyway
    if not all(map(str.isprintable, (c for row in cells for c in row if c))):
        cells = [[safe_text(c, keep_newlines=False) for c in row] for row in cells]
    widths = [max(map(len, column)) for column in zip(headers, *cells)] if cells else [len(h) for h in headers]
    widths[-1] = 0  # last column runs free
    line = "  ".join(f"{{:<{w}}}" for w in widths).format
    out.write("\n".join(line(*row).rstrip() for row in [headers, *cells]) + "\n")


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 document`, `2 documents`, `0 anomalies` (give `many` when adding an s is wrong)."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def color_enabled(args) -> bool:
    return not getattr(args, "no_color", False) and sys.stdout.isatty()
