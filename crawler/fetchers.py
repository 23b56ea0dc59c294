"""Several fetch processes on one machine, sharing a run's hosts: the fetch stage on every core.

One Scrapy process spends about 1.5 ms of CPU per request (more with bodies to hash, compress and
store), so a big run is bound by one core while the others idle. `clausewatch check` therefore
starts extra fetch processes for runs of `MIN_PAGES_PER_FETCHER` pages or more (setting
`fetchers`; 0 = one per core). Every process runs the same spider and pipeline against the same
database; none of them plans, processes or alerts — the run's own process does that afterwards,
exactly as after a crawl in one process.

**Hosts, not pages, are shared.** Pages are grouped by host and each group is claimed whole by one
process (`Claims`, a cursor in shared memory), so `per_host_concurrency` and AutoThrottle hold per
host as in one process, and `concurrency` is split between the processes. A process claims its
next host when fewer than `Claims.open_hosts_wanted` of its hosts still have pages in flight, so a
process that started late (a spawned one imports Scrapy first) or drew slow hosts simply claims
fewer: no pre-assigned shares. Hosts with a page to render stay with the run's own process, the
only one that starts Chromium.

**Stopping and failing.** The extra processes run in their own process group, so Ctrl-C at a
terminal reaches the run's process only; it forwards every stop signal to them, and each stops as
`clausewatch check` does (first signal: the pages in flight, second: at once). A fetch process
exits within a second of the run's process (even after `kill -9`), and stops writing as soon
as the run's lease is lost (the fence is shared). A storage error, a lost lease or a crash in any
process fails the run with that process's reason; what the others stored stays, as always.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import sys
import threading
from collections import Counter
from urllib.parse import urlsplit

from crawler.config import Settings
from crawler.errors import ClausewatchError, LeaseLost, StorageError
from crawler.pids import die_with_parent
from crawler.runs import Page, Plan

MIN_PAGES_PER_FETCHER = 200  # a spawned fetch process costs about a second of CPU to start
MAX_AUTO_FETCHERS = 4
JOIN_GRACE = 10.0  # seconds the extra processes get to stop after the run's own crawl failed
OUTCOMES = ("pending", "unchanged", "failed")


class FetcherFailed(ClausewatchError):
    """A fetch process ended without finishing its hosts (crashed or was killed)."""


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def host_groups(pages: list[Page]) -> list[list[Page]]:
    """The pages grouped by host, in the order hosts first appear (a host's pages keep their order)."""
    groups: dict[str, list[Page]] = {}
    for page in pages:
        groups.setdefault(host_of(page.url), []).append(page)
    return list(groups.values())


def fetcher_count(settings: Settings, pages: list[Page], cores: int | None = None) -> int:
    """How many processes fetch `pages`: 1 unless there is work (and hosts) for more."""
    groups = host_groups(pages)
    shared = [g for g in groups if not any(p.render for p in g)]
    if settings.fetchers:
        wanted = settings.fetchers
    else:
        wanted = min(cores or os.cpu_count() or 1, MAX_AUTO_FETCHERS, len(pages) // MIN_PAGES_PER_FETCHER)
    return max(1, min(wanted, len(shared) + (len(shared) < len(groups)), settings.concurrency))


def start_fetchers(settings: Settings, pages: list[Page], log_level: str = "ERROR") -> "Fetchers | None":
    """The extra fetch processes for a run of `pages`, not started yet (`with` starts them); None: one is enough."""
    count = fetcher_count(settings, pages)
    return Fetchers(settings, count, log_level) if count > 1 else None


class Claims:
    """The run's host groups and a cursor over them in shared memory, plus this process's share.

    Made by the run's process before the others start; they inherit the shared cursor, counters
    and fence flag (`Process` arguments) and receive the groups through a pipe (`Fetchers.share`).
    Each process keeps its own count of pages in flight. `own` are groups only this process
    fetches (those with a page to render).
    """

    def __init__(self, context, groups: list[list[Page]], own: list[list[Page]], open_hosts_wanted: int):
        self.groups = groups
        self.own = own
        self.open_hosts_wanted = open_hosts_wanted
        self.cursor = context.Value("i", 0)  # the next unclaimed group
        self.counts = context.Array("q", len(OUTCOMES))  # fetch-stage outcomes over all processes
        self.fenced = context.Value("b", 0)  # the run lost its lease: nobody writes any more
        self._local()

    def __getstate__(self):
        # the shared values only: the groups (large) go through a pipe, which does not block the start
        return {"open_hosts_wanted": self.open_hosts_wanted, "cursor": self.cursor, "counts": self.counts,
                "fenced": self.fenced, "groups": [], "own": []}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._local()

    def _local(self) -> None:
        self.in_flight: Counter = Counter()  # host -> this process's pages not yet answered
        self.changed: asyncio.Event | None = None
        self._hosts: dict[str, str] = {}  # page URL -> host, for the pages this process claimed

    def claim(self) -> list[Page] | None:
        with self.cursor.get_lock():
            index = self.cursor.value
            if index >= len(self.groups):
                return None
            self.cursor.value = index + 1
        return self.groups[index]

    async def pages(self, engine):
        """This process's pages, a host at a time, claimed while fewer hosts than wanted are busy."""
        self.changed = asyncio.Event()
        for group in self.own:
            for page in self._take(group):
                yield page
        while True:
            while len(self.in_flight) >= self.open_hosts_wanted:
                self.changed.clear()
                try:
                    await asyncio.wait_for(self.changed.wait(), 1.0)
                except asyncio.TimeoutError:
                    if not engine.downloader.active:  # nothing in flight: a page left without an answer
                        self.in_flight.clear()
            group = self.claim()
            if group is None:
                return
            for page in self._take(group):
                yield page

    def _take(self, group: list[Page]) -> list[Page]:
        host = host_of(group[0].url)
        self.in_flight[host] += len(group)
        self._hosts.update((page.url, host) for page in group)
        return group

    def answered(self, url: str, outcome: str) -> None:
        """One page of this process was fetched (or failed) and stored with `outcome`."""
        with self.counts.get_lock():
            self.counts[OUTCOMES.index(outcome)] += 1
        host = self._hosts.pop(url, None)
        if host is not None and host in self.in_flight:
            self.in_flight[host] -= 1
            if self.in_flight[host] <= 0:
                del self.in_flight[host]
                if self.changed is not None:
                    self.changed.set()

    def totals(self) -> dict[str, int]:
        with self.counts.get_lock():
            return dict(zip(OUTCOMES, self.counts[:]))


class Fetchers:
    """The extra fetch processes of one run.

    `with Fetchers(settings, count) as f:` starts them (they import Scrapy meanwhile: start them
    before planning, or earlier with `f.start()`, and `f.abandon()` them if the run does not start);
    `f.share(plan)` gives them the plan's hosts; the run's own crawl then fetches with `f.claims`,
    and `f.join()` waits for the others.
    """

    def __init__(self, settings: Settings, count: int, log_level: str = "ERROR"):
        self.context = multiprocessing.get_context("spawn")  # a clean interpreter: no inherited connections
        self.count = count
        self.settings = settings
        self.concurrency = max(1, settings.concurrency // count)
        wanted = max(2, -(-self.concurrency // max(1, settings.per_host_concurrency)) + 1)
        self.claims = Claims(self.context, [], [], wanted)
        self.log_level = log_level
        self.processes: list = []
        self.reports: list = []
        self.work: list = []
        self.shared = False  # `share` gave the processes their hosts

    def start(self) -> "Fetchers":
        """Start the processes (once): they import Scrapy, then wait for `share`. `with` starts them too."""
        if self.processes:
            return self
        for _ in range(self.count - 1):
            receive, send = self.context.Pipe(duplex=False)
            work_in, work_out = self.context.Pipe(duplex=False)
            process = self.context.Process(target=fetcher_main, name="clausewatch-fetch", daemon=False,
                                           args=(self.settings.to_json(), self.claims, self.concurrency,
                                                 self.log_level, os.getpid(), work_in, send))
            process.start()
            send.close()
            work_in.close()
            self.processes.append(process)
            self.reports.append(receive)
            self.work.append(work_out)
        return self

    def __enter__(self) -> "Fetchers":
        self.start()
        self._fence_watch = threading.Event()
        threading.Thread(target=self._share_fence, name="share-fence", daemon=True).start()
        return self

    def abandon(self) -> None:
        """Stop processes that were started but never given hosts (the run did not start: its lease
        is held, say). They have written nothing: they only import Scrapy before `share`."""
        if self.shared:
            return
        for process in self.processes:
            if process.exitcode is None:
                process.terminate()
        for process in self.processes:
            process.join(JOIN_GRACE)
            if process.exitcode is None:
                process.kill()
                process.join()

    def share(self, plan: Plan) -> None:
        """Give the processes the plan's hosts; those with a page to render stay with this one."""
        self.shared = True
        groups = host_groups(plan.pages)
        self.claims.groups = [g for g in groups if not any(p.render for p in g)]
        self.claims.own = [g for g in groups if any(p.render for p in g)]
        for work in self.work:  # sent once each process reads it (after its imports), not blocking this one
            threading.Thread(target=_send, args=(work, (plan.run_id, self.claims.groups)), name="send-hosts",
                             daemon=True).start()

    def _share_fence(self) -> None:
        from snapshots.db import FENCE

        while not self._fence_watch.wait(0.2):
            if FENCE.is_set():
                self.claims.fenced.value = 1
                return

    def forward(self, signum: int) -> None:
        """Pass a stop signal on to every fetch process still running."""
        from scheduler.stopping import note_stopped

        note_stopped(signum)
        self._signal_all(signum)

    def _signal_all(self, signum: int) -> None:
        for process in self.processes:
            if process.pid and process.exitcode is None:
                try:
                    os.kill(process.pid, signum)
                except ProcessLookupError:
                    pass

    def join(self) -> None:
        """Wait for every fetch process, passing stop signals on; raise the first one's failure."""
        def forward(signum, frame):
            self.forward(signum)

        handlers = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            reports = [self._report(process, receive) for process, receive in zip(self.processes, self.reports)]
        finally:
            for s, handler in handlers.items():
                signal.signal(s, handler)
        for process, report in zip(self.processes, reports):
            if report is None:
                continue
            kind, message = report
            if kind == "lease":
                raise LeaseLost(message)
            if kind == "storage":
                raise StorageError(message)
            raise FetcherFailed(f"a fetch process (pid {process.pid}) failed: {message}; the pages it did not "
                                f"fetch are fetched by the next run")

    @staticmethod
    def _report(process, receive):
        """How the process ended: its report when it sent one (it exits right after), else its exit code."""
        try:
            report = receive.recv()
        except EOFError:  # it died without a word
            process.join()
            return ("crashed", f"exit code {process.exitcode}")
        process.join()
        return report

    def __exit__(self, kind, error, traceback) -> None:
        self._fence_watch.set()
        if kind is None:
            return
        # the run's own crawl failed: the others stop too, and their failures do not hide this one
        self._signal_all(signal.SIGTERM)
        for process in self.processes:
            process.join(JOIN_GRACE)
            if process.exitcode is None:
                process.kill()
                process.join()


def _send(connection, payload) -> None:
    try:
        connection.send(payload)
    except OSError:  # the process is gone; its exit code says why
        pass
    finally:
        connection.close()


def fetcher_main(settings_json: dict, claims: Claims, concurrency: int, log_level: str, run_pid: int, work,
                 report) -> None:
    """A fetch process: crawl the hosts it claims, say how it ended (None: all fetched), exit."""
    if hasattr(os, "setpgrp"):
        os.setpgrp()  # stop signals come from the run's process, not from the terminal
    die_with_parent(run_pid, each_beat=lambda: _share_fence(claims))
    from crawler import heap

    heap.own_process()  # ended by os._exit below
    with heap.settling():  # no collection walks Scrapy's modules again
        from crawler.crawl import crawl
        from spiders.documents import DocumentsSpider

    outcome = None
    try:
        run_id, groups = work.recv()
        claims.groups = groups
        work.close()
        plan = Plan(run_id, {}, [page for group in claims.groups for page in group])
        crawl(Settings.from_json(settings_json), DocumentsSpider, log_level=log_level,
              overrides={"CONCURRENT_REQUESTS": concurrency}, plan=plan, claims=claims)
    except LeaseLost as exc:
        outcome = ("lease", str(exc))
    except StorageError as exc:
        outcome = ("storage", str(exc))
    except BaseException as exc:  # noqa: BLE001 - reported to the run's process, which fails the run
        outcome = ("crashed", f"{type(exc).__name__}: {exc}")
    report.send(outcome)
    report.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # everything is committed: skip tearing the interpreter down (the run waits for this report)


def _share_fence(claims: Claims) -> None:
    from snapshots.db import FENCE

    if claims.fenced.value:
        FENCE.set()
