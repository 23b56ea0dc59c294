"""Settings: `clausewatch.toml` in the data directory, every key overridable by environment.

Precedence, lowest first: built-in defaults < the TOML file < `CLAUSEWATCH_<KEY>` environment
variables (upper-case key; a key inside a table such as `[schedule] default` is
`CLAUSEWATCH_SCHEDULE_DEFAULT`) < explicit command-line options. `clausewatch` and
`scrapy crawl documents` both call `load_settings()`, so they read the same values.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ENV_PREFIX = "CLAUSEWATCH_"
CONFIG_NAME = "clausewatch.toml"


class ConfigError(Exception):
    """A settings file or variable is wrong; the message names the file/variable and the key."""


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
    processes: int = 0  # process stage workers; 0 = one per core
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
        if target_type is int and isinstance(value, bool):
            raise ValueError(value)
        if target_type is dict:
            if not isinstance(value, dict):
                raise ValueError(value)
            return value
        if target_type is Path:
            return Path(os.path.expanduser(str(value)))
        return target_type(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {name} = {value!r}: expected {target_type.__name__}") from None


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
    if config is not None and not path.is_file():
        raise ConfigError(f"{path}: settings file not found")
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        for key, value in data.items():
            if isinstance(value, dict) and key != "vocabulary":
                for sub, subvalue in value.items():
                    name = _TABLE_KEYS.get((key, sub))
                    if name is None:
                        raise ConfigError(f"{path}: unknown key [{key}] {sub}")
                    values[name] = _coerce(f"[{key}] {sub}", subvalue, types[name], str(path))
            elif key in types and key != "home":
                values[key] = _coerce(key, value, types[key], str(path))
            else:
                raise ConfigError(f"{path}: unknown key {key!r}; expected one of: {', '.join(sorted(types))}")

    for name, typ in types.items():
        var = ENV_PREFIX + name.upper()
        if name != "home" and var in env and typ is not dict:
            values[name] = _coerce(name, env[var], typ, f"environment variable {var}")
    for name, value in overrides.items():
        if value is not None:
            if name not in types:
                raise TypeError(f"unknown setting {name}")
            values[name] = _coerce(name, value, types[name], "command line")
    if "profiles" not in values:
        values["profiles"] = Path("profiles")
    return Settings(**values)
