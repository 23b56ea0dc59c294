"""The review page in-process (Starlette's TestClient): sign-in, roles, CSRF, escaping, every route.

The archive is made by the real pipeline (tests/review_site.py: a local site and two checks).
"""

from __future__ import annotations

import json
import re
import time

import pytest

pytest.importorskip("starlette", reason="the web extra is not installed")

from review_site import add_user, built_home  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from crawler.config import load_settings  # noqa: E402
from crawler.web.app import create_app, safe_href  # noqa: E402
from snapshots.archive import Archive  # noqa: E402
from snapshots.reviews import change_detail  # noqa: E402
from snapshots.users import list_users  # noqa: E402

EDITOR, ANALYST, PASSWORD = "edith", "anna", "correct horse battery"


def with_users(home):
    add_user(home, EDITOR, "editor", PASSWORD)
    add_user(home, ANALYST, "analyst", PASSWORD)
    return home


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """Shared by the tests that only read (and by those whose writes no other test looks at)."""
    return with_users(built_home(tmp_path_factory))


@pytest.fixture
def fresh_home(tmp_path_factory):
    return with_users(built_home(tmp_path_factory))


def make_app(home, **settings):
    env = dict(home.env, **{f"CLAUSEWATCH_{k.upper()}": str(v) for k, v in settings.items()})
    return create_app(load_settings(environ=env))


@pytest.fixture(scope="module")
def app(home):
    return make_app(home)


