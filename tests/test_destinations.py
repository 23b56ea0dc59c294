"""The destination policy judges the address actually connected to, however the URL spells it.

Unit tests call the policy as a function (no connection is made); the integration tests point
every spelling at a local server (loopback only) and check that the server never saw a request.
"""

from __future__ import annotations

import ipaddress
import socket

import pytest
from sqlalchemy import select

from crawler.destinations import DestinationRefused, address_problem, check_address, check_url, host_address
from crawler.errors import DestinationRefused as TreeDestinationRefused
from snapshots.models import Anomaly, Fetch

GOOD = "<html><body><main><h1>Terms</h1><p>These terms apply to every customer of the service.</p></main></body></html>"

LOOPBACK_SPELLINGS = ["2130706433", "0x7f000001", "0x7f.1", "127.1", "0177.0.0.1", "127.0.0.1", "[::1]",
                      "[::127.0.0.1]", "[::ffff:127.0.0.1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "localhost",
                      "0", "0.0.0.0", "[::]"]
# written out but never connected to: the policy is called as a function on them
OTHER_NON_PUBLIC = ["0xa9fea9fe", "2852039166", "169.254.169.254", "10.0.0.1", "172.16.5.4", "192.168.1.1",
                    "100.64.0.1", "224.0.0.1", "240.0.0.1", "255.255.255.255", "[fe80::1]", "[fc00::1]",
                    "[ff02::1]", "[::ffff:10.0.0.1]", "[64:ff9b::a9fe:a9fe]", "[2002:a9fe:a9fe::]", "192.0.2.1"]


def test_destination_refused_is_the_error_trees_class():
    assert DestinationRefused is TreeDestinationRefused


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS + OTHER_NON_PUBLIC)
def test_every_spelling_of_a_non_public_address_is_refused_by_default(host):
    with pytest.raises(DestinationRefused) as caught:
        check_url(f"http://{host}/terms")
    assert str(caught.value).startswith("destination refused: ")
    check_url(f"http://{host}/terms", allow_private=True)  # allowed when private networks are


@pytest.mark.parametrize("host,expected", [("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"),
                                           ("0177.0.0.1", "127.0.0.1"), ("0", "0.0.0.0"),
                                           ("0xa9fea9fe", "169.254.169.254"), ("2852039166", "169.254.169.254"),
                                           ("[::127.0.0.1]", "::7f00:1"), ("example.org", None), ("0x7f.com", None)])
def test_odd_ipv4_spellings_are_read_as_the_resolver_reads_them(host, expected):
    address = host_address(host)
    assert (str(address) if address else None) == expected


def test_a_refusal_names_the_host_the_address_and_its_kind():
    with pytest.raises(DestinationRefused) as caught:
        check_address("intranet.example", "127.0.0.1")
    assert str(caught.value).startswith("destination refused: intranet.example resolves to 127.0.0.1 (loopback)")
    with pytest.raises(DestinationRefused, match=r"2130706433 resolves to 127\.0\.0\.1 \(loopback\)"):
        check_url("http://2130706433/")


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::6810:84e5", "64:ff9b::5db8:d70e"])
def test_public_addresses_pass(address):
    assert address_problem(ipaddress.ip_address(address)) is None
    check_address("example.org", address)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "data:text/html,hi", "ftp://example.org/x", "http:///x",
                                 "http://[::1/x", "http://example.org:99999/"])
def test_other_schemes_and_broken_urls_are_refused(url):
    with pytest.raises(DestinationRefused):
        check_url(url, allow_private=True)


def _loopback_names():
    names = []
    for name in (socket.gethostname(), "localhost.localdomain"):
        try:
            if ipaddress.ip_address(socket.gethostbyname(name)).is_loopback:
                names.append(name)
        except OSError:
            pass
    return names


def test_check_refuses_every_loopback_spelling_without_connecting(home, site):
    del home.env["CLAUSEWATCH_ALLOW_PRIVATE_NETWORKS"]
    site.serve("/terms", GOOD)
    hosts = ["2130706433", "0x7f000001", "0x7f.1", "127.1", "0177.0.0.1", "[::ffff:127.0.0.1]", *_loopback_names()]
    urls = {f"s{i}": f"http://{host}:{site.port}/terms" for i, host in enumerate(hosts)}
    home.simple_profile("acme", urls)
    result = home.json("check", code=3)
    assert result["failed"] == len(urls), result
    reasons = {e["url"]: e["reason"] for e in result["errors"]}
    for url in urls.values():
        assert reasons[url].startswith("destination refused: "), reasons
    assert site.hits == []  # not even robots.txt was asked for
    with home.database().session() as s:
        assert s.query(Fetch).filter(Fetch.outcome == "failed").count() == len(urls)
        kinds = {a.kind for a in s.scalars(select(Anomaly))}
    assert kinds == {"unreachable"}  # a refusal is not transient: an anomaly at the first check


