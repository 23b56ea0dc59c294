"""Who is asking, and may they: passwords, sessions, roles, CSRF tokens, login throttling.

- Passwords are hashed with Argon2id (argon2-cffi's defaults); `clausewatch user add` stores them.
- A sign-in lives in Starlette's signed session cookie (itsdangerous), which expires after
  `web_session_max_age` seconds; the user's role is read from the users table on every request, so
  removing a user ends their sessions.
- With `web_user_header` set (e.g. ``X-Forwarded-User``) a reverse proxy that authenticates people
  names the user; only set it when nothing but that proxy can reach the server. A name the users
  table does not know reads as an analyst.
- Every form carries the session's CSRF token; a POST without the right one is refused (403).
- Failed sign-ins are counted per client address and per user name; after `MAX_FAILURES` within
  `WINDOW` seconds further attempts are refused (429) until the window has passed.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from snapshots.users import Role, get_user

_hasher = PasswordHasher()
# verifying against this keeps the time of a sign-in with an unknown name like that of a known one
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))

CSRF_FIELD = "csrf_token"
MAX_FAILURES = 5
WINDOW = 300.0


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class CurrentUser:
    name: str
    role: Role

    @property
    def may_review(self) -> bool:
        return self.role == Role.EDITOR


def authenticate(session, name: str, password: str) -> CurrentUser | None:
    user = get_user(session, name)
    if not verify_password(user.password_hash if user else None, password):
        return None
    return CurrentUser(user.name, Role(user.role))


def current_user(request, session) -> CurrentUser | None:
    """The signed-in user (or the one the trusted proxy header names), or None."""
    header = request.app.state.settings.web_user_header
    name = request.headers.get(header) if header else None
    from_proxy = bool(name)
    if not name:
        name = request.session.get("user")
    if not name:
        return None
    user = get_user(session, name)
    if user is None:
        return CurrentUser(name, Role.ANALYST) if from_proxy else None
    return CurrentUser(user.name, Role(user.role))


def basic_credentials(request) -> tuple[str, str] | None:
    """(name, password) from an `Authorization: Basic` header (feed readers), or None."""
    import base64
    import binascii

    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        name, sep, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (name, password) if sep else None


def csrf_token(request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(request, form) -> bool:
    sent, expected = form.get(CSRF_FIELD), request.session.get("csrf")
    return bool(sent and expected) and hmac.compare_digest(str(sent), str(expected))


def sign_in(request, user: CurrentUser) -> None:
    """A fresh session (and CSRF token) for the user: nothing carries over from before sign-in."""
    request.session.clear()
    request.session["user"] = user.name
    request.session["csrf"] = secrets.token_urlsafe(32)


class LoginThrottle:
    """Counts failed sign-ins per key (client address, user name) in a sliding window."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW, clock=time.monotonic):
        self.max_failures, self.window, self.clock = max_failures, window, clock
        self._failures: dict[str, deque] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque:
        now = self.clock()
        q = self._failures.setdefault(key, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def retry_after(self, *keys: str) -> int:
        """Seconds until another attempt is allowed for these keys; 0 when allowed now."""
        with self._lock:
            waits = [self.window - (self.clock() - q[0]) for q in map(self._recent, keys)
                     if len(q) >= self.max_failures]
        return int(max(waits) + 1) if waits else 0

    def failed(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._recent(key).append(self.clock())

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
