"""Server-side end of sessions and API tokens: the user's session version.

Every browser session and every JWT (access and refresh) carries the
`session_version` of its user at the moment it was issued. Signing out (screen
or API), deactivation and a password change raise the version, so every
session and token issued before is refused from then on — including a copied
cookie. The check rides on the user row that each request loads anyway, so it
needs no extra store and holds while Redis is down.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, session
from flask_login import user_logged_in
from sqlalchemy import event

from app.models import AppUser

SESSION_KEY = "sv"  # key in the signed session cookie
CLAIM = "sv"  # claim in every JWT


def bump(user: AppUser) -> None:
    """End every session and token of this user (takes effect on commit)."""
    user.session_version = (user.session_version or 0) + 1


def session_is_current(user: AppUser) -> bool:
    """The browser session was issued under the user's current version."""
    return session.get(SESSION_KEY) == (user.session_version or 0)


def token_is_current(user: AppUser, claims: dict[str, Any]) -> bool:
    """The JWT was issued under the user's current version."""
    return claims.get(CLAIM) == (user.session_version or 0)


def remember_in_session(user: AppUser) -> None:
    """Stamp this browser session with the user's current version."""
    session[SESSION_KEY] = user.session_version or 0


def _on_login(_sender: Flask, user: AppUser, **_extra: Any) -> None:
    remember_in_session(user)


@event.listens_for(AppUser.password, "set")
def _password_changed(
    target: AppUser, value: Any, oldvalue: Any, _initiator: Any
) -> None:
    if value != oldvalue:
        bump(target)


@event.listens_for(AppUser.active, "set")
def _deactivated(target: AppUser, value: Any, oldvalue: Any, _initiator: Any) -> None:
    if value is False and oldvalue is not False:
        bump(target)


def install() -> None:
    """Stamp each new browser session at sign-in (any app of this process)."""
    user_logged_in.connect(_on_login)
