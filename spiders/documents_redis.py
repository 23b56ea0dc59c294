"""`documents-redis`: the fetch stage on a crawler machine, fed by scrapy-redis.

`clausewatch worker` (or `scrapy crawl documents-redis`) runs this spider until stopped. Pages
arrive as JSON messages on `<queue>:pages` (see crawler.distributed), each with its run id;
scrapy-redis's scheduler shares the requests between all workers through `<queue>:requests`.
Every request is `dont_filter`, so scrapy-redis's dupefilter never drops a re-check. The queue
persists when a worker stops, so one worker leaving does not wipe the others' work.

Results go through the same pipeline as a local check, with one difference (WorkerSnapshotPipeline):
a worker serves many runs and shares the database with other workers, so it compares each result
with the newest snapshot in the database at that moment, and writes it at once.
"""

from __future__ import annotations

import time

from scrapy_redis.spiders import RedisSpider
from scrapy_redis.utils import bytes_to_str

from crawler.distributed import DEFAULT_QUEUE, page_from_message, pages_key, requests_key
from crawler.pipelines import SnapshotPipeline, same_text
from snapshots.db import open_database
from snapshots.store import SnapshotWriter, last_snapshots
from spiders.fetching import FetchesPages

PIPELINE = "crawler.pipelines.SnapshotPipeline"
WORKER_PIPELINE = "spiders.documents_redis.WorkerSnapshotPipeline"


class DocumentsRedisSpider(FetchesPages, RedisSpider):
    name = "documents-redis"
    plan = None  # no plan: pages of many runs arrive one by one
    clock = staticmethod(time.time)  # a request may be downloaded on another machine than it was read on
    # messages read at once when idle; they go straight to the shared request queue, from which every
    # worker takes up to CONCURRENT_REQUESTS, so a large batch costs nothing when a worker dies
    redis_batch_size = 100

    def __init__(self, announce=None, **kwargs):
        super().__init__(**kwargs)
        self.announce = announce  # called once the worker listens (`clausewatch worker` prints a line)

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        queue = settings.get("CLAUSEWATCH_QUEUE") or DEFAULT_QUEUE
        pipelines = {WORKER_PIPELINE if k == PIPELINE else k: v for k, v in settings.getdict("ITEM_PIPELINES").items()}
        settings.setdict({
            "REDIS_URL": settings.getdict("CLAUSEWATCH").get("redis_url") or None,
            "REDIS_START_URLS_KEY": pages_key(queue),
            "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
            "SCHEDULER_QUEUE_KEY": requests_key(queue),
            "SCHEDULER_PERSIST": True,  # never flush the shared queue when one worker stops
            # scrapy-redis's own dupefilter (Scrapy's has no from_settings any more); every request is
            # dont_filter, so it never drops one and the key stays empty
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "SCHEDULER_DUPEFILTER_KEY": f"{queue}:dupefilter",
            "ITEM_PIPELINES": pipelines,
            "CLAUSEWATCH_PROCESS_AT_CLOSE": False,  # the coordinator runs the process stage
        }, priority="spider")

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        if not crawler.settings.get("REDIS_URL"):
            raise ValueError("documents-redis needs redis_url (CLAUSEWATCH_REDIS_URL=redis://host:6379/0)")
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.spider_idle_start_time = int(time.time())  # scrapy-redis sets it once, at import
        return spider

    async def start(self):
        if self.announce is not None:
            self.announce()
        # Scrapy 2.13+ calls start(), not scrapy-redis's start_requests(): read the first batch here,
        # later ones come from RedisMixin.spider_idle
        for request in self.next_requests():
            yield request

    def make_request_from_data(self, data):
        try:
            page, run_id = page_from_message(bytes_to_str(data, self.redis_encoding))
        except ValueError as exc:
            self.logger.error("%s: %r", exc, data[:200])
            return []
        self.spider_idle_start_time = int(time.time())  # `--idle-exit` counts from the last page read
        return self.page_request(page, run_id=run_id)

    def run_id_of(self, request) -> str:
        return request.meta["run_id"]


class WorkerSnapshotPipeline(SnapshotPipeline):
    """SnapshotPipeline for workers: each result is compared with the newest snapshot and written at once."""

    def open_spider(self, spider=None):
        self.writer = SnapshotWriter(open_database(self.database_url), batch_size=1, same_text=same_text)

    def process_item(self, item, spider=None):
        with self.writer.db.session() as s:
            self.writer.known = last_snapshots(s, [item.url])
        return super().process_item(item, spider)
