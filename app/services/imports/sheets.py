"""What each import sheet holds, and how one of its rows becomes records.

A sheet is found by its title (Chinese, English or its code); its first row
names the columns (a trailing * marks a required one). Every row is built
into model objects and saved with `records.add` / `records.before_update` as
the importing user, so the record rules (credit codes, phones, overlapping
prices, calendar hours ...) and the reference checks are those of the
screens. A refused row raises DomainError naming its column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, func, or_, select
from sqlalchemy import inspect as sa_inspect

from app.extensions import db
from app.models import (
    AppUser,
    CalendarDay,
    CalendarYear,
    Case,
    CaseCategory,
    Channel,
    Customer,
    CustomerContact,
    CustomerType,
    Material,
    MaterialGrade,
    PaymentTerm,
    PriceListItem,
)
from app.models.codes import (
    CALENDAR_DAY_KINDS,
    CASE_KINDS,
    CUSTOMER_STATUSES,
    PRICE_DIRECTIONS,
    SEVERITIES,
    WEEKDAYS,
)
from app.services.core import records
from app.services.core.errors import InvalidInput
from app.services.recycling.recycling_rules import number


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its key, header, and what it takes."""

    key: str
    title: Any
    required: bool = False
    help: Any = None
    # Allowed values offered as a drop-down in the template.
    choices: Callable[[], list[str]] | None = None


@dataclass
class Context:
    """What an import run knows across rows and sheets."""

    user: Any
    customers: dict[str, Customer] = field(default_factory=dict)
    calendar_days: list[dt.date] = field(default_factory=list)
    years_added: list[int] = field(default_factory=list)
    prices_ended: int = 0
    counts: dict[str, int] = field(default_factory=dict)


class Row:
    """One data row of a sheet: its cells by column key, normalized."""

    def __init__(self, number: int, values: dict[str, Any]) -> None:
        self.number = number
        self.values = values

    def raw(self, key: str) -> Any:
        value = self.values.get(key)
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.raw(key)
        if value is None:
            if required:
                raise InvalidInput(_l("Give a value."), field=key)
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a phone number typed as a number
        if isinstance(value, dt.datetime):
            value = value.date()
        return str(value).strip()

    def date(self, key: str, required: bool = False) -> dt.date | None:
        value = self.raw(key)
        if value is None:
            if required:
                raise InvalidInput(_l("Give a value."), field=key)
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = str(value).replace("/", "-").replace(".", "-")
        try:
            year, month, day = (int(part) for part in text.split("-"))
            return dt.date(year, month, day)
        except ValueError:
            raise InvalidInput(
                _l("“%(value)s” is not a date (YYYY-MM-DD).", value=value), field=key
            ) from None

    def decimal(self, key: str, places: int, required: bool = False) -> Decimal | None:
        value = self.raw(key)
        if value is None:
            if required:
                raise InvalidInput(_l("Give a value."), field=key)
            return None
        if isinstance(value, float):
            value = repr(value)
        try:
            Decimal(str(value))
        except InvalidOperation:
            raise InvalidInput(
                _l("“%(value)s” is not a number.", value=value), field=key
            ) from None
        return number(str(value), key, required=required, places=places)

    def flag(self, key: str) -> bool:
        value = self.raw(key)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("是", "yes", "y", "true", "1", "√"):
            return True
        if text in ("否", "no", "n", "false", "0"):
            return False
        raise InvalidInput(_l("Write 是 or 否."), field=key)


def _code(codes: dict[str, Any], value: str | None, key: str) -> str | None:
    """A code list value given as its code, or its label in Chinese or English."""
    if value is None:
        return None
    for code, text in codes.items():
        if value == code:
            return code
        for locale in ("zh", "en"):
            with force_locale(locale):
                if value == str(text):
                    return code
    raise InvalidInput(
        _l(
            "“%(value)s” is not one of: %(allowed)s.",
            value=value,
            allowed="、".join(str(t) for t in codes.values()),
        ),
        field=key,
    )


def _one(model: Any, value: str | None, key: str, *columns: Any) -> Any:
    """The reference row whose code or name is `value` (None when empty)."""
    if value is None:
        return None
    found = db.session.scalars(
        select(model).where(or_(*(column == value for column in columns)))
    ).all()
    if len(found) != 1:
        raise InvalidInput(
            _l("“%(value)s”: no such entry in the reference data.", value=value)
            if not found
            else _l("“%(value)s” names several entries; use the code.", value=value),
            field=key,
        )
    return found[0]


