"""clausewatch.toml is validated when loaded, every section, by the code the runtime uses."""

from __future__ import annotations

import pytest

from crawler.config import ConfigError, load_settings
from crawler.errors import ConfigError as TreeConfigError
from crawler.errors import ProfileError as TreeProfileError
from crawler.profiles import ProfileError


def _settings(tmp_path, text: str):
    path = tmp_path / "clausewatch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_old_error_imports_are_the_error_trees_classes():
    assert ConfigError is TreeConfigError and ProfileError is TreeProfileError


def test_a_mistyped_vocabulary_theme_fails_validate_and_check_naming_file_and_key_and_writes_nothing(home, site):
    (home.dir / "clausewatch.toml").write_text('[vocabulary]\ndisabled_themes = ["no-such-theme"]\n', encoding="utf-8")
    home.simple_profile("acme", {"terms": site.serve("/terms", "<html><body><p>Terms and more terms here.</p></body></html>")})
    for command in ("validate", "check"):
        proc = home.run(command)
        assert proc.returncode == 2, proc.stderr
        assert "clausewatch.toml: [vocabulary]" in proc.stderr and "no-such-theme" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert not (home.dir / "clausewatch.db").exists()
    assert site.hits == []


def test_sunday_as_seven_validates_like_the_daemon_reads_it(tmp_path):
    settings = load_settings(_settings(tmp_path, '[schedule]\ndefault = "0 6 * * 7"\n'), environ={})
    assert settings.schedule_default == "0 6 * * 7"


def test_a_schedule_that_never_fires_is_refused_when_loaded(tmp_path):
    with pytest.raises(ConfigError, match=r"clausewatch.toml: \[schedule\] default: '0 6 31 2 \*' .*never fires"):
        load_settings(_settings(tmp_path, '[schedule]\ndefault = "0 6 31 2 *"\n'), environ={})


def test_messages_name_the_keys_a_user_writes(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_settings(_settings(tmp_path, "tiemout = 3\n"), environ={})
    message = str(caught.value)
    assert "tiemout: unknown key" in message and "[schedule] time_limit" in message
    assert "run_time_limit" not in message and "schedule_default" not in message and ", home" not in message
    with pytest.raises(ConfigError, match=r"\[schedule\] time_limit = 'soon': expected a whole number"):
        load_settings(_settings(tmp_path, '[schedule]\ntime_limit = "soon"\n'), environ={})


def test_home_in_the_file_says_where_to_set_it(tmp_path):
    with pytest.raises(ConfigError, match="home: cannot be set in the settings file.*CLAUSEWATCH_HOME"):
        load_settings(_settings(tmp_path, 'home = "/tmp/x"\n'), environ={})


@pytest.mark.parametrize("text,fragment", [
    ("timeout = 0\n", "timeout = 0.0: expected a number from 0.1 to 3,600"), ("concurrency = 100000\n", "concurrency"),
    ("max_bytes = -1\n", "max_bytes"), ("timeout = nan\n", "timeout"), ('max_age = "soon"\n', "max_age"),
    ("retries = 1.5\n", "retries = 1.5: expected a whole number"), ("obey_robots = [1]\n", "expected true or false"),
    ('user_agent = {a = 1}\n', "user_agent"), ("[vocabulary]\nthemes = 3\n", "[vocabulary]"),
])
def test_out_of_range_and_mistyped_values_are_config_errors(tmp_path, text, fragment):
    with pytest.raises(ConfigError) as caught:
        load_settings(_settings(tmp_path, text), environ={})
    assert fragment in str(caught.value) and str(caught.value).startswith(str(tmp_path))


def test_an_environment_variable_names_itself(tmp_path):
    with pytest.raises(ConfigError, match="environment variable CLAUSEWATCH_TIMEOUT: timeout = 'x'"):
        load_settings(_settings(tmp_path, ""), environ={"CLAUSEWATCH_TIMEOUT": "x"})


def test_a_settings_file_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "clausewatch.toml"
    path.write_bytes(b"\xef\xbb\xbftimeout = 7\n")
    assert load_settings(path, environ={}).timeout == 7
