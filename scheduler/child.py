"""One crawl as a child process, with a wall-clock limit and a clean stop.

Each scheduled check runs `python -m crawler check` in a process of its own: Twisted's reactor
cannot be restarted inside the daemon, and a stuck crawl can be killed without killing the
daemon. Stopping is polite first: SIGTERM (Scrapy stops gracefully, the run is marked
`interrupted`), then, after `grace` seconds, SIGKILL to the child's whole process group.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

RUN_ID_VARIABLE = "CLAUSEWATCH_RUN_ID"  # the run id the daemon chose for the check it starts


@dataclass
class Outcome:
    pid: int
    exit_code: int | None
    summary: dict | None  # the child's `check --json` output, when it finished
    timed_out: bool = False
    stopped: bool = False  # the daemon asked it to stop
    killed: bool = False  # it did not stop within the grace period


def check_command(refs) -> list[str]:
    command = [sys.executable, "-m", "crawler", "check", "--json"]
    for ref in refs:
        command += ["--source", ref]
    return command


def run(command: list[str], env: dict, time_limit: float, grace: float, stop: threading.Event,
        started=lambda pid: None) -> Outcome:
    """Run `command` until it exits, `time_limit` passes, or `stop` is set."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            start_new_session=True)  # own process group: Ctrl-C on the daemon's terminal is ours to relay
    started(proc.pid)
    deadline = time.monotonic() + time_limit
    outcome = Outcome(proc.pid, None, None)
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()), daemon=True)
    reader.start()
    while proc.poll() is None:
        if stop.is_set() or time.monotonic() >= deadline:
            outcome.stopped, outcome.timed_out = stop.is_set(), not stop.is_set()
            outcome.killed = not terminate(proc, grace)
            break
        stop.wait(0.2)
    proc.wait()
    reader.join(timeout=5)
    outcome.exit_code = proc.returncode
    try:
        outcome.summary = json.loads(b"".join(chunks) or b"null")
    except ValueError:
        outcome.summary = None
    return outcome


def terminate(proc: subprocess.Popen, grace: float) -> bool:
    """SIGTERM, then SIGKILL to the process group after `grace` seconds; True when it stopped in time."""
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=grace)
        return True
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return True
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    return False
