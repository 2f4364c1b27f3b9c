"""The domain exception hierarchy; views, API and commands map it in one place each."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule refused the request; the message is shown to the user."""

    status = 400

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class InvalidInput(DomainError):
    """The data given is wrong (missing, out of range, inconsistent)."""

    status = 400


class NotAllowed(DomainError):
    """The user lacks the right for this step or record."""

    status = 403


class NotFound(DomainError):
    """The record does not exist or is outside the user's scope."""

    status = 404


class Conflict(DomainError):
    """The record is not in a state that allows this (e.g. already paid)."""

    status = 409


def database_refusal(error: Exception) -> DomainError | None:
    """What the user is told when the database refused a write: a clear
    message and a status, never the database's own text (which can carry the
    statement and its values). None when the error is not a refusal of the
    data (a lost connection, a time limit: handled elsewhere)."""
    from flask_babel import lazy_gettext as _l
    from sqlalchemy.exc import DataError, IntegrityError, OperationalError
    from sqlalchemy.orm.exc import StaleDataError

    from app.services.core import db_limits

    if isinstance(error, StaleDataError):
        from app.services.core.records import STALE

        return Conflict(STALE)
    if isinstance(error, IntegrityError):
        return Conflict(
            _l(
                "Not saved: the record conflicts with another one (it was changed "
                "or is referenced meanwhile). Reload it and try again."
            )
        )
    if isinstance(error, DataError):
        return InvalidInput(
            _l(
                "Not saved: a value is outside what the field can hold (too large, "
                "too precise or not allowed). Check the numbers and texts."
            )
        )
    busy = "locked" in str(getattr(error, "orig", error)).lower()
    if isinstance(error, OperationalError) and busy and not db_limits.is_timeout(error):
        # SQLite: another request is writing the same data right now.
        return Conflict(
            _l(
                "Not saved: somebody else is saving the same data right now. "
                "Reload the record and try again."
            )
        )
    return None
