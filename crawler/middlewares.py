"""Downloader middleware enforcing crawler.destinations on every request, redirects included."""

from scrapy.exceptions import IgnoreRequest

from crawler.destinations import DestinationRefused, check_destination


class DestinationPolicyMiddleware:
    def __init__(self, allow_private: bool):
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler):
        return cls(bool(crawler.settings.getdict("CLAUSEWATCH").get("allow_private_networks")))

    def process_request(self, request, spider=None):
        try:
            check_destination(request.url, self.allow_private)
        except DestinationRefused as exc:
            raise IgnoreRequest(str(exc)) from None