def test_a_name_resolving_to_loopback_is_refused_after_resolution(home, site):
    names = _loopback_names()
    if not names:
        pytest.skip("no host name here resolves to a loopback address")
    del home.env["CLAUSEWATCH_ALLOW_PRIVATE_NETWORKS"]
    url = f"http://{names[0]}:{site.port}/terms"
    site.serve("/terms", GOOD)
    home.simple_profile("acme", {"terms": url})
    result = home.json("check", code=3)
    assert result["errors"][0]["reason"].startswith(f"destination refused: {names[0].lower()} resolves to 127.")
    assert site.hits == []


def test_a_source_may_allow_its_own_private_host_but_not_others(home, site):
    del home.env["CLAUSEWATCH_ALLOW_PRIVATE_NETWORKS"]
    allowed = site.serve("/terms", GOOD)
    home.profile("acme", f"""
        name = "Acme"
        [sources.terms]
        url = "{allowed}"
        allow_private_networks = true
        [sources.other]
        url = "http://127.1:{site.port}/other"
        [[criteria]]
        id = "c"
        label = "C"
        sources = ["terms", "other"]
    """)
    site.serve("/other", GOOD)
    result = home.json("check", code=3)
    assert result["new"] == 1 and result["failed"] == 1, result
    assert [path for path, _ in site.hits if path != "/robots.txt"] == ["/terms"]


def test_a_redirect_to_a_refused_destination_is_refused(home, site):
    del home.env["CLAUSEWATCH_ALLOW_PRIVATE_NETWORKS"]
    site.serve("/terms", "", 302, Location=f"http://2130706433:{site.port}/inside")
    site.serve("/inside", GOOD)
    home.profile("acme", f"""
        name = "Acme"
        [sources.terms]
        url = "{site.url('/terms')}"
        allow_private_networks = true
        [[criteria]]
        id = "c"
        label = "C"
        sources = ["terms"]
    """)
    result = home.json("check", code=3)
    assert result["errors"][0]["reason"].startswith("destination refused: 2130706433 resolves to 127.0.0.1")
    assert "/inside" not in [path for path, _ in site.hits]


def test_browser_requests_to_a_name_resolving_to_loopback_are_aborted():
    import asyncio
    from types import SimpleNamespace

    from crawler.destinations import BrowserDestinations

    names = _loopback_names()
    if not names:
        pytest.skip("no host name here resolves to a loopback address")
    verdict = BrowserDestinations(allow_private=False)(SimpleNamespace(url=f"http://{names[0]}:9/app.js"))
    assert asyncio.run(verdict) is True
    assert BrowserDestinations(allow_private=True)(SimpleNamespace(url=f"http://{names[0]}:9/app.js")) is False


@pytest.mark.parametrize("location", ["file:///etc/passwd", "data:text/html,<p>hi</p>", "gopher://127.0.0.1:6379/_x"])
def test_a_redirect_to_another_scheme_is_refused_with_a_reason(location):
    from scrapy.exceptions import IgnoreRequest
    from scrapy.http import HtmlResponse, Request

    from crawler.middlewares import DestinationPolicyMiddleware

    request = Request("https://example.org/terms")
    response = HtmlResponse(request.url, status=302, headers={"Location": location}, request=request)
    with pytest.raises(IgnoreRequest, match=r"destination refused: redirect to a \w+: URL .* only http and https"):
        DestinationPolicyMiddleware(False, 60).process_response(request, response)


def test_a_redirect_loop_ends_at_the_first_repeat():
    from scrapy.exceptions import IgnoreRequest
    from scrapy.http import Request

    from crawler.middlewares import DestinationPolicyMiddleware

    request = Request("https://example.org/a", meta={"redirect_urls": ["https://example.org/a", "https://example.org/b"]})
    with pytest.raises(IgnoreRequest, match="redirect loop: https://example.org/a -> https://example.org/b -> "
                                            "https://example.org/a"):
        DestinationPolicyMiddleware(True, 60).process_request(request)
