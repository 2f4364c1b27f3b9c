"""What a case is (kind, severity, category, customer type) and what Management
approved: owned by steps, never by the generic edit.

Seed 001 §4–6: a complaint is acknowledged, assigned, handled, a major one's
solution approved by Management, reviewed and closed; the SLA policy (seed 000
§3) follows kind × severity (× customer type). Once a case is acknowledged its
classification changes only through the reclassify step (reason required,
logged, clocks recomputed); lowering a major complaint needs Management's
right `lower_major`; a complaint never becomes an inquiry once handled (it
would leave the complaint register and skip assignment, approval and review).
An after-sales case reclassified to another kind keeps its on-site acceptance
(seed 004 第十五条) but the rating stops counting in satisfaction; the log
says so (app.services.visits.acceptance.counts_in_satisfaction).
A change of solution or compensation after approval voids the approval; after
the review passed, solution and compensation are not edited at all (the
customer reopens the case instead). The screens' edit form and the API's PUT
both pass through `check_edit`; the step is `reclassify`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.labels import field_label
from app.models import Case, CaseCategory, Customer
from app.models.codes import CASE_KINDS, SEVERITIES, label
from app.security.access import can
from app.services.clocks import record_clocks
from app.services.core.errors import Conflict, InvalidInput, NotAllowed

# Statuses in which a reclassification happens by the step (from "new" the
# registration itself is still corrected by the edit form).
RECLASSIFY_FROM = ("acknowledged", "assigned", "in_progress", "pending_customer")
# Solution and compensation are frozen once the review passed.
REVIEWED = ("feedback",)
APPROVAL_FIELDS = ("solution", "compensation_amount", "compensation_note")


def is_major_complaint(kind: str | None, severity: str | None) -> bool:
    return kind == "complaint" and severity == "major"


def _stored(case: Case) -> Any:
    """The case's row as committed (the item itself already holds the edit)."""
    return db.session.execute(
        select(
            Case.status,
            Case.kind,
            Case.severity,
            Case.category_id,
            Case.customer_id,
            Case.solution,
            Case.compensation_amount,
            Case.compensation_note,
            Case.solution_approved_at,
        ).where(Case.id == case.id)
    ).one()


def _new_id(case: Case, relation: str) -> int | None:
    """The id a relation points to now (set as object by forms and the API)."""
    target = getattr(case, relation)
    if target is not None:
        return target.id
    return getattr(case, f"{relation}_id")


def _customer_type(customer_id: int | None) -> Any:
    """What of the customer picks the SLA policy: its type and grade."""
    if customer_id is None:
        return None
    return db.session.execute(
        select(Customer.customer_type_id, Customer.grade_id).where(
            Customer.id == customer_id
        )
    ).first()


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        if old is None or new is None:
            return old is None and new is None
        return Decimal(old) == Decimal(new)
    return (old or None) == (new or None)


def check_edit(case: Case, user: Any) -> bool:
    """Refuse a generic edit changing what a step owns; void a stale approval.

    Returns whether the clocks must be recomputed (a case still `new` whose
    kind, severity or customer type was corrected).
    """
    stored = _stored(case)
    changed = [
        name
        for name, old, new in (
            ("kind", stored.kind, case.kind),
            ("severity", stored.severity, case.severity),
            ("category", stored.category_id, _new_id(case, "category")),
        )
        if old != new
    ]
    new_customer = _new_id(case, "customer")
    customer_type_changed = new_customer != stored.customer_id and _customer_type(
        new_customer
    ) != _customer_type(stored.customer_id)
    if stored.status != "new":
        if changed:
            raise Conflict(
                _l(
                    "Once a case is acknowledged, %(field)s is changed only by "
                    "the step “Reclassify” (with the reason).",
                    field=field_label(changed[0]),
                ),
                field=changed[0],
            )
        if customer_type_changed:
            raise Conflict(
                _l(
                    "Once a case is acknowledged it cannot move to a customer of "
                    "another customer type: the type decides its deadlines."
                ),
                field="customer",
            )
    solution_changed = [
        name
        for name in APPROVAL_FIELDS
        if not _same(getattr(stored, name), getattr(case, name))
    ]
    if solution_changed and stored.status in REVIEWED:
        raise Conflict(
            _l(
                "The review has passed: %(field)s is no longer changed. If the "
                "customer is not satisfied, reopen the case.",
                field=field_label(solution_changed[0]),
            ),
            field=solution_changed[0],
        )
    if solution_changed and stored.solution_approved_at is not None:
        void_approval(case, user)
    return stored.status == "new" and (
        "kind" in changed or "severity" in changed or customer_type_changed
    )


