"""Database engine and sessions: SQLite (WAL, busy timeout) by default, PostgreSQL by URL.

`open_database(url)` creates or upgrades the schema with Alembic on first use, so a fresh data
directory and an older one both just work. The check runs once per process and URL, and costs one
SELECT when the stored revision is the head read from the migration files at import time: Alembic
(~0.4 s to import) is only imported when there is something to upgrade. Database errors become
one-line StorageErrors naming the database (crawler.errors, exit 6); the transaction rolls back.

`reading(url)` is the read path of the CLI's listing commands: one read transaction on a bare
DB-API connection (snapshots.sql), with the same revision check, so a command that only reads
imports neither SQLAlchemy nor Alembic when the schema is current. This module imports
SQLAlchemy only inside the functions that build an engine.
"""

from __future__ import annotations

import os
import re
import threading
from contextlib import contextmanager
from pathlib import Path

from typing import TYPE_CHECKING

from crawler.errors import ConfigError, StorageError
from snapshots import sql

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")
# set when this process lost its run lease (snapshots.leases): every fenced session then refuses
FENCE = threading.Event()
_lock = threading.Lock()
BUSY_TIMEOUT_MS = 30000  # how long a SQLite writer waits for another one before "database is locked"
_upgraded: set[str] = set()
_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*['\"]?([\w-]+|None)['\"]?", re.M)


def _known_head() -> str | None:
    """The single head revision of the migration files (None when there are several, or none)."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict((key, value) for key, value in _REVISION.findall(path.read_text(encoding="utf-8")))
        if "revision" in found:
            revisions.add(found["revision"])
            parents.add(found.get("down_revision"))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


HEAD = _known_head()


def _sqlite_pragmas(dbapi_connection, _record):
    # transactions begin where SQLAlchemy begins them (_sqlite_begin), not at the driver's first write:
    # else a session's reads run outside its transaction and a read-modify-write can lose an update
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn) -> None:
    """BEGIN IMMEDIATE for a write session: it takes the write lock first, so another writer's commit
    can never come between its reads and its writes (a deferred transaction would then fail at its
    first write with "database is locked", busy_timeout notwithstanding). Reads stay deferred."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("sqlite_immediate") else "BEGIN")


