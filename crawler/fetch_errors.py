"""Human-readable reasons for failed fetches ("DNS lookup failed", "HTTP 404 Not Found", …)."""

from __future__ import annotations

from http import HTTPStatus

from scrapy.exceptions import (CannotResolveHostError, DownloadCancelledError, DownloadConnectionRefusedError,
                               DownloadTimeoutError, IgnoreRequest)
from twisted.internet import error as tx


def describe_status(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "error"
    return f"HTTP {status} {phrase}"


def describe_failure(exc: BaseException, request) -> str:
    host = request.url.split("/")[2] if "//" in request.url else request.url
    if isinstance(exc, IgnoreRequest):
        text = str(exc)
        if "robots.txt" in text.lower():
            return "disallowed by robots.txt"
        if "DOWNLOAD_MAXSIZE" in text or "max size" in text:
            return "too large: " + text.replace("Ignored response ", "").replace("DOWNLOAD_MAXSIZE", "the size limit")
        return text or "request ignored"
    if isinstance(exc, (CannotResolveHostError, tx.DNSLookupError)):
        return f"DNS lookup failed: {host} not found"
    if isinstance(exc, (DownloadConnectionRefusedError, tx.ConnectionRefusedError)):
        return f"connection refused by {host}"
    if isinstance(exc, (DownloadTimeoutError, tx.TimeoutError, tx.TCPTimedOutError)):
        return f"timed out after {request.meta.get('download_timeout', '?')} s"
    if isinstance(exc, DownloadCancelledError) and "max size" in str(exc):
        return "too large: " + str(exc).split(": ", 1)[-1]
    name = type(exc).__name__
    text = str(exc).strip()
    return f"{name}: {text}" if text else name


def redirect_note(meta: dict) -> str | None:
    """'301 https://a -> https://b' when the request was redirected, else None."""
    urls = meta.get("redirect_urls") or []
    reasons = meta.get("redirect_reasons") or []
    if not urls:
        return None
    return " ".join(str(r) for r in reasons) + " " + urls[0]
