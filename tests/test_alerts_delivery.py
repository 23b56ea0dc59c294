"""Alerts end to end: the real `clausewatch check` in a subprocess, a local site, SMTP and webhook receivers."""

from __future__ import annotations

import json
import textwrap

import pytest
from alert_servers import SMTPServer, Webhook

BASE = "https://cw.example.org"
POLICY = """<html><head><title>Privacy</title></head><body><main>
<h1>Privacy Policy</h1>
<h2>Data location</h2>
<p>We store customer data in Ireland. Data is kept for 30 days and then deleted.</p>
<h2>Sub-processors</h2>
<p>Cloud hosting provider in the European Union.</p>
</main></body></html>"""
# the page's text itself carries markup: it must reach the e-mail's HTML part as text
CHANGED = POLICY.replace("in Ireland.", "in Ireland and the United States &lt;script&gt;alert(1)&lt;/script&gt;.")


@pytest.fixture
def webhook():
    hook = Webhook()
    yield hook
    hook.stop()


@pytest.fixture
def smtp():
    server = SMTPServer()
    yield server
    server.close()


def setup(home, site, *notify: str):
    url = site.serve("/privacy", POLICY)
    home.simple_profile("acme", {"privacy": url})
    (home.dir / "alerts.toml").write_text(textwrap.dedent(f"""\
        base_url = "{BASE}"
        [delivery]
        backoff = "0s"
        [[subscriptions]]
        name = "analysts"
        notify = {json.dumps(list(notify))}
        profiles = ["acme"]
        min_significance = "material"
        """), encoding="utf-8")
    assert home.json("check")["new"] == 1  # the first version: nothing to report, nothing sent


def test_the_digest_reaches_smtp_and_the_json_webhook_and_the_change_is_in_the_feed(home, site, smtp, webhook):
    setup(home, site, smtp.url(), webhook.url())
    assert smtp.messages == [] and webhook.received == []
    site.serve("/privacy", CHANGED)
    change = home.json("check")["changes"][0]

    (mail,) = smtp.messages
    assert mail["Subject"].startswith("clausewatch: 1 material change — Acme (EU data residency)")
    parts = SMTPServer.parts(mail)
    text_part = parts["text/plain"]
    assert "EU data residency" in text_part and "MATERIAL" in text_part and f"{BASE}/changes/{change}" in text_part
    page_html = parts["text/html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page_html and "<script>" not in page_html
    assert f'href="{BASE}/changes/{change}"' in page_html

    (hook,) = webhook.received
    assert hook["title"] == mail["Subject"]
    for needle in ("Acme", "EU data residency", "MATERIAL", f"{BASE}/changes/{change}"):
        assert needle in hook["message"], needle
    assert home.json("check")["changes"] == [] and len(webhook.received) == 1 and len(smtp.messages) == 1

    import feedparser  # the same change in the Atom feed, read by a real client

    feed = feedparser.parse(home.run("feed", "acme", check_code=0).stdout)
    assert not feed.bozo and [e.link for e in feed.entries] == [f"{BASE}/changes/{change}"]
    assert feed.entries[0].id.startswith("tag:cw.example.org,") and feed.entries[0].id.endswith(f":change/{change}")


def test_a_digest_the_receiver_missed_is_delivered_on_the_next_run_exactly_once(home, site, webhook):
    setup(home, site, webhook.url())
    webhook.stop()
    site.serve("/privacy", CHANGED)
    proc = home.run("check", "--json", check_code=0)  # a failing channel never fails the crawl
    assert len(json.loads(proc.stdout)["changes"]) == 1 and "to retry" in proc.stderr
    (pending,) = home.json("alerts")["deliveries"]
    assert pending["status"] == "pending" and pending["attempts"] == 1 and pending["last_error"]

    webhook.start()
    home.json("check")
    assert len(webhook.received) == 1
    home.json("check")
    assert len(webhook.received) == 1
    listed = home.json("alerts")
    assert [d["status"] for d in listed["deliveries"]] == ["sent"] and listed["counts"]["failed"] == 0


def test_check_killed_between_sending_and_recording_sends_that_digest_once_more_and_then_never(home, site, webhook):
    setup(home, site, webhook.url())
    site.serve("/privacy", CHANGED)
    home.env["CLAUSEWATCH_TEST_KILL_AFTER_SEND"] = "1"
    killed = home.run("check", "--json")
    assert killed.returncode == -9 and len(webhook.received) == 1
    del home.env["CLAUSEWATCH_TEST_KILL_AFTER_SEND"]

    # the README's window: the digest was sent but not marked, so it goes out once more, same digest id
    home.run("alerts", "--retry", check_code=0)
    assert len(webhook.received) == 2
    assert webhook.headers[0]["X-Clausewatch-Digest"] == webhook.headers[1]["X-Clausewatch-Digest"]
    assert webhook.received[0]["message"] == webhook.received[1]["message"]
    home.run("alerts", "--retry", check_code=0)
    assert len(webhook.received) == 2


def test_validate_reports_an_unknown_profile_in_alerts_toml_and_check_refuses_to_start(home, site):
    url = site.serve("/privacy", POLICY)
    home.simple_profile("acme", {"privacy": url})
    (home.dir / "alerts.toml").write_text(f'base_url = "{BASE}"\n[[subscriptions]]\nname = "a"\n'
                                          'notify = ["json://127.0.0.1:9/x"]\nprofiles = ["acme", "ghost"]\n')
    out = home.run("validate", check_code=2).stdout
    assert "alerts.toml: subscriptions.a.profiles: 'ghost' is not a profile" in out
    refused = home.run("check", check_code=2)
    assert "'ghost' is not a profile" in refused.stderr and "Traceback" not in refused.stderr
    assert home.json("validate", code=2)["errors"][0]["key"] == "subscriptions.a.profiles"



def test_the_daemon_sends_the_digest_at_the_end_of_a_scheduled_run(home, site, webhook, tmp_path):
    import time

    from test_schedule import Daemon

    setup(home, site, webhook.url())
    home.simple_profile("acme", {"privacy": site.url("/privacy")}, source_keys={"interval": "1s"})
    site.serve("/privacy", CHANGED)
    daemon = Daemon(home, tmp_path)
    try:
        daemon.wait_for("run.finished", timeout=90)
        deadline = time.monotonic() + 30
        while not webhook.received and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        assert daemon.stop() == 0
    assert len(webhook.received) == 1 and "EU data residency" in webhook.received[0]["message"]
