"""Golden files: ``fixtures/extract/NAME.html`` → ``NAME.expected.md``.

Every ``NAME.html`` is a case with default options; ``cases.json`` adds cases (or options for a
page): ``html`` (the source page, default ``NAME.html``), ``content_type``, ``select``, ``remove``
and the expected ``problem_kind`` (default none).

To regenerate the expected files after an intended change of output, run::

    CLAUSEWATCH_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_extract_golden.py

then read every changed ``*.expected.md`` (``git diff tests/fixtures/extract``) and commit only the
outputs you judged correct — and bump ``EXTRACTOR_VERSION``.
"""

import json
import os
from pathlib import Path

import pytest

from snapshots.extract import Rules, extract

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
REGENERATE = os.environ.get("CLAUSEWATCH_REGEN_GOLDEN") == "1"


def _cases() -> dict[str, dict]:
    cases = {path.name.removesuffix(".html"): {} for path in FIXTURES.glob("*.html")}
    cases.update(json.loads((FIXTURES / "cases.json").read_text()))
    return dict(sorted(cases.items()))


CASES = _cases()


def _extract(name: str, case: dict):
    body = (FIXTURES / case.get("html", name + ".html")).read_bytes()
    rules = Rules.from_declaration(case.get("select"), case.get("remove"))
    return extract(body, url=f"https://example.com/{name}", content_type=case.get("content_type", "text/html"), rules=rules)


@pytest.mark.parametrize("name", CASES)
def test_golden_extraction_matches_expected_markdown(name):
    case = CASES[name]
    result = _extract(name, case)
    expected_path = FIXTURES / f"{name}.expected.md"
    if REGENERATE:
        expected_path.write_text(result.text, encoding="utf-8")
    assert result.text == expected_path.read_text(encoding="utf-8")
    assert result.problem_kind == case.get("problem_kind")
    assert _extract(name, case) == result  # deterministic


def test_cookie_section_with_boilerplate_id_survives():
    text = _extract("cookie_sections", {}).text
    assert "## 5. Cookies" in text
    assert "analytics cookies only with your consent" in text
    assert "### 5.1 Cookie table" in text
    assert "## 6. Your GDPR rights" in text


def test_sharing_and_subprocessor_sections_survive():
    text = _extract("cookie_sections", {}).text
    assert "## 3. Sharing your data" in text
    assert "- Snowflake (analytics, US)" in text


def test_cookie_banners_and_site_chrome_are_removed():
    text = _extract("cookie_sections", {}).text
    for noise in ("Accept all", "This site uses cookies", "Manage preferences", "Skip to main",
                  "Pricing", "2025 ACME AI"):
        assert noise not in text


def test_collapsed_accordion_panels_are_kept_but_ui_is_dropped():
    result = _extract("accordions", {})
    assert result.headings == ["Data Processing Addendum", "2. Security measures", "3. Retention"]
    assert "encryption in transit" in result.text
    assert "deleted within thirty days" in result.text
    assert "1. Scope" in result.text and "This Addendum applies" in result.text
    assert "Copy link" not in result.text and "Loading" not in result.text and "→" not in result.text


def test_language_pickers_country_banners_and_feedback_are_removed():
    text = _extract("locale_banners", {}).text
    for noise in ("United States site", "Deutsch", "Choose your language", "Was this page helpful",
                  "Your rights\n\nYou may ask for a copy of your data.\n\nFooter"):
        assert noise not in text
    assert "enterprise customers are covered" in text  # an aside that is content stays


def test_select_matching_nothing_names_selector_and_suggests_a_region():
    result = _extract("select_matching_nothing", CASES["select_matching_nothing"])
    assert result.text == ""
    assert result.problem.startswith("select 'main.legal' matched nothing; closest candidate region: ")
    assert "div#privacy" in result.problem or "div.wrapper" in result.problem


def test_script_shell_suggests_rendering():
    result = _extract("script_shell", {})
    assert result.problem_kind == "script-shell"
    assert "6 scripts" in result.problem and "render = true" in result.problem
