"""Who is acting, and may they: the one place that reads the current user."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from flask import current_app, g, has_app_context, has_request_context

SYSTEM_USERNAME = "system"

_actor: ContextVar[Any | None] = ContextVar("actor", default=None)


def current_user() -> Any | None:
    """The user acting now: the request's user, else the one set by `acting_as`."""
    actor = _actor.get()
    if actor is not None:
        return actor
    if has_request_context():
        user = getattr(g, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return user
    return None


@contextlib.contextmanager
def acting_as(user: Any) -> Iterator[Any]:
    """Run a block (job, command, test) on behalf of `user`."""
    token = _actor.set(user)
    try:
        yield user
    finally:
        _actor.reset(token)


def system_user() -> Any:
    """The system actor that jobs and commands write as (never a NULL user)."""
    from app.extensions import db
    from app.models import AppUser

    user = db.session.query(AppUser).filter_by(username=SYSTEM_USERNAME).one_or_none()
    if user is None:
        raise RuntimeError(
            "The system user is missing; "
            "run `flask roles sync` after `flask db upgrade`."
        )
    return user


def actor_or_system() -> Any:
    """The current user, or the system user when nobody is signed in."""
    return current_user() or system_user()


def can(user: Any | None, action: str, resource: str) -> bool:
    """Whether `user` holds permission can_<action> on `resource`."""
    if user is None:
        return False
    if getattr(user, "is_system", False):
        return True
    if not getattr(user, "is_active", False):
        return False
    if not has_app_context():
        return False
    sm = current_app.appbuilder.sm
    return sm._has_view_access(user, f"can_{action}", resource)
