"""Downloader middlewares of the fetch stage (`clausewatch check`, `worker` and `scrapy crawl` alike).

- `DestinationPolicyMiddleware` (50): refuses by the URL's spelling before anything is sent, lets a
  source's own hosts be private when it says `allow_private_networks = true`, and ends every
  document's fetch within a total time budget (retries included), redirect loops at once, and
  redirects to `file:`/`data:` URLs with a reason.
- `RobotsMiddleware` (100): robots.txt fetched and parsed before any document request to its host;
  every waiting request gets the parser (Scrapy's own middleware hands it to the first waiter only,
  so with three or more documents on a host the others slipped through). Cached per run. robots.txt
  is downloaded in a slot of its own, so a host's pacing (AutoThrottle's delay between requests)
  starts with its first document instead of holding that document one delay after robots.txt; the
  document still waits for the parsed robots.txt, so the host never has both at once.
- `PatientRetryMiddleware` (550): Scrapy's retries, but a timeout is retried once at most.
- `DestinationRefusalMiddleware` (590): a connection the resolver refused (crawler.destinations)
  reads "destination refused: …", not "DNS lookup failed", and is not retried.
"""

from __future__ import annotations

import time

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import CannotResolveHostError, DownloadTimeoutError, IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import error as tx
from twisted.internet.defer import Deferred

from crawler import destinations
from crawler.fetch_errors import ROBOTS_BLOCKED, robots_rule

ROBOTS_TTL = 3600.0  # a long-running worker re-reads a host's robots.txt after an hour


class DestinationPolicyMiddleware:
    def __init__(self, allow_private: bool, time_budget: float, max_bytes: int = 0):
        self.allow_private, self.max_bytes = allow_private, max_bytes
        self.time_budget = time_budget  # seconds one document may take, all attempts and redirects together

    @classmethod
    def from_crawler(cls, crawler):
        install_reset_is_data_loss()
        cw = crawler.settings.getdict("CLAUSEWATCH")
        budget = crawler.settings.getfloat("CLAUSEWATCH_DOCUMENT_TIME_BUDGET") or \
            2 * crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 30)
        return cls(bool(cw.get("allow_private_networks")), budget, crawler.settings.getint("DOWNLOAD_MAXSIZE"))

    def process_request(self, request, spider=None):
        page = request.meta.get("page")
        if page is not None and getattr(page, "allow_private_networks", False):
            host = urlparse_cached(request).hostname
            if host and host == _host(page.url):  # the source's own host only, not where it redirects
                destinations.allow_host(host)
        try:
            destinations.check_url(request.url, self.allow_private)
        except destinations.DestinationRefused as exc:
            raise IgnoreRequest(str(exc)) from None
        previous = request.meta.get("redirect_urls") or []
        if request.url in previous:
            chain = " -> ".join([*previous[previous.index(request.url):], request.url])
            raise IgnoreRequest(f"redirect loop: {_short(chain, 300)}")
        if page is None:
            return None
        deadline = request.meta.setdefault("deadline", time.monotonic() + self.time_budget)
        left = deadline - time.monotonic()
        if left <= 0:
            raise IgnoreRequest(f"timed out: no answer within {self.time_budget:g} s in total (all attempts)")
        request.meta["download_timeout"] = min(request.meta.get("download_timeout") or left, left)
        if self.max_bytes:
            request.meta.setdefault("download_maxsize", self.max_bytes)  # so a cancelled body says why
        return None

    def process_response(self, request, response, spider=None):
        if 300 <= response.status < 400 and response.headers.get(b"Location"):
            target = response.headers[b"Location"].decode("latin-1")
            scheme = target.split(":", 1)[0].lower() if ":" in target.split("/", 1)[0] else ""
            if scheme and scheme not in ("http", "https"):
                raise IgnoreRequest(f"{destinations.REFUSED}: redirect to a {scheme}: URL "
                                    f"({_short(target, 80)}); only http and https are fetched")
        return response


