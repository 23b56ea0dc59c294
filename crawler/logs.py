"""Structured logs: one line per event, as text or JSON (`log_json = true`), each with its run id.

    log.info("run finished", extra={"event": "run.finished", "run_id": run_id, "exit": 0})

Text:  2026-11-20T06:00:03Z INFO run.finished run=20261120T060001-ab12cd exit=0 run finished
JSON:  {"at": "2026-11-20T06:00:03Z", "level": "info", "event": "run.finished", "run_id": "…", "exit": 0, …}

A record without a `run_id` gets the one bound with `bind_run()` in the current context (or null).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys
from contextlib import contextmanager

_run_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("clausewatch_run_id", default=None)
# attributes every LogRecord has; anything else was passed with `extra=` and is a field of the event
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


@contextmanager
def bind_run(run_id: str | None):
    """Records logged inside the block carry `run_id` unless they name one themselves."""
    token = _run_id.set(run_id)
    try:
        yield
    finally:
        _run_id.reset(token)


class RunIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "run_id", None) is None:
            record.run_id = _run_id.get()
        if not getattr(record, "event", None):
            record.event = record.name.rsplit(".", 1)[-1]
        return True


def _fields(record: logging.LogRecord) -> dict:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and k not in ("run_id", "event")}


def _timestamp(record: logging.LogRecord) -> str:
    return dt.datetime.fromtimestamp(record.created, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {"at": _timestamp(record), "level": record.levelname.lower(), "event": record.event,
                "run_id": record.run_id, "message": record.getMessage(), "logger": record.name}
        data.update(_fields(record))
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        parts = [_timestamp(record), record.levelname, record.event]
        if record.run_id:
            parts.append(f"run={record.run_id}")
        parts += [f"{k}={v}" for k, v in _fields(record).items()]
        line = " ".join(parts) + " " + record.getMessage()
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def setup(json_lines: bool = False, level: int = logging.INFO, stream=None) -> logging.Logger:
    """Send the `clausewatch` loggers to `stream` (stderr), one line per event."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    handler.addFilter(RunIdFilter())
    root = logging.getLogger("clausewatch")
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    return root
