"""Column types and mixins shared by every model."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_appbuilder.models.mixins import FileColumn
from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    event,
    text,
)
from sqlalchemy import Text as _Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


class AwareDateTime(TypeDecorator):
    """Timestamp stored in UTC, returned in business time (Asia/Shanghai).

    A naive value (from a form field a clerk filled in) is business time, so
    what a clerk types, sees and saves again is the same instant.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"datetime expected, got {type(value).__name__}")
        if value.tzinfo is None:
            value = value.replace(tzinfo=BUSINESS_TZ)
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(BUSINESS_TZ)


def aware(value: Any) -> Any:
    """A naive datetime (from a form or an API payload) read as business time."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=BUSINESS_TZ)
    return value


def _aware_on_set(target: Any, value: Any, oldvalue: Any, initiator: Any) -> Any:
    return aware(value)


def make_times_aware(mapper_registry: Any) -> None:
    """Every AwareDateTime attribute turns a naive value into business time as
    soon as it is set, so services never compare naive with aware instants."""
    from sqlalchemy import event

    for mapper in mapper_registry.mappers:
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            if isinstance(getattr(column, "type", None), AwareDateTime):
                attribute = getattr(mapper.class_, prop.key)
                if not event.contains(attribute, "set", _aware_on_set):
                    event.listen(attribute, "set", _aware_on_set, retval=True)


_clock: ContextVar[dt.datetime | None] = ContextVar("clock", default=None)


def now() -> dt.datetime:
    """Current instant, aware, in business time (or the instant set by clock_at)."""
    return _clock.get() or dt.datetime.now(BUSINESS_TZ)


@contextlib.contextmanager
def clock_at(instant: dt.datetime) -> Iterator[dt.datetime]:
    """Run a block as if it were `instant` (demo history, replayed events)."""
    token = _clock.set(aware(instant).astimezone(BUSINESS_TZ))
    try:
        yield instant
    finally:
        _clock.reset(token)


def money(value: Any) -> Decimal:
    """Quantize to CNY cents (ROUND_HALF_UP, the rule used on Chinese vouchers)."""
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class StoredFile(FileColumn):
    """Name of an uploaded file under UPLOAD_FOLDER (FAB renders an upload field)."""

    cache_ok = True


class BoundedText(TypeDecorator):
    """Free text typed by a person, at most `length` characters.

    Stored as TEXT; the length is checked by the forms and the API (FAB and
    marshmallow read `length`) and by a CHECK constraint `<column>_length`
    on both databases (added when the column joins its table).
    """

    impl = _Text
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__()
        self.length = length


@event.listens_for(Column, "after_parent_attach")
def _length_check(column: Column, table: Any) -> None:
    if isinstance(column.type, BoundedText) and hasattr(table, "append_constraint"):
        table.append_constraint(
            CheckConstraint(
                f"length({column.name}) <= {column.type.length}",
                name=f"{column.name}_length",
            )
        )


# Maximum lengths of free text (characters).
NOTE_TEXT = 2000  # notes, comments, outcomes
LONG_TEXT = 4000  # descriptions, findings, solutions, reports
LOG_TEXT = 10000  # a communication-log entry (a step joins several answers)

MONEY = Numeric(14, 2)
UNIT_PRICE = Numeric(14, 4)
WEIGHT = Numeric(12, 3)
VOLUME = Numeric(16, 3)  # kilograms summed over many weigh lines
PERCENT = Numeric(5, 2)


class Stamped:
    """Who created and last changed a row, and when; filled by the session hook."""

    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=now)
    changed_at: Mapped[dt.datetime] = mapped_column(
        AwareDateTime, default=now, onupdate=now
    )
    created_by_id: Mapped[int] = mapped_column(Integer, ForeignKey("ab_user.id"))
    changed_by_id: Mapped[int] = mapped_column(Integer, ForeignKey("ab_user.id"))

    @declared_attr
    def created_by(cls) -> Mapped[Any]:
        return relationship("AppUser", foreign_keys=f"{cls.__name__}.created_by_id")

    @declared_attr
    def changed_by(cls) -> Mapped[Any]:
        return relationship("AppUser", foreign_keys=f"{cls.__name__}.changed_by_id")


class Versioned:
    """Optimistic locking: an update names the version it read.

    SQLAlchemy adds `WHERE version = <read>` to every UPDATE and bumps it, so
    two clerks saving the same record cannot silently overwrite each other;
    edit forms carry the version they showed (see app.ui.base).
    """

    version: Mapped[int] = mapped_column(
        Integer, default=1, server_default="1", nullable=False
    )

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


NEXT_CHECK = text("next_check_at IS NOT NULL")


class DeadlineChecked:
    """A record with deadlines: the next instant the deadline check looks at it.

    Kept by database triggers (set to the earliest risk instant of the open
    clocks whenever a clock, the status or a pause changes, on every path) and
    advanced by the check itself; see app.services.clocks.deadline_check.
    """

    next_check_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)


def next_check_index(table: str) -> Index:
    """The deadline check's only read of an idle table: rows due a look."""
    return Index(
        f"ix_{table}_next_check",
        "next_check_at",
        postgresql_where=NEXT_CHECK,
        sqlite_where=NEXT_CHECK,
    )
