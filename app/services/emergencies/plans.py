"""Emergency plans (应急预案, seed 002 §6(一)(二)): one versioned document per
incident type - title, procedure (应急处置流程), responsible people, effective
date.

A version is written as a draft (by Management or an admin) and changed only
while it is a draft. Management puts it in force (a workflow step); the
version in force until then is superseded, so exactly one version per type is
in force. Versions in force or superseded are kept as they were: the generic
edit and the API refuse to change them or their responsible people. An
incident case follows the version in force when it was received; that link
is stored on the case, so a later revision never rewrites what the
responders followed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, inspect, or_, select

from app.extensions import db
from app.models import (
    BUSINESS_TZ,
    Case,
    EmergencyPlan,
    IncidentType,
    PlanResponsible,
    now,
)
from app.models.codes import PLAN_STATUSES
from app.services.core.errors import Conflict, InvalidInput
from app.services.core.records import RecordRules, register
from app.services.core.workflow import Ask, Step, Workflow


def today() -> dt.date:
    return now().astimezone(BUSINESS_TZ).date()


def in_force(incident_type_id: int | None) -> EmergencyPlan | None:
    """The version of the type's plan in force now."""
    if incident_type_id is None:
        return None
    return db.session.scalars(
        select(EmergencyPlan).where(
            EmergencyPlan.incident_type_id == incident_type_id,
            EmergencyPlan.status == "in_force",
        )
    ).first()


def in_force_at(incident_type_id: int | None, moment: dt.datetime) -> Any:
    """The version of the type's plan that was in force at `moment`; for a
    moment before any version was put in force, the one in force now."""
    if incident_type_id is None:
        return None
    found = db.session.scalars(
        select(EmergencyPlan)
        .where(
            EmergencyPlan.incident_type_id == incident_type_id,
            EmergencyPlan.status.in_(("in_force", "superseded")),
            EmergencyPlan.in_force_at <= moment,
            or_(
                EmergencyPlan.superseded_at.is_(None),
                EmergencyPlan.superseded_at > moment,
            ),
        )
        .order_by(EmergencyPlan.version_no.desc())
        .limit(1)
    ).first()
    return found if found is not None else in_force(incident_type_id)


def next_version(incident_type_id: int) -> int:
    """The number of the type's next plan version (1 for the first)."""
    top = db.session.scalar(
        select(func.max(EmergencyPlan.version_no)).where(
            EmergencyPlan.incident_type_id == incident_type_id
        )
    )
    return (top or 0) + 1


def _stored_status(plan: EmergencyPlan) -> str | None:
    """The status as stored (a client cannot change it by sending another)."""
    history = inspect(plan).attrs.status.history
    if history.deleted:
        return history.deleted[0]
    return plan.status


def _kept(plan: EmergencyPlan) -> Conflict:
    return Conflict(
        _l(
            "Version %(number)s of this plan is %(status)s and is kept as it "
            "was: draft a new version to change the plan.",
            number=plan.version_no,
            status=PLAN_STATUSES.get(plan.status, plan.status),
        )
    )


def _text(item: Any, name: str, message: Any) -> None:
    value = (getattr(item, name) or "").strip()
    if not value:
        raise InvalidInput(message, field=name)
    setattr(item, name, value)


@register
class EmergencyPlanRules(RecordRules):
    model = EmergencyPlan

    def before_create(self, item: EmergencyPlan, user: Any) -> None:
        type_id = item.incident_type.id if item.incident_type else None
        type_id = type_id or item.incident_type_id
        if type_id is None or db.session.get(IncidentType, type_id) is None:
            raise InvalidInput(_l("Choose the incident type."), field="incident_type")
        _text(item, "title", _l("Give the plan a title."))
        _text(item, "procedure", _l("Write down the emergency procedure."))
        # A new version is always a draft with the next number.
        item.incident_type_id = type_id
        item.version_no = next_version(type_id)
        item.status = "draft"
        item.in_force_at = item.superseded_at = None
        item.put_in_force_by_id = None

    def before_update(self, item: EmergencyPlan, user: Any) -> None:
        stored = _stored_status(item)
        if stored != "draft":
            item.status = stored
            raise _kept(item)
        history = inspect(item).attrs
        for name in ("status", "version_no", "incident_type_id"):
            if history[name].history.has_changes():
                raise InvalidInput(
                    _l("Only the title, procedure and effective date are edited."),
                    field=name,
                )
        _text(item, "title", _l("Give the plan a title."))
        _text(item, "procedure", _l("Write down the emergency procedure."))

    def before_delete(self, item: EmergencyPlan, user: Any) -> None:
        if item.status != "draft":
            raise _kept(item)
        from app.models import IncidentReview

        if db.session.scalar(
            select(IncidentReview.id).where(IncidentReview.revision_id == item.id)
        ):
            raise Conflict(
                _l("This draft was proposed by a post-incident review and is kept.")
            )


def _plan_of(item: PlanResponsible) -> EmergencyPlan | None:
    if item.plan is not None:
        return item.plan
    return db.session.get(EmergencyPlan, item.plan_id) if item.plan_id else None


