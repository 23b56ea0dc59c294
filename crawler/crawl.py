"""Run a spider with Scrapy, in this process (the reactor starts once): the fetch stage, or a preview.

The browser is an exception, not the rule: scrapy-playwright's download handlers are installed only
when some page has `render = true`, and even then they pass every request without
`meta["playwright"]` (robots.txt, plain pages) to Scrapy's own HTTP handler. Requests the browser
makes by itself (scripts, XHR, redirects) obey the same destination policy as Scrapy's requests.
"""

from __future__ import annotations

import logging
import os
import signal
import sys

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings as ScrapySettings

from crawler.config import Settings
from crawler.destinations import BrowserDestinations
from crawler.errors import LeaseLost, StorageError  # noqa: F401 - StorageError re-exported
from snapshots.db import FENCE
from crawler.runs import Plan
from crawler.settings import scrapy_settings

CHROMIUM = "/usr/bin/chromium"  # Debian's package; Playwright's own browser download is not used
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def fetch(settings: Settings, plan: Plan, log_level: str = "ERROR", progress: bool = False, fetchers=None) -> None:
    """Fetch every page of `plan`; the snapshot pipeline stores what comes back.

    A big run is fetched by several processes sharing its hosts (crawler.fetchers): `fetchers`,
    started by the caller (best before planning, so they import Scrapy meanwhile), or started here.
    This process is one of them and returns when all are done."""
    from crawler.fetchers import start_fetchers
    from spiders.documents import DocumentsSpider

    timeouts = [page.render_timeout for page in plan.pages if page.render]
    # this process runs the process stage next: its pool starts while pages still come in
    overrides = {"CLAUSEWATCH_PROGRESS": progress, "CLAUSEWATCH_WARM_POOL": True}
    options = {"log_level": log_level, "render_timeout": max(timeouts, default=None)}
    if fetchers is None:
        fetchers = start_fetchers(settings, plan.pages, log_level)
        if fetchers is None:
            crawl(settings, DocumentsSpider, overrides=overrides, plan=plan, **options)
            return
        with fetchers:
            fetch(settings, plan, log_level, progress, fetchers)
        return
    fetchers.share(plan)
    crawl(settings, DocumentsSpider, overrides={**overrides, "CONCURRENT_REQUESTS": fetchers.concurrency},
          on_signal=fetchers.forward, plan=plan, claims=fetchers.claims, **options)
    fetchers.join()


def crawl(settings: Settings, spidercls, *, log_level: str = "ERROR", render_timeout: float | None = None,
          overrides: dict | None = None, on_signal=None, **spider_kwargs) -> None:
    """Run one spider to the end; `render_timeout` (seconds) set means some request renders.

    `on_signal(signum)` is told of every stop signal the crawl receives (to pass it on)."""
    values = scrapy_settings(settings)
    # the spider class is given: Scrapy need not import every spider module to find it (the
    # scrapy-redis one alone costs 0.14 s)
    values.update({"CLAUSEWATCH_PROCESS_AT_CLOSE": False, "LOG_LEVEL": log_level, "SPIDER_MODULES": []})
    if render_timeout is not None:
        values.update(render_settings(settings, render_timeout))
    values.update(overrides or {})
    process = StoppableCrawlerProcess(ScrapySettings(values))
    process.on_signal = on_signal
    if log_level not in ("DEBUG", "INFO"):  # failures are recorded with their reasons: no tracebacks for them
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)
    crawler = process.create_crawler(spidercls)
    process.crawl(crawler, **spider_kwargs)
    hangup = signal.signal(signal.SIGHUP, _hangup_as_terminate)  # SIGHUP stops cleanly, like SIGTERM
    try:
        process.start()
    finally:
        signal.signal(signal.SIGHUP, hangup)
    if FENCE.is_set():  # our lease was taken over while we fetched: we stopped writing
        raise LeaseLost("the run lease was taken over by another run during the crawl; this run stopped writing")
    error = crawler.stats.get_value(STORAGE_ERROR_STAT)
    if error:
        raise StorageError(f"the crawl stopped because snapshots could not be stored: {error}")


STORAGE_ERROR_STAT = "clausewatch/storage_error"
STOP_GRACE = 3.0  # seconds the pages in flight get after the first Ctrl-C/SIGTERM before the crawl stops anyway


class StoppableCrawlerProcess(CrawlerProcess):
    """Scrapy's process, saying at once what the first signal does and keeping the stop short.

    First Ctrl-C/SIGTERM/SIGHUP: a line on stderr, Scrapy's graceful stop, and the reactor stops
    after STOP_GRACE seconds even if pages are still in flight (they are fetched next run). The
    second signal stops at once.
    """

    on_signal = None

    def _signal_shutdown(self, signum, frame):
        from twisted.internet import reactor

        if self.on_signal is not None:
            self.on_signal(signum)
        super()._signal_shutdown(signum, frame)
        reactor.callFromThread(_say, "clausewatch: stopping after the pages in flight (Ctrl-C again to stop now)")
        reactor.callFromThread(reactor.callLater, STOP_GRACE, self._stop_if_running)

    def _signal_kill(self, signum, frame):
        if self.on_signal is not None:
            self.on_signal(signum)
        super()._signal_kill(signum, frame)

    def _stop_if_running(self):
        from twisted.internet import reactor

        if reactor.running:
            self._stop_reactor()


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _hangup_as_terminate(signum, frame):
    os.kill(os.getpid(), signal.SIGTERM)
# loggers of Scrapy's that report, with tracebacks, fetch failures clausewatch records itself
QUIET_LOGGERS = ("scrapy.downloadermiddlewares.retry", "scrapy.downloadermiddlewares.robotstxt",
                 "scrapy.core.scraper", "scrapy_playwright.handler")


def render_settings(settings: Settings, timeout: float = 30.0) -> dict:
    """scrapy-playwright with Debian's Chromium, used only by requests that ask for it."""
    return {
        "DOWNLOAD_HANDLERS": {
            "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
            "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
        },
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {"executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS},
        # bounds what a page's own timeouts do not: waiting for the load state after `wait_for`
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": timeout * 1000,
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": max(1, min(4, settings.concurrency)),  # tabs are heavy
        "PLAYWRIGHT_ABORT_REQUEST": BrowserDestinations(settings.allow_private_networks),
    }
