"""Profiles as data: `profiles/<id>.toml`, read with tomllib and checked key by key.

A Profile is the assessment of one tool; its `[sources.<id>]` tables are the Documents it cites
and its `[[criteria]]` the rated claims. A Document is identified by what it fetches (its URL, or
its URLs joined for a document combined from several pages), so every profile citing the same
URL shares one history, and editing `select`/`remove` continues that history (a rebaseline).

Every problem becomes a `ProfileError` naming the file, the key and what was expected; a broken
profile is skipped, the others still load.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from crawler.errors import ProfileError

if TYPE_CHECKING:
    from snapshots.extract import Rules  # imported by `_read_rules`: lxml and the extractor cost ~0.25 s

__all__ = ["ProfileError", "Profile", "Source", "Criterion", "Evidence", "Catalog", "load_catalog", "load_profile",
           "parse_interval", "check_schedule", "check_ignore_pattern", "document_key"]

SOURCE_TYPES = ("privacy-policy", "dpa", "terms", "help-article", "docs", "other")
RATINGS = ("yes", "partial", "no", "unknown")
TYPE_LABELS = {
    "privacy-policy": "Privacy policy",
    "dpa": "DPA",
    "terms": "Terms",
    "help-article": "Help article",
    "docs": "Docs",
    "other": "Document",
}
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")

PROFILE_KEYS = {"name", "provider", "reviewed", "url", "description", "sources", "criteria", "schedule", "interval"}
SOURCE_KEYS = {
    "url", "urls", "type", "select", "remove", "headers", "render", "executeClientScripts", "wait_for",
    "render_timeout", "ignore", "confirm", "renamed_from", "schedule", "interval", "title", "allow_private_networks", "follow_moves",
}
CRITERION_KEYS = {"id", "label", "rating", "sources", "watch", "evidence", "themes", "note"}


MAX_INTERVAL = 366 * 86400.0  # a schedule longer than a year is a typo
MAX_PROFILE_BYTES = 2_000_000
MAX_EXCERPT = 60


def _q(value) -> str:
    """A short excerpt of a user's value for an error message (never the whole of a huge value)."""
    text = repr(value)
    return text if len(text) <= MAX_EXCERPT else text[: MAX_EXCERPT - 1] + "…"


@dataclass(frozen=True)
class Source:
    profile: str
    id: str
    urls: tuple[str, ...]
    type: str
    rules: Rules
    headers: tuple[tuple[str, str], ...] = ()
    render: bool = False
    wait_for: str | None = None
    render_timeout: float = 30.0
    ignore: tuple[str, ...] = ()
    confirm: int = 1
    renamed_from: tuple[str, ...] = ()
    schedule: str | None = None  # crontab or interval text, already validated
    title: str | None = None
    allow_private_networks: bool = False  # this source's own hosts may be loopback/private (crawler.destinations)
    follow_moves: bool | None = None  # None: the setting `follow_moves` decides

    @property
    def key(self) -> str:
        """The Document identity: what is fetched."""
        return document_key(self.urls)

    @property
    def ref(self) -> str:
        return f"{self.profile}/{self.id}"

    @property
    def label(self) -> str:
        return self.title or TYPE_LABELS.get(self.type, "Document")


@dataclass(frozen=True)
class Evidence:
    source: str
    quote: str


@dataclass(frozen=True)
class Criterion:
    id: str
    label: str
    rating: str
    sources: tuple[str, ...]
    watch: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    themes: tuple[str, ...] = ()


@dataclass
class Profile:
    id: str
    path: Path
    name: str
    provider: str
    reviewed: dt.date | None
    sources: dict[str, Source] = field(default_factory=dict)
    criteria: list[Criterion] = field(default_factory=list)
    schedule: str | None = None

    def criteria_citing(self, source_id: str) -> list[Criterion]:
        return [c for c in self.criteria if source_id in c.sources]


def document_key(urls) -> str:
    urls = tuple(urls)
    return urls[0] if len(urls) == 1 else " + ".join(urls)


