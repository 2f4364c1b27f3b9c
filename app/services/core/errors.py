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
