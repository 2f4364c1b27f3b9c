"""Customer archive rules: codes, credit codes, contact data, owning department."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from app.extensions import db
from app.models import Case, Customer, CustomerContact, FollowUp, Pickup, Settlement
from app.services.core.errors import Conflict
from app.services.core.numbering import next_number
from app.services.core.records import RecordRules, own_department, register
from app.services.core.validation import check_email, check_phone, normalize_credit_code
from app.services.customers.representation import (
    check_customer_change,
    check_new_customer,
)


def _validate(customer: Customer) -> None:
    customer.credit_code = normalize_credit_code(customer.credit_code)
    customer.phone = check_phone(customer.phone)
    customer.email = check_email(customer.email)
    customer.name = (customer.name or "").strip()


@register
class CustomerRules(RecordRules):
    model = Customer

    def before_create(self, item: Customer, user: Any) -> None:
        _validate(item)
        check_new_customer(item)
        item.code = next_number("customer")
        item.department = own_department(user)
        if item.status is None:
            item.status = "active"

    def before_update(self, item: Customer, user: Any) -> None:
        _validate(item)
        check_customer_change(item, user)

    def before_delete(self, item: Customer, user: Any) -> None:
        for model in (Case, Pickup, Settlement, FollowUp):
            used = db.session.execute(
                select(exists().where(model.customer_id == item.id))
            ).scalar()
            if used:
                raise Conflict(
                    _l(
                        "This customer has cases, pickups, settlements or follow-ups "
                        "and cannot be deleted; set its status to closed instead."
                    )
                )


@register
class ContactRules(RecordRules):
    model = CustomerContact

    def before_create(self, item: CustomerContact, user: Any) -> None:
        item.phone = check_phone(item.phone)
        item.email = check_email(item.email)

    before_update = before_create