def parse_interval(text: str) -> float | None:
    """'6h' -> 21600.0 seconds; None when `text` is not an interval."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    m = _INTERVAL.match(text)
    if not m:
        return None
    return float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def check_schedule(text, where: str, path) -> str:
    """Validate `interval = "6h"` or `schedule = "0 6 * * *"` (crontab or interval); `where` ends with the key."""
    interval_only = where.endswith("interval")
    expected = '(expected a number and s/m/h/d, e.g. "6h")' if interval_only else \
        '(expected a crontab like "0 6 * * *" or an interval like "6h")'
    if not isinstance(text, str) or not text.strip():
        raise ProfileError(path, where, f"{_q(text)} is not a schedule {expected}")
    seconds = parse_interval(text)
    if seconds is not None:
        if not 1 <= seconds <= MAX_INTERVAL:
            raise ProfileError(path, where, f"{_q(text)} is out of range (expected from 1s to 366d)")
        return text.strip()
    if interval_only:
        raise ProfileError(path, where, f"{_q(text)} is not an interval {expected}")
    from scheduler.cron import check_crontab

    try:
        return check_crontab(text)
    except ValueError as exc:
        raise ProfileError(path, where, f"{_q(text)} is not a valid crontab expression ({exc})") from None


def check_ignore_pattern(pattern: str) -> str | None:
    """Why `pattern` is not a safe `ignore` regular expression, or None when it is.

    Refused: what `re` cannot compile (huge repetition counts included), and nested repetition
    such as `(a+)+$` or `(\\w*)*`, which can take exponential time on a line that almost matches.
    """
    import re._parser as sre_parse  # the parser `re` itself uses

    if len(pattern) > 1000:
        return "is longer than 1,000 characters"
    try:
        re.compile(pattern)
        tree = sre_parse.parse(pattern)
    except (re.error, OverflowError, RecursionError, ValueError, MemoryError) as exc:
        return f"is not a regular expression ({str(exc)[:80]})"
    if _nested_repeat(tree, inside_repeat=False):
        return "repeats a repetition (like (a+)+), which can take exponential time; write it without the nesting"
    return None


def _nested_repeat(items, inside_repeat: bool) -> bool:
    import re._constants as c

    for op, arg in items:
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, high, sub = arg
            repeats = high is c.MAXREPEAT or high > 1
            if repeats and inside_repeat:
                return True
            if _nested_repeat(sub, inside_repeat or repeats):
                return True
        elif op == c.SUBPATTERN:
            if _nested_repeat(arg[-1], inside_repeat):
                return True
        elif op == c.BRANCH:
            if any(_nested_repeat(branch, inside_repeat) for branch in arg[1]):
                return True
        elif op in (c.ASSERT, c.ASSERT_NOT):
            if _nested_repeat(arg[1], inside_repeat):
                return True
    return False


class _Reader:
    """Collects errors while reading one profile file."""

    def __init__(self, path: Path):
        self.path = path
        self.errors: list[ProfileError] = []

    def error(self, key: str, message: str) -> None:
        self.errors.append(ProfileError(self.path, key, message))

    def unknown(self, table: dict, allowed: set, where: str) -> None:
        for key in table:
            if key not in allowed:
                self.error(f"{where}{key}", f"unknown key (expected one of: {', '.join(sorted(allowed))})")

    def string(self, table: dict, key: str, where: str, required=True, default=None):
        value = table.get(key)
        if value is None:
            if required:
                self.error(f"{where}{key}", "missing (expected a string)")
            return default
        if not isinstance(value, str) or not value.strip():
            self.error(f"{where}{key}", f"{_q(value)} is not a non-empty string")
            return default
        return value.strip()

    def strings(self, table: dict, key: str, where: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.error(f"{where}{key}", f"{_q(value)} is not a string or a list of strings")
            return ()
        return tuple(v.strip() for v in value)


def _check_url(reader: _Reader, url, where: str) -> str | None:
    if not isinstance(url, str):
        reader.error(where, f"{_q(url)} is not a URL string")
        return None
    if len(url) > 2000:
        reader.error(where, f"{_q(url)} is longer than 2,000 characters")
        return None
    try:
        parts = urlsplit(url.strip())
        hostname, port = parts.hostname, parts.port
    except ValueError as exc:
        reader.error(where, f"{_q(url)} is not a valid URL ({exc})")
        return None
    if parts.scheme not in ("http", "https") or not hostname:
        reader.error(where, f"{_q(url)} is not an http(s) URL")
        return None
    if port == 0:
        reader.error(where, f"{_q(url)}: port 0 is not a port (expected 1-65535)")
        return None
    if any(ch.isspace() or ord(ch) < 32 for ch in url.strip()):
        reader.error(where, f"{_q(url)} contains spaces or control characters")
        return None
    return url.strip()


def _read_source(reader: _Reader, profile_id: str, sid: str, table) -> Source | None:
    where = f"sources.{sid}."
    if not isinstance(table, dict):
        reader.error(f"sources.{sid}", "expected a table [sources.ID]")
        return None
    if not _ID.match(sid):
        reader.error(f"sources.{sid}", "source ids use lower-case letters, digits, '.', '_' and '-'")
    if len(sid) > 64:
        reader.error(f"sources.{sid[:40]}…", "source ids are at most 64 characters")
        return None
    reader.unknown(table, SOURCE_KEYS, where)
    before = len(reader.errors)
    raw_urls = table.get("urls")
    if "url" in table and raw_urls is not None:
        reader.error(f"{where}urls", "give either url or urls, not both")
    if raw_urls is None:
        raw_urls = [table["url"]] if "url" in table else None
    if raw_urls is None:
        reader.error(f"{where}url", "missing (expected an http(s) URL)")
        raw_urls = []
    elif not isinstance(raw_urls, list) or not raw_urls:
        reader.error(f"{where}urls", "expected a non-empty list of URLs")
        raw_urls = []
    urls = tuple(u for i, u in enumerate(raw_urls) if _check_url(reader, u, f"{where}url" + (f"s[{i}]" if "urls" in table else "")))
    stype = reader.string(table, "type", where, required=False, default="other")
    if stype not in SOURCE_TYPES:
        reader.error(f"{where}type", f"{_q(stype)} is not a source type (expected one of: {', '.join(SOURCE_TYPES)})")
    rules = _read_rules(reader, table, where)
    headers = table.get("headers", {})
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        reader.error(f"{where}headers", "expected a table of header names to string values")
        headers = {}
    render = table.get("render", table.get("executeClientScripts", False))
    if not isinstance(render, bool):
        reader.error(f"{where}render", f"{_q(render)} is not true or false")
        render = False
    wait_for = reader.string(table, "wait_for", where, required=False)
    render_timeout = table.get("render_timeout", 30)
    if not isinstance(render_timeout, (int, float)) or isinstance(render_timeout, bool) or not 0 < render_timeout <= 600:
        reader.error(f"{where}render_timeout", f"{_q(render_timeout)} is not a number of seconds from 0 to 600")
        render_timeout = 30
    for key in ("wait_for", "render_timeout"):
        if key in table and not render:
            reader.error(f"{where}{key}", "needs render = true (it only applies to pages fetched through the browser)")
    ignore = reader.strings(table, "ignore", where)
    for i, pattern in enumerate(ignore):
        problem = check_ignore_pattern(pattern)
        if problem:
            reader.error(f"{where}ignore[{i}]", f"{_q(pattern)} {problem}")
    allow_private = table.get("allow_private_networks", False)
    if not isinstance(allow_private, bool):
        reader.error(f"{where}allow_private_networks", f"{_q(allow_private)} is not true or false")
        allow_private = False
    follow_moves = table.get("follow_moves")
    if follow_moves is not None and not isinstance(follow_moves, bool):
        reader.error(f"{where}follow_moves", f"{_q(follow_moves)} is not true or false")
        follow_moves = None
    confirm = table.get("confirm", 1)
    if not isinstance(confirm, int) or isinstance(confirm, bool) or not 1 <= confirm <= 10:
        reader.error(f"{where}confirm", f"{_q(confirm)} is not a number of checks from 1 to 10")
        confirm = 1
    schedule = None
    if "schedule" in table and "interval" in table:
        reader.error(f"{where}schedule", "give either schedule or interval, not both")
    for key in ("schedule", "interval"):
        if key in table:
            try:
                schedule = check_schedule(table[key], where + key, reader.path)
            except ProfileError as exc:
                reader.errors.append(exc)
    if len(reader.errors) > before or not urls:
        return None
    return Source(
        profile=profile_id, id=sid, urls=urls, type=stype, rules=rules,
        headers=tuple(sorted(headers.items())), render=render, wait_for=wait_for,
        render_timeout=float(render_timeout), ignore=ignore, confirm=confirm,
        renamed_from=reader.strings(table, "renamed_from", where), schedule=schedule,
        title=reader.string(table, "title", where, required=False), allow_private_networks=allow_private,
        follow_moves=follow_moves,
    )


def _read_rules(reader: _Reader, table: dict, where: str) -> Rules:
    """`select`/`remove` compiled now, so a bad selector is this profile's error, not a crash later."""
    import dataclasses

    from snapshots.extract import Rules

    for key in ("select", "remove"):
        value = table.get(key)
        if value is not None and len(repr(value)) > 20_000:
            reader.error(f"{where}{key}", "is longer than 20,000 characters")
            return Rules()
    try:
        rules = Rules.from_declaration(select=table.get("select"), remove=table.get("remove"))
    except ValueError as exc:
        reader.error(f"{where}select/remove", str(exc)[:200])
        return Rules()
    except RecursionError:
        reader.error(f"{where}select/remove", "a selector is nested too deeply")
        return Rules()
    except Exception as exc:  # noqa: BLE001 - lxml/cssselect raise XPath errors of their own for odd CSS
        reader.error(f"{where}select/remove", f"not a valid CSS selector ({type(exc).__name__}: {str(exc)[:80]})")
        return Rules()
    render = table.get("render", table.get("executeClientScripts", False))
    return dataclasses.replace(rules, rendered=True) if render is True else rules


