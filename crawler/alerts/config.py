"""`alerts.toml`: who is told what, and through which channels (Apprise URLs).

    base_url = "https://clausewatch.example.org"   # links point at the review page
    [delivery]                                     # optional
    max_attempts = 8                               # then the delivery is failed (status exits 1)
    backoff = "5m"                                 # wait before the 2nd attempt; doubles each time
    [[subscriptions]]
    name = "analysts"
    notify = ["mailtos://user:pass@smtp.example.org?to=analysts@example.org", "env:CW_SLACK_URL"]
    profiles = ["*"]                # or profile ids
    criteria = ["*"]                # or criterion ids ("id" or "profile/id"): only changes that may affect them
    min_significance = "material"   # cosmetic | minor | material
    anomalies = true                # gone, moved, blocked, unreachable, suspicious: when they open and close
    heartbeat = "weekly"            # optional "all clear" after a quiet day/week; off by default

The file is `CLAUSEWATCH_ALERTS` or `<home>/alerts.toml`; without it nothing is sent. Secrets come
from the environment — a whole entry `env:VAR`, or `${VAR}` inside one — so the file can be
committed. Every problem is a ConfigError naming the file and the key.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from crawler.errors import ConfigError
from diffing.significance import Significance

ENV_VARIABLE = "CLAUSEWATCH_ALERTS"
FILE_NAME = "alerts.toml"
TOP_KEYS = {"base_url", "subscriptions", "delivery"}
DELIVERY_KEYS = {"max_attempts", "backoff"}
SUBSCRIPTION_KEYS = {"name", "notify", "profiles", "criteria", "min_significance", "anomalies", "heartbeat"}
HEARTBEATS = {"daily": 86400, "weekly": 7 * 86400}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_BACKOFF = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


@dataclass(frozen=True)
class Channel:
    """One notify entry. `url` holds the secrets: never store or print it; `label` is masked."""

    spec: str  # as written in the file
    url: str  # with the environment expanded
    label: str

    @property
    def key(self) -> str:
        """Identifies the channel across runs without its secrets: a hash of the entry as written."""
        return hashlib.sha256(self.spec.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Subscription:
    name: str
    channels: tuple[Channel, ...]
    profiles: tuple[str, ...] = ()  # () = every profile
    criteria: tuple[str, ...] = ()  # () = every criterion
    min_significance: Significance = Significance.MATERIAL
    anomalies: bool = True
    heartbeat: int | None = None  # seconds of quiet before an "all clear"


@dataclass(frozen=True)
class Alerts:
    path: Path | None
    base_url: str = ""
    subscriptions: tuple[Subscription, ...] = ()
    max_attempts: int = 8
    backoff: float = 300.0  # seconds before the second attempt; doubled for each further one
    problems: tuple[dict, ...] = field(default=(), compare=False)

    def subscription(self, name: str) -> Subscription | None:
        return next((s for s in self.subscriptions if s.name == name), None)

    def change_link(self, change_id: int) -> str:
        return f"{self.base_url}/changes/{change_id}"


def alerts_path(settings, environ=None) -> Path:
    env = os.environ if environ is None else environ
    return Path(os.path.expanduser(env.get(ENV_VARIABLE) or Path(settings.home) / FILE_NAME))


class AlertsError(ConfigError):
    """alerts.toml is wrong; `problems` lists every one as {file, key, problem} (validate shows them all)."""

    def __init__(self, problems: list[dict]):
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more: clausewatch validate)" if len(problems) > 1 else ""
        super().__init__(f"{first['file']}: {first['key'] + ': ' if first['key'] else ''}{first['problem']}{more}")


class _Reader:
    def __init__(self, path: Path, environ):
        self.path, self.environ = path, environ
        self.problems: list[dict] = []

    def error(self, key: str, message: str) -> None:
        self.problems.append({"file": str(self.path), "key": key, "problem": message})

    def unknown(self, table: dict, allowed: set, where: str) -> None:
        for key in table:
            if key not in allowed:
                self.error(f"{where}{key}", f"unknown key (expected one of: {', '.join(sorted(allowed))})")

    def strings(self, table: dict, key: str, where: str, default: tuple = ()) -> tuple[str, ...]:
        value = table.get(key, list(default))
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.error(f"{where}{key}", f"{value!r} is not a list of strings")
            return ()
        return tuple(v.strip() for v in value)

    def expand(self, spec: str, where: str) -> str | None:
        """`env:VAR` -> the variable; `${VAR}` inside -> expanded; a missing variable is an error."""
        if spec.startswith("env:"):
            var = spec[4:].strip()
            if var not in self.environ or not self.environ[var].strip():
                self.error(where, f"environment variable {var} is not set")
                return None
            return self.environ[var].strip()
        missing = [v for v in _VAR.findall(spec) if v not in self.environ]
        if missing:
            self.error(where, f"environment variable {', '.join(missing)} is not set")
            return None
        return _VAR.sub(lambda m: self.environ[m.group(1)], spec)


def _channel(reader: _Reader, spec: str, where: str) -> Channel | None:
    url = reader.expand(spec, where)
    if url is None:
        return None
    import apprise  # imported only when alerts are configured: it is slow to import

    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        scheme = urlsplit(url).scheme or url.split(":", 1)[0]
        shown = spec if spec.startswith("env:") else f"{scheme}://…"
        reader.error(where, f"{shown} is not a notification URL Apprise understands "
                            f"(e.g. mailtos://user:pass@smtp.example.org?to=you@example.org, slack://…, json://host/path)")
        return None
    label = spec if spec.startswith("env:") else plugin.url(privacy=True).split("?", 1)[0]  # secrets masked, options dropped
    return Channel(spec, url, label)


def _criteria_ids(catalog, profiles: tuple[str, ...]) -> tuple[set[str], set[str]]:
    """(plain criterion ids, "profile/id" refs) of these profiles (every profile when empty)."""
    plain, qualified = set(), set()
    for pid, profile in catalog.profiles.items():
        if profiles and pid not in profiles:
            continue
        for c in profile.criteria:
            plain.add(c.id)
            qualified.add(f"{pid}/{c.id}")
    return plain, qualified


def _subscription(reader: _Reader, table, index: int, catalog, seen: set[str]) -> Subscription | None:
    where = f"subscriptions[{index}]."
    if not isinstance(table, dict):
        reader.error(f"subscriptions[{index}]", "expected a table [[subscriptions]]")
        return None
    before = len(reader.problems)
    name = table.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        reader.error(f"{where}name", f"{name!r}: expected a name of letters, digits, '.', '_' and '-'")
        name = None
    else:
        if name in seen:
            reader.error(f"{where}name", f"duplicate subscription name {name!r}")
        seen.add(name)
        where = f"subscriptions.{name}."
    reader.unknown(table, SUBSCRIPTION_KEYS, where)
    specs = reader.strings(table, "notify", where)
    if not specs and "notify" not in table:
        reader.error(f"{where}notify", "missing (expected a list of Apprise URLs)")
    channels = tuple(c for i, s in enumerate(specs) if (c := _channel(reader, s, f"{where}notify[{i}]")))
    profiles = reader.strings(table, "profiles", where, ("*",))
    profiles = () if "*" in profiles else profiles
    broken = {Path(e.path).stem for e in getattr(catalog, "errors", [])}  # reported by the profile checks
    for pid in profiles:
        if pid not in catalog.profiles and pid not in broken:
            reader.error(f"{where}profiles", f"{pid!r} is not a profile (known: {', '.join(sorted(catalog.profiles)) or 'none'})")
    criteria = reader.strings(table, "criteria", where, ("*",))
    criteria = () if "*" in criteria else criteria
    plain, qualified = _criteria_ids(catalog, profiles)
    for cid in criteria:
        if "/" in cid and cid.split("/", 1)[0] in broken:
            continue
        if cid not in (qualified if "/" in cid else plain):
            reader.error(f"{where}criteria", f"{cid!r} is not a criterion of "
                                             f"{'these profiles' if profiles else 'any profile'} "
                                             f"(known: {', '.join(sorted(plain)) or 'none'})")
    level = table.get("min_significance", "material")
    if level not in set(Significance):
        reader.error(f"{where}min_significance", f"{level!r}: expected one of: cosmetic, minor, material")
        level = "material"
    anomalies = table.get("anomalies", True)
    if not isinstance(anomalies, bool):
        reader.error(f"{where}anomalies", f"{anomalies!r}: expected true or false")
    heartbeat = table.get("heartbeat", "off")
    if heartbeat not in {*HEARTBEATS, "off"}:
        reader.error(f"{where}heartbeat", f"{heartbeat!r}: expected daily, weekly or off")
    if len(reader.problems) > before or name is None:
        return None
    return Subscription(name, channels, profiles, criteria, Significance(level), anomalies, HEARTBEATS.get(heartbeat))


def _base_url(reader: _Reader, data: dict) -> str:
    value = data.get("base_url", "")
    if not isinstance(value, str):
        reader.error("base_url", f"{value!r}: expected the review page's URL, e.g. https://clausewatch.example.org")
        return ""
    parts = urlsplit(value.strip())
    if value and (parts.scheme not in ("http", "https") or not parts.hostname):
        reader.error("base_url", f"{value!r}: expected an http(s) URL, e.g. https://clausewatch.example.org")
    elif not value and data.get("subscriptions"):
        reader.error("base_url", "missing: alerts link to {base_url}/changes/ID on the review page")
    return value.strip().rstrip("/")


def _delivery(reader: _Reader, data: dict) -> tuple[int, float]:
    table = data.get("delivery", {})
    if not isinstance(table, dict):
        reader.error("delivery", "expected a table [delivery]")
        return 8, 300.0
    reader.unknown(table, DELIVERY_KEYS, "delivery.")
    attempts = table.get("max_attempts", 8)
    if not isinstance(attempts, int) or isinstance(attempts, bool) or not 1 <= attempts <= 100:
        reader.error("delivery.max_attempts", f"{attempts!r}: expected a number of attempts from 1 to 100")
        attempts = 8
    text = table.get("backoff", "5m")
    m = _BACKOFF.match(text) if isinstance(text, str) else None
    if m is None:
        reader.error("delivery.backoff", f"{text!r}: expected a duration such as \"5m\" (s/m/h/d; \"0s\" retries at every run)")
        return attempts, 300.0
    return attempts, float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def read_alerts(path: Path, catalog, environ=None) -> Alerts:
    """Read one alerts file; problems are collected in `Alerts.problems` (validate lists them all)."""
    reader = _Reader(path, os.environ if environ is None else environ)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return Alerts(path, problems=({"file": str(path), "key": "", "problem": f"not valid TOML: {exc}"},))
    reader.unknown(data, TOP_KEYS, "")
    base_url = _base_url(reader, data)
    attempts, backoff = _delivery(reader, data)
    raw = data.get("subscriptions", [])
    if not isinstance(raw, list):
        reader.error("subscriptions", "expected an array of tables [[subscriptions]]")
        raw = []
    seen: set[str] = set()
    subs = tuple(s for i, t in enumerate(raw) if (s := _subscription(reader, t, i, catalog, seen)))
    return Alerts(path, base_url, subs, attempts, backoff, tuple(reader.problems))


def load_alerts(settings, catalog, environ=None) -> Alerts | None:
    """The alerts configuration, or None when there is no alerts file.

    Raises AlertsError (a ConfigError: exit 2) naming the file and key of the first problem, with
    every problem in `.problems`. A file named by CLAUSEWATCH_ALERTS must exist.
    """
    env = os.environ if environ is None else environ
    path = alerts_path(settings, env)
    if not path.is_file():
        if env.get(ENV_VARIABLE):
            raise AlertsError([{"file": str(path), "key": "", "problem": f"alerts file not found (named by {ENV_VARIABLE})"}])
        return None
    alerts = read_alerts(path, catalog, env)
    if alerts.problems:
        raise AlertsError(list(alerts.problems))
    return alerts
