"""Politeness for a handful of legal pages per host, and `check --verbose` says what is in effect."""

from __future__ import annotations

from crawler.config import Settings
from crawler.settings import START_DELAY, politeness, scrapy_settings

GOOD = "<html><body><main><h1>Terms {n}</h1><p>These terms apply to every customer of the service.</p></main></body></html>"


def test_autothrottle_starts_from_a_short_delay_and_aims_at_the_per_host_concurrency():
    values = scrapy_settings(Settings(per_host_concurrency=2))
    assert values["AUTOTHROTTLE_START_DELAY"] == START_DELAY <= 1.0
    assert values["AUTOTHROTTLE_TARGET_CONCURRENCY"] == 2.0
    assert values["ROBOTSTXT_OBEY"] is True


def test_politeness_line_names_robots_concurrency_delay_and_time_limits():
    line = politeness(Settings(per_host_concurrency=2, timeout=30))
    for part in ("robots.txt obeyed", "2 requests at once per host", "AutoThrottle from 1 s", "30 s per attempt",
                 "60 s per document"):
        assert part in line, line


def test_check_verbose_prints_the_politeness_in_effect(home, site):
    home.env["CLAUSEWATCH_AUTOTHROTTLE"] = "1"
    home.simple_profile("acme", {f"d{n}": site.serve(f"/d{n}", GOOD.format(n=n)) for n in range(4)})
    proc = home.run("check", "--verbose", check_code=0)
    assert "politeness: robots.txt obeyed; up to 2 requests at once per host" in proc.stderr + proc.stdout


def test_components_that_are_off_are_not_even_loaded():
    # Scrapy imports every component listed in its *_BASE settings, even one that only raises
    # NotConfigured: the cookies middleware (its module imports tldextract), the telnet console
    from scrapy.settings import Settings as ScrapySettings
    from scrapy.utils.conf import build_component_list

    values = ScrapySettings(scrapy_settings(Settings()))
    middlewares = build_component_list(values.getwithbase("DOWNLOADER_MIDDLEWARES"))
    extensions = build_component_list(values.getwithbase("EXTENSIONS"))
    assert values.getbool("COOKIES_ENABLED") is False
    assert not any("CookiesMiddleware" in str(m) for m in middlewares)
    assert not any("TelnetConsole" in str(e) for e in extensions)
    # what stays: the policy, retries and redirects of clausewatch and Scrapy
    assert "crawler.middlewares.DestinationPolicyMiddleware" in middlewares
    assert any("RedirectMiddleware" in str(m) for m in middlewares)
