"""Database engine and sessions: SQLite (WAL, busy timeout) by default, PostgreSQL by URL.

`open_database(url)` creates or upgrades the schema with Alembic on first use, so a fresh data
directory and an older one both just work. The check runs once per process and URL, and costs one
SELECT when the stored revision is the head read from the migration files at import time: Alembic
(~0.4 s to import) is only imported when there is something to upgrade. Storage errors are not
caught here: they crash loudly.
"""

from __future__ import annotations

import os
import re
import threading
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")
_lock = threading.Lock()
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
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # let SQLAlchemy, not pysqlite, begin transactions, so SAVEPOINTs nest (SQLAlchemy's pysqlite recipe)
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn):
    conn.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
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
    with _migration_lock(engine):
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            if current(conn) == head:
                return
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")


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
        self.url = url
        self.engine = make_engine(url)
        if migrate:
            with _lock:
                if url not in _upgraded:
                    upgrade(self.engine)
                    _upgraded.add(url)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self):
        session: Session = self._factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str) -> Database:
    return Database(url)
