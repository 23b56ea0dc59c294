"""The review page in Debian's Chromium (Playwright): an editor's whole round, and hostile pages.

The server is the real app under uvicorn on 127.0.0.1; the archive is made by the real pipeline
(tests/review_site.py). Screenshots go to tests/artifacts/ (ignored by git). Skipped when
/usr/bin/chromium is absent.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT
from review_site import add_user, built_home

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
EDITOR, PASSWORD = "edith", "correct horse battery"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")]


@pytest.fixture
def server(tmp_path_factory):
    import uvicorn

    from crawler.config import load_settings
    from crawler.web.app import create_app

    home = built_home(tmp_path_factory)
    add_user(home, EDITOR, "editor", PASSWORD)
    app = create_app(load_settings(environ=home.env))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--headless", "--no-sandbox", "--disable-gpu",
                                          "--disable-background-networking"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.dialogs = []
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        yield page
        browser.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, base: str) -> None:
    page.goto(base + "/")
    assert "/login" in page.url
    page.get_by_label("User name").fill(EDITOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


def standing_of(page, base: str, criterion: str) -> str:
    page.goto(base + "/profiles/acme")
    return page.locator(f'[data-criterion="{criterion}"] [data-standing]').inner_text()


def test_editor_reviews_a_material_change_and_the_criterion_goes_from_pending_to_verified(server, page):
    sign_in(page, server)
    assert page.locator("#queue-total").inner_text() == "1"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    shot(page, "queue")

    assert standing_of(page, server, "eu-residency") == "pending"
    page.goto(server + "/")
    page.locator("table.queue a[href^='/changes/']").first.click()
    page.wait_for_url(re.compile(r"/changes/\d+$"))
    hunk = page.locator(".hunk").first
    assert hunk.locator(".inline-view").is_visible() and not hunk.locator(".side-view").is_visible()
    assert hunk.locator("ins").first.inner_text().find("United States") >= 0
    shot(page, "change-inline")

    page.get_by_role("link", name="Side by side").click()
    assert hunk.locator(".side-view").is_visible() and not hunk.locator(".inline-view").is_visible()
    assert "view=side" in page.url  # the enhanced toggle keeps the URL of the no-JS link
    shot(page, "change-side-by-side")
    page.get_by_role("link", name="Inline").click()
    assert hunk.locator(".inline-view").is_visible()

    page.get_by_label("no-impact").check()
    page.get_by_label("Note").fill("Support access only; data stays in the EU.")
    page.get_by_role("button", name="Record verdict").click()
    page.wait_for_load_state()
    verdict = page.locator(".verdict").first.inner_text()
    assert "no-impact" in verdict and EDITOR in verdict
    shot(page, "change-reviewed")

    page.goto(server + "/")
    assert page.locator("#queue-total").inner_text() == "0"
    assert standing_of(page, server, "eu-residency") == "verified"
    assert standing_of(page, server, "subprocessors") == "stale"
    shot(page, "profile")


def test_hostile_markup_from_a_provider_page_never_runs_and_no_javascript_link_is_live(server, page):
    sign_in(page, server)
    page.goto(server + "/")
    page.locator("table.queue a[href^='/changes/']").first.click()
    page.wait_for_url(re.compile(r"/changes/\d+$"))
    change = page.url
    page.goto(server + "/documents/acme/privacy")
    versions = page.locator("a[href*='/versions/']").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert versions
    pages = [change, change + "?view=side&sections=all", change + "/export", page.url,
             *(server + href for href in versions)]
    for n, url in enumerate(pages):
        page.goto(url)
        shot(page, f"hostile-{n}")
        assert page.evaluate("typeof window.__xss") == "undefined", url
        assert page.locator("a[href^='javascript:' i]").count() == 0, url
        assert page.locator("img").count() == 0, url
        assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0, url
        assert not page.evaluate("[...document.querySelectorAll('*')].some(e => "
                                 "[...e.attributes].some(a => a.name.startsWith('on')))"), url
    page.goto(change)
    assert page.get_by_text("<script>window.__xss = 1</script>", exact=False).count() >= 1
    assert page.dialogs == []
    shot(page, "hostile-page")
