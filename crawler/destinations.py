"""The one place that decides which destinations the fetch path may contact.

The check is on the address actually connected to: `PolicyResolver` (Scrapy's TWISTED_DNS_RESOLVER)
drops every resolved address the policy refuses before Twisted connects, for every request —
documents, redirects and robots.txt alike — whatever the URL's spelling (`2130706433`, `0x7f.1`,
`[::127.0.0.1]`, a name resolving to 127.0.0.1 …). `check_url` refuses what can be refused from the
URL alone (schemes, IP literals in any spelling inet_aton accepts, `localhost`) before a request is
queued, so the reason names the spelling. The browser's own requests (render = true) go through
`BrowserDestinations`, which resolves the host the same way before Chromium may fetch it.

Refused by default: loopback, private (RFC 1918, CGNAT 100.64/10, ULA), link-local, multicast,
reserved, unspecified, documentation/benchmark ranges, and IPv6 forms that embed an IPv4 address
(IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo) unless the embedded
address is public. `allow_private_networks` (CLAUSEWATCH_ALLOW_PRIVATE_NETWORKS=1) allows them
all; a source's own `allow_private_networks = true` allows them for its own hosts only (a redirect
elsewhere is still checked). A refusal is not transient: it is recorded as a failure at once.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from urllib.parse import urlsplit

from crawler.errors import DestinationRefused

__all__ = ["DestinationRefused", "check_url", "check_destination", "address_problem", "host_address",
           "check_address", "PolicyResolver", "BrowserDestinations", "allow_host", "refusal_for", "REFUSED"]

REFUSED = "destination refused"
HINT = "; CLAUSEWATCH_ALLOW_PRIVATE_NETWORKS=1 or a source's allow_private_networks = true allows it"
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_COMPAT = ipaddress.ip_network("::/96")
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NUMERIC_V4 = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$", re.I)

# Per process, like the reactor's resolver: hosts a source allows to be private, and why a host's
# addresses were dropped (so the failure reads "destination refused: …", not "DNS lookup failed").
_lock = threading.Lock()
_allowed_hosts: set[str] = set()
_refusals: dict[str, str] = {}


def address_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What kind of non-public address `ip` is ("loopback", "private" …), or None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded, form = None, None
        if ip.ipv4_mapped is not None:
            embedded, form = ip.ipv4_mapped, "IPv4-mapped"
        elif ip in _NAT64:
            embedded, form = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "NAT64"
        elif ip.sixtofour is not None:
            embedded, form = ip.sixtofour, "6to4"
        elif ip.teredo is not None:
            embedded, form = ip.teredo[1], "Teredo"
        elif ip in _COMPAT and int(ip) > 1:
            embedded, form = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "IPv4-compatible"
        if embedded is not None:
            inner = address_problem(embedded)
            return f"{form} {embedded}, {inner}" if inner else None
        if ip in _NAT64_LOCAL:
            return "NAT64 local-use"
    for name in ("unspecified", "loopback", "link_local", "multicast", "private", "reserved"):
        if getattr(ip, f"is_{name}"):
            return name.replace("_", "-")
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "site-local"
    if ip in _SHARED:
        return "shared address space"
    if not ip.is_global:
        return "special-purpose"
    return None


def host_address(host: str):
    """The IP address a URL host spells, in any spelling the resolver accepts; None for a name.

    `127.1`, `0x7f.1`, `0177.0.0.1`, `2130706433` and `0` are IPv4 addresses to inet_aton (and so
    to getaddrinfo), so they are read the same way here.
    """
    host = host.strip("[]").rstrip(".").lower()
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _NUMERIC_V4.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _refusal(host: str, ip, problem: str, verb: str) -> str:
    if host == str(ip):
        return f"{REFUSED}: {host} is not a public address ({problem})"
    return f"{REFUSED}: {host} {verb} {ip} ({problem})"


def check_url(url: str, allow_private: bool = False) -> None:
    """Refuse what the URL alone shows: a scheme other than http(s), no host, a non-public IP literal."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for ":99999"
    except ValueError as exc:
        raise DestinationRefused(f"{REFUSED}: {url[:80]!r} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise DestinationRefused(f"{REFUSED}: {parts.scheme or 'no'} scheme (only http and https are fetched)")
    host = (hostname or "").rstrip(".").lower()
    if not host:
        raise DestinationRefused(f"{REFUSED}: the URL has no host")
    if allow_private or host in _allowed_hosts:
        return
    if host == "localhost" or host.endswith(".localhost"):
        raise DestinationRefused(f"{REFUSED}: {host} is a loopback name{HINT}")
    ip = host_address(host)
    if ip is not None:
        problem = address_problem(ip)
        if problem:
            raise DestinationRefused(_refusal(host, ip, problem, "resolves to") + HINT)


check_destination = check_url  # the name earlier callers use


def check_address(host: str, address: str, allow_private: bool = False) -> None:
    """Refuse connecting to `address` (what `host` resolved to) unless it is public or allowed."""
    host = host.strip("[]").rstrip(".").lower()
    if allow_private or host in _allowed_hosts:
        return
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    problem = address_problem(ip)
    if problem:
        raise DestinationRefused(_refusal(host, ip, problem, "resolves to") + HINT)


def allow_host(host: str) -> None:
    """Let `host` resolve to private addresses for the rest of this process (a source allowed it)."""
    with _lock:
        _allowed_hosts.add(host.strip("[]").rstrip(".").lower())


def refusal_for(host: str) -> str | None:
    """Why the resolver dropped `host`'s addresses in this process, if it did."""
    return _refusals.get(host.strip("[]").rstrip(".").lower())


class _FilteringReceiver:
    """An IResolutionReceiver passing on only the addresses the policy allows."""

    def __init__(self, receiver, host: str, allow_private: bool):
        self.receiver, self.host, self.allow_private = receiver, host, allow_private
        self.refused: list[str] = []

    def resolutionBegan(self, resolution) -> None:  # noqa: N802 - Twisted's interface
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address) -> None:  # noqa: N802
        try:
            check_address(self.host, address.host, self.allow_private)
        except DestinationRefused as exc:
            self.refused.append(str(exc))
            return
        self.receiver.addressResolved(address)

    def resolutionComplete(self) -> None:  # noqa: N802
        if self.refused:
            with _lock:
                _refusals[self.host.strip("[]").rstrip(".").lower()] = self.refused[0]
        self.receiver.resolutionComplete()


