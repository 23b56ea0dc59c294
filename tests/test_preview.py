"""`clausewatch preview URL`: fetch and extract once, print outline and text, store nothing."""

from __future__ import annotations

import json

PAGE = """<html><head><title>Privacy</title></head><body>
<nav><a href="/">Home</a> <a href="/pricing">Pricing</a> <a href="/blog">Blog</a></nav>
<main class="legal">
<h1>Privacy Policy</h1>
<p>We store customer data in Ireland. Data is kept for 30 days and then deleted.</p>
<div class="promo">Try our new assistant for free today.</div>
<h2>Sub-processors</h2>
<p>A cloud hosting provider in the European Union processes data on our behalf.</p>
<h3>Transfers</h3>
<p>No personal data leaves the European Economic Area.</p>
</main>
<footer>&copy; 2026 Example</footer>
</body></html>"""


def test_preview_prints_the_outline_word_count_and_text_and_stores_nothing(home, site):
    url = site.serve("/privacy", PAGE)

    out = home.run("preview", url, check_code=0).stdout

    assert f"{url}: HTTP 200," in out and "words" in out
    outline = out.split("Outline:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert outline == ["  Privacy Policy", "    Sub-processors", "      Transfers"]
    assert "We store customer data in Ireland." in out
    assert out.index("Outline:") < out.index("We store customer data")
    assert list(home.dir.iterdir()) == []  # no database, no snapshot, nothing


def test_preview_json_has_the_documented_keys_and_select_and_remove_narrow_the_text(home, site):
    url = site.serve("/privacy", PAGE)

    data = home.json("preview", url, "--select", "main.legal", "--remove", ".promo")

    assert set(data) == {"url", "final_url", "status", "words", "headings", "selected", "moved_to", "problem", "text"}
    assert data["url"] == data["final_url"] == url and data["status"] == 200 and data["problem"] is None
    assert data["headings"] == [{"level": 1, "text": "Privacy Policy"}, {"level": 2, "text": "Sub-processors"},
                                {"level": 3, "text": "Transfers"}]
    assert "Try our new assistant" not in data["text"] and "Pricing" not in data["text"]
    assert "No personal data leaves the European Economic Area." in data["text"]
    assert data["words"] == len(data["text"].replace("#", "").split())
    assert not (home.dir / "clausewatch.db").exists()


def test_preview_of_a_selector_that_matches_nothing_names_it_and_exits_3(home, site):
    url = site.serve("/privacy", PAGE.replace("<p>We store", "<p>" + "Filler words for the region. " * 10 + "We store"))

    proc = home.run("preview", url, "--select", "main.policy", check_code=3)

    assert "Problem: selector-matched-nothing: select 'main.policy' matched nothing" in proc.stdout
    assert "closest candidate region: 'main.legal'" in proc.stdout


def test_preview_fetches_like_check_robots_txt_user_agent_and_destination_policy(home, site):
    site.serve("/robots.txt", "User-agent: *\nDisallow: /private\n", Content_Type="text/plain")
    allowed = site.serve("/privacy", PAGE)
    hidden = site.serve("/private", PAGE)

    home.run("preview", allowed, check_code=0)
    agents = {headers.get("User-Agent") for path, headers in site.hits if path == "/privacy"}
    assert len(agents) == 1 and agents.pop().startswith("clausewatch/")

    refused = json.loads(home.run("preview", hidden, "--json", check_code=3).stdout)
    assert refused["problem"] == "disallowed by robots.txt: Disallow: /private (User-agent: *)" and refused["text"] == ""
    assert "/private" not in [path for path, _ in site.hits]

    home.env["CLAUSEWATCH_ALLOW_PRIVATE_NETWORKS"] = "0"
    refused = json.loads(home.run("preview", allowed, "--json", check_code=3).stdout)
    assert refused["problem"].startswith("destination refused: 127.0.0.1 is not a public address (loopback)")


def test_preview_obeys_the_size_limit(home, site):
    url = site.serve("/big", PAGE.replace("</main>", "<p>" + "word " * 5000 + "</p></main>"))
    home.env["CLAUSEWATCH_MAX_BYTES"] = "4096"

    data = json.loads(home.run("preview", url, "--json", check_code=3).stdout)

    assert data["problem"].startswith("too large") and data["text"] == ""


def test_preview_rejects_a_url_that_is_not_http_and_render_options_without_render(home):
    proc = home.run("preview", "file:///etc/passwd", check_code=2)
    assert "is not an http(s) URL" in proc.stderr
    proc = home.run("preview", "https://example.com/terms", "--wait-for", "#terms", check_code=2)
    assert "--wait-for and --render-timeout need --render" in proc.stderr