def _read_criteria(reader: _Reader, raw, source_ids: set[str]) -> list[Criterion]:
    if not isinstance(raw, list):
        reader.error("criteria", "expected an array of tables [[criteria]]")
        return []
    out, seen = [], set()
    for i, table in enumerate(raw):
        where = f"criteria[{i}]."
        if not isinstance(table, dict):
            reader.error(f"criteria[{i}]", "expected a table")
            continue
        reader.unknown(table, CRITERION_KEYS, where)
        cid = reader.string(table, "id", where)
        if cid is not None:
            where = f"criteria.{cid}."
            if cid in seen:
                reader.error(f"criteria.{cid}", "duplicate criterion id")
            seen.add(cid)
        label = reader.string(table, "label", where)
        rating = reader.string(table, "rating", where, required=False, default="unknown")
        if rating not in RATINGS:
            reader.error(f"{where}rating", f"{_q(rating)} is not a rating (expected one of: {', '.join(RATINGS)})")
        sources = reader.strings(table, "sources", where)
        if not sources:
            reader.error(f"{where}sources", "missing (expected a list of source ids)")
        for sid in sources:
            if sid not in source_ids:
                reader.error(f"{where}sources", f"{_q(sid)} is not a source of this profile (expected one of: {', '.join(sorted(source_ids)) or 'none'})")
        evidence = []
        raw_ev = table.get("evidence", [])
        if not isinstance(raw_ev, list):
            reader.error(f"{where}evidence", "expected a list of { source = …, quote = … }")
            raw_ev = []
        for j, ev in enumerate(raw_ev):
            ew = f"{where}evidence[{j}]"
            if not isinstance(ev, dict) or set(ev) - {"source", "quote"}:
                reader.error(ew, "expected { source = \"ID\", quote = \"…\" }")
                continue
            src, quote = ev.get("source"), ev.get("quote")
            if src not in source_ids:
                reader.error(f"{ew}.source", f"{_q(src)} is not a source of this profile")
            elif src not in sources:
                reader.error(f"{ew}.source", f"{_q(src)} is not among this criterion's sources")
            if not isinstance(quote, str) or len(quote.split()) < 3:
                reader.error(f"{ew}.quote", "expected a quote of at least three words")
                continue
            evidence.append(Evidence(src, " ".join(quote.split())))
        if cid and label:
            out.append(Criterion(cid, label, rating, sources, reader.strings(table, "watch", where),
                                 tuple(evidence), reader.strings(table, "themes", where)))
    return out


