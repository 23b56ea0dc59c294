"""Item pipeline: store each fetch result as a snapshot and a fetch record, nothing more.

New bytes of a page whose plan names the region key of its document's current text are keyed
first (`same_text`): markup churn is stored already processed, so the process stage has nothing
to analyse for it."""

from __future__ import annotations

import json
import logging
import sys
import time
from functools import lru_cache

from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from crawler import crashpoints
from crawler.config import Settings
from crawler.crawl import STORAGE_ERROR_STAT
from crawler.errors import ClausewatchError, LeaseLost
from snapshots.db import open_database
from snapshots.extract import Rules, region_key, sniff_format
from snapshots.store import FetchResult, SnapshotWriter, last_snapshots


log = logging.getLogger("clausewatch.fetch")


def same_text(result: FetchResult) -> bool:
    """The new body's regions have the key its document's current text was read from
    (`known_regions`): the text is the same, and the body needs no extraction (markup churn).

    Any failure to tell (a page too complex to parse, not HTML, a bug) is a no: the process stage
    then extracts the page as usual, and reports what goes wrong there."""
    known = result.known_regions
    if not known or result.body is None:
        return False
    try:
        key = region_key(result.body, url=result.url, content_type=result.headers.get("content-type"),
                         rules=_rules(json.dumps(known["rules"], sort_keys=True)))
    except Exception:  # noqa: BLE001 - see above: the page is extracted by the process stage instead
        log.debug("could not compare the regions of %s", result.url, exc_info=True)
        return False
    return key is not None and key == known["key"]


@lru_cache(maxsize=64)
def _rules(rules_json: str) -> Rules:
    return Rules.from_json(json.loads(rules_json))


class SnapshotPipeline:
    def __init__(self, crawler, database_url: str, progress: bool = False, warm_pool: bool = False):
        self.crawler = crawler
        self.database_url = database_url
        self.warm_pool = warm_pool  # start the process stage's pool once enough new content came in
        self.writer: SnapshotWriter | None = None
        self.progress = progress  # a line on stderr for people, updated every second
        self.total = self.done = 0
        self.shown_at = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, Settings.from_json(crawler.settings.getdict("CLAUSEWATCH")).database,
                   crawler.settings.getbool("CLAUSEWATCH_PROGRESS"), crawler.settings.getbool("CLAUSEWATCH_WARM_POOL"))

    def open_spider(self, spider=None):
        spider = spider or self.crawler.spider
        db = open_database(self.database_url)
        with db.session() as s:
            known = last_snapshots(s, [p.url for p in spider.plan.pages])
        self.writer = SnapshotWriter(db, known=known, same_text=same_text)
        self.total = len(spider.plan.pages)

    def process_item(self, item: FetchResult, spider=None):
        if item.body is not None and not item.failure:
            content_type = item.headers.get("content-type")
            if sniff_format(item.body, content_type) is None:
                item.failure = f"not a document: binary or unknown content served as {content_type or 'no content type'}"
                item.body = None
        try:
            item.outcome = self.writer.add(item)
            crashpoints.reached("fetch.stored")
        except LeaseLost:  # another run holds the lease now: stop quietly, write nothing more
            self.writer.pending.clear()
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="lease lost"))
            raise DropItem("the run lease was taken over") from None
        except Exception:
            self.storage_failed()
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="storage error"))
            raise
        self.done += 1
        if self.warm_pool and self.writer.outcomes["pending"]:
            from crawler.process import IN_PROCESS_JOBS, warm_pool  # the process stage needs it next anyway

            if self.writer.outcomes["pending"] >= IN_PROCESS_JOBS:
                self.warm_pool = False
                warm_pool(Settings.from_json(self.crawler.settings.getdict("CLAUSEWATCH")))
        claims = getattr(spider or self.crawler.spider, "claims", None)  # other processes fetch too
        if claims is not None:
            claims.answered(item.url, item.outcome)
        if self.progress:
            self.show_progress(claims.totals() if claims is not None else self.writer.outcomes)
        return item

    def show_progress(self, counts: dict) -> None:
        done = sum(counts.values())
        if time.monotonic() - self.shown_at > 1 or done == self.total:
            self.shown_at = time.monotonic()
            sys.stderr.write(f"\r  fetched {done}/{self.total} pages: {counts['pending']} with new content, "
                             f"{counts['unchanged']} unchanged, {counts['failed']} failed ")
            sys.stderr.flush()

    def storage_failed(self) -> None:
        """Storage errors stop the crawl and fail the command (crawler.crawl raises): nothing is lost quietly."""
        error = sys.exc_info()[1]
        cause = getattr(error, "orig", None) or error.__cause__ or error
        self.crawler.stats.set_value(STORAGE_ERROR_STAT, (str(error) if isinstance(error, ClausewatchError)
                                                          else f"{type(cause).__name__}: {cause}").splitlines()[0])
        log.debug("storing snapshots failed", exc_info=True)

    def close_spider(self, spider=None):
        if self.crawler.stats.get_value(STORAGE_ERROR_STAT):
            return  # already failed: the crawl raises StorageError once it is over
        try:
            self.writer.flush()
        except LeaseLost:
            self.writer.pending.clear()
        except Exception:  # recorded; crawler.crawl raises StorageError once the crawl is over
            self.storage_failed()
        if self.progress and self.done:
            sys.stderr.write("\n")
