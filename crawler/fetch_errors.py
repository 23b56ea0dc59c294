"""Human-readable reasons for failed fetches ("DNS lookup failed", "HTTP 404 Not Found", …).

Every reason is a sentence a person can act on, never an exception class name.
"""

from __future__ import annotations

from http import HTTPStatus

ROBOTS_BLOCKED = "disallowed by robots.txt"
REFUSED = "destination refused"  # crawler.destinations.REFUSED
DATA_LOSS = "data loss: the connection was cut before the body was complete (nothing stored)"


def describe_status(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "error"
    return f"HTTP {status} {phrase}"


def _causes(exc: BaseException):  # noqa: D103
    seen = 0
    while exc is not None and seen < 10:
        yield exc
        reasons = getattr(exc, "reasons", None)  # twisted.web's ResponseFailed / ResponseNeverReceived
        for failure in reasons or ():
            yield getattr(failure, "value", failure)
        exc = exc.__cause__ or exc.__context__
        seen += 1


def immediate_anomaly(reason: str | None) -> str | None:
    """The anomaly a failure opens at once, not after N checks: it is not transient."""
    if (reason or "").startswith(ROBOTS_BLOCKED):
        return "blocked"
    if (reason or "").startswith(REFUSED):
        return "unreachable"
    return None


def describe_failure(exc: BaseException, request) -> str:
    from scrapy.exceptions import (CannotResolveHostError, DownloadCancelledError, DownloadConnectionRefusedError,
                                   DownloadTimeoutError, IgnoreRequest, ResponseDataLossError)
    from twisted.internet import error as tx

    host = request.url.split("/")[2] if "//" in request.url else request.url
    if isinstance(exc, IgnoreRequest):
        text = str(exc)
        if text.startswith(ROBOTS_BLOCKED):
            return text
        if "robots.txt" in text.lower():
            return ROBOTS_BLOCKED
        if "DOWNLOAD_MAXSIZE" in text or "max size" in text:
            return _too_large(text, request)
        if text == "max redirections reached":
            return f"too many redirects (more than {request.meta.get('redirect_times', '?')}): " \
                   f"{' -> '.join((request.meta.get('redirect_urls') or [request.url])[:3])} -> …"
        return text or "request ignored"
    if isinstance(exc, (CannotResolveHostError, tx.DNSLookupError)):
        return f"DNS lookup failed: {host} not found"
    if isinstance(exc, (DownloadConnectionRefusedError, tx.ConnectionRefusedError)):
        return f"connection refused by {host}"
    if isinstance(exc, (DownloadTimeoutError, tx.TimeoutError, tx.TCPTimedOutError)):
        return f"timed out after {_seconds(request.meta.get('download_timeout'))} (the server sent no complete answer)"
    if isinstance(exc, DownloadCancelledError):
        text = str(exc)
        if "max size" in text or "maxsize" in text.lower():
            return _too_large(text, request)
        limit = request.meta.get("download_maxsize")
        if limit:  # Scrapy cancels a body growing past the limit without saying why
            return f"too large: the body grew past the size limit of {int(limit):,} bytes"
        return f"download cancelled: {text}" if text else "download cancelled (the run was stopping)"
    if isinstance(exc, ResponseDataLossError):
        return DATA_LOSS
    for cause in _causes(exc):
        if isinstance(cause, tx.ConnectionLost) or type(cause).__name__ == "_DataLoss":
            return DATA_LOSS
        if isinstance(cause, tx.ConnectionDone):
            return f"{host} closed the connection without a complete answer"
    text = str(exc).strip()
    name = type(exc).__name__
    if name in ("ResponseNeverReceived", "ResponseFailed"):
        return f"{host} closed the connection without a complete answer"
    if isinstance(exc, OSError) and ("decompress" in text.lower() or "Error -3" in text):
        return "the compressed body is corrupt (could not be decompressed)"
    return f"fetch failed: {text[:200]}" if text else f"fetch failed ({name})"


def _too_large(text: str, request) -> str:
    """Scrapy's size-limit messages ("Expected to receive N bytes which is larger than download max
    size (M)", "… because its body (A B compressed, B B decompressed) exceeded DOWNLOAD_MAXSIZE (M B)
    during decompression") as one sentence."""
    import re

    numbers = [int(n) for n in re.findall(r"\d{2,}", text.replace(request.url, ""))]
    limit = request.meta.get("download_maxsize") or (numbers[-1] if numbers else None)
    where = f"the size limit of {int(limit):,} bytes" if limit else "the size limit"
    if "decompress" in text:
        return f"too large: the compressed body inflates past {where} (max_bytes bounds decompressed bodies too)"
    if text.startswith("Expected to receive") and numbers:
        return f"too large: the server announced {numbers[0]:,} bytes, over {where}"
    return f"too large: the body is over {where}"


def _seconds(value) -> str:
    try:
        return f"{float(value):g} s"
    except (TypeError, ValueError):
        return "the time limit"


def robots_rule(rp, url: str, useragent) -> str | None:
    """The robots.txt rule that refuses `url` ("Disallow: /private/ for User-agent: *"), when findable."""
    try:
        from protego._utils import _quote_path

        agent = useragent.decode() if isinstance(useragent, bytes) else str(useragent)
        rules = rp.rp._get_matching_rule_set(agent)
        quoted = _quote_path(url)
        for rule in rules._rules:
            if rule.value.match(quoted):
                if rule.field != "disallow":
                    return None
                return f"Disallow: {rule.value._pattern} (User-agent: {rules.user_agent})"
    except Exception:  # noqa: BLE001 - naming the rule is a courtesy; Protego's internals may change
        return None
    return None


def redirect_note(meta: dict) -> str | None:
    """'301 https://a -> https://b' when the request was redirected, else None."""
    urls = meta.get("redirect_urls") or []
    reasons = meta.get("redirect_reasons") or []
    if not urls:
        return None
    return " ".join(str(r) for r in reasons) + " " + urls[0]
