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
exports (the complaint register): the sheet's XML is deflated into the
archive as the rows come, so memory stays flat whatever the number of rows.
The spreadsheet libraries measured for it on 100 000 register rows of 29
cells each fell short: XlsxWriter's constant-memory mode took about 37 s of
CPU and openpyxl's write-only mode more (the export must take <= 15 s);
rust_xlsxwriter (through the rvgsrust-xlsxwriter binding) was fast but
assembled the finished archive in memory, +10 MB per 100 000 rows. The
streamed sheet writes only what the register holds - text, numbers,
instants, dates, a bold header, column widths - and is read back with
openpyxl in the tests.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter
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
    """A sheet of a `StreamedBook`: rows are appended, never revisited.

    Column widths are set before the first row. Rows go to the archive as
    they come (a few hundred at a time), so nothing of the sheet stays in
    memory once written.
    """

    def __init__(self, book: StreamedBook, number: int, title: str) -> None:
        self.book = book
        self.number = number
        self.title = title
        self.widths: dict[int, float] = {}
        self.rows = 0
        self._stream: Any = None

    def width(self, letter: str, width: float) -> None:
        """Width of a column (by its letter, in characters), before the rows."""
        if self._stream is not None:
            raise ValueError("column widths come before the first row")
        self.widths[column_index_from_string(letter)] = width

    def append(self, values: list[Any], bold: bool) -> None:
        self._write([values], bold)

    def append_plain_rows(self, rows: Iterable[list[Any]]) -> None:
        """Rows of plain values (see `append_rows`), written in one go."""
        self._write(rows, False)

    def _write(self, rows: Iterable[list[Any]], bold: bool) -> None:
        if self._stream is None:
            self._begin()
        elif self._stream.closed:
            raise ValueError("this sheet is finished: the next one was created")
        first = self.rows + 1
        chunk = [_row_xml(first + i, values, bold) for i, values in enumerate(rows)]
        self.rows += len(chunk)
        self._stream.write("".join(chunk).encode())

    def _begin(self) -> None:
        self._stream = self.book.zip.open(
            f"xl/worksheets/sheet{self.number}.xml", "w", force_zip64=True
        )
        cols = "".join(
            f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>'
            for c, w in sorted(self.widths.items())
        )
        self._stream.write(
            (
                XML_HEAD
                + f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
                + (f"<cols>{cols}</cols>" if cols else "")
                + "<sheetData>"
            ).encode()
        )

    def finish(self) -> None:
        """Close the sheet's part of the archive (no more rows)."""
        if self._stream is None:
            self._begin()
        elif self._stream.closed:
            return
        self._stream.write(b"</sheetData></worksheet>")
        self._stream.close()


class StreamedBook:
    """A workbook written to a file in `folder` as rows are appended, for the
    large exports (the complaint register); `save(path)` finishes it there.

    Each sheet's XML is deflated into the archive as its rows arrive
    (`zipfile`, ZIP64), so memory stays flat whatever the number of rows:
    a row costs its own text and no more. Sheets are written one after the
    other: creating a sheet finishes the one before.

    Text is written as text (an inline string: never a formula, a number or
    a link) and formula-like text also carries the quote prefix; control
    characters use the format's `_xHHHH_` escape; instants are dates
    (yyyy-mm-dd hh:mm:ss, to the millisecond), dates yyyy-mm-dd, decimals
    and numbers numbers. The workbook parts besides the sheets are fixed.
    """

    def __init__(self, folder: Path) -> None:
        handle, name = tempfile.mkstemp(prefix=".part-", suffix=".xlsx", dir=folder)
        os.close(handle)
        self.path = Path(name)
        self.zip = zipfile.ZipFile(
            self.path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESSION
        )
        self.sheets: list[StreamedSheet] = []

    def create_sheet(self, title: str) -> StreamedSheet:
        if self.sheets:
            self.sheets[-1].finish()
        base = title = _sheet_title(title)
        taken = {sheet.title.casefold() for sheet in self.sheets}
        number = 1
        while title.casefold() in taken:  # Excel refuses a name twice
            number += 1
            suffix = f" ({number})"
            title = base[: 31 - len(suffix)] + suffix
        sheet = StreamedSheet(self, len(self.sheets) + 1, title)
        self.sheets.append(sheet)
        return sheet

    def save(self, path: Path) -> None:
        if not self.sheets:
            self.create_sheet("Sheet1")
        self.sheets[-1].finish()
        for name, text in _book_parts([sheet.title for sheet in self.sheets]):
            self.zip.writestr(name, text)
        self.zip.close()
        os.replace(self.path, path)

    def discard(self) -> None:
        """Drop an unfinished file (the export failed)."""
        for sheet in self.sheets:
            if sheet._stream is not None and not sheet._stream.closed:
                with contextlib.suppress(Exception):
                    sheet._stream.close()
        with contextlib.suppress(Exception):
            self.zip.close()
        self.path.unlink(missing_ok=True)


# Deflate level of the streamed sheets: the XML of inline strings is
# repetitive, level 1 keeps most of the gain at a third of level 6's time.
COMPRESSION = 1
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# Cell styles (cellXfs, in `_STYLES` order): plain, bold, quoted, bold and
# quoted, instant, date.
_PLAIN, _BOLD, _QUOTED, _BOLD_QUOTED, _INSTANT, _DATE = range(6)


def _xf(number_format: int = 0, font: int = 0, extra: str = "") -> str:
    return (
        f'<xf numFmtId="{number_format}" fontId="{font}" fillId="0" borderId="0"'
        f' xfId="0"{extra}/>'
    )


