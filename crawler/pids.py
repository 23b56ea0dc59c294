"""Is a process still running? (A zombie — killed, not yet reaped — is not.) And dying with the run's."""

from __future__ import annotations

import os
import threading
import time


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:  # no /proc: trust kill(0)
        return True


def die_with_parent(run_pid: int, each_beat=None) -> None:
    """In a helper process of a run: exit as soon as the run's process is gone, even after SIGKILL.

    Pool workers are children of the forkserver, not of the run, and hold both ends of the pool's
    own queues, and fetch processes run in their own process group, so neither would see the run
    die; a daemon thread looks every half second instead (and calls `each_beat()` each time).
    Once pool workers exit, the forkserver and the resource tracker exit by themselves.
    """
    def watch():
        while True:
            time.sleep(0.5)
            if each_beat is not None:
                each_beat()
            if not process_alive(run_pid):
                os._exit(1)

    threading.Thread(target=watch, name="watch-run", daemon=True).start()
