"""The one generic spider: one request per page of every cited Document.

It only fetches: each response or failure becomes a `FetchResult` for the snapshot pipeline.
Extraction and diffing happen afterwards, off the reactor, in crawler.process.
"""

from __future__ import annotations

import time

import scrapy

from crawler.config import Settings
from crawler.fetch_errors import describe_failure, describe_status, redirect_note
from crawler.profiles import load_catalog
from crawler.runs import Plan, prepare_run
from snapshots.db import open_database
from snapshots.store import FetchResult

# statuses handed to the callback (instead of being dropped); 3xx stay with RedirectMiddleware
HANDLED_STATUSES = [304] + list(range(400, 600))


class DocumentsSpider(scrapy.Spider):
    name = "documents"

    def __init__(self, plan: Plan | None = None, profile: str = "", source: str = "", **kwargs):
        super().__init__(**kwargs)
        self.plan = plan
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
            spider.plan = prepare_run(open_database(cw.database), catalog, sources)
        return spider

    async def start(self):
        for page in self.plan.pages:
            headers = dict(page.headers)
            if page.etag:
                headers["If-None-Match"] = page.etag
            if page.last_modified:
                headers["If-Modified-Since"] = page.last_modified
            meta = {"handle_httpstatus_list": HANDLED_STATUSES, "page": page, "started": time.monotonic()}
            if page.render:
                meta.update(render_meta(page))
            yield scrapy.Request(page.url, headers=headers, meta=meta, dont_filter=True,
                                 callback=self.parse, errback=self.failed)

    def _result(self, request, **fields) -> FetchResult:
        page = request.meta["page"]
        started = request.meta.get("started", time.monotonic())
        return FetchResult(url=page.url, run_id=self.plan.run_id,
                           duration_ms=int((time.monotonic() - started) * 1000), **fields)

    def parse(self, response):
        headers = {k.decode("latin-1").lower(): b", ".join(v).decode("latin-1")
                   for k, v in response.headers.items()}
        common = {"status": response.status, "final_url": response.url, "headers": headers}
        if response.status == 304:
            yield self._result(response.request, not_modified=True, **common)
        elif response.status >= 400:
            yield self._result(response.request, failure=describe_status(response.status), **common)
        else:
            yield self._result(response.request, body=response.body, redirect=redirect_note(response.request.meta),
                               **common)

    def failed(self, failure):
        yield self._result(failure.request, failure=describe_failure(failure.value, failure.request))


def render_meta(page) -> dict:
    """Request meta that sends one page through scrapy-playwright (Chromium)."""
    from scrapy_playwright.page import PageMethod

    methods = [PageMethod("wait_for_selector", page.wait_for, timeout=page.render_timeout * 1000)] if page.wait_for else []
    return {"playwright": True, "playwright_page_methods": methods,
            "playwright_page_goto_kwargs": {"timeout": page.render_timeout * 1000, "wait_until": "networkidle"}}
