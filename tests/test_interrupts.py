"""Ctrl-C, SIGTERM and SIGHUP during `check`: said at once, stopped within seconds, recorded as interrupted."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from conftest import Route
from sqlalchemy import select

from snapshots.models import Run

PAGE = "<html><body><main><h1>Privacy</h1><p>We store customer data in Ireland for thirty days.</p></main></body></html>"


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGHUP], ids=["ctrl-c", "sighup"])
def test_first_signal_during_check_says_so_at_once_and_stops_within_seconds(home, site, signum):
    site.routes["/slow"] = Route(PAGE, delay=60)
    home.simple_profile("acme", {"slow": site.url("/slow"), "fast": site.serve("/fast", PAGE)})
    proc = subprocess.Popen([sys.executable, "-m", "crawler", "check"], env=home.env, cwd=home.root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: any(p == "/slow" for p, _ in site.hits))
    time.sleep(0.5)
    sent = time.monotonic()
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    took = time.monotonic() - sent
    assert "stopping after the pages in flight (Ctrl-C again to stop now)" in err
    assert proc.returncode == 130, err
    assert took < 20, f"took {took:.1f} s to stop"  # bounds a hang, not a benchmark: the grace is 3 s
    with home.database().session() as s:
        assert [r.status for r in s.scalars(select(Run))] == ["interrupted"]
    site.routes["/slow"].delay = 0
    home.run("check", check_code=0)  # the next run completes it