def _host(url: str) -> str | None:
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class DestinationRefusalMiddleware:
    """Turns the resolver's refusal into its reason (placed after RetryMiddleware: not retried)."""

    def process_exception(self, request, exception, spider=None):
        if isinstance(exception, (CannotResolveHostError, tx.DNSLookupError)):
            reason = destinations.refusal_for(urlparse_cached(request).hostname or "")
            if reason:
                raise IgnoreRequest(reason)
        return None


class PatientRetryMiddleware(RetryMiddleware):
    """A timed-out server is slow or hanging: try it once more at most (a refused connection, as configured)."""

    def process_exception(self, request, exception, spider=None):
        if isinstance(exception, (DownloadTimeoutError, tx.TimeoutError, tx.TCPTimedOutError)) \
                and request.meta.get("retry_times", 0) >= 1:
            return None
        return super().process_exception(request, exception, spider)


class RobotsMiddleware(RobotsTxtMiddleware):
    """robots.txt before any document of its host, for every waiting request; refusals name the rule."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self._fetched_at: dict[str, float] = {}
        self._waiters: dict[str, list[Deferred]] = {}

    async def process_request(self, request, spider=None):
        if request.meta.get("dont_obey_robotstxt") and urlparse_cached(request).path == "/robots.txt":
            request.meta.setdefault("download_slot", f"robots.txt of {urlparse_cached(request).netloc}")
            return None
        return await super().process_request(request)

    async def robot_parser(self, request):
        netloc = urlparse_cached(request).netloc
        parser = self._parsers.get(netloc)
        if netloc in self._parsers and not isinstance(parser, Deferred) \
                and time.monotonic() - self._fetched_at.get(netloc, 0) > ROBOTS_TTL:
            del self._parsers[netloc]
        if netloc not in self._parsers:
            self._fetched_at[netloc] = time.monotonic()
            return await super().robot_parser(request)  # the first request fetches robots.txt
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            # Scrapy's Deferred passes the parser to its first waiter only (asFuture returns None
            # into the chain): give each later waiter its own Deferred, fired with the parser.
            mine: Deferred = Deferred()
            self._waiters.setdefault(netloc, []).append(mine)
            if len(self._waiters[netloc]) == 1:
                parser.addBoth(self._release, netloc)
            return await maybe_deferred_to_future(mine)
        return parser

    def _release(self, result, netloc):
        parser = self._parsers.get(netloc)
        for waiter in self._waiters.pop(netloc, []):
            waiter.callback(None if isinstance(parser, Deferred) else parser)
        return result

    def process_request_2(self, rp, request):
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest:
            useragent = self._robotstxt_useragent or request.headers.get(b"User-Agent", self._default_useragent)
            rule = robots_rule(rp, request.url, useragent)
            raise IgnoreRequest(f"{ROBOTS_BLOCKED}{': ' + rule if rule else ''}") from None


_patched = False


def install_reset_is_data_loss() -> None:
    """A body delimited only by the connection's end (HTTP/1.0, no Content-Length) that ends in a
    connection reset is cut, not complete: make Twisted report it as data loss, as it does for a
    body with a length. A clean close (FIN) still ends such a body normally.
    """
    global _patched
    if _patched:
        return
    from scrapy.core.downloader.handlers.http11 import _LenientHTTPClientParser
    from twisted.internet.error import ConnectionDone
    from twisted.web._newclient import _IdentityTransferDecoder

    original = _LenientHTTPClientParser.connectionLost

    def connectionLost(self, reason=None):  # noqa: N802 - Twisted's name
        decoder = self.bodyDecoder
        if isinstance(decoder, _IdentityTransferDecoder) and decoder.contentLength is None \
                and reason is not None and not reason.check(ConnectionDone):
            decoder.contentLength = 1  # bytes still expected: noMoreData() raises _DataLoss
        return original(self, reason)

    _LenientHTTPClientParser.connectionLost = connectionLost
    _patched = True
