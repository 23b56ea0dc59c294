"""Named points where a crash test may kill the process: `CLAUSEWATCH_CRASH_AT=NAME[:N]`.

The kill harness (tests/test_crash_safety.py, bench/robustness_report.py) sets the variable and
proves that SIGKILL at any of these points loses nothing: the next run completes the work and the
archive passes its integrity check. Unset (always, in production) a point costs one dict lookup.
"""

from __future__ import annotations

import os
import signal

VARIABLE = "CLAUSEWATCH_CRASH_AT"
POINTS = (
    "fetch.stored",        # a fetch result was handed to the snapshot writer
    "fetch.flushed",       # a batch of snapshots and fetch records was committed
    "process.triaged",     # documents needing no analysis were settled
    "process.analysed",    # an analysis came back from a worker, before it is recorded
    "record.version",      # a version (and change) is written but not committed
    "record.committed",    # one document's result was committed
    "run.finished",        # the run row was marked completed
)
_seen: dict[str, int] = {}


def reached(name: str) -> None:
    wanted = os.environ.get(VARIABLE)
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
