"""robots.txt is fetched and obeyed before any document request to its host, however many there are."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from snapshots.models import Anomaly, Fetch

GOOD = "<html><body><main><h1>Terms {n}</h1><p>These terms apply to every customer of the service.</p></main></body></html>"


@pytest.mark.parametrize("documents", [1, 3, 20])
def test_a_disallowed_document_is_never_requested_whatever_the_number_of_documents_on_the_host(home, site, documents):
    site.serve("/robots.txt", "User-agent: *\nDisallow: /private/\n", Content_Type="text/plain")
    site.serve("/private/secret", GOOD.format(n="secret"))
    urls = {"secret": site.url("/private/secret")}
    for n in range(documents - 1):
        urls[f"d{n}"] = site.serve(f"/public/{n}", GOOD.format(n=n))
    home.simple_profile("acme", urls)
    result = home.json("check", code=3)
    assert result["failed"] == 1 and result["new"] == documents - 1, result
    served = [path for path, _ in site.hits]
    assert "/private/secret" not in served
    assert served[0] == "/robots.txt" and served.count("/robots.txt") == 1  # once per run, before any document
    reason = result["errors"][0]["reason"]
    assert reason == "disallowed by robots.txt: Disallow: /private/ (User-agent: *)"
    with home.database().session() as s:
        assert s.scalar(select(Fetch.reason).where(Fetch.url == urls["secret"])) == reason
        assert s.scalar(select(Anomaly.kind).where(Anomaly.url == urls["secret"])) == "blocked"


def test_robots_txt_is_downloaded_in_a_slot_of_its_own_so_the_first_document_does_not_wait_a_delay_after_it():
    import asyncio

    from scrapy import Request
    from scrapy.core.downloader import Downloader
    from scrapy.utils.test import get_crawler

    from crawler.middlewares import RobotsMiddleware

    crawler = get_crawler(settings_dict={"ROBOTSTXT_OBEY": True})
    middleware = RobotsMiddleware(crawler)
    robots = Request("https://example.com/robots.txt", meta={"dont_obey_robotstxt": True})
    other = Request("https://example.com/terms", meta={"dont_obey_robotstxt": True})
    assert asyncio.run(middleware.process_request(robots)) is None
    assert asyncio.run(middleware.process_request(other)) is None
    downloader = Downloader(crawler)
    document_slot = downloader.get_slot_key(Request("https://example.com/terms"))
    assert downloader.get_slot_key(robots) not in (document_slot, "example.com") and document_slot == "example.com"
    assert downloader.get_slot_key(other) == document_slot  # only robots.txt itself moves
