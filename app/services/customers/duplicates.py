"""Customers already filed under the same name (a likely duplicate file).

Adding a customer whose name another customer already has is allowed (two
branches may share a name) but the clerk is warned, so a customer is not
filed twice by mistake. Names match after trimming, with half- and
full-width brackets taken as the same ("华新(杭州)" = "华新（杭州）").
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import Customer
from app.security.scope import restrict

_TO_FULL = str.maketrans("()", "（）")
_TO_HALF = str.maketrans("（）", "()")


def _spellings(name: str) -> set[str]:
    name = name.strip()
    return {name, name.translate(_TO_FULL), name.translate(_TO_HALF)}


def same_name(customer: Customer, user: Any) -> tuple[list[Customer], int]:
    """Other customers named like `customer`: those `user` may see (by code,
    at most 5) and how many there are in all (visible or not)."""
    if not customer.name:
        return [], 0
    alike = (Customer.name.in_(_spellings(customer.name)), Customer.id != customer.id)
    total = db.session.scalar(select(func.count()).select_from(Customer).where(*alike))
    if not total:
        return [], 0
    shown = restrict(select(Customer).where(*alike), Customer, user)
    return list(db.session.scalars(shown.order_by(Customer.code).limit(5))), total