def _resolver_class():
    from scrapy.resolver import CachingHostnameResolver
    from twisted.internet.interfaces import IHostnameResolver
    from zope.interface import implementer

    @implementer(IHostnameResolver)
    class _PolicyResolver(CachingHostnameResolver):
        """Scrapy's caching IPv4+IPv6 resolver, with the destination policy applied to every address."""

        allow_private = False

        @classmethod
        def from_crawler(cls, crawler, reactor):
            resolver = super().from_crawler(crawler, reactor)
            resolver.allow_private = bool(crawler.settings.getdict("CLAUSEWATCH").get("allow_private_networks"))
            return resolver

        def resolveHostName(self, resolutionReceiver, hostName, portNumber=0,  # noqa: N802, N803
                            addressTypes=None, transportSemantics="TCP"):  # noqa: N803
            receiver = _FilteringReceiver(resolutionReceiver, hostName, self.allow_private)
            return super().resolveHostName(receiver, hostName, portNumber, addressTypes, transportSemantics)

    return _PolicyResolver


def __getattr__(name):  # PolicyResolver imports Twisted only when Scrapy asks for it
    if name == "PolicyResolver":
        cls = _resolver_class()
        globals()["PolicyResolver"] = cls
        return cls
    raise AttributeError(name)


class BrowserDestinations:
    """scrapy-playwright's PLAYWRIGHT_ABORT_REQUEST: true for a browser request the policy refuses.

    The host is resolved (in a thread) and every address checked, as for Scrapy's own requests.
    """

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private

    def __call__(self, request):
        """True (abort) or False for what the URL shows; for a host name, an awaitable of the verdict
        on its resolved addresses (scrapy-playwright awaits it)."""
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):  # in-page content, no network
            return False
        try:
            check_url(request.url, self.allow_private)
        except DestinationRefused:
            return True
        host = (parts.hostname or "").lower()
        if self.allow_private or host in _allowed_hosts or host_address(host) is not None:
            return False  # an IP literal was judged by check_url
        return self._resolved(host, parts.port or (443 if parts.scheme == "https" else 80))

    async def _resolved(self, host: str, port: int) -> bool:
        import asyncio

        try:
            infos = await asyncio.get_running_loop().run_in_executor(
                None, lambda: socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP))
            for info in infos:
                check_address(host, info[4][0], self.allow_private)
        except DestinationRefused:
            return True
        except OSError:
            return False  # unresolvable: Chromium fails it itself
        return False
