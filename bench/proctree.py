"""Measuring a process tree from /proc: its pids, RSS/PSS sums, CPU seconds (shared by the benchmarks).

`Sampler(pid, deadline)` samples every 0.2 s and kills the tree past its deadline; `tree_cpu(pid)`
counts the CPU of live processes plus what they reaped (`cutime`/`cstime`), so a tree's CPU over an
interval is the difference of two readings even when children come and go.
"""

from __future__ import annotations

import os
import signal
import threading
import time

def tree_pids(root: int) -> list[int]:
    """`root` and its descendants, from /proc/<pid>/task/<tid>/children."""
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            continue
    return out


def proc_kb(pid: int, path: str, key: str) -> int:
    try:
        with open(f"/proc/{pid}/{path}") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_times() -> dict[int, tuple[str, float]]:
    """{pid: (command name, CPU seconds)} of every process now."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        comm = cmd[:70] or stat[stat.index("(") + 1:stat.rindex(")")]
        out[int(name)] = (comm, (int(fields[11]) + int(fields[12])) / tick)
    return out


def own_cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class Sampler(threading.Thread):
    """Samples the RSS and PSS sums of a process tree; kills the tree when the deadline passes."""

    def __init__(self, pid: int, deadline: float):
        super().__init__(daemon=True)
        self.pid, self.deadline = pid, deadline
        self.peak_rss = self.peak_pss = self.peak_procs = 0
        self.seen: set[int] = set()
        self.cpu: dict[int, float] = {}  # pid -> its own CPU seconds when last seen
        self.timed_out = False
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            pids = tree_pids(self.pid)
            self.seen.update(pids)
            self.peak_rss = max(self.peak_rss, sum(proc_kb(p, "status", "VmRSS:") for p in pids))
            self.peak_pss = max(self.peak_pss, sum(proc_kb(p, "smaps_rollup", "Pss:") for p in pids))
            self.peak_procs = max(self.peak_procs, len(pids))
            for pid in pids:
                self.cpu[pid] = own_cpu(pid) or self.cpu.get(pid, 0.0)
            if time.monotonic() > self.deadline and not self.timed_out:
                self.timed_out = True
                kill_tree(self.pid)


def kill_tree(pid: int) -> None:
    for p in reversed(tree_pids(pid)):
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass




def tree_cpu(root: int) -> float:
    """CPU seconds of `root`'s tree: live processes' own time plus the children each has reaped."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in tree_pids(root):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15])
    return total / tick


def tree_rss_kb(root: int) -> int:
    return sum(proc_kb(p, "status", "VmRSS:") for p in tree_pids(root))


def run_tree(cmd: list[str], env: dict, cwd, stdout_path, stderr_path, timeout: float):
    """Run `cmd` in a session of its own, sampling its process tree; (wall s, wait status, rusage, sampler).

    The sampler (peak RSS/PSS, CPU per process, processes seen) stops at `timeout` and kills the tree."""
    import subprocess

    start = time.monotonic()
    with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=stdout, stderr=stderr, start_new_session=True)
    sampler = Sampler(proc.pid, start + timeout)
    sampler.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        kill_tree(proc.pid)
        proc.wait()
        raise
    finally:
        sampler.done.set()
        sampler.join()
    return time.monotonic() - start, status, usage, sampler
