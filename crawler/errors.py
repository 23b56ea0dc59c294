"""The one error tree of clausewatch. The CLI catches the root and maps each branch to an exit code.

    ClausewatchError                 root; never raised itself
     ├── UserError                   exit 2: the user can fix it; one line naming file and key, no traceback
     │    ├── UsageError             the command line names something that does not exist
     │    ├── ConfigError            clausewatch.toml / CLAUSEWATCH_* / alerts.toml: file, key, what was expected
     │    └── ProfileError           a profile file: file, key, what was expected
     ├── OperationalError            recorded with the document (url, selector, hint); the run goes on
     │    ├── FetchError             the page could not be fetched (timeouts, resets, refusals)
     │    ├── DestinationRefused     the destination policy refused the address
     │    └── ExtractError           the body could not be turned into text (snapshots.extract.errors)
     │         └── NotADocument      binary, image, archive …
     ├── LeaseHeld                   exit 4: another run holds the lease
     ├── LeaseLost                   exit 5: our lease was taken over mid-run; we stopped writing
     ├── RedisUnavailable            exit 7: the Redis of several crawler machines does not answer
     │                               (crawler.distributed; checked before anything is queued)
     └── StorageError                exit 6: the database failed (down, locked, full, read-only, not a
                                     database): one line naming it; the transaction rolled back

Subclasses that belong to one module stay next to the code that raises them and derive from the
branch above, so `except UserError` is always right. Programmer errors are plain Python exceptions
and propagate with their traceback.
"""

from __future__ import annotations


class ClausewatchError(Exception):
    """Root of every error clausewatch raises on purpose."""

    exit_code = 1


class UserError(ClausewatchError):
    """Something the user wrote is wrong; the message names where (file and key) and what was expected."""

    exit_code = 2


class UsageError(UserError):
    """The command line names something that does not exist or makes no sense."""


class ConfigError(UserError):
    """A settings file or variable is wrong; the message names the file/variable and the key."""


class ProfileError(UserError):
    """A profile is invalid; carries the file, the key and the message."""

    def __init__(self, path, key: str, message: str):
        self.path, self.key, self.message = str(path), key, message
        where = f"{self.path}: {key}" if key else self.path
        super().__init__(f"{where}: {message}")

    def __reduce__(self):  # pickled with the catalog (crawler.profiles.load_catalog's cache)
        return type(self), (self.path, self.key, self.message)


class OperationalError(ClausewatchError):
    """Trouble with one document (fetch, extract, destination); recorded with it, the run goes on."""

    exit_code = 3


class FetchError(OperationalError):
    """The page could not be fetched."""


class DestinationRefused(OperationalError):
    """The URL resolves to an address the destination policy does not allow."""


class LeaseHeld(ClausewatchError):
    """Another run holds the lease and it has not expired."""

    exit_code = 4


class LeaseLost(ClausewatchError):
    """The lease was taken over by another run while this one worked; this run stopped writing."""

    exit_code = 5


class StorageError(ClausewatchError):
    """The database failed (unreachable, locked, full, read-only, not a database)."""

    exit_code = 6
