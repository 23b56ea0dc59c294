"""The one generic spider: one request per page of every cited Document.

It only fetches: each response or failure becomes a `FetchResult` for the snapshot pipeline.
Extraction and diffing happen afterwards, off the reactor, in crawler.process.
"""

from __future__ import annotations

import scrapy

from crawler.config import Settings
from crawler.profiles import load_catalog
from crawler.runs import Plan, prepare_run
from snapshots.db import open_database
from spiders.fetching import FetchesPages


class DocumentsSpider(FetchesPages, scrapy.Spider):
    name = "documents"

    def __init__(self, plan: Plan | None = None, profile: str = "", source: str = "", claims=None, **kwargs):
        super().__init__(**kwargs)
        self.plan = plan
        self.claims = claims  # crawler.fetchers.Claims: the plan's hosts are shared with other processes
        self.profile_ids = [p for p in profile.split(",") if p]
        self.source_refs = [s for s in source.split(",") if s]

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        if spider.plan is None:  # `scrapy crawl documents`: plan the run here
            cw = Settings.from_json(crawler.settings.getdict("CLAUSEWATCH"))
            catalog = load_catalog(cw.profiles)
            for error in catalog.errors:
                spider.logger.error(str(error))
            sources = catalog.sources(spider.profile_ids, spider.source_refs)
            spider.plan = prepare_run(open_database(cw.database), catalog, sources,
                                      follow_moves_default=cw.follow_moves)
        return spider

    async def start(self):
        from crawler.settings import politeness

        self.logger.info(politeness(Settings.from_json(self.settings.getdict("CLAUSEWATCH"))))
        if self.claims is None:
            for page in self.plan.pages:
                yield self.page_request(page)
            return
        async for page in self.claims.pages(self.crawler.engine):
            yield self.page_request(page)

    def run_id_of(self, request) -> str:
        return self.plan.run_id
