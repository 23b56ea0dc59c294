"""Closed vocabularies, used end to end (columns, CLI choices, JSON, the web page).

The models store their values; any module may import this one (it holds no storage code), while
only `snapshots/` imports the models themselves.
"""

from __future__ import annotations

from enum import StrEnum

from diffing.significance import Significance  # noqa: F401 - one vocabulary: defined beside the significance rules


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


class FindingKind(StrEnum):
    EVIDENCE = "evidence"
    WATCH = "watch"
    VOCABULARY = "vocabulary"
    STRUCTURE = "structure"
