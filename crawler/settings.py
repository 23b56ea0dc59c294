"""Scrapy settings for the fetch stage, derived from clausewatch's own settings.

`scrapy crawl documents` (via scrapy.cfg) and `clausewatch check` both end up here, so the two read
the same `clausewatch.toml` and `CLAUSEWATCH_*` variables.
"""

import importlib.util

from crawler.config import Settings, load_settings


def spider_modules() -> list[str]:
    """The spiders; the scrapy-redis one only when the `distributed` extra is installed."""
    modules = ["spiders.documents", "spiders.preview"]
    if importlib.util.find_spec("scrapy_redis") is not None:
        modules.append("spiders.documents_redis")
    return modules


def scrapy_settings(cw: Settings) -> dict:
    """Scrapy's settings for clausewatch settings `cw`."""
    return {
        "BOT_NAME": "clausewatch",
        "SPIDER_MODULES": spider_modules(),
        "NEWSPIDER_MODULE": "spiders",
        "CLAUSEWATCH": cw.to_json(),
        "USER_AGENT": cw.user_agent,
        "ROBOTSTXT_OBEY": cw.obey_robots,
        "DOWNLOAD_TIMEOUT": cw.timeout,
        "DOWNLOAD_MAXSIZE": cw.max_bytes,  # also bounds decompressed bodies (HttpCompressionMiddleware)
        "DOWNLOAD_WARNSIZE": 0,
        "CONCURRENT_REQUESTS": cw.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": cw.per_host_concurrency,
        "CONCURRENT_ITEMS": 1,  # one item per response: Scrapy would start 100 tasks per response
        "AUTOTHROTTLE_ENABLED": cw.autothrottle,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": max(1.0, cw.per_host_concurrency / 2),
        "RETRY_ENABLED": True,
        "RETRY_TIMES": cw.retries,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "COOKIES_ENABLED": False,  # consent cookies go in a source's `headers`
        "TELNETCONSOLE_ENABLED": False,  # no remote-control endpoints:
        "REMOTE_CONTROL_ENABLED": False,  # Scrapy's code-execution endpoint on localhost
        "LOG_LEVEL": "WARNING",
        "DOWNLOADER_MIDDLEWARES": {"crawler.middlewares.DestinationPolicyMiddleware": 50},
        "ITEM_PIPELINES": {"crawler.pipelines.SnapshotPipeline": 100},
        "EXTENSIONS": {"crawler.extensions.ProcessStage": 500},
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    }


globals().update(scrapy_settings(load_settings()))
