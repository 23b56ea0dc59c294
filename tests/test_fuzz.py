"""Malformed input, property-based (hypothesis): normalisation, the differ, profiles and settings
files never raise anything but their own clear errors, and errors name the file and key."""

from __future__ import annotations

import os
import string
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.config import ConfigError, load_settings
from crawler.profiles import ProfileError, load_catalog, load_profile
from diffing.diff import new_text, old_text, word_diff
from snapshots.extract.normalise import comparison_key, normalise_text

EXAMPLES = int(os.environ.get("CLAUSEWATCH_FUZZ_EXAMPLES", "150"))  # bench/robustness_report.py raises it
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])
# arbitrary Unicode with the nasty parts over-represented: surrogates, RTL/bidi marks, controls, huge lines
nasty = st.sampled_from(["\u202e", "\u200f", "\u061c", "\ufeff", "\u00a0", "\u2028", "\r\n", "\x00", "\x1b[2J",
                         "\ud800", "\udfff", "\U0001f600", "e\u0301", "ﬁ", "\t", "  ", "\n\n\n"])
text = st.lists(st.one_of(st.text(max_size=40), nasty, st.text(alphabet="ab \n", max_size=3000)), max_size=12) \
    .map("".join)


@FUZZ
@given(text)
def test_normalisation_is_idempotent_and_never_raises_on_arbitrary_unicode(raw):
    once = normalise_text(raw)
    assert normalise_text(once) == once
    assert comparison_key(once, normalised=True) == comparison_key(raw)


words = st.lists(st.sampled_from(["the", "data", "EU", "US", ",", ".", "\n", " ", "30", "days", "é", "\U0001f600"]),
                 max_size=60).map(" ".join)


@FUZZ
@given(st.one_of(words, text), st.one_of(words, text))
def test_diff_then_apply_reproduces_both_texts(old, new):
    ops = word_diff(old, new)
    assert old_text(ops) == old and new_text(ops) == new


# -- profiles ------------------------------------------------------------------------------------
PROFILE_KEYS = ["name", "provider", "reviewed", "url", "schedule", "interval", "sources", "criteria"]
SOURCE_KEYS = ["url", "urls", "type", "select", "remove", "headers", "render", "wait_for", "render_timeout",
               "ignore", "confirm", "renamed_from", "schedule", "interval", "title", "allow_private_networks"]
toml_scalars = st.one_of(
    st.text(max_size=30), st.integers(min_value=-2**63, max_value=2**63 - 1), st.booleans(),
    st.floats(allow_nan=True), st.sampled_from([
        "http://[::1", "http://example.org:99999/", "https://example.org/terms", "(a+)+$", "a{99999999999}",
        "0 6 31 2 *", "0 6 * * 7", "999999999999d", "div > > p", "::nth-child(", ":not(" * 300, "[", "*" * 5000,
        "6h", "file:///etc/passwd", "x" * 100_000,
    ]))
toml_values = st.recursive(toml_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                                  st.dictionaries(st.text(string.ascii_lowercase, min_size=1, max_size=8), inner, max_size=4)),
                           max_leaves=12)


def _toml(value) -> str:
    """TOML text for a value (strings escaped as JSON, which TOML accepts for basic strings)."""
    import json
    import math

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


profile_docs = st.fixed_dictionaries(
    {"name": st.one_of(st.just("Acme"), toml_values)},
    optional={key: toml_values for key in PROFILE_KEYS[1:6]},
).flatmap(lambda top: st.fixed_dictionaries(
    {"source": st.fixed_dictionaries({"url": st.one_of(st.just("https://example.org/terms"), toml_values)},
                                     optional={k: toml_values for k in SOURCE_KEYS[1:]})}).map(lambda s: (top, s)))


def _profile_text(top, source) -> str:
    lines = [f"{k} = {_toml(v)}" for k, v in top.items()]
    lines += ["[sources.terms]"] + [f"{k} = {_toml(v)}" for k, v in source["source"].items()]
    lines += ["[[criteria]]", 'id = "c"', 'label = "C"', 'sources = ["terms"]']
    return "\n".join(lines) + "\n"


@FUZZ
@given(profile_docs)
def test_fuzzed_profiles_give_a_profile_or_clear_errors_naming_file_and_key(tmp_path, doc):
    path = tmp_path / "fuzz.toml"
    path.write_text(_profile_text(*doc), encoding="utf-8")
    profile, errors = load_profile(path)
    assert (profile is None) == bool(errors)
    for error in errors:
        assert isinstance(error, ProfileError) and str(error).startswith(str(path))
        assert len(error.message) < 400  # a short excerpt, never the whole value


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes_as_a_profile_never_raise(tmp_path, raw):
    path = tmp_path / "bytes.toml"
    path.write_bytes(raw)
    profile, errors = load_profile(path)
    assert profile is None and errors


@pytest.mark.parametrize("value,fragment", [
    ('"a{99999999999}"', "ignore[0]"), ('"(a+)+$"', "exponential"), ('"(\\\\w*)*x"', "exponential"),
    ('"["', "not a regular expression"),
])
def test_ignore_patterns_that_cannot_compile_or_backtrack_are_profile_errors(tmp_path, value, fragment):
    path = tmp_path / "p.toml"
    path.write_text(f'name = "P"\n[sources.terms]\nurl = "https://example.org/"\nignore = [{value}]\n', encoding="utf-8")
    _, errors = load_profile(path)
    assert errors and fragment in str(errors[0]) and "sources.terms.ignore[0]" in str(errors[0])