def check_lengths(item: Any, fields: dict[str, str]) -> None:
    """Text no longer than its column holds (`fields`: attribute -> column key)."""
    table = sa_inspect(type(item)).columns
    for attribute, key in fields.items():
        value = getattr(item, attribute)
        column_type = table[attribute].type
        if (
            isinstance(value, str)
            and isinstance(column_type, String)
            and column_type.length
            and len(value) > column_type.length
        ):
            raise InvalidInput(
                _l("At most %(count)d characters.", count=column_type.length),
                field=key,
            )


# --------------------------------------------------------------- builders
CUSTOMER_TEXT = {
    "name": "name",
    "credit_code": "credit_code",
    "contact_person": "contact_person",
    "phone": "phone",
    "email": "email",
    "address": "address",
    "region": "region",
    "qualification": "qualification",
    "licence_no": "licence_no",
    "notes": "notes",
}


def build_customer(row: Row, ctx: Context) -> Customer:
    name = row.text("name", required=True)
    if name in ctx.customers:
        raise InvalidInput(
            _l("Customer “%(name)s” appears twice in this file.", name=name),
            field="name",
        )
    existing = db.session.scalars(
        select(Customer.code).where(Customer.name == name)
    ).first()
    if existing:
        raise InvalidInput(
            _l(
                "Customer “%(name)s” exists already (%(code)s); change it in the "
                "customer archive.",
                name=name,
                code=existing,
            ),
            field="name",
        )
    rep = None
    username = row.text("sales_rep")
    if username:
        rep = db.session.scalars(
            select(AppUser).where(
                AppUser.username == username, AppUser.active.is_(True)
            )
        ).one_or_none()
        if rep is None:
            raise InvalidInput(
                _l("No active user “%(name)s”.", name=username), field="sales_rep"
            )
    customer = Customer(
        name=name,
        customer_type=_one(
            CustomerType,
            row.text("customer_type", required=True),
            "customer_type",
            CustomerType.code,
            CustomerType.name,
        ),
        payment_term=_one(
            PaymentTerm,
            row.text("payment_term"),
            "payment_term",
            PaymentTerm.code,
            PaymentTerm.name,
        ),
        sales_rep=rep,
        licence_valid_to=row.date("licence_valid_to"),
        status=_code(CUSTOMER_STATUSES, row.text("status"), "status") or "active",
        **{
            attr: row.text(key) for attr, key in CUSTOMER_TEXT.items() if attr != "name"
        },
    )
    check_lengths(customer, CUSTOMER_TEXT)
    records.add(customer, ctx.user)
    ctx.customers[name] = customer
    return customer


def _customer_of(row: Row, ctx: Context) -> Customer:
    ref = row.text("customer", required=True)
    if ref in ctx.customers:
        return ctx.customers[ref]
    found = db.session.scalars(
        select(Customer).where(or_(Customer.code == ref, Customer.name == ref))
    ).all()
    if len(found) != 1:
        raise InvalidInput(
            _l(
                "“%(value)s” is neither a customer of this file nor one customer's "
                "code or name.",
                value=ref,
            ),
            field="customer",
        )
    return found[0]


def build_contact(row: Row, ctx: Context) -> CustomerContact:
    contact = CustomerContact(
        customer=_customer_of(row, ctx),
        name=row.text("name", required=True),
        title=row.text("title"),
        phone=row.text("phone"),
        email=row.text("email"),
        is_primary=row.flag("is_primary"),
    )
    check_lengths(
        contact, {"name": "name", "title": "title", "phone": "phone", "email": "email"}
    )
    records.add(contact, ctx.user)
    return contact


def build_price(row: Row, ctx: Context) -> PriceListItem:
    material = _one(
        Material,
        row.text("material", required=True),
        "material",
        Material.code,
        Material.name,
    )
    grade = None
    grade_ref = row.text("grade")
    if grade_ref:
        grade = db.session.scalars(
            select(MaterialGrade).where(
                MaterialGrade.material_id == material.id,
                or_(MaterialGrade.code == grade_ref, MaterialGrade.name == grade_ref),
            )
        ).first()
        if grade is None:
            raise InvalidInput(
                _l(
                    "“%(grade)s” is not a grade of %(material)s.",
                    grade=grade_ref,
                    material=material.name,
                ),
                field="grade",
            )
    direction = _code(
        PRICE_DIRECTIONS, row.text("direction", required=True), "direction"
    )
    ctype = _one(
        CustomerType,
        row.text("customer_type"),
        "customer_type",
        CustomerType.code,
        CustomerType.name,
    )
    valid_from = row.date("valid_from", required=True)
    item = PriceListItem(
        material=material,
        grade=grade,
        direction=direction,
        customer_type=ctype,
        unit_price=row.decimal("unit_price", 4, required=True),
        valid_from=valid_from,
        valid_to=row.date("valid_to"),
        notes=row.text("notes"),
    )
    check_lengths(item, {"notes": "notes"})
    # A new price ends the open-ended one of the same material, grade,
    # direction and customer type the day before it starts.
    previous = db.session.scalars(
        select(PriceListItem).where(
            PriceListItem.material_id == material.id,
            PriceListItem.grade_id.is_(None)
            if grade is None
            else PriceListItem.grade_id == grade.id,
            PriceListItem.direction == direction,
            PriceListItem.customer_type_id.is_(None)
            if ctype is None
            else PriceListItem.customer_type_id == ctype.id,
            PriceListItem.valid_to.is_(None),
            PriceListItem.valid_from < valid_from,
        )
    ).first()
    if previous is not None:
        previous.valid_to = valid_from - dt.timedelta(days=1)
        records.before_update(previous)
        db.session.flush()  # the new price's overlap check reads it
        ctx.prices_ended += 1
    records.add(item, ctx.user)
    return item


