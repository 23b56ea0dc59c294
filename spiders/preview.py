"""`clausewatch preview`'s spider: fetch one page the way `check` would, keep the result in memory.

Same request, middlewares (destination policy, robots.txt, size limit, User-Agent) and failure
reasons as the documents spider (spiders.fetching); no pipeline, so nothing is stored.
"""

from __future__ import annotations

import scrapy

from crawler.runs import Page
from spiders.fetching import FetchesPages


class PreviewSpider(FetchesPages, scrapy.Spider):
    name = "preview"

    def __init__(self, page: Page | None = None, results: list | None = None, **kwargs):
        super().__init__(**kwargs)
        self.page = page
        self.results = results if results is not None else []

    async def start(self):
        yield self.page_request(self.page)

    def run_id_of(self, request) -> str:
        return "preview"

    def parse(self, response):
        self.results.extend(super().parse(response))
        return ()

    def failed(self, failure):
        self.results.extend(super().failed(failure))
        return ()
