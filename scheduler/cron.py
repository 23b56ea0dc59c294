"""The one crontab parser: profiles, `clausewatch.toml` and the daemon all read schedules here.

Five fields as cron reads them (day-of-week 0 and 7 are Sunday), in the host's local time, parsed
by APScheduler's `CronTrigger.from_crontab`. APScheduler 3 numbers weekdays from Monday = 0, so
numeric day-of-week fields are rewritten to day names (which mean the same in both) first. A
schedule that never fires (`0 6 31 2 *`, February 31st) is refused when it is read.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a crontab is read: `status` with interval schedules needs no APScheduler
    from apscheduler.triggers.cron import CronTrigger

__all__ = ["cron_trigger", "check_crontab", "local_timezone"]

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
MAX_LENGTH = 200


def local_timezone() -> dt.tzinfo:
    return dt.datetime.now().astimezone().tzinfo


def cron_trigger(schedule: str, jitter: float | None = None) -> CronTrigger:
    """An APScheduler trigger for a five-field crontab; ValueError when it is not one."""
    if not isinstance(schedule, str) or len(schedule) > MAX_LENGTH:
        raise ValueError("expected five fields: minute hour day month day-of-week")
    fields = schedule.split()
    if len(fields) != 5:
        raise ValueError(f"expected five fields (minute hour day month day-of-week), got {len(fields)}")
    fields[4] = _cron_weekdays(fields[4])
    from apscheduler.triggers.cron import CronTrigger

    try:
        trigger = CronTrigger.from_crontab(" ".join(fields), timezone=local_timezone())
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise ValueError(str(exc)[:120] or "not a crontab expression") from None
    trigger.jitter = jitter
    return trigger


def check_crontab(schedule: str) -> str:
    """`schedule` stripped when it is a crontab that fires; ValueError saying why not otherwise."""
    trigger = cron_trigger(schedule.strip())
    if trigger.get_next_fire_time(None, dt.datetime.now(local_timezone())) is None:
        raise ValueError("it never fires (no date matches all fields)")
    return schedule.strip()


def _cron_weekdays(text: str) -> str:
    if not any(c.isdigit() for c in text):
        return text  # "*" or names such as "mon-fri"
    days: set[int] = set()
    try:
        for part in text.split(","):
            base, _, step = part.partition("/")
            if base == "*":
                first, last = 0, 6
            elif "-" in base:
                first, last = (int(x) for x in base.split("-", 1))
            else:
                first = last = int(base)
                if step:  # "1/2": from 1 to the end of the week
                    last = 6
            if not (0 <= first <= 7 and 0 <= last <= 7) or (step and not 0 < int(step) <= 7):
                raise ValueError(f"day-of-week {text!r} is out of range 0-7")
            days.update(d % 7 for d in range(first, last + 1, int(step or 1)))
    except ValueError as exc:
        raise ValueError(str(exc) if "range" in str(exc) else f"day-of-week {text[:20]!r} is not valid") from None
    if not days:
        raise ValueError(f"day-of-week {text[:20]!r} names no day")
    return ",".join(_DAY_NAMES[d] for d in sorted(days))
