"""SQL expressions written once and compiled to PostgreSQL's and SQLite's own spelling.

Set-based jobs compute instants, numbers and audit rows inside one statement.
Instants are stored in UTC (PostgreSQL `timestamptz`; on SQLite the text
`YYYY-MM-DD HH:MM:SS.ffffff` that `AwareDateTime` writes), so each construct
here reads and writes exactly what the ORM would:

- `business_date(instant)`: the date in business time (Asia/Shanghai);
- `business_local_ms(instant)`: naive business time to the millisecond;
- `epoch_us(instant)` / `add_us(instant, us)`: integer microseconds;
- `share_of_span(start, end, fraction)`: start + (end - start) x fraction,
  rounded half-even to the microsecond (start itself when end <= start);
- `iso_instant(instant)`: text equal to Python's `isoformat()` in business time;
- `zero_padded(n, width)`: like `f"{n:0{width}d}"`;
- `insert_changes([(column, value), ...])`: the audit trail's JSON of an
  insert, as `json.dumps` writes it (`json_value`: one value's JSON text);
- `rows(name, columns, data)`: a small table of literal rows (VALUES).

SQLite has no time zones: it uses the business zone's offset, which for
Asia/Shanghai has been +08:00 since 1991.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Integer,
    Numeric,
    String,
    Text,
    bindparam,
    case,
    literal,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ClauseElement, ColumnElement, column
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import Subquery
from sqlalchemy.types import TypeEngine

from app.models import BUSINESS_TZ
from app.models.base import AwareDateTime


def _offset() -> dt.timedelta:
    return dt.datetime(2026, 1, 1, tzinfo=BUSINESS_TZ).utcoffset() or dt.timedelta(0)


def _offset_hours() -> str:
    return f"{_offset().total_seconds() / 3600:+g} hours"


def _offset_text() -> str:
    minutes = int(_offset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _args(element: FunctionElement, compiler: Any, **kw: Any) -> list[str]:
    return [compiler.process(c, **kw) for c in element.clauses]


class business_date(FunctionElement):
    """The calendar date of an instant in business time."""

    type = Date()
    inherit_cache = True


@compiles(business_date, "postgresql")
def _business_date_pg(element: business_date, compiler: Any, **kw: Any) -> str:
    (instant,) = _args(element, compiler, **kw)
    return f"CAST(timezone('{BUSINESS_TZ.key}', {instant}) AS DATE)"


@compiles(business_date, "sqlite")
def _business_date_sqlite(element: business_date, compiler: Any, **kw: Any) -> str:
    (instant,) = _args(element, compiler, **kw)
    return f"date({instant}, '{_offset_hours()}')"


class business_local_ms(FunctionElement):
    """An instant as naive business time to the millisecond (what a
    spreadsheet keeps), read as a naive datetime; PostgreSQL truncates the
    microseconds, SQLite rounds them."""

    type = DateTime()
    inherit_cache = True


@compiles(business_local_ms, "postgresql")
def _business_local_ms_pg(element: business_local_ms, compiler: Any, **kw: Any) -> str:
    (instant,) = _args(element, compiler, **kw)
    return f"date_trunc('milliseconds', timezone('{BUSINESS_TZ.key}', {instant}))"


@compiles(business_local_ms, "sqlite")
def _business_local_ms_sqlite(
    element: business_local_ms, compiler: Any, **kw: Any
) -> str:
    (instant,) = _args(element, compiler, **kw)
    return f"strftime('%Y-%m-%d %H:%M:%f', {instant}, '{_offset_hours()}')"


class epoch_us(FunctionElement):
    """Microseconds since 1970-01-01 UTC, as an integer."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_us, "postgresql")
def _epoch_us_pg(element: epoch_us, compiler: Any, **kw: Any) -> str:
    (instant,) = _args(element, compiler, **kw)
    return f"CAST(EXTRACT(EPOCH FROM {instant}) * 1000000 AS BIGINT)"


