"""The template workbook an admin starts an import from.

One sheet per kind of data with the headers the importer reads (a * marks a
required column, a comment tells the format), drop-downs of the allowed
values from the reference data, and a first sheet explaining the rules: all
or nothing, the same checks as the screens, what an imported calendar year
means.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from app.services.imports.sheets import SHEETS
from app.services.reporting.sheets import looks_like_formula

HEADER = PatternFill("solid", fgColor="DDEBF7")
REQUIRED = PatternFill("solid", fgColor="FCE4D6")
LISTS = "lists"
RULES = (
    _l("Fill in the sheets you need; leave out or empty the others."),
    _l(
        "Keep the first row of each sheet: it names the columns. * marks a "
        "required column."
    ),
    _l(
        "The whole file is imported or nothing: one refused row refuses the file, "
        "and an error report names every refused row and why."
    ),
    _l(
        "Rows are checked like the screens (credit codes, phones, e-mails, "
        "overlapping prices, working hours)."
    ),
    _l("Contacts name their customer as written on the customers sheet, or by code."),
    _l(
        "A calendar day replaces the one of the same date. A year of the calendar "
        "sheet without calendar data counts as entered by hand: type the whole "
        "arrangement of that year (holidays and make-up working days)."
    ),
    _l(
        "Service cases are registered as of the import, with the importing user "
        "as first-ask owner, and routed like a case on the screen: to the "
        "category's department, or a supervision channel's."
    ),
    _l("Dates are written YYYY-MM-DD; prices in CNY per kg with at most 4 decimals."),
)


def template() -> Workbook:
    """The workbook, with the reference data's current values in its drop-downs."""
    book = Workbook()
    guide = book.active
    guide.title = str(_l("Instructions"))
    guide.append([str(_l("Data import template"))])
    guide["A1"].font = Font(bold=True, size=14)
    for rule in RULES:
        guide.append([str(rule)])
    guide.column_dimensions["A"].width = 120
    lists = book.create_sheet(LISTS)
    lists.sheet_state = "hidden"
    list_column = 0
    for sheet in SHEETS:
        worksheet = book.create_sheet(str(sheet.title))
        for index, column in enumerate(sheet.columns, start=1):
            cell = worksheet.cell(
                row=1,
                column=index,
                value=str(column.title) + ("*" if column.required else ""),
            )
            cell.font = Font(bold=True)
            cell.fill = REQUIRED if column.required else HEADER
            cell.alignment = Alignment(horizontal="center")
            if column.help:
                cell.comment = Comment(str(column.help), "")
            letter = get_column_letter(index)
            worksheet.column_dimensions[letter].width = max(
                14, len(str(column.title)) * 2 + 4
            )
            if column.choices is None:
                continue
            values = list(column.choices())
            if not values:
                continue
            list_column += 1
            list_letter = get_column_letter(list_column)
            for row, value in enumerate(values, start=1):
                cell = lists.cell(row=row, column=list_column, value=value)
                if looks_like_formula(value):  # reference data typed by admins
                    cell.data_type, cell.quotePrefix = "s", True
            validation = DataValidation(
                type="list",
                formula1=(
                    f"{quote_sheetname(LISTS)}!${list_letter}$1:"
                    f"${list_letter}${len(values)}"
                ),
                allow_blank=not column.required,
                showErrorMessage=False,
            )
            validation.add(f"{letter}2:{letter}5000")
            worksheet.add_data_validation(validation)
        worksheet.freeze_panes = "A2"
    book.move_sheet(LISTS, offset=len(book.sheetnames))
    return book


def filename() -> str:
    return "import-template.xlsx"


def describe() -> list[tuple[Any, list[Any]]]:
    """The sheets and their columns, for the import page."""
    return [
        (sheet.title, [c.title for c in sheet.columns if c.required])
        for sheet in SHEETS
    ]
