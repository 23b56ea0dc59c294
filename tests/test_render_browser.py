"""JavaScript-rendered pages: a plain fetch of a script shell says so; `render = true` runs Chromium.

The browser tests are skipped cleanly when Debian's Chromium (/usr/bin/chromium) is absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from crawler.crawl import BrowserDestinations
from snapshots.models import Fetch, Version

chromium = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium is not installed")

# The text arrives 300 ms after load, inserted by a script: a plain fetch sees an empty #app.
SHELL = """<html><head><title>Terms</title>
<script src="/app.js"></script>
<script>
setTimeout(function () {
  var main = document.createElement("main");
  main.id = "terms";
  main.innerHTML = "<h1>Terms of Service</h1><p>" + "We process customer data in the European Union only. ".repeat(8)
    + "</p><h2>Retention</h2><p>Inserted by JavaScript: logs are kept for 30 days.</p>";
  document.getElementById("app").appendChild(main);
}, 300);
</script></head><body><div id="app"></div></body></html>"""

PLAIN = """<html><head><script src="/plain.js"></script></head><body><main><h1>Privacy</h1>
<p>We store customer data in Ireland and keep it for 30 days.</p></main></body></html>"""


def profile(home, sources: dict[str, dict]) -> None:
    lines = ['name = "Acme"', 'provider = "Example"', ""]
    for sid, keys in sources.items():
        lines.append(f"[sources.{sid}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in keys.items()]
        lines.append("")
    home.profile("acme", "\n".join(lines))


def fetches(home) -> dict[str, Fetch]:
    with home.database().session() as s:
        return {f.url: f for f in s.scalars(select(Fetch).order_by(Fetch.id))}


def versions(home) -> int:
    with home.database().session() as s:
        return s.scalar(select(func.count()).select_from(Version))


def test_plain_fetch_of_a_script_shell_fails_with_a_render_hint_and_no_version(home, site):
    url = site.serve("/terms", SHELL)
    site.serve("/app.js", "void 0;", Content_Type="text/javascript")
    profile(home, {"terms": {"url": url, "type": "terms"}})

    summary = home.json("check", code=3)

    assert summary["failed"] == 1 and summary["new"] == 0
    reason = fetches(home)[url].reason
    assert "rendered by JavaScript" in reason and "try render = true" in reason
    [anomaly] = home.cli_json("anomalies")
    assert anomaly["kind"] == "suspicious" and "try render = true" in anomaly["detail"]
    assert versions(home) == 0
    assert "/app.js" not in [path for path, _ in site.hits]  # no browser was involved


@chromium
@pytest.mark.browser
def test_render_with_wait_for_records_the_text_javascript_inserts_and_only_that_page_uses_the_browser(home, site):
    rendered = site.serve("/terms", SHELL)
    site.serve("/app.js", "void 0;", Content_Type="text/javascript")
    plain = site.serve("/privacy", PLAIN)
    site.serve("/plain.js", "void 0;", Content_Type="text/javascript")
    profile(home, {
        "terms": {"url": rendered, "type": "terms", "executeClientScripts": True, "wait_for": "#terms",
                  "render_timeout": 20},
        "privacy": {"url": plain, "type": "privacy-policy"},
    })

    summary = home.json("check", code=0)

    assert summary["new"] == 2 and summary["failed"] == 0
    text = home.cli("version", "acme/terms", check_code=0).stdout
    assert "# Terms of Service" in text and "Inserted by JavaScript: logs are kept for 30 days." in text
    paths = [path for path, _ in site.hits]
    assert "/app.js" in paths  # the rendered page ran its scripts in Chromium …
    assert "/plain.js" not in paths  # … the plain page went through Scrapy's own handler
    agents = {headers.get("User-Agent") for path, headers in site.hits if path in ("/terms", "/privacy")}
    assert len(agents) == 1 and agents.pop().startswith("clausewatch/")  # the browser sends check's User-Agent


@chromium
@pytest.mark.browser
def test_render_timeout_fails_the_fetch_with_a_clear_reason_and_keeps_no_version(home, site):
    url = site.serve("/terms", SHELL)
    site.serve("/app.js", "void 0;", Content_Type="text/javascript")
    profile(home, {"terms": {"url": url, "type": "terms", "render": True, "wait_for": "#never-there",
                             "render_timeout": 2}})

    summary = home.json("check", code=3)

    assert summary["failed"] == 1
    [error] = summary["errors"]
    assert error["reason"] == ("render timed out after 2 s waiting for wait_for = '#never-there' "
                               "(check the selector, or raise render_timeout)")
    assert fetches(home)[url].outcome == "failed" and versions(home) == 0


@chromium
@pytest.mark.browser
def test_preview_with_render_shows_the_text_javascript_inserts(home, site):
    url = site.serve("/terms", SHELL)
    site.serve("/app.js", "void 0;", Content_Type="text/javascript")

    plain = json.loads(home.run("preview", url, "--json", check_code=3).stdout)
    rendered = home.json("preview", url, "--render", "--wait-for", "#terms", "--render-timeout", "20")

    assert plain["problem"].startswith("script-shell: ") and "try render = true" in plain["problem"]
    assert rendered["problem"] is None
    assert [h["text"] for h in rendered["headings"]] == ["Terms of Service", "Retention"]
    assert list(home.dir.iterdir()) == []

    home.env["CLAUSEWATCH_MAX_BYTES"] = str(len(SHELL) + 300)  # the shell fits, the rendered page does not
    too_large = json.loads(home.run("preview", url, "--render", "--wait-for", "#terms", "--json", check_code=3).stdout)
    assert too_large["problem"].startswith("too large: the rendered page has")


def test_browser_requests_obey_the_destination_policy():
    refuse_private = BrowserDestinations(allow_private=False)
    assert refuse_private(SimpleNamespace(url="http://127.0.0.1:8080/internal")) is True
    assert refuse_private(SimpleNamespace(url="http://169.254.169.254/latest/meta-data/")) is True
    assert refuse_private(SimpleNamespace(url="file:///etc/passwd")) is True
    assert refuse_private(SimpleNamespace(url="https://93.184.215.14/app.js")) is False
    assert refuse_private(SimpleNamespace(url="data:text/javascript,void 0")) is False
    assert BrowserDestinations(allow_private=True)(SimpleNamespace(url="http://127.0.0.1:8080/")) is False

