"""Several crawler machines: the coordinator's side, in plain Python (no Scrapy).

The queue is scrapy-redis's, not ours. The coordinator pushes one JSON message per Page of a run
onto the start-URL list `<queue>:pages`, which `DocumentsRedisSpider.make_request_from_data` reads
on every `clausewatch worker`; scrapy-redis's scheduler shares the resulting requests between the
workers through `<queue>:requests`. Workers write snapshots and fetch records to the shared
database, so the coordinator only has to wait until every page of the run has a fetch record,
then run the process stage itself, exactly as `clausewatch check` does after a local crawl.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from crawler.errors import ClausewatchError
from crawler.runs import Page, Plan
from snapshots.db import Database
from snapshots.runs import fetched_urls
from snapshots.store import FetchResult, SnapshotWriter

DEFAULT_QUEUE = "clausewatch"


class RedisUnavailable(ClausewatchError):
    """The Redis of several crawler machines does not answer (before anything is planned or queued)."""

    exit_code = 7
POLL_SECONDS = 1.0


def pages_key(queue: str) -> str:
    """The start-URL list the workers' RedisSpider reads (REDIS_START_URLS_KEY)."""
    return f"{queue}:pages"


def requests_key(queue: str) -> str:
    """scrapy-redis's shared request queue (SCHEDULER_QUEUE_KEY)."""
    return f"{queue}:requests"


def page_message(page: Page, run_id: str) -> str:
    return json.dumps({**page.to_json(), "run_id": run_id}, sort_keys=True)


def page_from_message(data: str | bytes) -> tuple[Page, str]:
    """(Page, run id) from a message; ValueError when it is not one of ours."""
    try:
        message = json.loads(data)
        run_id = message.pop("run_id")
        return Page(**message), run_id
    except (TypeError, KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a clausewatch page message: {exc}") from None


def shared_database_problem(database_url: str) -> str | None:
    """Why workers on other machines could not write to this database, or None."""
    if database_url.startswith("sqlite"):
        return ("the database is a SQLite file, which workers on other machines cannot write to: set database_url "
                "to a PostgreSQL URL (CLAUSEWATCH_DATABASE_URL=postgresql://…), or pass --same-machine when every "
                "worker runs on this machine with the same data directory")
    return None


@dataclass
class Progress:
    """What the coordinator knows while it waits; `missing` pages have no fetch record yet."""

    total: int
    fetched: int = 0
    missing: list[str] = field(default_factory=list)
    queued: int = 0  # messages no worker has taken yet


def connect(redis_url: str, consequence: str):
    """A Redis client that answered a ping; RedisUnavailable (one line, exit 7) when it does not."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        where = redis_url.split("@")[-1].split("://")[-1]
        raise RedisUnavailable(f"redis {where}: {str(exc).rstrip('.')}; start it or fix redis_url ({consequence})") from None
    return client


class Coordinator:
    """Pushes a run's pages to the workers and waits for their fetch records."""

    def __init__(self, redis, db: Database, queue: str = DEFAULT_QUEUE):
        self.redis, self.db, self.queue = redis, db, queue

    @classmethod
    def from_url(cls, redis_url: str, db: Database, queue: str = DEFAULT_QUEUE) -> "Coordinator":
        """A coordinator on a Redis that answers; RedisUnavailable (one line, exit 7) when it does not."""
        return cls(connect(redis_url, "nothing was queued"), db, queue)

    def push(self, plan: Plan) -> list[str]:
        messages = [page_message(page, plan.run_id) for page in plan.pages]
        if messages:
            self.redis.rpush(pages_key(self.queue), *messages)
        return messages

    def progress(self, plan: Plan) -> Progress:
        with self.db.session() as s:
            done = fetched_urls(s, plan.run_id)
        missing = [p.url for p in plan.pages if p.url not in done]
        return Progress(len(plan.pages), len(plan.pages) - len(missing), missing,
                        self.redis.llen(pages_key(self.queue)))

    def wait(self, plan: Plan, timeout: float, report=None) -> Progress:
        """Poll until every page has a fetch record or `timeout` seconds pass; `report(progress)` on news."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            progress = self.progress(plan)
            if report is not None and (progress.fetched, progress.queued) != last:
                report(progress)
                last = (progress.fetched, progress.queued)
            if not progress.missing or time.monotonic() >= deadline:
                return progress
            time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))

    def withdraw(self, messages: list[str]) -> None:
        """Take back the messages no worker has read yet (requests a worker already made still run)."""
        key = pages_key(self.queue)
        for message in messages:
            self.redis.lrem(key, 0, message)

    def give_up(self, plan: Plan, messages: list[str], missing: list[str], reason: str) -> None:
        """Withdraw the run's untaken messages and record its missing pages as failed fetches."""
        self.withdraw(messages)
        writer = SnapshotWriter(self.db)
        for url in missing:
            writer.add(FetchResult(url=url, run_id=plan.run_id, failure=reason))
        writer.flush()


def fetch_through_workers(coordinator: Coordinator, plan: Plan, timeout: float, report=None) -> Progress:
    """The fetch stage of a distributed check; pages still missing after `timeout` are failed."""
    messages = coordinator.push(plan)
    try:
        progress = coordinator.wait(plan, timeout, report)
    except KeyboardInterrupt:  # SIGTERM too (scheduler.stopping): the run ends as interrupted
        coordinator.withdraw(messages)
        raise
    if progress.missing:
        coordinator.give_up(plan, messages, progress.missing,
                            f"not fetched by any worker within {duration(timeout)} (is `clausewatch worker` "
                            f"running and reading queue {coordinator.queue!r}?)")
    return progress


def duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds % 3600 == 0 and seconds >= 3600:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0 and seconds >= 60:
        return f"{seconds // 60}m"
    return f"{seconds}s"
