"""The one place that decides which destinations the fetch path may contact.

Loopback, private, link-local and other non-public addresses are refused unless
`allow_private_networks` (CLAUSEWATCH_ALLOW_PRIVATE_NETWORKS=1) is set; tests and the offline
demo set it to fetch from 127.0.0.1. Host names are checked as written (IP literals and
`localhost`); resolving names before connecting is the next hardening step and belongs here too.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


class DestinationRefused(Exception):
    """The URL points at a network clausewatch is not allowed to reach."""


def check_destination(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise DestinationRefused(f"refused: {parts.scheme or 'no'} scheme (only http and https are fetched)")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise DestinationRefused("refused: the URL has no host")
    if allow_private:
        return
    if host == "localhost" or host.endswith(".localhost"):
        raise DestinationRefused(f"refused: {host} is a loopback address (set CLAUSEWATCH_ALLOW_PRIVATE_NETWORKS=1 to allow)")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return
    if not ip.is_global:
        raise DestinationRefused(f"refused: {host} is not a public address (set CLAUSEWATCH_ALLOW_PRIVATE_NETWORKS=1 to allow)")
