"""Alerts in-process: configuration, filters, the outbox listener, digests, delivery and the Atom feed.

Changes are written as rows on a temporary SQLite database, inside an archive transaction that
emits ChangeRecorded like the process stage does; messages go to real receivers on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest
from alert_servers import SMTPServer, Webhook
from sqlalchemy import func, select

from crawler.alerts import deliver, render
from crawler.alerts.config import AlertsError, load_alerts
from crawler.alerts.digest import build
from crawler.alerts.feed import atom_feed
from crawler.alerts.outbox import AlertOutbox
from crawler.config import load_settings
from crawler.errors import ConfigError
from crawler.profiles import load_catalog
from snapshots import outbox
from snapshots.archive import Archive
from snapshots.db import open_database
from snapshots.events import AnomalyClosed, AnomalyOpened, ChangeRecorded
from snapshots.models import (Alert, Anomaly, Assessment, Change, Citation, Delivery, Document, Finding, Version,
                              utcnow)
from snapshots.store import put_blobs, sha256

MISTRAL = """
name = "Mistral API"
provider = "Mistral AI"
[sources.dpa]
url = "https://mistral.example/dpa"
type = "dpa"
[sources.privacy]
url = "https://mistral.example/privacy"
type = "privacy-policy"
[[criteria]]
id = "eu-residency"
label = "EU data residency"
rating = "partial"
sources = ["dpa"]
[[criteria]]
id = "no-training"
label = "No training on customer data"
rating = "yes"
sources = ["privacy"]
"""

ACME = """
name = "Acme Chat"
[sources.terms]
url = "https://acme.example/terms"
type = "terms"
[[criteria]]
id = "retention"
label = "Retention of 30 days"
rating = "yes"
sources = ["terms"]
"""

OLD = "# DPA\n\n## 9. Data location\n\nCustomer data is stored in Ireland.\n\n## 10. Audits\n\nOnce a year.\n"
NEW = ("# DPA\n\n## 9. Data location\n\nCustomer data is stored in Ireland and the United States "
       "<script>alert(1)</script>.\n\n## 10. Audits\n\nOnce a year.\n")


class World:
    def __init__(self, home, config: str, environ=None):
        home.profile("mistral-api", MISTRAL)
        home.profile("acme", ACME)
        self.home = home
        self.settings = load_settings(home=str(home.dir), profiles=str(home.profiles), environ={})
        self.catalog = load_catalog(home.profiles)
        (home.dir / "alerts.toml").write_text(textwrap.dedent(config), encoding="utf-8")
        self.alerts = load_alerts(self.settings, self.catalog, environ=environ or {})
        self.db = open_database(home.database_url)
        self.archive = Archive(self.db)
        self.archive.attach(AlertOutbox(self.alerts, self.catalog))
        self.docs: dict[str, int] = {}

    def document(self, s, profile: str, source: str) -> Document:
        url = self.catalog.profiles[profile].sources[source].urls[0]
        doc = s.scalar(select(Document).where(Document.key == url))
        if doc is None:
            doc = Document(key=url, urls=[url])
            s.add(doc)
            s.flush()
        if s.get(Citation, (profile, source)) is None:
            s.add(Citation(profile=profile, source=source, document_id=doc.id, type="other"))
        return doc

    def change(self, profile="mistral-api", source="dpa", significance="material", affected=("eu-residency",),
               findings=(("watch", "eu-residency", 'watched term inserted: "United States"', "9. Data location"),),
               kind="change", old=OLD, new=NEW, fail=False) -> int:
        """Record a change the way the process stage does: rows, then ChangeRecorded in the same transaction."""
        with self.archive.transaction() as tx:
            s = tx.session
            doc = self.document(s, profile, source)
            put_blobs(s, {sha256(old.encode()): old.encode(), sha256(new.encode()): new.encode()})
            v1 = Version(document_id=doc.id, text_sha256=sha256(old.encode()), key="a", snapshot_ids=[],
                         extractor_version="x", rules={})
            v2 = Version(document_id=doc.id, text_sha256=sha256(new.encode()), key="b", snapshot_ids=[],
                         extractor_version="x", rules={}, kind=kind)
            s.add_all([v1, v2])
            s.flush()
            change = Change(document_id=doc.id, from_version_id=v1.id, to_version_id=v2.id, run_id="r1", kind=kind)
            a = Assessment(profile=profile, source=source, significance=significance,
                           reported=significance != "cosmetic" and kind == "change", affected_criteria=list(affected),
                           summary=f"DPA 9. Data location: \"Ireland\" → \"Ireland and the United States\"")
            a.findings = [Finding(kind=k, criterion=c, detail=d, section=sec) for k, c, d, sec in findings]
            change.assessments.append(a)
            s.add(change)
            s.flush()
            tx.emit(ChangeRecorded(change.id, doc.id, "r1", kind, (profile,)))
            if fail:
                raise RuntimeError("the recording transaction fails after the event")
            return change.id

    def anomaly(self, profile="mistral-api", source="dpa", close=False) -> int:
        with self.archive.transaction() as tx:
            doc = self.document(tx.session, profile, source)
            row = Anomaly(document_id=doc.id, url=doc.urls[0], kind="gone", detail="HTTP 404", run_id="r1")
            tx.session.add(row)
            tx.session.flush()
            tx.emit(AnomalyOpened(row.id, doc.id, "gone", doc.urls[0], "HTTP 404", "r1"))
        if close:
            with self.archive.transaction() as tx:
                tx.session.get(Anomaly, row.id).open = False
                tx.emit(AnomalyClosed(row.id, doc.id, "gone", "r2"))
        return row.id

    def queued(self) -> list[tuple]:
        with self.db.session() as s:
            return [(a.subscription, a.kind, a.change_id, a.profile, a.anomaly_id)
                    for a in s.scalars(select(Alert).order_by(Alert.id))]

    def view(self, subscription: str):
        with self.db.session() as s:
            return build(s, self.catalog, self.alerts.base_url, subscription,
                         outbox.unbundled(s).get(subscription, []), "r1")


def config(*subscriptions: str, base="https://cw.example.org", delivery="") -> str:
    out = f'base_url = "{base}"\n{delivery}\n'
    for sub in subscriptions:
        out += "[[subscriptions]]\n" + textwrap.dedent(sub) + "\n"
    return out


def sub(name="analysts", notify="json://127.0.0.1:9/hook", **keys) -> str:
    lines = [f'name = "{name}"', f'notify = ["{notify}"]'] + [f"{k} = {v}" for k, v in keys.items()]
    return "\n".join(lines)


# -- configuration --------------------------------------------------------------------------------
def test_a_subscription_naming_an_unknown_profile_is_a_validation_error_with_file_and_key(home):
    with pytest.raises(ConfigError) as caught:
        World(home, config(sub(profiles='["mistral-api", "no-such-tool"]')))
    message = str(caught.value)
    assert "alerts.toml: subscriptions.analysts.profiles: 'no-such-tool' is not a profile" in message


def test_validation_lists_unknown_keys_bad_urls_unknown_criteria_and_missing_secrets(home):
    with pytest.raises(AlertsError) as caught:
        World(home, config(sub(criteria='["eu-residency", "nope"]', colour='"red"'),
                           sub("chat", notify="carrier-pigeon://roof"), sub("slack", notify="env:CW_SLACK_URL"),
                           "name = \"x\"\nnotify = [\"json://127.0.0.1:9/${CW_TOKEN}\"]\nmin_significance = \"huge\""))
    found = {(p["key"], p["problem"].split(" (")[0]) for p in caught.value.problems}
    assert all(p["file"].endswith("alerts.toml") for p in caught.value.problems)
    keys = {k for k, _ in found}
    assert {"subscriptions.analysts.colour", "subscriptions.analysts.criteria", "subscriptions.chat.notify[0]",
            "subscriptions.slack.notify[0]", "subscriptions.x.notify[0]", "subscriptions.x.min_significance"} <= keys
    assert any("carrier-pigeon://" in p["problem"] and "Apprise" in p["problem"] for p in caught.value.problems)
    assert any("CW_SLACK_URL is not set" in p["problem"] for p in caught.value.problems)


def test_secrets_come_from_the_environment_and_are_never_shown(home):
    world = World(home, config(sub(notify="env:CW_HOOK"), sub("mail", notify="mailtos://cw:s3cret@${CW_SMTP}?to=a@example.org")),
                  environ={"CW_HOOK": "json://127.0.0.1:9/token-abc", "CW_SMTP": "smtp.example.org"})
    hook, mail = world.alerts.subscriptions[0].channels[0], world.alerts.subscriptions[1].channels[0]
    assert hook.url == "json://127.0.0.1:9/token-abc" and hook.label == "env:CW_HOOK"
    assert mail.url.startswith("mailtos://cw:s3cret@smtp.example.org") and "s3cret" not in mail.label
    assert "s3cret" not in mail.key and len(mail.key) == 16


# -- the outbox listener and the filters -------------------------------------------------------------
def test_alerts_are_written_in_the_transaction_of_the_change_and_undone_with_it(any_home):
    world = World(any_home, config(sub()))
    with pytest.raises(RuntimeError):
        world.change(fail=True)
    assert world.queued() == []
    cid = world.change()
    assert world.queued() == [("analysts", "change", cid, "mistral-api", None)]


def test_min_significance_keeps_minor_changes_from_a_material_subscription(home):
    world = World(home, config(sub("material"), sub("everything", min_significance='"minor"')))
    minor = world.change(significance="minor", affected=(), findings=())
    material = world.change()
    assert sorted((s, c) for s, _, c, _, _ in world.queued()) == sorted([("everything", material), ("everything", minor),
                                                                          ("material", material)])


def test_profiles_filter_keeps_other_profiles_changes_out(home):
    world = World(home, config(sub(profiles='["acme"]')))
    world.change()  # mistral-api
    acme = world.change("acme", "terms", affected=("retention",), findings=(("watch", "retention", "30 → 90 days", None),))
    assert [(c, p) for _, _, c, p, _ in world.queued()] == [(acme, "acme")]


def test_criteria_filter_keeps_changes_that_may_affect_other_criteria_out(home):
    world = World(home, config(sub("residency", criteria='["eu-residency"]', min_significance='"minor"'),
                               sub("training", criteria='["mistral-api/no-training"]', min_significance='"minor"')))
    residency = world.change()
    privacy_minor = world.change(source="privacy", significance="minor", affected=(), findings=())
    assert sorted((s, c) for s, _, c, _, _ in world.queued()) == [("residency", residency), ("training", privacy_minor)]


def test_anomalies_are_announced_when_they_open_and_close_only_to_subscriptions_that_want_them(home):
    world = World(home, config(sub("ops"), sub("quiet", anomalies="false")))
    aid = world.anomaly(close=True)
    assert world.queued() == [("ops", "anomaly-opened", None, None, aid), ("ops", "anomaly-closed", None, None, aid)]


def test_flip_backs_and_cosmetic_changes_are_not_alerted(home):
    world = World(home, config(sub(min_significance='"minor"')))
    world.change(kind="flip-back")
    world.change(significance="cosmetic", affected=(), findings=())
    assert world.queued() == []


# -- the digest ---------------------------------------------------------------------------------
def test_digest_groups_by_profile_then_criterion_with_rating_findings_excerpt_and_link(home):
    world = World(home, config(sub(min_significance='"minor"')))
    material = world.change()
    minor = world.change(source="privacy", significance="minor", affected=(), findings=())
    acme = world.change("acme", "terms", affected=("retention",), findings=(("watch", "retention", "90 days", None),))
    view = world.view("analysts")
    assert [p.name for p in view.profiles] == ["Acme Chat", "Mistral API"]
    groups = view.profiles[1].groups
    assert [g.criterion.label if g.criterion else None for g in groups] == ["EU data residency", None]
    change = groups[0].entries[0][0]
    assert change.link == f"https://cw.example.org/changes/{material}" and change.criteria[0].rating == "partial"
    assert change.findings[0].excerpt is not None
    text = render.text(view)
    assert '9. Data location: Customer data is stored in Ireland{+ and the United States <script>alert(1)</script>+}.' in text
    assert f"/changes/{minor}" in text and f"/changes/{acme}" in text
    assert "rated partial" in text
    assert render.subject(view) == ("clausewatch: 2 material changes, 1 minor change — Acme Chat (Retention of 30 days), "
                                    "Mistral API (EU data residency)")


def test_html_digest_escapes_what_pages_say(home):
    world = World(home, config(sub()))
    world.change(findings=(("watch", "eu-residency", 'inserted "<script>alert(1)</script>"', "9. Data location"),))
    body = render.html_body(world.view("analysts"))
    assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_chat_text_is_cut_to_fit_and_points_at_the_changes_left_out(home):
    world = World(home, config(sub(min_significance='"minor"')))
    ids = [world.change(source="privacy", significance="minor", affected=(), findings=()) for _ in range(30)]
    message = render.text(world.view("analysts"))
    cut = render.fit(message, 1000, "https://cw.example.org")
    assert len(message) > 1000 >= len(cut)
    assert "cut to fit" in cut and f"https://cw.example.org/changes/{ids[0]}" in cut
    assert render.fit("short", 1000, "https://cw.example.org") == "short"


# -- delivery --------------------------------------------------------------------------------------
@pytest.fixture
def webhook():
    hook = Webhook()
    yield hook
    hook.stop()


def test_a_run_with_nothing_to_report_sends_nothing(home, webhook):
    world = World(home, config(sub(notify=webhook.url())))
    assert deliver.bundle(world.archive, world.alerts, world.catalog, "r1") == 0
    assert deliver.deliver(world.archive, world.alerts).sent == 0 and webhook.received == []


def test_one_digest_per_run_reaches_the_webhook_once_and_never_again(any_home, webhook):
    world = World(any_home, config(sub(notify=webhook.url())))
    first, second = world.change(), world.change("mistral-api", "dpa")
    assert deliver.bundle(world.archive, world.alerts, world.catalog, "r1") == 1
    assert deliver.deliver(world.archive, world.alerts).sent == 1
    assert deliver.bundle(world.archive, world.alerts, world.catalog, "r2") == 0
    assert deliver.deliver(world.archive, world.alerts, ignore_backoff=True).sent == 0
    assert len(webhook.received) == 1
    message = webhook.received[0]["message"]
    assert f"/changes/{first}" in message and f"/changes/{second}" in message and "MATERIAL" in message
    assert webhook.headers[0]["X-Clausewatch-Digest"]


def test_a_failing_channel_backs_off_then_fails_for_good_and_the_other_channel_still_gets_it(home, webhook):
    smtp = SMTPServer()
    try:
        world = World(home, config(f'name = "team"\nnotify = ["{webhook.url()}", "{smtp.url()}"]\n',
                                   delivery="[delivery]\nmax_attempts = 3\nbackoff = \"10m\"\n"))
        world.change()
        webhook.status = 500
        t0 = utcnow()
        deliver.bundle(world.archive, world.alerts, world.catalog, "r1")
        first = deliver.deliver(world.archive, world.alerts, now=t0)
        assert (first.sent, first.retrying) == (1, 1) and len(smtp.messages) == 1
        assert deliver.deliver(world.archive, world.alerts, now=t0 + dt.timedelta(minutes=5)).retrying == 0  # backing off
        assert deliver.deliver(world.archive, world.alerts, now=t0 + dt.timedelta(minutes=11)).retrying == 1
        assert deliver.deliver(world.archive, world.alerts, now=t0 + dt.timedelta(minutes=25)).retrying == 0  # 20 min now
        assert deliver.deliver(world.archive, world.alerts, now=t0 + dt.timedelta(minutes=32)).failed == 1
        with world.db.session() as s:
            state = deliver.state(s)
            assert (state["failed"], state["sent"]) == (1, 1)
            assert "500" in state["failed_deliveries"][0]["last_error"] or state["failed_deliveries"][0]["last_error"]
        webhook.status = 200
        assert deliver.deliver(world.archive, world.alerts, now=t0 + dt.timedelta(days=1)).sent == 0  # failed stays failed
        assert len(webhook.received) == 0 and len(smtp.messages) == 1
    finally:
        smtp.close()


def test_status_exits_1_while_a_delivery_has_failed_and_retry_sends_it(home, webhook, site):
    from crawler.cli import main

    world = World(home, config(sub(notify=webhook.url()), delivery="[delivery]\nmax_attempts = 1\n"))
    world.change()
    webhook.status = 500
    deliver.bundle(world.archive, world.alerts, world.catalog, "r1")
    assert deliver.deliver(world.archive, world.alerts).failed == 1
    with world.db.session() as s:  # a completed run, so only the alert makes status unhealthy
        from snapshots.models import Run
        s.add(Run(id="r1", status="completed", finished_at=utcnow()))
    args = ["--home", str(home.dir), "--profiles", str(home.profiles)]
    assert main([*args, "status"]) == 1
    webhook.status = 200
    assert main([*args, "alerts", "--retry"]) == 0
    assert main([*args, "status"]) == 0 and len(webhook.received) == 1


def test_a_claimed_delivery_is_not_sent_by_a_second_process_but_a_dead_holders_claim_is_taken_over(any_home, webhook):
    world = World(any_home, config(sub(notify=webhook.url())))
    world.change()
    deliver.bundle(world.archive, world.alerts, world.catalog, "r1")
    now = utcnow()
    with world.db.session() as s:
        (row,) = outbox.due(s, now)
        assert outbox.claim(s, row.id, "other-host:1", now, now - deliver.CLAIM_TTL)
    assert deliver.deliver(world.archive, world.alerts).sent == 0  # a live claim elsewhere
    import socket
    with world.db.session() as s:
        s.execute(Delivery.__table__.update().values(claimed_by=f"{socket.gethostname()}:999999999"))
    assert deliver.deliver(world.archive, world.alerts).sent == 1 and len(webhook.received) == 1


# -- the Atom feed ----------------------------------------------------------------------------------
def test_atom_feed_parses_with_feedparser_with_stable_tag_ids_summary_findings_and_links(home):
    import feedparser

    world = World(home, config(sub()))
    first = world.change()
    acme = world.change("acme", "terms", affected=("retention",), findings=(("watch", "retention", "<b>90</b> days", None),))
    world.change(significance="cosmetic", affected=(), findings=())  # not reported: not in the feed
    xml = atom_feed(world.archive, base_url="https://cw.example.org/", catalog=world.catalog)
    feed = feedparser.parse(xml)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    today = utcnow().strftime("%Y-%m-%d")
    assert [e.id for e in feed.entries] == [f"tag:cw.example.org,{today}:change/{acme}",
                                            f"tag:cw.example.org,{today}:change/{first}"]
    assert feed.entries[0].link == f"https://cw.example.org/changes/{acme}"
    content = feed.entries[0].content[0].value  # the HTML of the entry: the page's markup stays text
    assert "&lt;b&gt;90&lt;/b&gt; days" in content and "Retention of 30 days (rated yes)" in content
    assert "Ireland" in feed.entries[1].summary
    only = feedparser.parse(atom_feed(world.archive, profile="acme", base_url="https://cw.example.org"))
    assert [e.id for e in only.entries] == [feed.entries[0].id]
    assert atom_feed(world.archive, base_url="https://cw.example.org") == atom_feed(world.archive, base_url="https://cw.example.org")


def test_heartbeat_is_off_by_default_and_weekly_sends_an_all_clear_after_a_quiet_week(home, webhook):
    world = World(home, config(sub("quiet", notify=webhook.url()), sub("pulse", notify=webhook.url(), heartbeat='"weekly"')))
    t0 = utcnow()
    assert deliver.bundle(world.archive, world.alerts, world.catalog, "r1", now=t0) == 1  # pulse only
    assert deliver.bundle(world.archive, world.alerts, world.catalog, "r2", now=t0 + dt.timedelta(days=3)) == 0
    deliver.deliver(world.archive, world.alerts)
    assert [m["title"].split(" — ")[0] for m in webhook.received] == ["clausewatch: all clear"]
    assert deliver.bundle(world.archive, world.alerts, world.catalog, "r3", now=t0 + dt.timedelta(days=8)) == 1


def test_alerts_test_sends_a_sample_digest_of_the_newest_matching_change(home, webhook):
    from crawler.cli import main

    world = World(home, config(sub(notify=webhook.url())))
    cid = world.change()
    assert main(["--home", str(home.dir), "--profiles", str(home.profiles), "alerts", "--test", "analysts"]) == 0
    (message,) = webhook.received
    assert message["title"].startswith("clausewatch: [test] 1 material change — Mistral API")
    assert f"/changes/{cid}" in message["message"] and "sample digest" in message["message"]
    with world.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Delivery)) == 0  # a test is not an outbox delivery