def _draft_only(item: PlanResponsible) -> None:
    plan = _plan_of(item)
    if plan is None:
        raise InvalidInput(_l("Choose the plan."), field="plan")
    if plan.status != "draft":
        raise _kept(plan)


@register
class PlanResponsibleRules(RecordRules):
    """Responsible people change with the draft only."""

    model = PlanResponsible

    def before_create(self, item: PlanResponsible, user: Any) -> None:
        _draft_only(item)
        if item.person is None and item.person_id is None:
            raise InvalidInput(_l("Choose the responsible person."), field="person")
        person_id = item.person.id if item.person else item.person_id
        plan = _plan_of(item)
        if any(r.person_id == person_id and r is not item for r in plan.responsibles):
            raise InvalidInput(
                _l("This person is already responsible under the plan."),
                field="person",
            )

    def before_update(self, item: PlanResponsible, user: Any) -> None:
        _draft_only(item)

    def before_delete(self, item: PlanResponsible, user: Any) -> None:
        _draft_only(item)


# ----------------------------------------------------------- incident cases
def check_incident(case: Case, creating: bool) -> None:
    """An incident names its type (seed 002 §6(一)) and follows the plan in
    force when it was received; other kinds carry no incident type."""
    if case.kind != "incident":
        case.incident_type = None
        case.incident_type_id = None
        case.emergency_plan = None
        case.emergency_plan_id = None
        return
    type_id = _incident_type_id(case)
    if type_id is None:
        raise InvalidInput(
            _l(
                "An incident needs its type (natural disaster, safety accident, "
                "escalated dispute): it decides the emergency plan followed."
            ),
            field="incident_type",
        )
    changed = creating or inspect(case).attrs.incident_type_id.history.has_changes()
    changed = changed or inspect(case).attrs.incident_type.history.has_changes()
    if changed or case.emergency_plan_id is None:
        plan = in_force_at(type_id, case.received_at or now())
        case.emergency_plan = plan
        case.emergency_plan_id = plan.id if plan is not None else None


def _incident_type_id(case: Case) -> int | None:
    """The incident type the case is being saved with: the id or the
    relationship, whichever was just set (the other keeps the old value
    until the row is flushed)."""
    state = inspect(case)
    if state.attrs.incident_type_id.history.has_changes():
        return case.incident_type_id
    if state.attrs.incident_type.history.has_changes():
        return case.incident_type.id if case.incident_type is not None else None
    if case.incident_type is not None:
        return case.incident_type.id
    return case.incident_type_id


# ------------------------------------------------------- putting in force
def _responsible_missing(plan: EmergencyPlan) -> Any:
    if not plan.responsibles:
        return _l("Name at least one responsible person before the plan is in force.")
    return None


def _put_in_force(plan: EmergencyPlan, data: dict[str, Any], user: Any) -> None:
    """The version goes in force; the one in force until now is superseded."""
    current = db.session.scalars(
        select(EmergencyPlan)
        .where(
            EmergencyPlan.incident_type_id == plan.incident_type_id,
            EmergencyPlan.status == "in_force",
            EmergencyPlan.id != plan.id,
        )
        .with_for_update()
    ).first()
    if current is not None and current.version_no > plan.version_no:
        raise Conflict(
            _l(
                "Version %(later)s of this plan is in force already: an earlier "
                "version does not replace it.",
                later=current.version_no,
            )
        )
    effective = data.get("effective_on") or plan.effective_on or today()
    if effective > today():
        raise InvalidInput(
            _l("The plan is in force from today: the date cannot be later."),
            field="effective_on",
        )
    moment = now()
    if current is not None:
        current.status = "superseded"
        current.superseded_at = moment
        # The superseded version leaves "in force" before this one enters it.
        db.session.flush()
    plan.effective_on = effective
    plan.in_force_at = moment
    plan.put_in_force_by_id = user.id


def put_in_force_summary(plan: EmergencyPlan) -> str:
    current = in_force(plan.incident_type_id)
    if current is None or current.id == plan.id:
        return str(
            _l(
                "Version %(number)s becomes the plan in force for %(type)s.",
                number=plan.version_no,
                type=plan.incident_type,
            )
        )
    return str(
        _l(
            "Version %(number)s becomes the plan in force for %(type)s; version "
            "%(old)s is superseded and kept read-only.",
            number=plan.version_no,
            type=plan.incident_type,
            old=current.version_no,
        )
    )


PLAN_FLOW = Workflow(
    model=EmergencyPlan,
    resource="EmergencyPlanWorkflow",
    statuses=PLAN_STATUSES,
    steps=(
        Step(
            "put_in_force",
            _l("Put in force"),
            ("draft",),
            "in_force",
            asks=(
                Ask(
                    "effective_on",
                    _l("Effective date"),
                    "date",
                    description=_l("Empty: today."),
                    default=lambda plan: plan.effective_on or today(),
                ),
            ),
            apply=_put_in_force,
            guard=_responsible_missing,
            style="success",
            icon="fa-check",
            help=_l("The version in force until now is superseded and kept."),
            summary=put_in_force_summary,
        ),
    ),
)
