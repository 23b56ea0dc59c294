"""Which documents are checked when: scheduler jobs derived from the profiles, and when each is due.

A schedule is an interval ("6h", units s/m/h/d) or a five-field crontab ("0 6 * * *", read by
scheduler.cron, the one crontab parser profiles and settings use too, in the
host's local time). A source's own `schedule`/`interval` wins over its profile's, which wins over
`[schedule] default` in clausewatch.toml. When several profiles cite one Document, the most
frequent schedule wins: the one with the shortest period (for a crontab, the smallest gap between
its next fire times). Documents that end up with the same schedule form one job, id
"check:<schedule>", so one child crawl checks them together.

When is a job due? Its documents' last check (`documents.last_fetch_at`) says: an interval job is
due `period` after the oldest last check; a crontab job at its first fire time after the oldest
last check. A due time in the past (the daemon was down, or a document is new) means "now" —
once, however many fire times were missed. This needs no persistent job store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from crawler.profiles import Catalog, check_schedule, parse_interval
from scheduler.cron import cron_trigger, local_timezone  # noqa: F401 - the one crontab parser, re-exported
from snapshots import documents

UTC = dt.timezone.utc
_CRON_SAMPLES = 12  # next fire times compared to find a crontab's shortest gap


@dataclass
class Entry:
    """One scheduler job: a schedule and the documents (by key) that follow it."""

    schedule: str
    documents: dict[str, str] = field(default_factory=dict)  # document key -> a citing PROFILE/SOURCE

    @property
    def id(self) -> str:
        return f"check:{self.schedule}"


def period(schedule: str, now: dt.datetime | None = None) -> float:
    """Seconds between runs: the interval itself, or a crontab's smallest gap between fire times."""
    seconds = parse_interval(schedule)
    if seconds:
        return seconds
    trigger = cron_trigger(schedule)
    t = trigger.get_next_fire_time(None, now or dt.datetime.now(UTC))
    gaps = []
    for _ in range(_CRON_SAMPLES):
        following = trigger.get_next_fire_time(t, t)
        if following is None:
            break
        gaps.append((following - t).total_seconds())
        t = following
    return min(gaps) if gaps else float("inf")


def trigger_for(schedule: str, jitter: float = 0):
    """An APScheduler trigger; jitter is capped at a tenth of the period so a 2s interval stays 2s."""
    from apscheduler.triggers.interval import IntervalTrigger

    jitter = min(jitter, period(schedule) / 10) or None
    seconds = parse_interval(schedule)
    if seconds:
        return IntervalTrigger(seconds=seconds, jitter=jitter, timezone=local_timezone())
    return cron_trigger(schedule, jitter)


def build(catalog: Catalog, default: str) -> list[Entry]:
    """The jobs for a catalog: documents grouped by their most frequent schedule."""
    default = check_schedule(default, "[schedule] default", "clausewatch.toml")
    chosen: dict[str, tuple[float, str, str]] = {}  # document key -> (period, schedule, ref)
    for profile in catalog.profiles.values():
        for src in profile.sources.values():
            schedule = src.schedule or profile.schedule or default
            candidate = (period(schedule), schedule, src.ref)
            if src.key not in chosen or candidate < chosen[src.key]:
                chosen[src.key] = candidate
    entries: dict[str, Entry] = {}
    for key, (_, schedule, ref) in sorted(chosen.items()):
        entries.setdefault(schedule, Entry(schedule)).documents[key] = ref
    return sorted(entries.values(), key=lambda e: (period(e.schedule), e.schedule))


def last_checks(db, keys) -> dict[str, dt.datetime | None]:
    """When each document was last checked (aware UTC), None for never."""
    keys = list(keys)
    with db.session() as s:
        rows = documents.last_fetched(s, keys)
    return {k: rows[k].replace(tzinfo=UTC) if rows.get(k) else None for k in keys}


def first_due(schedule: str, last_check: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """When a document last checked at `last_check` is next due; `now` when that is already past."""
    if last_check is None:
        return now
    seconds = parse_interval(schedule)
    if seconds:
        due = last_check + dt.timedelta(seconds=seconds)
    else:
        due = cron_trigger(schedule).get_next_fire_time(None, last_check)
    return max(due, now)


def due_time(entry: Entry, checks: dict[str, dt.datetime | None], now: dt.datetime) -> dt.datetime:
    """The earliest due time over the entry's documents."""
    return min(first_due(entry.schedule, checks.get(key), now) for key in entry.documents)