_STYLES = "".join(
    (
        f'<styleSheet xmlns="{MAIN_NS}"><numFmts count="2">',
        '<numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/>',
        '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>',
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>',
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>',
        '<fills count="2"><fill><patternFill patternType="none"/></fill>',
        '<fill><patternFill patternType="gray125"/></fill></fills>',
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/>',
        '</border></borders><cellStyleXfs count="1">',
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>',
        '<cellXfs count="6">',
        _xf(),
        _xf(font=1, extra=' applyFont="1"'),
        _xf(extra=' quotePrefix="1"'),
        _xf(font=1, extra=' applyFont="1" quotePrefix="1"'),
        _xf(164, extra=' applyNumberFormat="1"'),
        _xf(165, extra=' applyNumberFormat="1"'),
        '</cellXfs><cellStyles count="1">',
        '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>',
        "</styleSheet>",
    )
)
_LETTERS = [get_column_letter(n) for n in range(1, 16385)]
_EPOCH = dt.datetime(1899, 12, 30)  # noqa: DTZ001 - Excel's day 0, zone-less
_EPOCH_DAY = _EPOCH.date()
# Characters XML 1.0 cannot carry (and CR, which XML reads as LF), and text
# that already looks like the escape: written as Excel's `_xHHHH_`.
_ESCAPED = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_SPECIAL = re.compile("[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x")
_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
MAX_TEXT = 32767  # characters in one cell


def _excel_escape(match: re.Match[str]) -> str:
    return f"_x{ord(match.group()):04X}_"


def _text(value: str) -> str:
    """`value` as the text of an inline string (XML and Excel escapes)."""
    if len(value) > MAX_TEXT:
        raise ValueError(f"a cell holds at most {MAX_TEXT} characters")
    if not _SPECIAL.search(value):
        return value  # most text: nothing to escape
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _ESCAPED.sub(_excel_escape, value)


def _row_xml(number: int, values: Iterable[Any], bold: bool) -> str:
    """One `<row>` of sheet XML; `number` counts from 1."""
    r = str(number)
    plain, quoted = (_BOLD, _BOLD_QUOTED) if bold else (_PLAIN, _QUOTED)
    cells = []
    for letter, value in zip(_LETTERS, values, strict=False):
        kind = type(value)
        if value is None:
            continue
        if kind is str:
            style = quoted if value.startswith(FORMULA_STARTS) else plain
            cells.append(
                f'<c r="{letter}{r}" s="{style}" t="inlineStr"><is>'
                f'<t xml:space="preserve">{_text(value)}</t></is></c>'
            )
        elif kind is bool:
            cells.append(f'<c r="{letter}{r}" s="{plain}" t="b"><v>{value:d}</v></c>')
        elif kind is int or (kind is Decimal and value.is_finite()):
            cells.append(f'<c r="{letter}{r}" s="{plain}"><v>{value}</v></c>')
        elif kind is float and math.isfinite(value):
            cells.append(f'<c r="{letter}{r}" s="{plain}"><v>{value!r}</v></c>')
        elif kind is dt.datetime:
            if value.tzinfo is not None:
                value = value.astimezone(BUSINESS_TZ).replace(tzinfo=None)
            if value.microsecond % 1000:  # Excel keeps milliseconds
                value = value.replace(microsecond=value.microsecond // 1000 * 1000)
            serial = (value - _EPOCH) / _DAY
            cells.append(f'<c r="{letter}{r}" s="{_INSTANT}"><v>{serial!r}</v></c>')
        elif kind is dt.date:
            cells.append(
                f'<c r="{letter}{r}" s="{_DATE}"><v>{(value - _EPOCH_DAY).days}</v></c>'
            )
        else:
            text = str(value)
            style = quoted if text.startswith(FORMULA_STARTS) else plain
            cells.append(
                f'<c r="{letter}{r}" s="{style}" t="inlineStr"><is>'
                f'<t xml:space="preserve">{_text(text)}</t></is></c>'
            )
    return f'<row r="{r}">{"".join(cells)}</row>'


_DAY = dt.timedelta(days=1)


def _sheet_title(title: str) -> str:
    """A title Excel accepts: at most 31 characters, none of []:*?/\\."""
    return _TITLE_FORBIDDEN.sub("_", title)[:31] or "Sheet1"


def _book_parts(titles: list[str]) -> list[tuple[str, str]]:
    """The fixed parts of the archive around sheets named `titles`."""
    count = len(titles)
    sheets = "".join(
        f'<sheet name="{_attribute(title)}" sheetId="{n}" r:id="rId{n}"/>'
        for n, title in enumerate(titles, 1)
    )
    sheet_rels = "".join(
        f'<Relationship Id="rId{n}" Type="{DOC_REL}/worksheet"'
        f' Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, count + 1)
    )
    sheet_types = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, count + 1)
    )
    return [
        (
            "[Content_Types].xml",
            XML_HEAD
            + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            + sheet_types
            + "</Types>",
        ),
        (
            "_rels/.rels",
            XML_HEAD + f'<Relationships xmlns="{PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{DOC_REL}/officeDocument"'
            ' Target="xl/workbook.xml"/></Relationships>',
        ),
        (
            "xl/workbook.xml",
            XML_HEAD + f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
            f"<sheets>{sheets}</sheets></workbook>",
        ),
        (
            "xl/_rels/workbook.xml.rels",
            XML_HEAD + f'<Relationships xmlns="{PKG_REL_NS}">{sheet_rels}'
            f'<Relationship Id="rId{count + 1}" Type="{DOC_REL}/styles"'
            ' Target="styles.xml"/></Relationships>',
        ),
        ("xl/styles.xml", XML_HEAD + _STYLES),
    ]


def _attribute(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


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
