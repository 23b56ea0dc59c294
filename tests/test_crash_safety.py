"""Crash safety: SIGKILL at any point of a check loses nothing, and the next check starts at once.

Each CI run samples a few kill points (named points × epochs, see tests/crash_harness.py);
CLAUSEWATCH_TEST_ALL_KILL_POINTS=1 runs all of them (bench/robustness_report.py prints the table).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess

import pytest

import crash_harness as harness
from conftest import Home, Site

ALL = harness.kill_points()
if os.environ.get("CLAUSEWATCH_TEST_ALL_KILL_POINTS"):
    SAMPLE = ALL
else:  # a different sample every day, the same within a day (reproducible reruns)
    SAMPLE = random.Random(dt.date.today().toordinal()).sample(ALL, 2)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    site = Site()
    try:
        return harness.reference(Home(tmp_path_factory.mktemp("reference")), site)
    finally:
        site.close()


@pytest.mark.parametrize("point,epoch", SAMPLE, ids=[f"{p}@{e}" for p, e in SAMPLE])
def test_check_killed_at_a_point_loses_nothing_and_ends_as_an_uninterrupted_run(reference, home, site, point, epoch):
    killed, problems, final = harness.crash_run(home, site, point, epoch)
    assert problems == []
    assert final == reference
    if not killed:  # some points are not reached in some epochs (nothing to record): still a valid run
        pytest.skip(f"{point} not reached during epoch {epoch}")


def test_pool_workers_die_with_a_killed_check(home, site):
    harness.setup(home, site)
    harness.serve_epoch(site, harness.EPOCHS[0])
    code = harness.check(home, crash_at="process.analysed")
    assert code < 0
    leftover = subprocess.run(["pgrep", "-f", "multiprocessing.forkserver|concurrent.futures.process"],
                              capture_output=True, text=True)
    mine = [pid for pid in leftover.stdout.split() if str(home.root) in _environ(pid)]
    assert mine == []


def _environ(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
