"""A page fetched with render = true is judged as rendered: a short one is not a "script shell"."""

from __future__ import annotations

from crawler.profiles import load_profile
from snapshots.extract import Rules, extract

SHORT_APP = ("<html><body><div id='root'><main><h1>Cookie notice</h1><p>We use three cookies, all of them "
             "needed to sign in.</p></main></div>" + "<script src='/app.js'></script>" * 5 + "</body></html>").encode()


def test_a_short_page_with_scripts_is_a_shell_when_not_rendered():
    assert extract(SHORT_APP, url="u", content_type="text/html").problem_kind == "script-shell"


def test_the_same_short_page_rendered_by_the_browser_is_a_document():
    result = extract(SHORT_APP, url="u", content_type="text/html", rules=Rules(rendered=True))
    assert result.problem_kind is None and "three cookies" in result.text


def test_render_true_in_a_profile_marks_the_sources_rules_as_rendered(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('name = "P"\n[sources.a]\nurl = "https://example.org/a"\nrender = true\n'
                    '[sources.b]\nurl = "https://example.org/b"\n', encoding="utf-8")
    profile, errors = load_profile(path)
    assert not errors
    assert profile.sources["a"].rules.rendered and not profile.sources["b"].rules.rendered
    assert profile.sources["a"].rules.to_json() == profile.sources["b"].rules.to_json()  # no rebaseline from it
