"""How a run stops when asked to: SIGTERM behaves like Ctrl-C, and a stopped crawl is noticed.

A run is stopped by the daemon (at shutdown or when it exceeds its time limit), by systemd, or by
a person. Outside the crawl, SIGTERM raises KeyboardInterrupt like SIGINT does, so the open
transaction rolls back and the run is marked `interrupted` on the way out. During the crawl Scrapy
owns both signals (first = graceful stop, second = forced) and replaces the handlers as it goes;
`crawl_was_stopped()` reads that state afterwards.
"""

from __future__ import annotations

import signal

from snapshots import runs
from snapshots.kinds import RunStatus
from snapshots.runs import INTERRUPTED_FETCH  # noqa: F401 - re-exported


def _interrupt(signum, frame):
    raise KeyboardInterrupt(signal.Signals(signum).name)


def terminate_as_interrupt() -> None:
    """From now on SIGTERM and SIGINT raise KeyboardInterrupt in the main thread."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)


_stopped: list[int] = []  # stop signals passed on to fetch processes (crawler.fetchers) since the last look


def note_stopped(signum: int = signal.SIGTERM) -> None:
    """A stop signal reached the crawl outside Scrapy's handlers (it was passed on to fetch processes)."""
    _stopped.append(signum)


def crawl_was_stopped() -> bool:
    """True when a finished Scrapy crawl was stopped by SIGTERM/SIGINT rather than completing.

    Scrapy swaps its graceful-stop handler for a kill handler when the first signal arrives, and
    for SIG_IGN after the second; a crawl nobody signalled keeps the graceful one (or ours). A
    signal passed on to fetch processes counts too (once: the next crawl starts unstopped).
    """
    if _stopped:
        _stopped.clear()
        return True
    handler = signal.getsignal(signal.SIGTERM)
    if handler is _interrupt or handler in (signal.SIG_DFL, None):
        return False
    return handler == signal.SIG_IGN or "kill" in getattr(handler, "__name__", "")


def end_run(db, status: str, run_id: str | None = None, host: str | None = None, force: bool = False) -> None:
    """Mark a run that did not complete (see snapshots.runs.end, its one owner)."""
    runs.end(db, RunStatus(status), run_id=run_id, host=host, force=force)
