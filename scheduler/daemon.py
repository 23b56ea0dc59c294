"""`clausewatch schedule`: APScheduler 3 decides when; one worker runs the crawls, one at a time.

The profiles are the only source of truth. At start and on every reload (a profile file changed,
or SIGHUP) the jobs are rebuilt from them (scheduler.plan) with fixed ids and
`replace_existing=True`, in a MemoryJobStore: nothing is pickled, so nothing outlives an upgrade.
Each job's argument is only its id. Jobs use `coalesce=True`, `max_instances=1` and
`misfire_grace_time=None`; a job's first run time comes from the database (plan.due_time), so a
daemon restarted after any downtime runs a missed check once, at start.

A job coming due only queues its documents; a single worker thread drains the queue, one child
crawl per batch (scheduler.child). Documents due again while a crawl runs wait in the queue,
once each, however often they came due. SIGTERM/SIGINT stop the daemon: no new crawl starts, the
running one is asked to stop (SIGTERM, then SIGKILL after the grace period) and marked
`interrupted`; its lease is released.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from crawler.config import Settings
from crawler.profiles import catalog_cache, load_catalog
from crawler.runs import new_run_id
from scheduler import child, plan
from scheduler.lease import RUN_LEASE, release_dead
from scheduler.stopping import end_run

log = logging.getLogger("clausewatch.daemon")
JOB_OPTIONS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
LEASE_RETRY = 15.0  # seconds before retrying a batch refused because another run held the lease


class Worker(threading.Thread):
    """Runs queued documents as child crawls, one batch at a time."""

    def __init__(self, daemon: Daemon):
        super().__init__(name="crawl-worker", daemon=True)
        self.daemon_ = daemon
        self.cond = threading.Condition()
        self.queued: dict[str, str] = {}  # document key -> PROFILE/SOURCE
        self.fires = 0  # how often jobs came due since the last batch started
        self.running: dict[str, str] = {}
        self.stop = threading.Event()

    def submit(self, entry: plan.Entry) -> None:
        with self.cond:
            already = sum(1 for key in entry.documents if key in self.queued)
            self.queued.update(entry.documents)
            self.fires += 1
            self.cond.notify()
        log.info("job due: %d documents queued", len(entry.documents),
                 extra={"event": "job.due", "job": entry.id, "already_queued": already,
                        "running": bool(self.running)})

    def busy(self) -> set[str]:
        with self.cond:
            return set(self.queued) | set(self.running)

    def run(self) -> None:
        while not self.stop.is_set():
            with self.cond:
                while not self.queued and not self.stop.is_set():
                    self.cond.wait(1.0)
                if self.stop.is_set():
                    return
                batch, fires = dict(sorted(self.queued.items())), self.fires
                self.queued, self.fires, self.running = {}, 0, batch
            try:
                refused = self.daemon_.crawl(batch, fires)
            except Exception:
                log.exception("crawl failed to run", extra={"event": "run.error"})
                refused = False
            with self.cond:
                self.running = {}
                if refused:  # another run holds the lease: keep the documents, try again shortly
                    self.queued = {**batch, **self.queued}
            if refused:
                self.stop.wait(LEASE_RETRY)

    def shutdown(self) -> None:
        self.stop.set()
        with self.cond:
            self.cond.notify()
        self.join()


class Daemon:
    def __init__(self, settings: Settings, db, config: str | None = None, watch_interval: float = 2.0):
        self.settings, self.db, self.config = settings, db, config
        self.watch_interval = watch_interval
        self.entries: dict[str, plan.Entry] = {}
        self.stopping = threading.Event()
        self.reload_requested = threading.Event()
        self.worker = Worker(self)
        self.scheduler = BackgroundScheduler(jobstores={"default": MemoryJobStore()},
                                             executors={"default": ThreadPoolExecutor(1)},
                                             job_defaults=JOB_OPTIONS, timezone=plan.local_timezone())
        self._signature = None

    # -- lifecycle -----------------------------------------------------------------------
    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, lambda *_: self.reload_requested.set())
        log.info("daemon started (pid %d)", os.getpid(),
                 extra={"event": "daemon.started", "profiles": str(self.settings.profiles)})
        self.scheduler.start()
        self.worker.start()
        self.reload("start")
        while not self.stopping.wait(self.watch_interval):
            if self.reload_requested.is_set():
                self.reload_requested.clear()
                self.reload("SIGHUP")
            elif self._profiles_signature() != self._signature:
                self.reload("profiles changed")
        log.info("stopping: no new crawls; the running one is asked to stop", extra={"event": "daemon.stopping"})
        self.scheduler.shutdown(wait=False)
        self.worker.shutdown()
        log.info("daemon stopped", extra={"event": "daemon.stopped"})
        return 0

    def _on_stop(self, signum, _frame) -> None:
        self.stopping.set()
        self.worker.stop.set()  # a running crawl sees this and is terminated cleanly

    # -- jobs ----------------------------------------------------------------------------
    def _profiles_signature(self):
        folder = Path(self.settings.profiles)
        try:
            return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.glob("*.toml")))
        except OSError:
            return None

    def reload(self, reason: str) -> None:
        """Rebuild every job from the profiles (fixed ids, replace_existing=True)."""
        self._signature = self._profiles_signature()
        catalog = load_catalog(self.settings.profiles, cache=catalog_cache(self.settings))
        for error in catalog.errors:
            log.error("invalid profile (skipped): %s", error, extra={"event": "profile.invalid"})
        entries = plan.build(catalog, self.settings.schedule_default)
        now = dt.datetime.now(plan.UTC)
        checks = plan.last_checks(self.db, [k for e in entries for k in e.documents])
        busy = self.worker.busy()
        for entry in entries:
            options = dict(JOB_OPTIONS)
            due = plan.due_time(entry, checks, now)
            if not (due <= now and set(entry.documents) <= busy):  # else: queued already; the trigger decides
                options["next_run_time"] = due
            self.scheduler.add_job(self.job_due, plan.trigger_for(entry.schedule, self.settings.schedule_jitter),
                                   args=[entry.id], id=entry.id, name=f"check every {entry.schedule}",
                                   replace_existing=True, **options)
        self.entries = {e.id: e for e in entries}
        for job in self.scheduler.get_jobs():
            if job.id not in self.entries:
                job.remove()
        for job in self.scheduler.get_jobs():
            log.info("job scheduled: %s, %d documents, next run %s", job.id,
                     len(self.entries[job.id].documents), job.next_run_time.isoformat(),
                     extra={"event": "job.scheduled", "job": job.id, "reason": reason,
                            "next_run": job.next_run_time.isoformat()})
        if not entries:
            log.warning("no documents to schedule", extra={"event": "schedule.empty", "reason": reason})

    def job_due(self, entry_id: str) -> None:
        entry = self.entries.get(entry_id)
        if entry is not None and not self.stopping.is_set():
            self.worker.submit(entry)

    # -- one crawl -----------------------------------------------------------------------
    def child_env(self, run_id: str) -> dict:
        env = dict(os.environ)
        env[child.RUN_ID_VARIABLE] = run_id
        env.update({"CLAUSEWATCH_HOME": str(Path(self.settings.home).resolve()),
                    "CLAUSEWATCH_PROFILES": str(Path(self.settings.profiles).resolve()),
                    "CLAUSEWATCH_DATABASE_URL": self.settings.database})
        if self.config:
            env["CLAUSEWATCH_CONFIG"] = str(Path(self.config).resolve())
        return env

    def crawl(self, batch: dict[str, str], fires: int) -> bool:
        """Check `batch` in a child process; True when it was refused because the lease is held."""
        s = self.settings
        run_id = new_run_id()
        log.info("run starting: %d documents (due %d times since the last run)", len(batch), fires,
                 extra={"event": "run.starting", "run_id": run_id, "documents": len(batch), "fires": fires})
        result = child.run(child.check_command(batch.values()), self.child_env(run_id), s.run_time_limit,
                           s.stop_grace, self.worker.stop,
                           started=lambda pid: log.info("run started (pid %d)", pid,
                                                        extra={"event": "run.started", "run_id": run_id, "pid": pid}))
        summary = result.summary if isinstance(result.summary, dict) else {}
        if result.killed:
            self._clean_up_after(result.pid, run_id)
        fields = {"run_id": run_id, "pid": result.pid, "exit": result.exit_code,
                  **{k: summary[k] for k in ("documents", "new", "changed", "unchanged", "failed") if k in summary}}
        if result.timed_out:
            log.error("run exceeded the time limit of %ss and was stopped", s.run_time_limit,
                      extra={"event": "run.timeout", "killed": result.killed, **fields})
        elif result.stopped:
            log.warning("run stopped at shutdown", extra={"event": "run.stopped", "killed": result.killed, **fields})
        elif result.exit_code == 4:
            log.warning("another run holds the lease; retrying in %ss", LEASE_RETRY,
                        extra={"event": "run.refused", **fields})
            return True
        elif result.exit_code in (0, 2, 3):
            log.info("run finished", extra={"event": "run.finished", **fields})
        else:
            log.error("run failed", extra={"event": "run.failed", **fields})
        return False

    def _clean_up_after(self, pid: int, run_id: str) -> None:
        """A child killed with SIGKILL could not finish its run: mark it and free its lease now."""
        end_run(self.db, "interrupted", run_id=run_id)
        release_dead(self.db, RUN_LEASE, socket.gethostname(), pid)
