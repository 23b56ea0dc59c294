"""The archive: the one door to the stores. Open Terms Archive's Recorder is the model.

    archive = Archive.open(settings.database)        # or Archive(db)
    archive.attach(listener)                         # progress, run log, alert outbox …
    with archive.transaction() as tx:                # one transaction; events reach listeners
        anomalies.open_(tx, document, url, AnomalyKind.MOVED, detail, run_id)
    with archive.reading() as session:               # read-only queries (history, status, web)
        history.changes(session, …)

Only `snapshots/` speaks SQL. The modules beside this one hold the queries, named after what they
hold: `store` (blobs, snapshots, fetches), `documents` (documents and citations), `runs` (the Run
row), `leases`, `anomalies`, `recorder` (versions, changes, assessments, findings), `history`
(what people read: changes, versions, reviews), `retention` (prune). Each function takes the open
`tx` (to write, emitting events) or a session (to read).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from snapshots.db import Database, open_database
from snapshots.events import Dispatcher


@dataclass
class Transaction:
    """An open transaction: write through `session`, tell what happened with `emit`."""

    session: object
    events: Dispatcher
    emitted: list = field(default_factory=list)

    def emit(self, event) -> None:
        self.events.call_in(self, event)
        self.emitted.append(event)


class Archive:
    def __init__(self, db: Database):
        self.db = db
        self.events = Dispatcher()

    @classmethod
    def open(cls, url: str) -> "Archive":
        return cls(open_database(url))

    def attach(self, listener) -> None:
        self.events.attach(listener)

    @contextmanager
    def transaction(self):
        """Commit on success, roll back on error; deferred listeners hear the events after commit."""
        with self.db.session() as session:
            tx = Transaction(session, self.events)
            yield tx
        self.events.call_after(tx.emitted)

    @contextmanager
    def reading(self):
        with self.db.session(write=False) as session:
            yield session

    def dispose(self) -> None:
        self.db.dispose()
