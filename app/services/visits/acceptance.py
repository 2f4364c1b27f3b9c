"""The customer's on-site acceptance of a service (服务验收), seed 004 第十五条.

After a pickup was collected on site, or an after-sales service was carried
out, the customer checks the result (quality, attitude, timeliness) and signs
the ticket when satisfied. An acceptance names exactly one of them:

- a pickup that has been collected (status collected or later, not
  cancelled), or a case of kind after-sales (售后服务) that is not new or
  cancelled;
- signed: who signed (签字人) and the rating 1-5 are required; the rating
  counts in the satisfaction KPI (app.services.reporting.kpi) like a
  follow-up score;
- not signed (the customer refused or was absent): no rating, and the
  comment says why; it counts nothing;
- an acceptance of a case counts while the case is an after-sales service: a
  case reclassified to another kind has no on-site service to accept, and its
  acceptance stops counting (the reclassification says so in the case's log;
  reclassified back, it counts again) - `counts_in_satisfaction`;
- accepted at: not in the future, not before the service (the pickup's
  collection, the case's receipt).

The customer and the department come from the pickup or case (never typed).
One acceptance per pickup or case (unique). The rules hold on every path
(screens, generic edit, API) through the record hooks.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, or_, select

from app.extensions import db
from app.models import BUSINESS_TZ, Case, Pickup, ServiceAcceptance
from app.services.core.errors import InvalidInput
from app.services.core.records import RecordRules, register
from app.services.core.workflow import not_future

SERVED_PICKUP = ("collected", "weighed", "inspected", "settled", "closed")
# An after-sales case in these statuses has not been carried out.
UNSERVED_CASE = ("new", "cancelled")


def counts_in_satisfaction(accepted: Any) -> Any:
    """SQL condition: the acceptance's rating counts in satisfaction. `accepted`
    is the (aliased) Case the query joins on `ServiceAcceptance.case_id`."""
    return and_(
        ServiceAcceptance.signed.is_(True),
        ServiceAcceptance.rating.is_not(None),
        or_(ServiceAcceptance.case_id.is_(None), accepted.kind == "aftersales"),
    )


def signed_acceptance_of(case: Case) -> bool:
    """Whether the case has a signed, rated acceptance (it counts while the
    case stays an after-sales service)."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    ServiceAcceptance.case_id == case.id,
                    ServiceAcceptance.signed.is_(True),
                    ServiceAcceptance.rating.is_not(None),
                )
            )
        )
    )


def _source(item: ServiceAcceptance) -> tuple[Pickup | None, Case | None]:
    pickup = item.pickup or (
        db.session.get(Pickup, item.pickup_id) if item.pickup_id else None
    )
    case = item.case or (db.session.get(Case, item.case_id) if item.case_id else None)
    return pickup, case


def check(item: ServiceAcceptance) -> None:
    """Refuse an acceptance the rules above do not allow; fill customer and
    department from its pickup or case. Raises InvalidInput (field named)."""
    pickup, case = _source(item)
    if (pickup is None) == (case is None):
        raise InvalidInput(
            _l("Choose either the pickup or the after-sales case that was accepted."),
            field="pickup",
        )
    if case is None:
        if pickup.status not in SERVED_PICKUP:
            raise InvalidInput(
                _l("A pickup is accepted on site once its materials are collected."),
                field="pickup",
            )
        served_from = pickup.collected_at or pickup.received_at
        served_what = (
            _l("the pickup was collected")
            if pickup.collected_at
            else _l("the pickup was received")
        )
        item.customer_id, item.department_id = pickup.customer_id, pickup.department_id
    else:
        if case.kind != "aftersales":
            raise InvalidInput(
                _l("Only an after-sales service is accepted on site."), field="case"
            )
        if case.status in UNSERVED_CASE:
            raise InvalidInput(
                _l("This after-sales service has not been carried out."),
                field="case",
            )
        served_from = case.received_at
        served_what = _l("the case was received")
        item.customer_id, item.department_id = case.customer_id, case.department_id
    if item.accepted_at is None:
        raise InvalidInput(_l("Give the time of the acceptance."), field="accepted_at")
    not_future(item.accepted_at, "accepted_at")
    if served_from is not None and item.accepted_at < served_from:
        served = served_from.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")
        raise InvalidInput(
            _l(
                "The acceptance cannot be earlier than the service "
                "(%(service)s at %(time)s).",
                service=served_what,
                time=served,
            ),
            field="accepted_at",
        )
    item.signed_by = (item.signed_by or "").strip() or None
    item.comment = (item.comment or "").strip() or None
    if item.signed:
        if item.signed_by is None:
            raise InvalidInput(_l("Say who signed."), field="signed_by")
        if item.rating is None or not 1 <= int(item.rating) <= 5:
            raise InvalidInput(
                _l("The customer's rating is a score from 1 to 5."), field="rating"
            )
    else:
        if item.rating is not None:
            raise InvalidInput(
                _l("Without the customer's signature there is no rating."),
                field="rating",
            )
        if item.comment is None:
            raise InvalidInput(
                _l("Say why the customer did not sign (refused, absent)."),
                field="comment",
            )


@register
class ServiceAcceptanceRules(RecordRules):
    model = ServiceAcceptance

    def before_create(self, item: ServiceAcceptance, user: Any) -> None:
        check(item)

    def before_update(self, item: ServiceAcceptance, user: Any) -> None:
        check(item)
