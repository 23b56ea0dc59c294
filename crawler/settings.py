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


START_DELAY = 1.0  # seconds between requests to one host before AutoThrottle has measured it
MIN_DELAY = 0.25


def politeness(cw: Settings) -> str:
    """One line saying how gently hosts are fetched (`check --verbose` prints it)."""
    robots = "robots.txt obeyed" if cw.obey_robots else "robots.txt NOT obeyed"
    if cw.autothrottle:
        pace = (f"AutoThrottle from {START_DELAY:g} s between requests to a host (at least {MIN_DELAY:g} s, "
                f"at most 60 s), aiming at {max(1, cw.per_host_concurrency)} in flight")
    else:
        pace = "no delay between requests (autothrottle = false)"
    return (f"politeness: {robots}; up to {cw.per_host_concurrency} requests at once per host, "
            f"{cw.concurrency} overall; {pace}; timeout {cw.timeout:g} s per attempt, "
            f"{2 * cw.timeout:g} s per document; {cw.retries} retries (a timeout is retried once at most)")


# Scrapy's extensions that are off here anyway (TELNETCONSOLE_ENABLED, REMOTE_CONTROL_ENABLED): left
# out of EXTENSIONS_BASE so they are not even imported (a `None` in EXTENSIONS still imports the
# class; the remote control's module imports aiohttp, 0.1 s of every crawl's start)
_UNUSED_EXTENSIONS = ("scrapy.extensions.telnet.TelnetConsole", "scrapy.extensions.remote_control.RemoteControl")


def _base_extensions() -> dict:
    from scrapy.settings import default_settings

    return {k: v for k, v in default_settings.EXTENSIONS_BASE.items() if k not in _UNUSED_EXTENSIONS}


# likewise the cookies middleware (COOKIES_ENABLED is off): its module imports tldextract, 40 ms of
# every fetch process's start
_UNUSED_DOWNLOADER_MIDDLEWARES = ("scrapy.downloadermiddlewares.cookies.CookiesMiddleware",)


def _base_downloader_middlewares() -> dict:
    from scrapy.settings import default_settings

    return {k: v for k, v in default_settings.DOWNLOADER_MIDDLEWARES_BASE.items()
            if k not in _UNUSED_DOWNLOADER_MIDDLEWARES}


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
        # politeness for a handful of legal pages per host: start at one second between requests to a
        # host (Scrapy's 5 s made 4 pages take 23 s), aim at per_host_concurrency requests in flight,
        # back off up to a minute when the server slows down
        "AUTOTHROTTLE_ENABLED": cw.autothrottle,
        "AUTOTHROTTLE_START_DELAY": START_DELAY,
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(max(1, cw.per_host_concurrency)),
        "DOWNLOAD_DELAY": MIN_DELAY if cw.autothrottle else 0,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": cw.retries,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "COOKIES_ENABLED": False,  # consent cookies go in a source's `headers`
        "WARN_ON_GENERATOR_RETURN_VALUE": False,  # it re-parses the callback's source on every response
        "DOWNLOADER_STATS": False,  # byte counts nobody reads; serialising every request for them cost 4 % of a re-check
        "TELNETCONSOLE_ENABLED": False,  # no remote-control endpoints:
        "REMOTE_CONTROL_ENABLED": False,  # Scrapy's code-execution endpoint on localhost
        "LOG_LEVEL": "WARNING",
        "REDIRECT_MAX_TIMES": 10,  # a 30-hop chain ends after 10 with a reason; loops end at once
        "DOWNLOAD_FAIL_ON_DATALOSS": True,  # a body cut short is a failed fetch, never a version
        "DNSCACHE_ENABLED": True,
        # the destination policy on the address actually connected to (crawler.destinations)
        "TWISTED_DNS_RESOLVER": "crawler.destinations.PolicyResolver",
        "DOWNLOADER_MIDDLEWARES": {
            "crawler.middlewares.DestinationPolicyMiddleware": 50,
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "crawler.middlewares.RobotsMiddleware": 100,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawler.middlewares.PatientRetryMiddleware": 550,
            "crawler.middlewares.DestinationRefusalMiddleware": 590,
        },
        "DOWNLOADER_MIDDLEWARES_BASE": _base_downloader_middlewares(),
        "ITEM_PIPELINES": {"crawler.pipelines.SnapshotPipeline": 100},
        "EXTENSIONS": {"crawler.extensions.ProcessStage": 500},
        "EXTENSIONS_BASE": _base_extensions(),
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    }


globals().update(scrapy_settings(load_settings()))