def cli(home, capsys, *args) -> str:
    """Run a command in-process (the same code as the console script), return what it printed."""
    from crawler.cli import main

    capsys.readouterr()
    code = main(["--home", str(home.dir), "--profiles", str(home.profiles), "--database-url", home.database_url,
                 *args])
    assert code == 0
    return capsys.readouterr().out


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def signed_in(app, name=EDITOR, password=PASSWORD, **kw) -> TestClient:
    client = TestClient(app, **kw)
    token = csrf(client.get("/login").text)
    response = client.post("/login", data={"username": name, "password": password, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def material_change(client) -> int:
    return int(re.search(r'href="/changes/(\d+)"', client.get("/").text).group(1))


@pytest.mark.parametrize("path", ["/", "/changes/1", "/documents/acme/privacy", "/profiles/acme", "/feed.atom",
                                  "/snapshots/1/raw", "/changes/1/export"])
def test_anonymous_visitors_are_sent_to_the_login_page(app, path):
    response = TestClient(app).get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_login_form_has_user_name_password_and_a_csrf_token_and_security_headers(app):
    response = TestClient(app).get("/login")
    html = response.text
    assert 'name="username"' in html and 'name="password"' in html and csrf(html)
    assert '<label for="username">' in html and '<label for="password">' in html
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert "<script>" not in html  # no inline script anywhere


def test_a_login_post_without_the_csrf_token_is_rejected(app):
    client = TestClient(app)
    client.get("/login")
    response = client.post("/login", data={"username": EDITOR, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 303  # still signed out


@pytest.mark.parametrize("target, expected", [("/changes/1?view=side", "/changes/1?view=side"),
                                              ("//evil.example/", "/"), ("/\\evil.example", "/"),
                                              ("/\t/evil.example", "/"), ("https://evil.example/", "/")])
def test_after_signing_in_the_visitor_goes_back_only_to_a_path_of_this_site(app, target, expected):
    client = TestClient(app)
    token = csrf(client.get("/login").text)
    response = client.post("/login", data={"username": ANALYST, "password": PASSWORD, "csrf_token": token,
                                           "next": target}, follow_redirects=False)
    assert response.headers["location"] == expected


def test_wrong_password_is_refused_and_attempts_are_rate_limited(home):
    client = TestClient(make_app(home))
    token = csrf(client.get("/login").text)
    for _ in range(5):
        response = client.post("/login", data={"username": EDITOR, "password": "wrong", "csrf_token": token})
        assert response.status_code == 401 and "wrong password" in response.text
    response = client.post("/login", data={"username": EDITOR, "password": PASSWORD, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 429 and int(response.headers["retry-after"]) > 0


def test_queue_lists_the_material_change_with_counts_per_profile_and_filters(app):
    client = signed_in(app, ANALYST)
    html = client.get("/").text
    assert 'data-count="acme">1<' in html and 'id="queue-total">1<' in html
    assert "material" in html and "eu-residency" in html
    assert "temporarily broken" not in html  # the failing page's body is not shown
    assert re.search(r'Open anomalies \(1\).*?unreachable.*?acme/dpa', html, re.S)
    assert 'id="queue-total">1<' in client.get("/?criterion=eu-residency").text
    assert 'id="queue-total">0<' in client.get("/?criterion=retention").text
    assert 'id="queue-total">0<' in client.get("/?significance=minor").text
    assert 'id="queue-total">0<' in client.get("/?since=2999-01-01").text
    assert 'id="queue-total">0<' in client.get("/?status=no-impact").text
    assert 'id="queue-total">1<' in client.get("/?profile=acme&status=all").text


def test_change_page_escapes_every_fetched_string_and_links_findings_to_their_hunk(app):
    client = signed_in(app, ANALYST)
    change_id = material_change(client)
    response = client.get(f"/changes/{change_id}")
    html = response.text
    assert "&lt;script&gt;window.__xss = 1&lt;/script&gt;" in html
    assert "<script>window" not in html and "<img src=x" not in html
    assert 'href="javascript:' not in html
    assert re.search(r'<a href="#hunk-1">watched term inserted', html)
    assert 'id="hunk-1"' in html and "§ Data location" in html
    assert "<ins>" in html and "United States" in html
    assert "EU data residency" in html and "evidence-found" in html  # the quote still stands after the change
    assert 'name="status"' not in html  # an analyst gets no review form


def test_inline_and_side_by_side_work_without_javascript(app):
    client = signed_in(app, ANALYST)
    change_id = material_change(client)
    inline = client.get(f"/changes/{change_id}").text
    side = client.get(f"/changes/{change_id}?view=side").text
    assert re.search(r'data-layout="side"\s+hidden', inline) and not re.search(r'data-layout="inline"\s+hidden', inline)
    assert re.search(r'data-layout="inline"\s+hidden', side) and not re.search(r'data-layout="side"\s+hidden', side)
    assert "Before" in side and "After" in side
    everything = client.get(f"/changes/{change_id}?sections=all").text
    assert "(unchanged)" in everything and "Privacy Policy" in everything


def test_an_analyst_cannot_review_and_a_review_without_csrf_token_is_rejected(app, home):
    analyst = signed_in(app, ANALYST)
    change_id = material_change(analyst)
    token = csrf(analyst.get(f"/changes/{change_id}").text)
    response = analyst.post(f"/changes/{change_id}/review", data={"status": "no-impact", "csrf_token": token})
    assert response.status_code == 403
    editor = signed_in(app, EDITOR)
    response = editor.post(f"/changes/{change_id}/review", data={"status": "no-impact"})
    assert response.status_code == 403
    with Archive(home.database()).reading() as s:
        assert change_detail(s, change_id).assessments[0].status == "unreviewed"


def test_an_editor_records_a_verdict_and_sees_who_and_when(fresh_home, capsys):
    home = fresh_home
    client = signed_in(make_app(home), EDITOR)
    change_id = material_change(client)
    page = client.get(f"/changes/{change_id}").text
    assert 'value="no-impact"' in page and 'value="profile-updated"' in page and 'value="follow-up"' in page
    response = client.post(f"/changes/{change_id}/review", follow_redirects=False,
                           data={"status": "no-impact", "note": "support access <b>only</b>", "profile": "acme",
                                 "csrf_token": csrf(page)})
    assert response.status_code == 303
    html = client.get(f"/changes/{change_id}").text
    assert "status-no-impact" in html and f"by <strong>{EDITOR}</strong>" in html
    assert "support access &lt;b&gt;only&lt;/b&gt;" in html
    assert 'id="queue-total">0<' in client.get("/").text
    standing = client.get("/profiles/acme").text
    assert re.search(r'data-criterion="eu-residency".*?data-standing="verified"', standing, re.S)
    assert json.loads(cli(home, capsys, "changes", "--status", "no-impact", "--json"))[0]["reviewer"] == EDITOR


def test_raw_snapshot_is_served_as_plain_text_never_as_html(app):
    client = signed_in(app, ANALYST)
    change_id = material_change(client)
    html = client.get(f"/changes/{change_id}").text
    snapshot = re.findall(r'href="/snapshots/(\d+)/raw"', html)[-1]
    response = client.get(f"/snapshots/{snapshot}/raw")
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]
    assert "<h2>Data location</h2>" in response.text  # the bytes as fetched
    download = client.get(f"/snapshots/{snapshot}/raw?download=1")
    assert download.headers["content-disposition"].startswith("attachment")


def test_document_page_shows_the_timeline_any_version_and_compares_any_two(app):
    client = signed_in(app, ANALYST)
    html = client.get("/documents/acme/privacy").text
    versions = re.findall(r'href="/documents/acme/privacy/versions/(\d+)"', html)
    assert len(versions) == 2 and "(current)" in html
    text = client.get(f"/documents/acme/privacy/versions/{versions[-1]}").text
    assert "We store customer data in the European Union." in text
    old, new = sorted(map(int, versions))
    compare = client.get(f"/documents/acme/privacy/compare?a={new}&b={old}&view=side").text
    assert "<del>" in compare and "United States" in compare
    failing = client.get("/documents/acme/dpa").text
    assert "failed" in failing
    assert client.get("/documents/acme/nothing").status_code == 404


def test_profile_page_shows_ratings_cited_documents_and_the_standing_of_each_criterion(app):
    html = signed_in(app, ANALYST).get("/profiles/acme").text
    standings = dict(re.findall(r'data-criterion="([^"]+)".*?data-standing="([^"]+)"', html, re.S))
    assert standings == {"eu-residency": "pending", "subprocessors": "stale", "retention": "verified"}
    assert "HTTP 500" in html and "since the review of 2026-11-20" in html


def test_standing_json_gives_pending_and_stale_for_the_right_criteria_and_verified_for_the_rest(home, capsys):
    data = json.loads(home.run("standing", "acme", "--json", check_code=0).stdout)
    by_id = {c["id"]: c for c in data["criteria"]}
    assert {k: c["standing"] for k, c in by_id.items()} == {
        "eu-residency": "pending", "subprocessors": "stale", "retention": "verified"}
    assert by_id["eu-residency"]["pending"][0]["source"] == "privacy"
    assert by_id["subprocessors"]["stale"][0]["source"] == "dpa"
    assert "HTTP 500" in by_id["subprocessors"]["stale"][0]["reason"]
    assert {s["id"]: s["outcome"] for s in data["sources"]} == {"privacy": "changed", "dpa": "failed",
                                                                "terms": "unchanged"}
    markdown = cli(home, capsys, "standing", "acme", "--markdown")
    assert "| EU data residency | partial | **pending**" in markdown and "## Sources" in markdown
    assert "last checked 20" in markdown


def test_audit_export_is_one_self_contained_page_from_the_route_and_the_command(app, home, capsys):
    client = signed_in(app, ANALYST)
    change_id = material_change(client)
    response = client.get(f"/changes/{change_id}/export")
    page = cli(home, capsys, "export", str(change_id))
    with Archive(home.database()).reading() as s:
        detail = change_detail(s, change_id)
        hashes = [snap.sha256 for snap in detail.old_snapshots + detail.new_snapshots]
    for html in (response.text, page):
        assert "<script" not in html and "<link" not in html and "<style>" in html
        assert all(h in html for h in hashes) and detail.new.text_sha256 in html
        assert "&lt;script&gt;window.__xss" in html and "watched term inserted" in html
        assert "Verdict:</strong> unreviewed" in html
        assert 'ins::before { content: "[+"' in html  # the stylesheet inlined as CSS, not as escaped text
    assert "script-src" not in response.headers["content-security-policy"]


def test_behind_a_proxy_links_carry_the_root_path_and_a_trusted_header_names_the_user(home):
    app = make_app(home, web_user_header="X-Forwarded-User")
    client = TestClient(app, root_path="/cw")
    html = client.get("/cw/", headers={"X-Forwarded-User": EDITOR}).text
    assert 'href="/cw/changes/' in html and 'href="/cw/static/style.css"' in html
    assert client.get("/cw/", follow_redirects=False).headers["location"].startswith("/cw/login")


def session_cookie(secret: str, data: dict, age: int) -> str:
    """A session cookie as Starlette's SessionMiddleware signs it, made `age` seconds ago."""
    import base64

    from itsdangerous import TimestampSigner

    class Signer(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - age

    return Signer(secret).sign(base64.b64encode(json.dumps(data).encode())).decode()


def test_sessions_expire(app, home):
    from crawler.web.app import session_secret

    secret = session_secret(load_settings(environ=home.env))
    max_age = load_settings(environ=home.env).web_session_max_age
    fresh = TestClient(app, cookies={"clausewatch": session_cookie(secret, {"user": EDITOR}, 60)})
    assert fresh.get("/", follow_redirects=False).status_code == 200
    old = TestClient(app, cookies={"clausewatch": session_cookie(secret, {"user": EDITOR}, max_age + 60)})
    assert old.get("/", follow_redirects=False).status_code == 303
    forged = TestClient(app, cookies={"clausewatch": session_cookie("not the secret", {"user": EDITOR}, 60)})
    assert forged.get("/", follow_redirects=False).status_code == 303
    cookie = TestClient(app).get("/login").headers["set-cookie"].lower()
    assert f"max-age={max_age}" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_user_add_reads_the_password_from_stdin_and_the_user_can_sign_in(home, app):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "crawler", "user", "add", "rita", "--role", "analyst",
                           "--password-stdin"], input="a long password\n", env=home.env, cwd=home.root,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with Archive(home.database()).reading() as s:
        assert [u.role for u in list_users(s) if u.name == "rita"] == ["analyst"]
    signed_in(app, "rita", "a long password")


def test_links_from_fetched_pages_are_live_only_when_http():
    assert safe_href("https://example.com/privacy") == "https://example.com/privacy"
    for url in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<b>x</b>", "vbscript:x", ""):
        assert safe_href(url) is None


def test_feed_route_serves_the_atom_feed_to_a_session_or_basic_credentials(app):
    pytest.importorskip("crawler.alerts.feed")
    response = signed_in(app, ANALYST).get("/feed.atom")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
    assert "<feed" in response.text
    assert TestClient(app).get("/feed.atom", auth=(ANALYST, PASSWORD)).status_code == 200


def test_feed_refuses_wrong_basic_credentials(app):
    response = TestClient(app).get("/feed.atom", auth=(ANALYST, "wrong password"))
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Basic")