CASE_TEXT = {
    "title": "title",
    "description": "description",
    "expected_solution": "expected_solution",
}


def build_case(row: Row, ctx: Context) -> Case:
    """A case from a register kept outside the system (e.g. letters, the
    supervision mailbox): registered now, routed by the server like any case."""
    case = Case(
        customer=_customer_of(row, ctx),
        kind=_code(CASE_KINDS, row.text("kind", required=True), "kind"),
        severity=_code(SEVERITIES, row.text("severity", required=True), "severity"),
        category=_one(
            CaseCategory,
            row.text("category", required=True),
            "category",
            CaseCategory.code,
            CaseCategory.name,
        ),
        channel=_one(
            Channel,
            row.text("channel", required=True),
            "channel",
            Channel.code,
            Channel.name,
        ),
        title=row.text("title", required=True),
        description=row.text("description", required=True),
        expected_solution=row.text("expected_solution"),
    )
    check_lengths(case, {"title": "title"})
    records.add(case, ctx.user)
    return case


WEEKDAY_WORDS = {"周一": 0, "周二": 1, "周三": 2, "周四": 3, "周五": 4}


def _weekday(row: Row) -> int | None:
    value = row.text("follows_weekday")
    if value is None:
        return None
    if value in WEEKDAY_WORDS:
        return WEEKDAY_WORDS[value]
    code = _code(
        {k: v for k, v in WEEKDAYS.items() if int(k) < 5}, value, "follows_weekday"
    )
    return int(code)


def build_calendar_day(row: Row, ctx: Context) -> CalendarDay:
    day = row.date("day", required=True)
    if day in ctx.calendar_days:
        raise InvalidInput(
            _l("%(day)s appears twice in this file.", day=day.isoformat()), field="day"
        )
    kind = _code(CALENDAR_DAY_KINDS, row.text("kind", required=True), "kind")
    values = {
        "kind": kind,
        "follows_weekday": _weekday(row),
        "hours": row.text("hours"),
        "name": row.text("name"),
        "source": "import",
    }
    existing = db.session.scalars(
        select(CalendarDay).where(CalendarDay.day == day)
    ).one_or_none()
    if existing is not None:
        for key, value in values.items():
            setattr(existing, key, value)
        check_lengths(existing, {"hours": "hours", "name": "name"})
        records.before_update(existing)
        item = existing
    else:
        item = CalendarDay(day=day, **values)
        check_lengths(item, {"hours": "hours", "name": "name"})
        records.add(item, ctx.user)
    ctx.calendar_days.append(day)
    return item


def finish_calendar(ctx: Context) -> None:
    """Years the file covers that had no calendar data are known from now on."""
    years = sorted({day.year for day in ctx.calendar_days})
    if not years:
        return
    known = set(
        db.session.scalars(
            select(CalendarYear.year).where(CalendarYear.year.in_(years))
        )
    )
    for year in years:
        if year not in known:
            records.add(
                CalendarYear(
                    year=year,
                    status="manual",
                    source="import",
                    notes=str(_l("Entered through an Excel import.")),
                ),
                ctx.user,
            )
            ctx.years_added.append(year)


# ------------------------------------------------------------------ sheets
@dataclass(frozen=True)
class Sheet:
    """One sheet of the import workbook."""

    kind: str
    title: Any
    columns: tuple[Column, ...]
    build: Callable[[Row, Context], Any]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


def _names(model: Any, *conditions: Any) -> Callable[[], list[str]]:
    def load() -> list[str]:
        return list(
            db.session.scalars(
                select(model.name).where(*conditions).order_by(func.lower(model.name))
            )
        )

    return load


def _codes(model: Any) -> Callable[[], list[str]]:
    return lambda: list(db.session.scalars(select(model.code).order_by(model.code)))


def _labels(codes: dict[str, Any]) -> Callable[[], list[str]]:
    return lambda: [str(text) for text in codes.values()]


