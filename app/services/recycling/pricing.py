"""Price lists: which unit price is in force for a material, grade and date.

Matching rule: among the entries of the material and direction valid on the
date (valid_from <= date <= valid_to, open end allowed) whose grade is the
line's grade or empty (material-wide) and whose customer type is the
customer's type or empty (generic), the most specific wins: a
customer-type-specific entry beats a generic one, then a grade-specific entry
beats a material-wide one. Overlapping entries of the same specificity are
refused when the price list is edited, so the match is unique.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from app.extensions import db
from app.models import BUSINESS_TZ, Material, MaterialGrade, PriceListItem, money
from app.models.codes import PRICE_DIRECTIONS, label
from app.services.core.errors import InvalidInput


def business_date(moment: dt.datetime) -> dt.date:
    """The calendar date of an instant in business time (Asia/Shanghai)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BUSINESS_TZ)
    return moment.astimezone(BUSINESS_TZ).date()


def price_in_force(
    material: Material,
    grade: MaterialGrade | None,
    direction: str,
    customer_type: Any,
    on_date: dt.date,
) -> PriceListItem:
    """The most specific price list entry in force; refuses clearly when none is."""
    type_id = getattr(customer_type, "id", customer_type)
    grade_id = grade.id if grade is not None else None
    stmt = (
        select(PriceListItem)
        .where(
            PriceListItem.material_id == material.id,
            PriceListItem.direction == direction,
            PriceListItem.valid_from <= on_date,
            or_(PriceListItem.valid_to.is_(None), PriceListItem.valid_to >= on_date),
            or_(PriceListItem.grade_id.is_(None), PriceListItem.grade_id == grade_id),
            or_(
                PriceListItem.customer_type_id.is_(None),
                PriceListItem.customer_type_id == type_id,
            ),
        )
        .order_by(
            PriceListItem.customer_type_id.is_(None),  # False (specific) first
            PriceListItem.grade_id.is_(None),
            PriceListItem.valid_from.desc(),
        )
        .limit(1)
    )
    found = db.session.scalars(stmt).first()
    if found is None:
        raise InvalidInput(
            _l(
                "No %(direction)s price is in force for %(material)s %(grade)s on "
                "%(date)s; add it to the price list first.",
                direction=label(PRICE_DIRECTIONS, direction),
                material=material.name,
                grade=grade.name if grade is not None else "",
                date=on_date.isoformat(),
            ),
            field="price",
        )
    return found


def line_amount(net_kg: Decimal, unit_price: Decimal) -> Decimal:
    """Weight x unit price in CNY, rounded half-up to the cent, per line."""
    return money(Decimal(net_kg) * Decimal(unit_price))
