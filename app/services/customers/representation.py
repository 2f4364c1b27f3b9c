"""Who represents a customer and what grade it has: changed on the customer's
record only as seed 003 公司客户服务办法 第四条 allows.

- 第四条(1) 分级管理: the grade (A-D) changes by the monthly regrading proposal
  that Sales accepts (app.services.customers.grading), never by editing the
  customer (screens' edit, API PUT, import); a new customer is ungraded until
  its first proposal.
- 第四条 (各营业单位主管 派遣营销员): the head of Sales assigns a customer's sales
  rep; a clerk does not make themselves the rep of a customer on file (the rep
  decides the customer's regrading proposals). A new customer's rep is named by
  whoever files it (onboarding, SPEC §1).
- 第四条(2): the new rep is not the designated visitor of a running visit plan
  of the customer (app.services.visits.key_accounts.check_new_sales_rep).

Called by the customer's record rules, so every path holds them.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from app.extensions import db
from app.models import Customer
from app.security.access import can
from app.services.core.errors import InvalidInput, NotAllowed


def _new_id(item: Customer, relation: str) -> int | None:
    """The id a relation is set to now (forms and the API set the object)."""
    history = sa_inspect(item).attrs[relation].history
    if history.added:
        target = history.added[0]
        return None if target is None else target.id
    return getattr(item, f"{relation}_id")


def may_assign_reps(user: Any) -> bool:
    """Heads of a department holding the right (Sales), administrators and
    the system assign sales reps."""
    if getattr(user, "is_system", False):
        return True
    if not can(user, "assign", "SalesRep"):
        return False
    return bool(getattr(user, "is_department_head", False)) or can(
        user, "edit", "ReferenceData"
    )


def check_new_customer(item: Customer) -> None:
    """A new customer comes without a grade (its first proposal grades it)."""
    if _new_id(item, "grade") is not None:
        raise InvalidInput(
            _l(
                "A new customer is graded by the monthly regrading proposal, "
                "not on its form."
            ),
            field="grade",
        )


def check_customer_change(item: Customer, user: Any) -> None:
    """Refuse a grade change and a rep change the rules above do not allow.

    Raises InvalidInput or NotAllowed at the field; nothing is changed.
    """
    stored = db.session.execute(
        select(Customer.grade_id, Customer.sales_rep_id).where(Customer.id == item.id)
    ).one()
    if _new_id(item, "grade") != stored.grade_id:
        raise InvalidInput(
            _l(
                "The grade changes only by accepting the monthly regrading "
                "proposal (客户分级调整建议), not by editing the customer."
            ),
            field="grade",
        )
    rep = _new_id(item, "sales_rep")
    if rep == stored.sales_rep_id:
        return
    if not may_assign_reps(user):
        raise NotAllowed(
            _l(
                "The head of Sales assigns a customer's sales rep; ask them "
                "to change it."
            ),
            field="sales_rep",
        )
    if rep is not None and rep == user.id and not can(user, "edit", "ReferenceData"):
        raise NotAllowed(
            _l(
                "You cannot make yourself the sales rep of a customer on file "
                "(the rep decides its regrading); an administrator assigns it."
            ),
            field="sales_rep",
        )
    from app.services.visits.key_accounts import check_new_sales_rep

    check_new_sales_rep(item, rep)
