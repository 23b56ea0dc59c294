"""Retention as the scheduler and the CLI ask for it; the archive does it (snapshots.retention)."""

from snapshots.retention import Pruned, prune  # noqa: F401