@compiles(epoch_us, "sqlite")
def _epoch_us_sqlite(element: epoch_us, compiler: Any, **kw: Any) -> str:
    (instant,) = _args(element, compiler, **kw)
    return (
        f"(CAST(strftime('%s', {instant}) AS INTEGER) * 1000000"
        f" + CAST(substr({instant}, 21, 6) AS INTEGER))"
    )


class add_us(FunctionElement):
    """An instant moved by an integer number of microseconds."""

    type = AwareDateTime()
    inherit_cache = True


@compiles(add_us, "postgresql")
def _add_us_pg(element: add_us, compiler: Any, **kw: Any) -> str:
    instant, micros = _args(element, compiler, **kw)
    return f"({instant} + ({micros}) * INTERVAL '1 microsecond')"


@compiles(add_us, "sqlite")
def _add_us_sqlite(element: add_us, compiler: Any, **kw: Any) -> str:
    instant, micros = element.clauses
    total = compiler.process(epoch_us(instant) + micros, **kw)
    return (
        f"(strftime('%Y-%m-%d %H:%M:%S', ({total}) / 1000000, 'unixepoch')"
        f" || '.' || substr('000000' || (({total}) % 1000000), -6))"
    )


def share_of_span(start: Any, end: Any, fraction: Fraction) -> ColumnElement[Any]:
    """start + (end - start) x fraction, half-even to the microsecond (SQL)."""
    span = epoch_us(end) - epoch_us(start)
    product = span * fraction.numerator
    whole = product // fraction.denominator
    rest = product % fraction.denominator
    up = case(
        (rest * 2 > fraction.denominator, 1),
        ((rest * 2 == fraction.denominator) & (whole % 2 == 1), 1),
        else_=0,
    )
    return case((span > 0, add_us(start, whole + up)), else_=start)


class iso_instant(FunctionElement):
    """Text of an instant as `datetime.isoformat()` writes it in business time."""

    type = Text()
    inherit_cache = True


@compiles(iso_instant, "postgresql")
def _iso_instant_pg(element: iso_instant, compiler: Any, **kw: Any) -> str:
    (instant,) = _args(element, compiler, **kw)
    local = f"timezone('{BUSINESS_TZ.key}', {instant})"
    # Python leaves out the fraction when it is zero.
    return (
        f"(replace(to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '')"
        f" || '{_offset_text()}')"
    )


@compiles(iso_instant, "sqlite")
def _iso_instant_sqlite(element: iso_instant, compiler: Any, **kw: Any) -> str:
    (instant,) = _args(element, compiler, **kw)
    return (
        f"(strftime('%Y-%m-%dT%H:%M:%S', {instant}, '{_offset_hours()}')"
        f" || CASE WHEN CAST(substr({instant}, 21, 6) AS INTEGER) <> 0"
        f" THEN '.' || substr({instant}, 21, 6) ELSE '' END"
        f" || '{_offset_text()}')"
    )


class zero_padded(FunctionElement):
    """Decimal text of a non-negative integer with at least `width` digits."""

    type = String()
    inherit_cache = True

    def __init__(self, number: Any, width: int) -> None:
        self.width = width
        super().__init__(number)


@compiles(zero_padded, "postgresql")
def _zero_padded_pg(element: zero_padded, compiler: Any, **kw: Any) -> str:
    (number,) = _args(element, compiler, **kw)
    width = int(element.width)
    return (
        f"(CASE WHEN ({number}) < {10**width} "
        f"THEN lpad(CAST(({number}) AS TEXT), {width}, '0') "
        f"ELSE CAST(({number}) AS TEXT) END)"
    )


@compiles(zero_padded, "sqlite")
def _zero_padded_sqlite(element: zero_padded, compiler: Any, **kw: Any) -> str:
    (number,) = _args(element, compiler, **kw)
    return f"printf('%0{int(element.width)}d', {number})"


