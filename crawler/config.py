"""Settings: `clausewatch.toml` in the data directory, every key overridable by environment.

Precedence, lowest first: built-in defaults < the TOML file < `CLAUSEWATCH_<KEY>` environment
variables (upper-case key; a key inside a table such as `[schedule] default` is
`CLAUSEWATCH_SCHEDULE_DEFAULT`) < explicit command-line options. `clausewatch` and
`scrapy crawl documents` both call `load_settings()`, so they read the same values.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from crawler.errors import ConfigError

__all__ = ["ConfigError", "Settings", "load_settings", "validate_settings", "user_key"]

ENV_PREFIX = "CLAUSEWATCH_"
CONFIG_NAME = "clausewatch.toml"
MAX_CONFIG_BYTES = 1_000_000


@dataclass(frozen=True)
class Settings:
    home: Path = Path(".clausewatch")
    database_url: str = ""  # empty: SQLite file in `home`
    profiles: Path = Path("profiles")
    user_agent: str = "clausewatch/0.1 (+https://github.com/clausewatch/clausewatch; contact: set user_agent in clausewatch.toml)"
    timeout: float = 30.0  # seconds per request
    max_bytes: int = 10 * 1024 * 1024  # per body, also after decompression
    concurrency: int = 16  # requests in flight overall
    per_host_concurrency: int = 2
    autothrottle: bool = True
    retries: int = 2  # extra attempts for transient failures
    obey_robots: bool = True
    allow_private_networks: bool = False  # loopback/private/link-local destinations
    follow_moves: bool = False  # a moved document (permanent redirect, redirect stub) is followed in the same run
    processes: int = 0  # process stage workers; 0 = one per core
    fetchers: int = 0  # fetch processes sharing a run's hosts; 0 = one per core for runs of 200+ pages
    unreachable_after: int = 3  # consecutive failures before an `unreachable` anomaly
    max_age: str = "36h"  # `status` exits 1 when the last completed run is older
    schedule_default: str = "1d"  # crontab expression or interval (s/m/h/d)
    schedule_jitter: int = 300  # seconds
    run_time_limit: int = 3600  # seconds a scheduled crawl may take
    lease_ttl: int = 120  # seconds a run lease lives without heartbeat
    stop_grace: int = 60  # seconds a stopped crawl may take to finish cleanly before it is killed
    log_json: bool = False
    redis_url: str = ""  # set to crawl from several machines with scrapy-redis
    vocabulary: dict = field(default_factory=dict)  # [vocabulary] table, see diffing.vocabulary
    web_secret: str = ""  # signs the review page's session cookies; empty: a random key kept in `home`
    web_session_max_age: int = 8 * 3600  # seconds a review page sign-in lasts
    web_user_header: str = ""  # trusted reverse-proxy header carrying the user name (e.g. X-Forwarded-User)

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'clausewatch.db').resolve()}"

    @classmethod
    def from_json(cls, data: dict) -> "Settings":
        types = _types()
        return cls(**{k: Path(v) if types[k] is Path else v for k, v in data.items() if k in types})

    def to_json(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {k: str(v) if isinstance(v, Path) else v for k, v in out.items()}


# keys that live in TOML tables: (table, key) -> field name
_TABLE_KEYS = {
    ("schedule", "default"): "schedule_default",
    ("schedule", "jitter"): "schedule_jitter",
    ("schedule", "time_limit"): "run_time_limit",
    ("schedule", "stop_grace"): "stop_grace",
}
_FIELD_KEYS = {name: f"[{table}] {key}" for (table, key), name in _TABLE_KEYS.items()}
_NOT_IN_FILE = {"home"}  # where the file lives: CLAUSEWATCH_HOME or --home
# (low, high) for numbers: a value outside is a typo, not a wish
_RANGES = {
    "timeout": (0.1, 3600), "max_bytes": (1, 2**31), "concurrency": (1, 1000), "per_host_concurrency": (1, 100),
    "retries": (0, 10), "processes": (0, 256), "fetchers": (0, 64), "unreachable_after": (1, 1000), "schedule_jitter": (0, 86400),
    "run_time_limit": (1, 7 * 86400), "lease_ttl": (1, 86400), "stop_grace": (0, 86400),
}


def user_key(name: str) -> str:
    """The key a user writes for a setting: `[schedule] time_limit` for run_time_limit."""
    return _FIELD_KEYS.get(name, name)


def _file_keys() -> list[str]:
    top = [f.name for f in dataclasses.fields(Settings) if f.name not in _NOT_IN_FILE and f.name not in _FIELD_KEYS
           and f.name != "vocabulary"]
    return sorted(top) + sorted(_FIELD_KEYS.values()) + ["[vocabulary] …"]


def _coerce(name: str, value, target_type, where: str):
    try:
        if target_type is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(value)
        if target_type is Path and not isinstance(value, (str, os.PathLike)):
            raise ValueError(value)
        if target_type in (int, float) and isinstance(value, bool):
            raise ValueError(value)
        if target_type is int and isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        if target_type is str and not isinstance(value, (str, int, float)):
            raise ValueError(value)
        if target_type is dict:
            if not isinstance(value, dict):
                raise ValueError(value)
            return value
        if target_type is Path:
            return Path(os.path.expanduser(str(value)))
        return target_type(value)
    except (TypeError, ValueError, OverflowError):
        kind = {"int": "a whole number", "float": "a number", "bool": "true or false", "str": "a string",
                "Path": "a path", "dict": "a table"}[target_type.__name__]
        raise ConfigError(f"{where}: {user_key(name)} = {_excerpt(value)}: expected {kind}") from None


def _excerpt(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _types() -> dict:
    names = {"str": str, "int": int, "float": float, "bool": bool, "Path": Path, "dict": dict}
    return {f.name: names[f.type] for f in dataclasses.fields(Settings)}


def load_settings(config: str | os.PathLike | None = None, environ=None, **overrides) -> Settings:
    """Read defaults, then the TOML file, then the environment, then `overrides` (non-None only)."""
    env = os.environ if environ is None else environ
    types = _types()
    values: dict = {}
    home = Path(os.path.expanduser(env.get(ENV_PREFIX + "HOME", ".clausewatch")))
    if overrides.get("home") is not None:
        home = Path(overrides["home"])
    values["home"] = home

    path = Path(config or env.get(ENV_PREFIX + "CONFIG") or home / CONFIG_NAME)
    if config is not None and not path.exists():
        raise ConfigError(f"{path}: settings file not found")
    if path.exists() or path.is_symlink():
        from crawler.profiles import read_toml

        data, problem = read_toml(path, MAX_CONFIG_BYTES)
        if problem:
            raise ConfigError(f"{path}: {problem}")
        values.update(_read_file(data, path, types))

    for name, typ in types.items():
        variables = [ENV_PREFIX + name.upper()]
        if name in _FIELD_KEYS:  # [schedule] time_limit is also CLAUSEWATCH_SCHEDULE_TIME_LIMIT
            variables.append(ENV_PREFIX + _FIELD_KEYS[name].replace("[", "").replace("] ", "_").upper())
        for var in variables:
            if name != "home" and var in env and typ is not dict:
                values[name] = _coerce(name, env[var], typ, f"environment variable {var}")
    for name, value in overrides.items():
        if value is not None:
            if name not in types:
                raise TypeError(f"unknown setting {name}")
            values[name] = _coerce(name, value, types[name], "command line")
    if "profiles" not in values:
        values["profiles"] = Path("profiles")
    settings = Settings(**values)
    validate_settings(settings, str(path) if path.is_file() else "settings")
    return settings


def _read_file(data: dict, path: Path, types: dict) -> dict:
    values: dict = {}
    for key, value in data.items():
        if key == "vocabulary":
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: vocabulary: expected a table [vocabulary]")
            values["vocabulary"] = value
        elif key in _NOT_IN_FILE:
            raise ConfigError(f"{path}: {key}: cannot be set in the settings file (it is where the file lives); "
                              f"set CLAUSEWATCH_HOME or --home")
        elif isinstance(value, dict) and any(table == key for table, _ in _TABLE_KEYS):
            for sub, subvalue in value.items():
                name = _TABLE_KEYS.get((key, sub))
                if name is None:
                    known = ", ".join(k for (t, k) in _TABLE_KEYS if t == key)
                    raise ConfigError(f"{path}: [{key}] {_short(sub)}: unknown key (expected one of: {known})")
                values[name] = _coerce(name, subvalue, types[name], str(path))
        elif key in types and key not in _FIELD_KEYS and types[key] is not dict:
            values[key] = _coerce(key, value, types[key], str(path))
        else:
            raise ConfigError(f"{path}: {_short(key)}: unknown key (expected one of: {', '.join(_file_keys())})")
    return values


def _num(value) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"


def validate_settings(settings: Settings, where: str) -> None:
    """Every value checked by the code that uses it: ranges, the schedule (the daemon's own cron
    parser), `max_age`, and `[vocabulary]` (diffing.vocabulary's own builder). ConfigError otherwise."""
    for name, (low, high) in _RANGES.items():
        value = getattr(settings, name)
        if not low <= value <= high:
            raise ConfigError(f"{where}: {user_key(name)} = {_excerpt(value)}: expected a number from {_num(low)} to {_num(high)}")
    from crawler.profiles import ProfileError, check_schedule, parse_interval

    try:
        check_schedule(settings.schedule_default, user_key("schedule_default"), where)
    except ProfileError as exc:
        raise ConfigError(str(exc)) from None
    if not parse_interval(settings.max_age):
        raise ConfigError(f"{where}: max_age = {_excerpt(settings.max_age)}: expected an age like \"36h\" (s/m/h/d)")
    if settings.vocabulary:
        from diffing.vocabulary import Vocabulary, VocabularyError

        try:
            Vocabulary.from_config(settings.vocabulary)
        except (VocabularyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise ConfigError(f"{where}: [vocabulary] {str(exc)[:200]}") from None
