"""Profiles as data: the bundled profile is valid; every mistake names the file, the key and what was expected."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from crawler.config import ConfigError, load_settings
from crawler.profiles import load_catalog, load_profile

ROOT = Path(__file__).resolve().parents[1]

GOOD = """
name = "Example API"
provider = "Example"
reviewed = 2026-11-20

[sources.dpa]
url = "https://example.com/dpa"
type = "dpa"
select = ["main", { startAfter = "#top", endBefore = "footer" }]
remove = ".cookie-banner"

[[criteria]]
id = "no-training"
label = "No training on customer data"
rating = "partial"
sources = ["dpa"]
watch = ["training"]
evidence = [{ source = "dpa", quote = "We never train on customer data." }]
"""

# (what is wrong, edit applied to GOOD, the key named, words of the message)
MISTAKES = [
    ("bad toml", lambda t: t + "\nname = ", "", "not valid TOML"),
    ("unknown top-level key", lambda t: "colour = 'red'\n" + t, "colour", "unknown key"),
    ("missing name", lambda t: t.replace('name = "Example API"\n', ""), "name", "missing"),
    ("quoted date", lambda t: t.replace("reviewed = 2026-11-20", 'reviewed = "2026-11-20"'), "reviewed", "not a date"),
    ("non-http url", lambda t: t.replace("https://example.com/dpa", "file:///etc/passwd"), "sources.dpa.url", "http(s)"),
    ("unknown source key", lambda t: t.replace('type = "dpa"', 'type = "dpa"\nselector = "main"'), "sources.dpa.selector", "unknown key"),
    ("bad source type", lambda t: t.replace('type = "dpa"', 'type = "blog"'), "sources.dpa.type", "privacy-policy"),
    ("bad select shape", lambda t: t.replace('remove = ".cookie-banner"', "remove = 3"), "sources.dpa.select/remove", ""),
    ("criterion citing unknown source", lambda t: t.replace('sources = ["dpa"]', 'sources = ["tos"]'),
     "criteria.no-training.sources", "'tos' is not a source"),
    ("duplicate criterion id", lambda t: t + t[t.index("[[criteria]]"):], "criteria.no-training", "duplicate"),
    ("bad rating", lambda t: t.replace('rating = "partial"', 'rating = "maybe"'), "criteria.no-training.rating", "yes, partial, no, unknown"),
    ("evidence of another source", lambda t: t.replace('{ source = "dpa"', '{ source = "tos"'),
     "criteria.no-training.evidence[0].source", "not a source"),
    ("bad regex", lambda t: t.replace('type = "dpa"', 'type = "dpa"\nignore = ["(unclosed"]'), "sources.dpa.ignore[0]", "regular expression"),
    ("bad interval", lambda t: t.replace('type = "dpa"', 'type = "dpa"\ninterval = "often"'), "sources.dpa.interval", "interval"),
    ("bad crontab", lambda t: t.replace('type = "dpa"', 'type = "dpa"\nschedule = "61 * * * *"'), "sources.dpa.schedule", "crontab"),
]


def write(tmp_path, text, name="example-api") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_bundled_profiles_are_valid():
    catalog = load_catalog(ROOT / "profiles")
    assert catalog.errors == []
    mistral = catalog.profiles["mistral-api"]
    assert len(mistral.sources) == 9 and len(mistral.criteria) == 7
    assert all(s.urls[0].startswith("https://") for s in mistral.sources.values())
    ratings = {c.id: c.rating for c in mistral.criteria}
    assert ratings == {"on-prem": "yes", "private-cloud": "partial", "eu-saas": "partial", "hybrid": "partial",
                       "dpa": "yes", "no-training": "partial", "open-source": "yes"}


def test_good_profile_loads_with_range_selectors(tmp_path):
    profile, errors = load_profile(write(tmp_path, GOOD))
    assert errors == []
    src = profile.sources["dpa"]
    assert src.key == "https://example.com/dpa" and src.ref == "example-api/dpa"
    assert profile.criteria[0].evidence[0].quote == "We never train on customer data."


@pytest.mark.parametrize("name,edit,key,words", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_profile_mistake_is_reported_with_file_key_and_expectation(tmp_path, name, edit, key, words):
    path = write(tmp_path, edit(GOOD))
    profile, errors = load_profile(path)
    assert profile is None and errors
    messages = [str(e) for e in errors]
    assert any(e.key == key and words in e.message for e in errors), messages
    assert all(m.startswith(str(path)) for m in messages)


def test_a_broken_profile_is_skipped_and_the_others_still_load(tmp_path):
    write(tmp_path, GOOD, "good")
    write(tmp_path, GOOD.replace('rating = "partial"', 'rating = "maybe"'), "broken")
    catalog = load_catalog(tmp_path)
    assert list(catalog.profiles) == ["good"]
    assert [Path(e.path).name for e in catalog.errors] == ["broken.toml"]


def test_the_parsed_catalog_is_cached_in_the_data_directory_until_a_profile_changes(tmp_path, monkeypatch):
    from crawler import profiles

    folder, home = tmp_path / "profiles", tmp_path / "home"
    folder.mkdir()
    home.mkdir()
    write(folder, GOOD, "good")
    write(folder, GOOD.replace('rating = "partial"', 'rating = "maybe"'), "broken")
    cache = home / "catalog.cache"
    parsed = load_catalog(folder, cache=cache)
    assert cache.exists()

    def no_parse(folder):
        raise AssertionError("parsed although the cache was current")

    monkeypatch.setattr(profiles, "_parse_catalog", no_parse)
    cached = load_catalog(folder, cache=cache)
    assert cached.profiles == parsed.profiles and cached.sources() == parsed.sources()
    assert [str(e) for e in cached.errors] == [str(e) for e in parsed.errors]  # file, key and message
    assert cached.citations("https://example.com/dpa") == parsed.citations("https://example.com/dpa")
    monkeypatch.undo()

    write(folder, GOOD.replace("https://example.com/dpa", "https://example.com/terms"), "good")
    assert [s.key for s in load_catalog(folder, cache=cache).sources()] == ["https://example.com/terms"]
    (folder / "broken.toml").unlink()
    assert load_catalog(folder, cache=cache).errors == []


def test_a_catalog_cache_that_is_not_a_catalog_is_never_run_and_the_profiles_are_parsed(tmp_path):
    import pickle

    from crawler import profiles

    folder = tmp_path / "profiles"
    folder.mkdir()
    write(folder, GOOD, "good")
    cache = tmp_path / "catalog.cache"
    load_catalog(folder, cache=cache)
    key = cache.read_bytes()[:32]
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    for body in (pickle.dumps(Payload()), b"\x80\x05garbage", b""):
        cache.write_bytes(key + body)  # the right key: only the content is wrong
        assert list(load_catalog(folder, cache=cache).profiles) == ["good"]
        assert not marker.exists()
    assert profiles._read_cached(cache, key) is not None  # rewritten by the last parse

    missing = tmp_path / "no-home" / "catalog.cache"  # no data directory yet (`validate`): none is made
    assert list(load_catalog(folder, cache=missing).profiles) == ["good"]
    assert not missing.parent.exists()


def test_documents_are_shared_by_url_and_conflicting_rules_are_reported(tmp_path):
    write(tmp_path, GOOD, "a")
    write(tmp_path, GOOD.replace('remove = ".cookie-banner"', 'remove = ".banner"'), "b")
    catalog = load_catalog(tmp_path)
    assert len({s.key for s in catalog.sources()}) == 1
    assert len(catalog.citations("https://example.com/dpa")) == 2
    assert "different select/remove" in catalog.conflicts()[0]


def test_settings_come_from_toml_then_environment(tmp_path):
    (tmp_path / "clausewatch.toml").write_text('timeout = 12\nper_host_concurrency = 3\n[schedule]\ndefault = "6h"\n')
    settings = load_settings(environ={"CLAUSEWATCH_HOME": str(tmp_path), "CLAUSEWATCH_TIMEOUT": "7.5"})
    assert settings.timeout == 7.5 and settings.per_host_concurrency == 3 and settings.schedule_default == "6h"
    assert settings.database.startswith("sqlite:///") and settings.database.endswith("clausewatch.db")


@pytest.mark.parametrize("toml,env,words", [
    ("timeout = 'slow'", {}, "timeout"),
    ("colour = 1", {}, "unknown key"),
    ("", {"CLAUSEWATCH_RETRIES": "many"}, "CLAUSEWATCH_RETRIES"),
    ("timeout = ", {}, "not valid TOML"),
])
def test_bad_settings_name_the_file_or_variable_and_key(tmp_path, toml, env, words):
    (tmp_path / "clausewatch.toml").write_text(toml)
    with pytest.raises(ConfigError, match=words.replace("(", r"\(")):
        load_settings(environ={"CLAUSEWATCH_HOME": str(tmp_path), **env})
