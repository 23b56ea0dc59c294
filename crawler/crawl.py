"""Run the fetch stage for a plan with Scrapy, in this process (the reactor starts once)."""

from __future__ import annotations

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings as ScrapySettings

from crawler.config import Settings
from crawler.runs import Plan
from crawler.settings import scrapy_settings


def fetch(settings: Settings, plan: Plan, log_level: str = "ERROR") -> None:
    from spiders.documents import DocumentsSpider

    values = scrapy_settings(settings)
    values.update({"CLAUSEWATCH_PROCESS_AT_CLOSE": False, "LOG_LEVEL": log_level})
    if any(page.render for page in plan.pages):
        values.update(render_settings())
    process = CrawlerProcess(ScrapySettings(values), install_root_handler=True)
    process.crawl(DocumentsSpider, plan=plan)
    process.start()


def render_settings() -> dict:
    """scrapy-playwright with Debian's Chromium, used only by requests that ask for it."""
    return {
        "DOWNLOAD_HANDLERS": {
            "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
            "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
        },
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": "/usr/bin/chromium",
            "headless": True,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        },
    }