def shown(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy import exc
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return url.split("@")[-1]


def storage_error(error: BaseException, url: str) -> StorageError:
    """One line saying what failed where: `database sqlite:///…/clausewatch.db: database is locked`."""
    orig = getattr(error, "orig", None) or error
    message = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    if "file is not a database" in message:
        message += " (the file exists but is not a clausewatch SQLite database)"
    elif "readonly" in message or "read-only" in message:
        message += " (the file or its folder is not writable)"
    return StorageError(f"database {shown(url)}: {message[:300]}")


def _check_url(url: str) -> None:
    """ConfigError for an unsupported URL, or a SQLite data directory that cannot exist."""
    if not url.startswith(("sqlite", "postgresql")):
        scheme = url.split(":", 1)[0]
        raise ConfigError(f"database_url: unsupported database {scheme!r}; expected sqlite:///PATH or postgresql://…")
    path = sql.database_path(url)
    if path:
        folder = Path(path).parent
        if folder.exists() and not folder.is_dir():
            raise ConfigError(f"data directory {folder} is a file, not a folder (check CLAUSEWATCH_HOME)")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(f"data directory {folder}: cannot create it ({error.strerror})") from None


def make_engine(url: str) -> Engine:
    from sqlalchemy import create_engine, event

    _check_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def _stored_revision(engine: Engine) -> str | None:
    """The revision in `alembic_version`, read with plain SQL; None when there is no such table."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return None


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (no-op when it is there already).

    Several processes may open a fresh database at once (cron, the daemon, workers): the upgrade
    runs under a lock — a PostgreSQL advisory lock, or a lock file next to a SQLite database — and
    the revision is read again once the lock is held.
    """
    if HEAD is not None and _stored_revision(engine) == HEAD:
        return
    from sqlalchemy import text
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = alembic_config(engine)
    head = ScriptDirectory.from_config(cfg).get_current_head()

    def current(conn) -> str | None:
        return MigrationContext.configure(conn).get_current_revision()

    with engine.connect() as conn:
        if current(conn) == head:
            return
    with _migration_lock(engine), migrating(engine) as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        if current(conn) == head:
            return
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


@contextmanager
def migrating(engine: Engine):
    """A connection in a transaction for schema changes (committed at the end unless it raises).

    On SQLite, a migration that rebuilds a table other tables refer to (its only way to change a
    column) drops that table first: as SQLite's own recipe says, the reference checks are off for
    the transaction (inside one the pragma does nothing) and every reference is checked before
    the commit."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                yield conn
                if sqlite and (broken := conn.exec_driver_sql("PRAGMA foreign_key_check").first()):
                    raise StorageError(f"database {shown(str(engine.url))}: the schema change would break a "
                                       f"reference from table {broken[0]} (row {broken[1]}) to {broken[2]}; "
                                       "nothing was changed")
        finally:
            if sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")


MIGRATION_LOCK_KEY = 0x636C6175  # "clau"


@contextmanager
def _migration_lock(engine: Engine):
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:" or os.name != "posix":
        yield
        return
    import fcntl

    with open(f"{path}.migrate.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Database:
    """An engine plus a session factory; `with db.session() as s:` commits or rolls back."""

    def __init__(self, url: str, migrate: bool = True):
        from sqlalchemy import exc
        from sqlalchemy.orm import sessionmaker

        self.url = url
        self.engine = make_engine(url)
        if migrate:
            with _lock:
                if url not in _upgraded:
                    try:
                        upgrade(self.engine)
                    except (exc.SQLAlchemyError, OSError) as error:
                        raise storage_error(error, url) from error
                    _upgraded.add(url)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self, fenced: bool = True, write: bool = True):
        """A transaction. Refused with LeaseLost once this process's run lease was taken over.

        On SQLite a `write` session holds the write lock from its start (see _sqlite_begin); pass
        write=False for one that only reads."""
        from sqlalchemy import exc

        if fenced and FENCE.is_set():
            from crawler.errors import LeaseLost

            raise LeaseLost("the run lease was taken over by another run; this run stopped writing")
        session = self._factory()
        try:
            if write and self.engine.dialect.name == "sqlite":
                session.connection(execution_options={"sqlite_immediate": True})
            yield session
            session.commit()
        except exc.IntegrityError:  # callers handle races (a lease insert); anything else is a bug
            session.rollback()
            raise
        except (exc.OperationalError, exc.DatabaseError, exc.InterfaceError) as error:
            _rollback_quietly(session)
            raise storage_error(error, self.url) from error
        except BaseException:
            _rollback_quietly(session)
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def _rollback_quietly(session) -> None:
    from sqlalchemy import exc

    try:
        session.rollback()
    except exc.SQLAlchemyError:  # the connection is gone: nothing was committed anyway
        pass


def open_database(url: str) -> Database:
    return Database(url)


class ReadConnection:
    """A bare DB-API connection for read transactions, for commands that only read (the CLI's
    listings): no SQLAlchemy import when the schema is current.

        reads = ReadConnection(url)
        with reads.reading() as reader:       # one read transaction; a snapshots.sql.Reader
            history.changes(reader, …)

    The schema is checked on first use like `Database` does (one SELECT of `alembic_version`); a
    missing database file or an older revision goes through `Database` once, which creates or
    upgrades it. Driver errors become one-line StorageErrors (exit 6).
    """

    def __init__(self, url: str):
        self.url = url
        self._reader: sql.Reader | None = None

    def _connect(self) -> sql.Reader:
        _check_url(self.url)
        sqlite = self.url.startswith("sqlite")
        path = sql.database_path(self.url)
        if sqlite and path is None:  # in memory: only an engine's own connections see its tables
            raise ConfigError(f"{self.url}: an in-memory database cannot be read by another connection")
        if self.url not in _upgraded and (not sqlite or Path(path).exists()):
            reader = self._open()
            if HEAD is not None and self._revision(reader) == HEAD:
                _upgraded.add(self.url)
                return reader
            reader.close()
        if self.url not in _upgraded:
            Database(self.url).dispose()  # creates or upgrades the schema, under its lock
        return self._open()

    def _open(self) -> sql.Reader:
        try:
            return sql.connect(self.url, BUSY_TIMEOUT_MS)
        except Exception as error:  # the driver's own error classes are only known once it is imported
            if type(error).__module__.split(".")[0] in ("sqlite3", "psycopg"):
                raise storage_error(error, self.url) from error
            raise

    @staticmethod
    def _revision(reader: sql.Reader) -> str | None:
        try:
            return reader.scalar("SELECT version_num FROM alembic_version")
        except reader.errors:  # no such table: a database Alembic never touched
            reader.connection.rollback()
            return None

    @contextmanager
    def reading(self):
        """One read transaction; yields a snapshots.sql.Reader."""
        if self._reader is None:
            self._reader = self._connect()
        reader = self._reader
        try:
            reader.begin()
            yield reader
        except reader.errors as error:
            raise storage_error(error, self.url) from error
        finally:
            try:
                reader.end()
            except reader.errors:  # the connection is gone: nothing was written anyway
                pass

    def session(self, fenced: bool = False):
        """`reading()`, for read-only callers written against `Database.session()` (scheduler.plan)."""
        return self.reading()

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
