"""The run lease, as the scheduler and the CLI ask for it; the archive keeps it (snapshots.leases)."""

from snapshots.leases import (RUN_LEASE, Heartbeat, LeaseError, LeaseHeld, LeaseRow, Taken, acquire,  # noqa: F401
                              current, held, hold, holder_is_dead, holder_text, release, release_dead, renew)