class json_value(FunctionElement):
    """JSON text of a value, from its SQL type: number, string or instant."""

    type = Text()
    inherit_cache = True


def _json_value(element: json_value, compiler: Any, quote: str, **kw: Any) -> str:
    (clause,) = element.clauses
    value = compiler.process(clause, **kw)
    if isinstance(clause.type, AwareDateTime):
        return f"""('"' || {compiler.process(iso_instant(clause), **kw)} || '"')"""
    if isinstance(clause.type, Integer | Numeric):
        return f"CAST({value} AS TEXT)"
    return quote.format(value)


@compiles(json_value, "postgresql")
def _json_value_pg(element: json_value, compiler: Any, **kw: Any) -> str:
    return _json_value(
        element, compiler, "CAST(to_json(CAST({} AS TEXT)) AS TEXT)", **kw
    )


@compiles(json_value, "sqlite")
def _json_value_sqlite(element: json_value, compiler: Any, **kw: Any) -> str:
    return _json_value(element, compiler, "json_quote({})", **kw)


def insert_changes(
    values: Sequence[tuple[str, Any]], nullable: Sequence[str] = ()
) -> ColumnElement[Any]:
    """The audit trail's JSON of an insert, as `json.dumps` writes it:
    `{"column": [null, value], ...}` in the given order, without the columns
    of `nullable` that are NULL. Built by concatenation (cheap per row); keys
    are column names, values JSON-encoded by the database. A value that is
    not a SQL expression (int, str, aware datetime: the same for every row)
    is encoded once here, and runs of them are one literal.
    """
    (first, _), *_ = values
    if first in nullable:
        raise ValueError("the first value must not be nullable")
    parts: list[Any] = []
    for index, (key, value) in enumerate(values):
        opening = ("{" if index == 0 else ", ") + f'"{key}": [null, '
        if not isinstance(value, ClauseElement):
            constant = opening + _json_constant(value) + "]"
            if parts and isinstance(parts[-1], str):
                parts[-1] += constant
            else:
                parts.append(constant)
            continue
        pair = literal(opening) + json_value(value) + literal("]")
        parts.append(
            case((value.is_(None), literal("")), else_=pair)
            if key in nullable
            else pair
        )
    parts.append("}")
    text_ = None
    for part in parts:
        piece = literal(part) if isinstance(part, str) else part
        text_ = piece if text_ is None else text_ + piece
    return text_


def _json_constant(value: Any) -> str:
    """JSON text of a constant, as `json_value` writes it in SQL."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("an instant must be aware")
        return json.dumps(value.astimezone(BUSINESS_TZ).isoformat())
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"not a constant of the audit trail: {value!r}")
    return json.dumps(value)


def rows(
    name: str,
    columns: Sequence[tuple[str, TypeEngine[Any]]],
    data: Sequence[Sequence[Any]],
) -> Subquery:
    """A table of literal rows (`VALUES`), typed like the given columns.

    `data` must not be empty. Both dialects name VALUES columns column1, ...
    """
    if not data:
        raise ValueError("rows() needs at least one row")
    params = []
    tuples = []
    for i, row in enumerate(data):
        names = []
        for j, ((_, type_), value) in enumerate(zip(columns, row, strict=True)):
            key = f"{name}_{i}_{j}"
            params.append(bindparam(key, value, type_=type_))
            names.append(f":{key}")
        tuples.append(f"({', '.join(names)})")
    select_list = ", ".join(
        f"column{j + 1} AS {label}" for j, (label, _) in enumerate(columns)
    )
    statement = (
        text(f"SELECT {select_list} FROM (VALUES {', '.join(tuples)}) AS v")  # noqa: S608 - only generated parameter names
        .bindparams(*params)
        .columns(*[column(label, type_) for label, type_ in columns])
    )
    return statement.subquery(name)
