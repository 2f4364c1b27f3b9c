"""The post-incident review (事后总结, seed 002 §6(三)): once an incident case is
closed, CustomerService or Management sums it up - causes (查找原因), lessons
learned (总结经验教训) - and says whether the emergency plan needs revision
(修订完善应急预案). A review proposing a revision opens a draft next version
of the type's plan: the text in force, with the proposed changes noted, for
Management to complete and put in force. One review per case; it belongs to
the case's department and is seen by whoever sees the case.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import Case, EmergencyPlan, IncidentReview, PlanResponsible
from app.services.core.errors import Conflict, InvalidInput
from app.services.core.records import RecordRules, register
from app.services.emergencies import plans


def _case_of(item: IncidentReview) -> Case | None:
    if item.case is not None:
        return item.case
    return db.session.get(Case, item.case_id) if item.case_id else None


def _texts(item: IncidentReview) -> None:
    for name, message in (
        ("causes", _l("Write down the causes of the incident.")),
        ("lessons", _l("Write down the lessons learned.")),
    ):
        value = (getattr(item, name) or "").strip()
        if not value:
            raise InvalidInput(message, field=name)
        setattr(item, name, value)


def revision_text(current: EmergencyPlan | None, case: Case, changes: str) -> str:
    """The draft's procedure: the text in force, then the proposed changes."""
    note = str(
        _l(
            "[Revision proposed by the post-incident review of case %(number)s]",
            number=case.number,
        )
    )
    base = current.procedure if current is not None else ""
    text = f"{base}\n\n{note}\n{changes}".strip()
    return text[: EmergencyPlan.procedure.type.length]


def propose_revision(case: Case, changes: str, user: Any) -> EmergencyPlan:
    """A draft next version of the case's incident type's plan: a copy of the
    version in force (title, text, responsible people) with the changes."""
    current = plans.in_force(case.incident_type_id)
    draft = EmergencyPlan(
        incident_type_id=case.incident_type_id,
        version_no=plans.next_version(case.incident_type_id),
        title=current.title if current is not None else str(case.incident_type),
        procedure=revision_text(current, case, changes),
        status="draft",
    )
    if current is not None:
        draft.responsibles = [
            PlanResponsible(person_id=r.person_id, duty=r.duty)
            for r in current.responsibles
        ]
    db.session.add(draft)
    return draft


@register
class IncidentReviewRules(RecordRules):
    model = IncidentReview

    def before_create(self, item: IncidentReview, user: Any) -> None:
        case = _case_of(item)
        if case is None:
            raise InvalidInput(_l("Choose the incident case."), field="case")
        if case.kind != "incident":
            raise InvalidInput(
                _l("Only an incident case gets a post-incident review."),
                field="case",
            )
        if case.status != "closed":
            raise Conflict(
                _l(
                    "The post-incident review is written once the incident case "
                    "is closed (the case is still open)."
                ),
                field="case",
            )
        taken = db.session.scalar(
            select(IncidentReview.id).where(IncidentReview.case_id == case.id)
        )
        if taken is not None:
            raise Conflict(
                _l("This incident has its post-incident review already."),
                field="case",
            )
        _texts(item)
        item.department_id = case.department_id
        item.plan_id = case.emergency_plan_id
        changes = (item.proposed_changes or "").strip()
        item.proposed_changes = changes or None
        item.needs_revision = bool(item.needs_revision)
        if not item.needs_revision:
            item.revision = None
            return
        if not changes:
            raise InvalidInput(
                _l("Say what should change in the emergency plan."),
                field="proposed_changes",
            )
        if case.incident_type_id is None:
            raise InvalidInput(
                _l("The case names no incident type: no plan to revise."),
                field="needs_revision",
            )
        item.revision = propose_revision(case, changes, user)

    def before_update(self, item: IncidentReview, user: Any) -> None:
        _texts(item)
