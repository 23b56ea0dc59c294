"""The cyclic garbage collector in clausewatch's own short-lived processes.

A check's processes hold a large heap that lives as long as they do: the modules of Scrapy,
Twisted and SQLAlchemy, the catalogue, the run's plan. Every full collection walks all of it
(60–110 ms each in the run's process, a few per run) and the interpreter's last collections on the
way out walked it again (0.3–0.4 s after a check of 2,000 documents). `gc.freeze()` moves what
exists into the permanent generation, which collections skip; objects still go when their last
reference does, only garbage *cycles* among them are never reclaimed, which in a process about to
exit (or whose frozen objects live until it exits) loses nothing.

Only in a process that is clausewatch's alone (`own_process`): the console script, a fetch process.
Not where `main()` runs inside another program (the tests), whose heap is not ours to freeze, nor
in the long-lived daemon, web server or worker, whose garbage must keep being collected: a
scheduled check is a `python -m crawler check` process of its own.
"""

from __future__ import annotations

import contextlib
import gc

_own = False  # this process is clausewatch's alone: the console script (`python -m crawler`), a fetch process


def own_process() -> None:
    """Called by the console script before the command runs, and by a fetch process before its imports."""
    global _own
    _own = True


@contextlib.contextmanager
def settling():
    """Around the imports and set-up whose objects live as long as the process (Scrapy, the process
    stage, the catalogue, the plan): no collection runs while they are made (full ones ran twice, 30
    and 60 ms, during a check's imports), and at the end they are frozen. Only in our own processes."""
    if not _own:
        yield
        return
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        gc.enable()


def exiting() -> None:
    """The console script's command has returned: no collection walks the heap on the way out."""
    if _own:
        gc.freeze()