YES_NO = _l("是 or 否")

SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "customers",
        _l("Customers"),
        (
            Column("name", _l("Customer name"), True),
            Column(
                "customer_type",
                _l("Customer type"),
                True,
                choices=_names(CustomerType),
            ),
            Column(
                "credit_code",
                _l("Unified social credit code"),
                help=_l("18 characters with its check digit; companies only."),
            ),
            Column("contact_person", _l("Contact person")),
            Column("phone", _l("Phone")),
            Column("email", _l("E-mail")),
            Column("address", _l("Address")),
            Column("region", _l("Region")),
            Column("qualification", _l("Qualification")),
            Column("licence_no", _l("Licence number")),
            Column("licence_valid_to", _l("Licence valid to"), help=_l("YYYY-MM-DD")),
            Column(
                "sales_rep",
                _l("Sales representative"),
                help=_l("The user name of the sales representative."),
            ),
            Column(
                "payment_term",
                _l("Payment term"),
                help=_l("Empty: the company default."),
                choices=_names(PaymentTerm, PaymentTerm.active.is_(True)),
            ),
            Column(
                "status",
                _l("Status"),
                help=_l("Empty: active."),
                choices=_labels(CUSTOMER_STATUSES),
            ),
            Column("notes", _l("Notes")),
        ),
        build_customer,
    ),
    Sheet(
        "contacts",
        _l("Contacts"),
        (
            Column(
                "customer",
                _l("Customer"),
                True,
                help=_l(
                    "A customer name of the customers sheet, or an existing "
                    "customer's code."
                ),
            ),
            Column("name", _l("Name"), True),
            Column("title", _l("Job title")),
            Column("phone", _l("Phone")),
            Column("email", _l("E-mail")),
            Column(
                "is_primary",
                _l("Primary contact"),
                help=YES_NO,
                choices=lambda: ["是", "否"],
            ),
        ),
        build_contact,
    ),
    Sheet(
        "prices",
        _l("Price list"),
        (
            Column(
                "material",
                _l("Material"),
                True,
                help=_l("The material's code or name."),
                choices=_codes(Material),
            ),
            Column(
                "grade", _l("Grade"), help=_l("The grade's code (A, B ...) or name.")
            ),
            Column(
                "direction",
                _l("Direction"),
                True,
                choices=_labels(PRICE_DIRECTIONS),
            ),
            Column(
                "customer_type",
                _l("Customer type"),
                help=_l("Empty: every customer type."),
                choices=_names(CustomerType),
            ),
            Column("unit_price", _l("Unit price (CNY/kg)"), True),
            Column(
                "valid_from",
                _l("Valid from"),
                True,
                help=_l(
                    "YYYY-MM-DD. An open-ended price of the same material, grade, "
                    "direction and customer type ends the day before."
                ),
            ),
            Column("valid_to", _l("Valid to"), help=_l("YYYY-MM-DD; empty: open.")),
            Column("notes", _l("Notes")),
        ),
        build_price,
    ),
    Sheet(
        "calendar",
        _l("Business calendar"),
        (
            Column("day", _l("Date"), True, help=_l("YYYY-MM-DD")),
            Column(
                "kind",
                _l("Kind"),
                True,
                choices=_labels(CALENDAR_DAY_KINDS),
            ),
            Column(
                "follows_weekday",
                _l("Works the hours of"),
                help=_l("Make-up working days: 周一 ... 周五 (empty: Monday)."),
                choices=lambda: list(WEEKDAY_WORDS),
            ),
            Column(
                "hours",
                _l("Working hours (custom)"),
                help=_l("Custom hours only, e.g. 08:30-12:00,13:00-16:00."),
            ),
            Column("name", _l("Name"), help=_l("e.g. 春节")),
        ),
        build_calendar_day,
    ),
    Sheet(
        "cases",
        _l("Service cases"),
        (
            Column(
                "customer",
                _l("Customer"),
                True,
                help=_l(
                    "A customer name of the customers sheet, or an existing "
                    "customer's code."
                ),
            ),
            Column("kind", _l("Kind"), True, choices=_labels(CASE_KINDS)),
            Column("severity", _l("Severity"), True, choices=_labels(SEVERITIES)),
            Column(
                "category",
                _l("Category"),
                True,
                choices=_names(CaseCategory, CaseCategory.active.is_(True)),
            ),
            Column(
                "channel",
                _l("Channel"),
                True,
                help=_l(
                    "Cases of a supervision channel go to its department, "
                    "whatever the category."
                ),
                choices=_names(Channel),
            ),
            Column("title", _l("Title"), True),
            Column("description", _l("Description"), True),
            Column("expected_solution", _l("Customer's expected solution")),
        ),
        build_case,
    ),
)