def load_profile(path: Path) -> tuple[Profile | None, list[ProfileError]]:
    reader = _Reader(path)
    pid = path.stem
    if not _ID.match(pid):
        reader.error("", "profile file names use lower-case letters, digits, '.', '_' and '-' (e.g. mistral-api.toml)")
    data, problem = read_toml(path)
    if problem:
        return None, [ProfileError(path, "", problem)]
    reader.unknown(data, PROFILE_KEYS, "")
    name = reader.string(data, "name", "")
    provider = reader.string(data, "provider", "", required=False, default="")
    reviewed = data.get("reviewed")
    if reviewed is not None and not isinstance(reviewed, dt.date):
        reader.error("reviewed", f"{_q(reviewed)} is not a date (expected e.g. reviewed = 2026-11-20, unquoted)")
        reviewed = None
    schedule = None
    for key in ("schedule", "interval"):
        if key in data:
            try:
                schedule = check_schedule(data[key], key, path)
            except ProfileError as exc:
                reader.errors.append(exc)
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, dict) or not raw_sources:
        reader.error("sources", "missing (expected at least one [sources.ID] table)")
        raw_sources = {}
    sources = {}
    for sid, table in raw_sources.items():
        src = _read_source(reader, pid, sid, table)
        if src:
            sources[sid] = src
    renames = {old: s.id for s in sources.values() for old in s.renamed_from}
    for old, new in renames.items():
        if old in raw_sources:
            reader.error(f"sources.{new}.renamed_from", f"{_q(old)} is still a source of this profile")
    criteria = _read_criteria(reader, data.get("criteria", []), set(raw_sources))
    if reader.errors:
        return None, reader.errors
    return Profile(pid, path, name, provider, reviewed, sources, criteria, schedule), []


