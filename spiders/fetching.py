"""What every clausewatch spider shares: one request per Page, one FetchResult per answer.

`DocumentsSpider` (one run, in-process) and `DocumentsRedisSpider` (pages from Redis, many runs)
differ only in where their pages and run ids come from; building the request and turning the
response or failure into a `FetchResult` is the same code, here.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import scrapy

from crawler.fetch_errors import describe_failure, describe_status, redirect_note
from crawler.runs import Page
from snapshots.store import FetchResult

MAX_STUB_HOPS = 3  # redirect stubs followed in a row (follow_moves)
# statuses handed to the callback (instead of being dropped); 3xx stay with RedirectMiddleware
HANDLED_STATUSES = [304] + list(range(400, 600))


class FetchesPages:
    """Spider mixin: `page_request()` builds a page's request; `parse`/`failed` yield FetchResults.

    The spider says which run a request belongs to with `run_id_of(request)`, and which `clock`
    times it (a monotonic one when the request never leaves this process).
    """

    clock = staticmethod(time.monotonic)

    def run_id_of(self, request) -> str:
        raise NotImplementedError

    def page_request(self, page: Page, **meta) -> scrapy.Request:
        headers = dict(page.headers)
        if page.etag and not page.render:  # a rendered page's text also comes from its scripts' requests
            headers["If-None-Match"] = page.etag
        if page.last_modified and not page.render:
            headers["If-Modified-Since"] = page.last_modified
        meta = {"handle_httpstatus_list": HANDLED_STATUSES, "page": page, "started": self.clock(), **meta}
        if page.render:
            meta.update(render_meta(page))
        return scrapy.Request(page.url, headers=headers, meta=meta, dont_filter=True,
                              callback=self.parse, errback=self.failed)

    def _result(self, request, **fields) -> FetchResult:
        page = request.meta["page"]
        started = request.meta.get("started", self.clock())
        return FetchResult(url=page.url, run_id=self.run_id_of(request), known_regions=page.known_regions,
                           duration_ms=max(0, int((self.clock() - started) * 1000)), **fields)

    def parse(self, response):
        headers = {k.decode("latin-1").lower(): b", ".join(v).decode("latin-1")
                   for k, v in response.headers.items()}
        common = {"status": response.status, "final_url": response.url, "headers": headers}
        if response.status == 304:
            yield self._result(response.request, not_modified=True, **common)
        elif response.status >= 400:
            yield self._result(response.request, failure=describe_status(response.status), **common)
        elif "playwright" in response.flags and 0 < self.settings.getint("DOWNLOAD_MAXSIZE") < len(response.body):
            # Scrapy's DOWNLOAD_MAXSIZE does not bound what the browser downloads; bound the rendered page
            yield self._result(response.request, failure=f"too large: the rendered page has {len(response.body):,} "
                               f"bytes, over the size limit of {self.settings.getint('DOWNLOAD_MAXSIZE'):,}", **common)
        else:
            follow = self._follow_stub(response)
            if follow is not None:
                yield follow
                return
            status, to = redirect_fact(response.request.meta, response.url)
            note = redirect_note(response.request.meta)
            if response.request.meta.get("stub_from"):
                note = f"redirect stub {response.request.meta['stub_from']} -> {response.url}"
            yield self._result(response.request, body=response.body, redirect=note,
                               redirect_status=status, redirect_to=to, **common)

    def _follow_stub(self, response) -> scrapy.Request | None:
        """With follow_moves: a redirect stub's target, fetched in this run for the same page."""
        page = response.request.meta["page"]
        hops = response.request.meta.get("stub_hops", 0)
        if not getattr(page, "follow_moves", False) or hops >= MAX_STUB_HOPS or "playwright" in response.flags:
            return None
        from snapshots.extract.stub import stub_target

        target = stub_target(response.body, response.url, response.headers.get("Content-Type", b"").decode("latin-1"))
        if not target or urlsplit(target).scheme not in ("http", "https"):
            return None
        headers = {k: v for k, v in response.request.headers.items()
                   if k.lower() not in (b"if-none-match", b"if-modified-since")}
        return response.request.replace(url=target, headers=headers, dont_filter=True,
                                        meta={**response.request.meta, "stub_hops": hops + 1,
                                              "stub_from": response.url})

    def failed(self, failure):
        request = failure.request
        reason = describe_render_failure(failure.value, request.meta["page"]) if request.meta.get("playwright") else None
        yield self._result(request, failure=reason or describe_failure(failure.value, request))


def redirect_fact(meta: dict, final_url: str) -> tuple[int | None, str | None]:
    """(status, target) of the hop that matters: the first permanent one (301/308), else the first."""
    reasons = [r for r in meta.get("redirect_reasons") or [] if isinstance(r, int)]
    urls = list(meta.get("redirect_urls") or [])
    if not reasons or not urls:
        return None, None
    targets = urls[1:] + [final_url]  # redirect_urls lists where each hop came from
    for i, status in enumerate(reasons):
        if status in (301, 308):
            return status, targets[min(i, len(targets) - 1)]
    return reasons[0], targets[0]


def render_meta(page) -> dict:
    """Request meta that sends one page through scrapy-playwright (Chromium).

    The page loads until the network is idle, then waits for `wait_for` when set; each wait is
    bounded by the page's `render_timeout`.
    """
    from scrapy_playwright.page import PageMethod

    timeout = page.render_timeout * 1000
    methods = [PageMethod("wait_for_selector", page.wait_for, timeout=timeout)] if page.wait_for else []
    return {"playwright": True, "playwright_page_methods": methods,
            "playwright_page_goto_kwargs": {"timeout": timeout, "wait_until": "networkidle"}}


def describe_render_failure(exc: BaseException, page) -> str | None:
    """One line for a failed render (Playwright's messages carry a multi-line call log); None: not a render error."""
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    if isinstance(exc, PlaywrightTimeout):
        what = f"waiting for wait_for = {page.wait_for!r}" if page.wait_for and "wait_for_selector" in str(exc) \
            else "loading the page"
        return f"render timed out after {page.render_timeout:g} s {what} (check the selector, or raise render_timeout)"
    if isinstance(exc, PlaywrightError):
        lines = (exc.message or "").strip().splitlines() or [type(exc).__name__]
        hint = " (install Debian's chromium package)" if "executable" in lines[0].lower() else ""
        return f"render failed: {lines[0]}{hint}"
    return None
