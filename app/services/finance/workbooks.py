"""Finance workbooks (.xlsx) through the export tasks: statement of account, ageing.

Registered with `app.services.reporting.exports`, so they are built on behalf
of the user who asked (their scope, their language), as background tasks
when large, and downloaded from the user's exports. The statement workbook
shows what the screen and the print show (`statements.sheet`), to the cent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import select

from app.extensions import db
from app.models import Statement
from app.security.scope import restrict
from app.services.core.errors import InvalidInput, NotFound
from app.services.finance import receivables, statements
from app.services.reporting import sheets
from app.services.reporting.exports import Export, register

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
MONEY_FORMAT = "#,##0.00;-#,##0.00"


def _row(sheet: Any, values: list[Any], bold: bool = False) -> None:
    """One row, formula-like text kept as text (reporting.sheets), money formatted."""
    sheets.append(sheet, values, font=BOLD if bold else None)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, Decimal | float | int) and not isinstance(
            cell.value, bool
        ):
            cell.number_format = MONEY_FORMAT


# ------------------------------------------------------------- statement
def _statement(params: dict[str, Any], user: Any) -> Statement:
    try:
        pk = int(params.get("statement") or 0)
    except (TypeError, ValueError):
        pk = 0
    found = db.session.scalars(
        restrict(select(Statement).where(Statement.id == pk), Statement, user)
    ).one_or_none()
    if found is None:
        raise NotFound(_l("No such statement."))
    return found


def _statement_clean(params: dict[str, Any], user: Any) -> dict[str, Any]:
    found = _statement(params, user)
    return {"statement": found.id, "number": found.number}


def _statement_write(
    params: dict[str, Any], user: Any, progress: Callable[[int], None]
) -> Workbook:
    statement = _statement(params, user)
    values = statements.sheet(statement)
    book = Workbook()
    sheet = book.active
    sheet.title = str(_l("Statement of account"))
    sheets.append(sheet, [values["company"]["name"]])
    sheet["A1"].font = TITLE
    _row(sheet, [str(values["title"]), statement.number], bold=True)
    _row(
        sheet,
        [
            str(_l("Customer")),
            f"{values['customer'].name} ({values['customer'].code})",
        ],
    )
    _row(
        sheet,
        [
            str(_l("Period")),
            f"{values['period_from']} — {values['period_to']}",
        ],
    )
    _row(sheet, [str(_l("Status")), values["status"]])
    sheet.append([])
    _row(
        sheet,
        [
            str(_l("Date")),
            str(_l("Document")),
            str(_l("Entry")),
            str(_l("Reference")),
            str(_l("Debit (CNY)")),
            str(_l("Credit (CNY)")),
            str(_l("Balance (CNY)")),
        ],
        bold=True,
    )
    _row(
        sheet,
        ["", "", str(_l("Opening balance")), "", None, None, values["opening"]],
    )
    for line in values["lines"]:
        _row(
            sheet,
            [
                line["date"],
                line["document"],
                line["kind"],
                line["reference"],
                line["debit"],
                line["credit"],
                line["balance"],
            ],
        )
    _row(
        sheet,
        [
            "",
            "",
            str(_l("Total of the month")),
            "",
            values["debit"],
            values["credit"],
            None,
        ],
        bold=True,
    )
    _row(
        sheet,
        ["", "", str(_l("Closing balance")), "", None, None, values["closing"]],
        bold=True,
    )
    _row(sheet, ["", "", values["closing_text"]])
    sheet.append([])
    _row(sheet, [str(_l("Subtotals")), "", "", "", str(_l("Amount (CNY)"))], True)
    for name, amount in values["subtotals"]:
        _row(sheet, ["", "", name, "", amount])
    sheet.append([])
    if statement.status == "confirmed":
        _row(
            sheet,
            [
                str(_l("Confirmed by (customer)")),
                statement.confirmed_by_name,
                str(_l("Confirmed at")),
                statement.confirmed_at.strftime("%Y-%m-%d %H:%M"),
            ],
        )
    else:
        _row(sheet, [str(_l("Customer's confirmation (signature and seal)"))])
    for letter, width in zip("ABCDEFG", (12, 30, 14, 40, 16, 16, 16), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=8):
        for cell in row[4:7]:
            cell.alignment = Alignment(horizontal="right")
    progress(1)
    return book


register(
    Export(
        "statement",
        _l("Statement of account"),
        lambda p, u: 1,
        _statement_write,
        lambda p: f"statement-{p.get('number', p.get('statement'))}.xlsx",
        permission=("read", "Statement"),
        clean=_statement_clean,
        listed=False,
    )
)


# ----------------------------------------------------------------- ageing
def _as_of(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(_l("A date is written YYYY-MM-DD."), field="as_of") from None


def _ageing_clean(params: dict[str, Any], user: Any) -> dict[str, Any]:
    direction = params.get("direction") or "receive"
    if direction not in ("receive", "pay"):
        raise InvalidInput(_l("Choose the direction: payment or receipt."))
    day = _as_of(params.get("as_of")) or receivables.today()
    return {"direction": direction, "as_of": day.isoformat()}


def _ageing_write(
    params: dict[str, Any], user: Any, progress: Callable[[int], None]
) -> Workbook:
    report = receivables.ageing(
        params["direction"], user, dt.date.fromisoformat(params["as_of"])
    )
    book = Workbook()
    sheet = book.active
    sheet.title = str(_l("Ageing"))
    title = (
        _l("Receivables ageing")
        if report.direction == "receive"
        else _l("Payables ageing")
    )
    _row(sheet, [str(title), params["as_of"]], bold=True)
    _row(
        sheet,
        [
            str(_l("Customer code")),
            str(_l("Customer")),
            str(_l("Sales representative")),
            *[str(name) for _, name in receivables.BUCKETS],
            str(_l("Total (CNY)")),
            str(_l("Oldest due date")),
        ],
        bold=True,
    )
    for row in report.rows:
        _row(
            sheet,
            [
                row.code,
                row.name,
                row.sales_rep,
                *[row.amounts.get(code) for code, _ in receivables.BUCKETS],
                row.total,
                row.oldest_due.isoformat() if row.oldest_due else "",
            ],
        )
    totals = report.totals
    _row(
        sheet,
        [
            "",
            str(_l("Total")),
            "",
            *[totals[code] for code, _ in receivables.BUCKETS],
            report.total,
        ],
        bold=True,
    )
    sheet.column_dimensions["B"].width = 32
    progress(len(report.rows))
    return book


register(
    Export(
        "ageing",
        _l("Receivables and payables ageing"),
        lambda p, u: 1,
        _ageing_write,
        lambda p: f"ageing-{p['direction']}-{p['as_of']}.xlsx",
        permission=("export", "Receivables"),
        clean=_ageing_clean,
        listed=False,
    )
)