def void_approval(case: Case, user: Any) -> None:
    """The approved solution was changed: Management approves it again."""
    from app.services.cases.registration import add_log

    case.solution_approved_at = None
    case.solution_approved_by = None
    add_log(
        case,
        user,
        str(
            _l(
                "Solution or compensation changed after approval: the approval "
                "is void; Management must approve again."
            )
        ),
        kind="system",
        action="approval_void",
    )


def approval_missing(case: Case) -> bool:
    """A major complaint whose current solution Management has not approved."""
    return is_major_complaint(case.kind, case.severity) and (
        case.solution_approved_at is None
    )


def reclassify(case: Case, data: dict[str, Any], user: Any) -> str:
    """The reclassify step: check, change, recompute the clocks.

    Returns the changes as text for the communication log.
    """
    from app.services.cases.registration import check_kind_severity

    kind, severity = data.get("kind"), data.get("severity")
    check_kind_severity(kind, severity)
    category = (
        db.session.get(CaseCategory, int(data["category"]))
        if data.get("category")
        else None
    )
    if category is None:
        raise InvalidInput(_l("Choose a category."), field="category")
    incident_type = _incident_type(case, kind, data.get("incident_type"))
    if (kind, severity, category.id) == (
        case.kind,
        case.severity,
        case.category_id,
    ) and incident_type == case.incident_type:
        raise InvalidInput(
            _l("Nothing to reclassify: kind, severity and category are unchanged."),
            field="severity",
        )
    if case.kind == "complaint" and kind == "inquiry":
        raise InvalidInput(
            _l("A complaint being handled never becomes an inquiry."), field="kind"
        )
    lowered = is_major_complaint(case.kind, case.severity) and not (
        is_major_complaint(kind, severity)
    )
    if lowered and not can(user, "lower_major", "CaseWorkflow"):
        raise NotAllowed(
            _l("Only Management lowers a major complaint."), field="severity"
        )
    changes = []
    if kind != case.kind:
        changes.append(_change("kind", CASE_KINDS, case.kind, kind))
    if severity != case.severity:
        changes.append(_change("severity", SEVERITIES, case.severity, severity))
    if category.id != case.category_id:
        old = case.category.name if case.category else ""
        changes.append(f"{field_label('category')}：{old} → {category.name}")
    if kind != case.kind and "aftersales" in (kind, case.kind):
        from app.services.visits.acceptance import signed_acceptance_of

        if signed_acceptance_of(case):
            changes.append(
                str(
                    _l(
                        "the customer's signed on-site acceptance counts in "
                        "satisfaction only while the case is an after-sales service"
                    )
                    if kind != "aftersales"
                    else _l(
                        "the customer's signed on-site acceptance counts in "
                        "satisfaction again"
                    )
                )
            )
    if incident_type != case.incident_type and incident_type is not None:
        old = case.incident_type.name if case.incident_type else ""
        changes.append(f"{field_label('incident_type')}：{old} → {incident_type.name}")
    case.kind, case.severity, case.category = kind, severity, category
    case.incident_type = incident_type
    from app.services.emergencies import plans

    plans.check_incident(case, creating=False)
    record_clocks.recompute(case)
    return "；".join(changes)


def _incident_type(case: Case, kind: str | None, given: Any) -> Any:
    """The incident type a reclassified case has: the one chosen, else the
    case's; an incident needs one (seed 002 §6(一)), other kinds none."""
    from app.models import IncidentType

    if kind != "incident":
        return None
    chosen = db.session.get(IncidentType, int(given)) if given else None
    chosen = chosen or case.incident_type
    if chosen is None:
        raise InvalidInput(
            _l(
                "An incident needs its type (natural disaster, safety accident, "
                "escalated dispute): it decides the emergency plan followed."
            ),
            field="incident_type",
        )
    return chosen


def _change(name: str, codes: dict[str, Any], old: str, new: str) -> str:
    return f"{field_label(name)}：{label(codes, old)} → {label(codes, new)}"
