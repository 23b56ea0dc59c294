"""Plain SQL over a DB-API connection: the read queries of `history`, one text for both databases.

`history` reads through a `Reader`: SQL with `:name` parameters (a list value expands to an
`IN (…)` list), rows as tuples with the column types SQLAlchemy's models store decoded the same
way on SQLite and PostgreSQL (`at(v)` for DateTime, `loads(v)` for JSON, `digest(v)` for a blob's
key; booleans are tested as truth values). The same Reader wraps

- a SQLAlchemy session (`reader(session)`: its own connection, inside its transaction), which is
  what the web page, the process stage and the tests hold, and
- a bare connection (`connect(url)`: stdlib `sqlite3`, or `psycopg` for PostgreSQL) for the CLI's
  read commands, which thereby never import SQLAlchemy (~0.5 s here, more than the whole command
  may take).

No SQLAlchemy import in this module.
"""

from __future__ import annotations

import datetime as dt
import json
import re

_PARAM = re.compile(r"(?<![:\w]):(\w+)")


class Reader:
    """Read-only queries on one open DB-API connection (`dialect`: "sqlite" or "postgresql")."""

    def __init__(self, dbapi_connection, dialect: str, errors: tuple = ()):
        self.connection = dbapi_connection
        self.dialect = dialect
        self.errors = errors  # the driver's exception classes (for a bare connection)

    def _statement(self, sql: str, params: dict) -> tuple[str, dict]:
        values: dict = {}

        def bind(match: re.Match) -> str:
            name = match.group(1)
            value = params[name]
            if isinstance(value, (list, tuple, set, frozenset)):
                names = [f"{name}_{i}" for i in range(len(value))]
                values.update(zip(names, map(self._value, value)))
                return "(" + ", ".join(self._mark(n) for n in names) + ")" if names else "(NULL)"
            values[name] = self._value(value)
            return self._mark(name)

        return _PARAM.sub(bind, sql), values

    def _value(self, value):
        """SQLite gets a datetime as SQLAlchemy stores it there: text, always with microseconds."""
        if self.dialect == "sqlite" and isinstance(value, dt.datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S.%f")
        return value

    def _mark(self, name: str) -> str:
        return f":{name}" if self.dialect == "sqlite" else f"%({name})s"

    def all(self, sql: str, **params) -> list[tuple]:
        statement, values = self._statement(sql, params)
        cursor = self.connection.cursor()
        try:
            cursor.execute(statement, values)
            return cursor.fetchall()
        finally:
            cursor.close()

    def iterate(self, sql: str, batch: int = 500, **params):
        """The rows one batch at a time, for a caller that may stop early."""
        statement, values = self._statement(sql, params)
        cursor = self.connection.cursor()
        try:
            cursor.execute(statement, values)
            while rows := cursor.fetchmany(batch):
                yield from rows
        finally:
            cursor.close()

    def begin(self) -> None:
        if self.dialect == "sqlite":
            self.connection.execute("BEGIN")

    def end(self) -> None:
        """End the read transaction (nothing was written: roll back)."""
        if self.dialect == "sqlite" and not self.connection.in_transaction:
            return
        self.connection.rollback()

    def close(self) -> None:
        self.connection.close()

    def one(self, sql: str, **params) -> tuple | None:
        rows = self.all(sql, **params)
        return rows[0] if rows else None

    def scalar(self, sql: str, **params):
        row = self.one(sql, **params)
        return row[0] if row else None


def reader(session) -> Reader:
    """The Reader for `session`: a Reader itself, or a SQLAlchemy session (same transaction)."""
    if isinstance(session, Reader):
        return session
    if session.new or session.dirty or session.deleted:  # what the ORM would autoflush before a query
        session.flush()
    connection = session.connection()
    return Reader(connection.connection.dbapi_connection, connection.dialect.name)


def at(value) -> dt.datetime | None:
    """A DateTime column: SQLite stores text (`2026-12-01 11:50:23.123456`), PostgreSQL a datetime."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(value)


def digest(value) -> str | None:
    """A digest column (snapshots.models.Digest): 32 bytes from either driver, its hex spelling here;
    bind a digest as `bytes.fromhex(key)`."""
    return bytes(value).hex() if value is not None else None


def loads(value):
    """A JSON column: text on SQLite, already decoded by psycopg."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def database_path(url: str) -> str | None:
    """The file of a `sqlite:///PATH` URL (None for an in-memory database)."""
    path = url.split("///", 1)[-1] if url.startswith("sqlite") else None
    return path if path and path != ":memory:" else None


def connect(url: str, busy_timeout_ms: int) -> Reader:
    """A Reader on a new bare connection to `url` (SQLite: the file must exist; nothing is created).

    SQLite runs in autocommit mode: `begin()` opens the read transaction, so all reads of one
    command see one snapshot."""
    if url.startswith("sqlite"):
        import sqlite3

        path = database_path(url)
        if path is None:
            raise ValueError(f"{url}: an in-memory database cannot be shared with a bare connection")
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=busy_timeout_ms / 1000,
                               isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        return Reader(conn, "sqlite", (sqlite3.Error,))
    import psycopg

    conninfo = re.sub(r"^postgresql\+\w+://", "postgresql://", url)
    return Reader(psycopg.connect(conninfo), "postgresql", (psycopg.Error,))
