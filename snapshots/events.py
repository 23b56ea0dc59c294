"""Domain events: what happened in the archive, told to the listeners attached at start-up.

The process stage records facts through the archive and emits one event per fact. Listeners are
plain objects with `on_<event>` methods (Open Terms Archive's archivist: `attach(listener)`), e.g.
`on_change_recorded(event, tx)`. Two kinds:

- **transactional** listeners (`transactional = True`, e.g. the alert outbox) are called inside the
  transaction that records the fact, with the open `tx`, so what they write commits or rolls back
  with it. Each call runs in a SAVEPOINT: a listener that raises is logged, its own writes are undone,
  and the fact is still recorded.
- every other listener (progress line, run log) is called after the transaction committed, with
  `tx=None`; one that raises is logged and ignored.

A listener never breaks a run.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

log = logging.getLogger("clausewatch.events")


@dataclass(frozen=True)
class ChangeRecorded:
    """A Change (and its per-profile assessments and findings) was written."""

    change_id: int
    document_id: int
    run_id: str | None
    kind: str  # VersionKind: change | flip-back | rebaseline
    reported_profiles: tuple[str, ...] = ()  # profiles for which the change is minor or material


@dataclass(frozen=True)
class VersionRecorded:
    """A new current version of a document (also the first one)."""

    version_id: int
    document_id: int
    run_id: str | None
    kind: str  # VersionKind


@dataclass(frozen=True)
class AnomalyOpened:
    anomaly_id: int
    document_id: int
    kind: str  # AnomalyKind
    url: str
    detail: str
    run_id: str | None


@dataclass(frozen=True)
class AnomalyClosed:
    anomaly_id: int
    document_id: int
    kind: str
    run_id: str | None


@dataclass(frozen=True)
class DocumentSettled:
    """The process stage finished one document of a run with this outcome."""

    document_id: int
    run_id: str | None
    outcome: str  # Outcome
    reason: str | None = None


@dataclass(frozen=True)
class RunFinished:
    run_id: str
    status: str  # RunStatus
    counts: dict = field(default_factory=dict)


def handler_name(event) -> str:
    """`ChangeRecorded` -> `on_change_recorded`."""
    return "on_" + re.sub(r"(?<!^)(?=[A-Z])", "_", type(event).__name__).lower()


class Dispatcher:
    """Holds the attached listeners and calls them; see the module docstring for the two kinds."""

    def __init__(self):
        self.listeners: list = []

    def attach(self, listener) -> None:
        self.listeners.append(listener)

    def detach(self, listener) -> None:
        self.listeners.remove(listener)

    def transactional(self):
        return [x for x in self.listeners if getattr(x, "transactional", False)]

    def deferred(self):
        return [x for x in self.listeners if not getattr(x, "transactional", False)]

    def call_in(self, tx, event) -> None:
        """Call the transactional listeners inside `tx`, each in a savepoint."""
        name = handler_name(event)
        for listener in self.transactional():
            method = getattr(listener, name, None)
            if method is None:
                continue
            try:
                # the fact's own writes go first, so the savepoint nests inside their transaction
                # (pysqlite begins a transaction at the first write, not before a SAVEPOINT)
                tx.session.flush()
                with tx.session.begin_nested():
                    method(event, tx)
            except Exception:  # noqa: BLE001 - a listener never breaks a run
                log.exception("listener %s failed on %s; its writes were undone", type(listener).__name__, name)

    def call_after(self, events) -> None:
        """Call the other listeners once the transaction that recorded `events` committed."""
        for event in events:
            name = handler_name(event)
            for listener in self.deferred():
                method = getattr(listener, name, None)
                if method is None:
                    continue
                try:
                    method(event, None)
                except Exception:  # noqa: BLE001 - a listener never breaks a run
                    log.exception("listener %s failed on %s", type(listener).__name__, name)
