"""Closed vocabularies, used end to end (columns, CLI choices, JSON, the web page).

The models store their values; any module may import this one (it holds no storage code), while
only `snapshots/` imports the models themselves.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from diffing.levels import Significance  # noqa: F401 - one vocabulary, defined in diffing


class Outcome(StrEnum):
    """How one fetch of a document ended (urlwatch's four), plus `pending` while the process stage runs."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    PENDING = "pending"


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class RunKind(StrEnum):
    CHECK = "check"
    REEXTRACT = "reextract"
    PRUNE = "prune"


class VersionKind(StrEnum):
    """Why a version was recorded; a Change carries the kind of its new version (never `first`)."""

    FIRST = "first"
    CHANGE = "change"
    FLIP_BACK = "flip-back"
    REBASELINE = "rebaseline"


class AnomalyKind(StrEnum):
    GONE = "gone"
    MOVED = "moved"
    BLOCKED = "blocked"
    SUSPICIOUS = "suspicious"
    UNREACHABLE = "unreachable"


class ReviewStatus(StrEnum):
    UNREVIEWED = "unreviewed"
    NO_IMPACT = "no-impact"
    PROFILE_UPDATED = "profile-updated"
    FOLLOW_UP = "follow-up"


class Role(StrEnum):
    """What a user of the review page may do: analysts read, editors also record reviews."""

    ANALYST = "analyst"
    EDITOR = "editor"


class FindingKind(StrEnum):
    EVIDENCE = "evidence"
    WATCH = "watch"
    VOCABULARY = "vocabulary"
    STRUCTURE = "structure"
    LINK = "link"


class AlertKind(StrEnum):
    """What an outbox row announces to one subscription."""

    CHANGE = "change"
    ANOMALY_OPENED = "anomaly-opened"
    ANOMALY_CLOSED = "anomaly-closed"


class DigestKind(StrEnum):
    DIGEST = "digest"  # the alerts of one run (and any left over from earlier runs)
    HEARTBEAT = "heartbeat"  # "all clear": nothing to report for a while


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # not sent yet, or failed and waiting for its next attempt
    SENT = "sent"
    FAILED = "failed"  # gave up after the attempt limit; shown by `status` (exit 1)
    DISMISSED = "dismissed"  # a failed delivery someone chose to forget (`alerts --dismiss`)


def utcnow() -> dt.datetime:
    """Naive UTC, as every timestamp column stores it."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
