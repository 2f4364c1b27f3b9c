"""Rows into .xlsx sheets (openpyxl): text stays text, instants in business time.

A spreadsheet takes a cell whose text starts with `=`, `+`, `-`, `@`, a tab
or a carriage return for a formula (formula injection: a customer named
`=HYPERLINK(...)` would run in the reader's Excel). Every export writes
through `append`, which types such a value as a text cell and sets the
cell's quote-prefix flag - the file format's own mark for "text, not a
formula", what Excel records when someone types a leading apostrophe - so
the value shows and copies exactly as stored and is not evaluated, even
after the cell is edited. Values are never rewritten.

Works on write-only sheets (streamed, constant memory: openpyxl writes
strings inline) and on ordinary ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from app.models import BUSINESS_TZ

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOLD = Font(bold=True)
FLAG = PatternFill("solid", fgColor="F4CCCC")


def looks_like_formula(value: Any) -> bool:
    """Whether a spreadsheet would read `value` as a formula if typed in."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def plain(value: Any) -> Any:
    """Excel has no time zones: instants are written as business time."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(BUSINESS_TZ).replace(tzinfo=None)
    return value


def _dress(cell: Any, value: Any, font: Font | None, fill: PatternFill | None) -> None:
    if looks_like_formula(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    if font:
        cell.font = font
    if fill:
        cell.fill = fill


def append(
    sheet: Any,
    values: Iterable[Any],
    *,
    font: Font | None = None,
    fill: PatternFill | None = None,
) -> None:
    """Append one row; formula-like text as text, optional font and fill."""
    values = [plain(v) for v in values]
    if isinstance(sheet, WriteOnlyWorksheet):
        if not (font or fill or any(map(looks_like_formula, values))):
            sheet.append(values)  # the common row: plain values, no cell objects
            return
        row = []
        for value in values:
            if not (font or fill or looks_like_formula(value)):
                row.append(value)
                continue
            cell = WriteOnlyCell(sheet, value=value)
            _dress(cell, value, font, fill)
            row.append(cell)
        sheet.append(row)
        return
    sheet.append(values)
    for cell, value in zip(sheet[sheet.max_row], values, strict=False):
        _dress(cell, value, font, fill)
