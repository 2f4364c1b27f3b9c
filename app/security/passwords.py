"""The password policy, one rule for every path that sets a password.

At least `PASSWORD_MIN_LENGTH` characters (8 by default), not the username nor
containing it, and not a common or easily guessed password. "Common" is
zxcvbn's maintained frequency list of leaked passwords (30 000 entries) and
its guessability estimate (score below 2 of 4: guessable within about a
million tries), which also catches dictionary words with digits appended.

Screens use it through FAB's password validator (new user, admin reset, own
reset); `SecurityManager.add_user`/`reset_password` check it too, so seeds and
commands cannot set a weak password either.
"""

from __future__ import annotations

from functools import cache

from flask import current_app, has_request_context, request
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import gettext as _
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_SCORE = 2  # zxcvbn: 0 too guessable … 4 very unguessable


class PasswordPolicyError(ValueError):
    """A password that the policy refuses; the message says why."""


@cache
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, username: str | None) -> str | None:
    """Why this password may not be set for this user, or None."""
    minimum = int(current_app.config.get("PASSWORD_MIN_LENGTH", 8))
    password = password or ""
    name = (username or "").strip().lower()
    if len(password) < minimum:
        return _("The password needs at least %(n)d characters.", n=minimum)
    if name and (
        password.lower() == name or (len(name) >= 3 and name in password.lower())
    ):
        return _("The password must not be or contain the username.")
    if password.lower() in _common() or (
        zxcvbn(password[:100], user_inputs=[name] if name else [])["score"] < MIN_SCORE
    ):
        return _("This password is too common or too easy to guess; choose another.")
    return None


def check(password: str, username: str | None) -> None:
    """Raise PasswordPolicyError when the policy refuses the password."""
    problem = password_problem(password, username)
    if problem:
        raise PasswordPolicyError(problem)


def _username_of_form() -> str | None:
    """Whose password a screen is setting: typed, chosen by id, or one's own."""
    from app.models import AppUser
    from app.security.access import current_user

    if not has_request_context():
        return None
    typed = request.form.get("username")
    if typed:
        return typed
    pk = request.args.get("pk")
    if pk and pk.isdigit():
        from app.extensions import db

        user = db.session.get(AppUser, int(pk))
        return user.username if user else None
    user = current_user()
    return user.username if user is not None else None


def form_validator(password: str) -> None:
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: the policy on FAB's password fields."""
    problem = password_problem(password, _username_of_form())
    if problem:
        raise PasswordComplexityValidationError(problem)