def read_toml(path: Path, max_bytes: int = MAX_PROFILE_BYTES) -> tuple[dict | None, str | None]:
    """(data, None), or (None, why the file cannot be read as TOML). A UTF-8 byte-order mark is accepted."""
    try:
        if not path.is_file():
            return None, "not a file (a directory or a dangling link)" if path.exists() or path.is_symlink() \
                else "file not found"
        if path.stat().st_size > max_bytes:
            return None, f"larger than {max_bytes:,} bytes"
        raw = path.read_bytes()
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror or exc})"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, "not UTF-8 text"
    try:
        return tomllib.loads(text), None
    except tomllib.TOMLDecodeError as exc:
        return None, f"not valid TOML: {str(exc)[:120]}"
    except (RecursionError, MemoryError):
        return None, "not valid TOML: tables or arrays nested too deeply"


@dataclass
class Catalog:
    """Every profile in a folder, the errors of the broken ones, and the documents they cite."""

    profiles: dict[str, Profile]
    errors: list[ProfileError]

    def sources(self, profile_ids=(), source_refs=()) -> list[Source]:
        out = []
        for profile in self.profiles.values():
            for src in profile.sources.values():
                if (not profile_ids and not source_refs) or profile.id in profile_ids or src.ref in source_refs:
                    out.append(src)
        return out

    def citations(self, key: str) -> list[Source]:
        """The sources citing a document, in profile order (the first one's rules apply)."""
        return self._by_key.get(key, [])

    @cached_property
    def _by_key(self) -> dict[str, list[Source]]:
        index: dict[str, list[Source]] = {}
        for src in self.sources():
            index.setdefault(src.key, []).append(src)
        return index

    def find_source(self, ref: str) -> Source:
        pid, _, sid = ref.partition("/")
        profile = self.profiles.get(pid)
        if profile is None:
            raise KeyError(f"no profile {_q(pid)} (known: {', '.join(sorted(self.profiles)) or 'none'})")
        if sid not in profile.sources:
            for src in profile.sources.values():
                if sid in src.renamed_from:
                    return src
            raise KeyError(f"profile {_q(pid)} has no source {_q(sid)} (known: {', '.join(sorted(profile.sources))})")
        return profile.sources[sid]

    def conflicts(self) -> list[str]:
        """Documents cited by several profiles with different extraction rules (the first wins)."""
        seen: dict[str, Source] = {}
        out = []
        for src in self.sources():
            first = seen.setdefault(src.key, src)
            if first is not src and (first.rules, first.render, first.headers) != (src.rules, src.render, src.headers):
                out.append(f"{src.ref} and {first.ref} cite {src.key} with different select/remove/render/headers; {first.ref}'s are used")
        return out


def catalog_cache(settings) -> Path:
    """Where `load_catalog` keeps the parsed catalog of a data directory (crawler.config.Settings.home)."""
    return Path(settings.home) / "catalog.cache"