@pytest.mark.parametrize("key,value,fragment", [
    ("url", '"http://[::1"', "not a valid URL"), ("url", '"http://example.org:99999/"', "not a valid URL"),
    ("select", '"div > > p"', "select/remove"), ("select", '"' + ":not(" * 400 + 'p"', "select/remove"),
    ("select", '"a:nth-child(2n+"', "select/remove"),
    ("interval", '"999999999999d"', "out of range"), ("schedule", '"0 6 31 2 *"', "never fires"),
    ("render_timeout", "1e300", "render_timeout"),
])
def test_bad_source_values_are_clear_profile_errors(tmp_path, key, value, fragment):
    path = tmp_path / "p.toml"
    extra = "render = true\n" if key == "render_timeout" else ""
    url = "" if key == "url" else 'url = "https://example.org/"\n'
    path.write_text(f'name = "P"\n[sources.terms]\n{url}{extra}{key} = {value}\n', encoding="utf-8")
    _, errors = load_profile(path)
    assert errors and fragment in str(errors[0]), errors
    assert f"sources.terms.{key}" in str(errors[0]) or "select/remove" in str(errors[0])
    assert len(str(errors[0])) < 400


def test_deeply_nested_tables_are_a_profile_error(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text("name = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    _, errors = load_profile(path)
    assert errors and "nested" in str(errors[0]) or "name" in str(errors[0])


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + b'name = "P"\n[sources.terms]\nurl = "https://example.org/"\n'
                     b'[[criteria]]\nid = "c"\nlabel = "C"\nsources = ["terms"]\n')
    profile, errors = load_profile(path)
    assert errors == [] and profile.name == "P"


def test_a_directory_or_dangling_link_named_toml_is_reported_and_the_others_load(tmp_path):
    (tmp_path / "dir.toml").mkdir()
    (tmp_path / "dangling.toml").symlink_to(tmp_path / "nowhere")
    (tmp_path / "good.toml").write_text('name = "P"\n[sources.terms]\nurl = "https://example.org/"\n', encoding="utf-8")
    (tmp_path / "bad.toml").write_text('name = "P"\n[sources.terms]\nurl = "http://[::1"\n', encoding="utf-8")
    catalog = load_catalog(tmp_path)
    assert list(catalog.profiles) == ["good"]
    problems = {e.path.rsplit("/", 1)[-1]: e.message for e in catalog.errors}
    assert set(problems) == {"dir.toml", "dangling.toml", "bad.toml"}
    assert "not a file" in problems["dir.toml"] and "not a file" in problems["dangling.toml"]


# -- settings ------------------------------------------------------------------------------------
SETTING_KEYS = ["timeout", "max_bytes", "concurrency", "per_host_concurrency", "retries", "obey_robots",
                "user_agent", "max_age", "home", "unknown", "processes", "profiles", "database_url"]
settings_docs = st.dictionaries(st.sampled_from(SETTING_KEYS + ["schedule", "vocabulary"]), toml_values, max_size=5)


@FUZZ
@given(settings_docs)
def test_fuzzed_settings_files_load_or_give_a_config_error_naming_the_file(tmp_path, doc):
    path = tmp_path / "clausewatch.toml"
    lines = []
    for key, value in doc.items():
        if key in ("schedule", "vocabulary") and isinstance(value, dict):
            lines.append(f"[{key}]")
            lines += [f"{k} = {_toml(v)}" for k, v in value.items()]
        else:
            lines.insert(0, f"{key} = {_toml(value)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError:
        pass
    try:
        load_settings(path, environ={})
    except ConfigError as exc:
        assert str(exc).startswith(str(path)), exc
        assert len(str(exc)) < 600


@FUZZ
@given(st.one_of(toml_values, st.lists(st.dictionaries(st.sampled_from(
    ["id", "label", "rating", "sources", "watch", "evidence", "themes", "note"]), toml_values, max_size=6), max_size=3)),
    st.one_of(st.none(), toml_values))
def test_fuzzed_criteria_and_sources_tables_give_clear_errors(tmp_path, criteria, sources):
    path = tmp_path / "crit.toml"
    lines = ['name = "P"']
    if sources is not None:
        lines.append(f"sources = {_toml(sources)}")
    else:
        lines += ["[sources.terms]", 'url = "https://example.org/"']
    text = "\n".join(lines) + "\n"
    if isinstance(criteria, list) and all(isinstance(c, dict) for c in criteria):
        for table in criteria:
            text += "[[criteria]]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in table.items())
    else:
        text = text.replace('name = "P"\n', f'name = "P"\ncriteria = {_toml(criteria)}\n', 1)
    path.write_text(text, encoding="utf-8")
    profile, errors = load_profile(path)
    assert (profile is None) == bool(errors)
    assert all(isinstance(e, ProfileError) and str(e).startswith(str(path)) for e in errors)
