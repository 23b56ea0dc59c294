"""Users of the review page: name, role and password hash (the hash is made by crawler.web.auth)."""

from __future__ import annotations

from sqlalchemy import select

from snapshots.kinds import Role
from snapshots.models import User

__all__ = ["Role", "get_user", "list_users", "remove_user", "save_user"]


def get_user(session, name: str) -> User | None:
    return session.get(User, name)


def list_users(session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def save_user(tx, name: str, role: Role | str, password_hash: str | None) -> User:
    """Create the user, or change the role and password of an existing one."""
    user = tx.session.get(User, name)
    if user is None:
        user = User(name=name)
        tx.session.add(user)
    user.role = str(Role(role))
    user.password_hash = password_hash
    tx.session.flush()
    return user


def remove_user(tx, name: str) -> bool:
    user = tx.session.get(User, name)
    if user is None:
        return False
    tx.session.delete(user)
    return True