def load_catalog(folder: Path, cache: Path | None = None) -> Catalog:
    """Every profile in `folder`. With `cache` (a file in the data directory), a catalog parsed before
    from the same files by the same code and libraries is read from there: 100 profiles citing 2,000
    documents parse in ~0.5 s here and load in ~30 ms (plus importing the extractor their rules need,
    which a check needs anyway: 0.14 s in all). Any problem with the cache means parsing."""
    folder = Path(folder)
    if not folder.is_dir():
        return Catalog({}, [ProfileError(folder, "", "profiles folder not found (set --profiles or CLAUSEWATCH_PROFILES)")])
    if cache is None:
        return _parse_catalog(folder)
    try:
        key = _cache_key(folder)
    except OSError:  # the reading code is not where it was (an unusual install): no cache
        return _parse_catalog(folder)
    catalog = _read_cached(cache, key)
    if catalog is None:
        catalog = _parse_catalog(folder)
        _write_cached(cache, key, catalog)
    return catalog


# what a cached catalog may be made of: the classes these modules define, dates and paths; anything
# else in the file is refused (and the profiles parsed)
_CACHED_MODULES = ("crawler.profiles", "crawler.errors", "snapshots.extract.rules")
_CACHED_CLASSES = {("datetime", n) for n in ("date", "datetime", "time", "timedelta", "timezone")} | {
    (m, n) for m in ("pathlib", "pathlib._local") for n in ("PosixPath", "WindowsPath")}
_CODE = ("crawler/profiles.py", "crawler/errors.py", "snapshots/extract/rules.py", "scheduler/cron.py")


def _cache_key(folder: Path) -> bytes:
    """sha256 over the folder, its profile files (names and bytes), the code that reads them and
    the installed libraries (the mtime of site-packages changes with every install)."""
    import hashlib
    import sys
    import sysconfig

    from snapshots.documents import files_fingerprint

    root = Path(__file__).resolve().parents[1]
    # the folder as given too: the profiles' paths (in error messages) are spelled from it
    digest = hashlib.sha256(f"{folder}\0{folder.resolve()}\0{files_fingerprint(folder)}\0{sys.version}".encode())
    for name in _CODE:
        digest.update((root / name).read_bytes())
    for lib in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}:
        try:
            digest.update(str(os.stat(lib).st_mtime_ns).encode())
        except OSError:
            pass
    return digest.digest()


def _read_cached(cache: Path, key: bytes) -> Catalog | None:
    import pickle

    class Restricted(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) in _CACHED_CLASSES:
                return super().find_class(module, name)
            found = super().find_class(module, name) if module in _CACHED_MODULES else None
            if not (isinstance(found, type) and found.__module__ == module):
                raise pickle.UnpicklingError(f"{module}.{name} is not part of a catalog")
            return found

    try:
        with open(cache, "rb") as f:
            if f.read(len(key)) != key:
                return None
            catalog = Restricted(f).load()
    except Exception:  # noqa: BLE001 - unreadable, truncated or foreign: parse the profiles instead
        return None
    return catalog if isinstance(catalog, Catalog) else None


def _write_cached(cache: Path, key: bytes, catalog: Catalog) -> None:
    """Write atomically (a reader sees the old file or the new one) into an existing data directory
    (`validate` before any check creates none); a read-only one only means parsing every time."""
    import pickle
    import tempfile

    try:
        with tempfile.NamedTemporaryFile("wb", dir=cache.parent, prefix=cache.name, delete=False) as f:
            f.write(key)
            pickle.dump(Catalog(catalog.profiles, catalog.errors), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(f.name, cache)
    except Exception:  # noqa: BLE001 - a cache that cannot be written never fails the command
        try:
            os.unlink(f.name)
        except (NameError, OSError):
            pass


def _parse_catalog(folder: Path) -> Catalog:
    profiles, errors = {}, []
    for path in sorted(folder.glob("*.toml")):
        try:
            profile, errs = load_profile(path)
        except RecursionError:
            profile, errs = None, [ProfileError(path, "", "nested too deeply to read")]
        errors.extend(errs)
        if profile:
            profiles[profile.id] = profile
    return Catalog(profiles, errors)
