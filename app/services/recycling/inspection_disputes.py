"""Inspection disputes: a customer contests an inspection → a linked case for QC.

The dispute is a complaint case of category `inspection_dispute`; the category
routes it to QC and the case keeps the link (case.inspection, case.pickup).
An inspection has no status of its own: the step is offered by its result.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Case,
    CaseCategory,
    Channel,
    Customer,
    Inspection,
    Settlement,
    SettlementLine,
)
from app.models.codes import CASE_OPEN_STATUSES, INSPECTION_RESULTS, SEVERITIES
from app.services.core import records
from app.services.core.errors import InvalidInput
from app.services.core.workflow import Ask, Step, Workflow

DISPUTE_CATEGORY = "inspection_dispute"


def dispute_customer(inspection: Inspection) -> Customer | None:
    """Who disputes: the inspection's customer, else the buyer it was settled with."""
    if inspection.customer is not None:
        return inspection.customer
    return db.session.scalars(
        select(Customer)
        .join(Settlement, Settlement.customer_id == Customer.id)
        .join(SettlementLine)
        .where(SettlementLine.inspection_id == inspection.id)
    ).first()


def open_dispute(inspection: Inspection) -> Case | None:
    return db.session.scalars(
        select(Case)
        .join(CaseCategory)
        .where(
            Case.inspection_id == inspection.id,
            CaseCategory.code == DISPUTE_CATEGORY,
            Case.status.in_(CASE_OPEN_STATUSES),
        )
    ).first()


def _disputable(inspection: Inspection) -> Any:
    if dispute_customer(inspection) is None:
        return _l("The inspection has no customer yet to record a dispute for.")
    case = open_dispute(inspection)
    if case is not None:
        return _l(
            "Dispute %(number)s about this inspection is still open.",
            number=case.number,
        )
    return None


def _dispute(inspection: Inspection, data: dict[str, Any], user: Any) -> None:
    category = db.session.scalars(
        select(CaseCategory).where(CaseCategory.code == DISPUTE_CATEGORY)
    ).first()
    if category is None:
        raise InvalidInput(
            _l("The case category %(code)s is not set up.", code=DISPUTE_CATEGORY)
        )
    channel = db.session.get(Channel, int(data["channel"]))
    case = Case(
        customer=dispute_customer(inspection),
        kind="complaint",
        severity=data.get("severity") or "general",
        category=category,
        channel=channel,
        stage="inspection",
        title=str(
            _l(
                "Inspection dispute: %(number)s %(material)s",
                number=inspection.number,
                material=inspection.material.name,
            )
        ),
        description=data["description"].strip(),
        expected_solution=(data.get("expected_solution") or "").strip() or None,
        inspection=inspection,
        pickup=inspection.pickup,
    )
    records.add(case, user)  # numbers it, routes it to QC, starts its clocks


def _opened(inspection: Inspection, step: Step) -> None:
    """Post-commit hooks of the new case (notifications, jobs)."""
    case = db.session.scalars(
        select(Case).where(Case.inspection_id == inspection.id).order_by(Case.id.desc())
    ).first()
    if case is not None:
        records.after_create(case)


def _channels(_inspection: Inspection) -> list[tuple[str, str]]:
    return [(str(c.id), c.name) for c in db.session.scalars(select(Channel))]


def _severities(_inspection: Inspection) -> list[tuple[str, Any]]:
    return [(code, SEVERITIES[code]) for code in ("general", "major")]


INSPECTION_FLOW = Workflow(
    model=Inspection,
    resource="InspectionWorkflow",
    statuses=INSPECTION_RESULTS,
    state="result",
    steps=(
        Step(
            "dispute",
            _l("Record a dispute"),
            tuple(INSPECTION_RESULTS),
            None,
            asks=(
                Ask(
                    "channel", _l("Channel"), "select", required=True, choices=_channels
                ),
                Ask("severity", _l("Severity"), "select", choices=_severities),
                Ask(
                    "description",
                    _l("What the customer contests"),
                    "textarea",
                    required=True,
                ),
                Ask(
                    "expected_solution", _l("Customer's expected solution"), "textarea"
                ),
            ),
            apply=_dispute,
            guard=_disputable,
            style="warning",
            icon="fa-exclamation-triangle",
        ),
    ),
    after=_opened,
)
