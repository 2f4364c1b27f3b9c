"""Training records: plans, sessions, attendance and assessment results.

Seed 003 客服运营方案 三.1: each department's yearly training plan (年度培训
计划: goals, content, method, schedule); 客服部规章 第十八–十九条: internal
training, on-site training, case studies and external training are recorded
with who attended; 第十七条: new staff are assessed (考核) and take up duty
once they pass. The head of a department records its training, Management
any department's. An assessment passes at the setting `training.pass_score`
(default 60 of 100), and a passed assessment clears the person for duty
(app.services.training.clearance).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from app.extensions import db
from app.models import (
    AppUser,
    Department,
    TrainingAssessment,
    TrainingAttendance,
    TrainingPlan,
    TrainingSession,
    now,
)
from app.models.codes import TRAINING_KINDS
from app.services.core.errors import Conflict, InvalidInput, NotAllowed
from app.services.core.records import RecordRules, own_department, register
from app.services.training import clearance

MAY_NOT = _l("Only the department head or Management records its training.")


def refusal_to_record(user: Any) -> Any | None:
    """MAY_NOT when `user` may record no training at all - neither
    Management nor a department head (the rule of this module's doc) - else
    None. Which department a head records is checked on the record."""
    department_id = getattr(user, "department_id", None)
    return None if clearance.may_manage(user, department_id) else MAY_NOT


def _get(item: Any, name: str, model: Any) -> Any:
    found = getattr(item, name)
    if found is None and getattr(item, f"{name}_id") is not None:
        found = db.session.get(model, getattr(item, f"{name}_id"))
    return found


def _department(item: Any, user: Any) -> Department:
    """The chosen department, or the writer's own; only the head of a
    department or Management writes its records."""
    department = _get(item, "department", Department) or own_department(user)
    if not clearance.may_manage(user, department.id):
        raise NotAllowed(MAY_NOT, field="department")
    item.department = department
    return department


def _changed(item: Any, *names: str) -> bool:
    state = sa_inspect(item)
    return any(state.attrs[name].history.has_changes() for name in names)


@register
class TrainingPlanRules(RecordRules):
    model = TrainingPlan

    def _check(self, item: TrainingPlan, user: Any) -> None:
        department = _department(item, user)
        if item.year is None or not 2000 <= int(item.year) <= 2100:
            raise InvalidInput(_l("Give the year of the plan."), field="year")
        if not (item.goals or "").strip():
            raise InvalidInput(_l("Write the goals of the training."), field="goals")
        if not (item.content or "").strip():
            raise InvalidInput(
                _l("Write the content of the training."), field="content"
            )
        taken = db.session.scalar(
            select(TrainingPlan.id).where(
                TrainingPlan.year == int(item.year),
                TrainingPlan.department_id == department.id,
                TrainingPlan.id != (item.id or 0),
            )
        )
        if taken is not None:
            raise InvalidInput(
                _l(
                    "%(dept)s already has a training plan for %(year)s.",
                    dept=department.name,
                    year=item.year,
                ),
                field="year",
            )

    def before_create(self, item: TrainingPlan, user: Any) -> None:
        self._check(item, user)

    def before_update(self, item: TrainingPlan, user: Any) -> None:
        self._check(item, user)


@register
class TrainingSessionRules(RecordRules):
    model = TrainingSession

    def _check(self, item: TrainingSession, user: Any) -> None:
        department = _department(item, user)
        if item.kind not in TRAINING_KINDS:
            raise InvalidInput(_l("Choose the kind of training."), field="kind")
        if item.held_on is None:
            raise InvalidInput(_l("Give the date of the training."), field="held_on")
        if not (item.trainer or "").strip():
            raise InvalidInput(_l("Name the trainer."), field="trainer")
        if not (item.topic or "").strip():
            raise InvalidInput(_l("Give the topic."), field="topic")
        plan = _get(item, "training_plan", TrainingPlan)
        if plan is not None and plan.department_id != department.id:
            raise InvalidInput(
                _l("The training plan is another department's."),
                field="training_plan",
            )

    def before_create(self, item: TrainingSession, user: Any) -> None:
        self._check(item, user)

    def before_update(self, item: TrainingSession, user: Any) -> None:
        self._check(item, user)


def _person(item: Any, user: Any, department_id: int | None) -> AppUser:
    person = _get(item, "person", AppUser)
    if person is None:
        raise InvalidInput(_l("Choose the person."), field="person")
    if not person.active or person.is_system:
        raise InvalidInput(
            _l("%(name)s is not an active member of staff.", name=str(person)),
            field="person",
        )
    if not clearance.may_manage(user, person.department_id):
        raise NotAllowed(
            _l(
                "%(name)s works in another department: their head records "
                "their training.",
                name=str(person),
            ),
            field="person",
        )
    item.department_id = person.department_id
    return person


@register
class TrainingAttendanceRules(RecordRules):
    model = TrainingAttendance

    def _check(self, item: TrainingAttendance, user: Any) -> None:
        session = _get(item, "training_session", TrainingSession)
        if session is None:
            raise InvalidInput(
                _l("Choose the training session."), field="training_session"
            )
        if not clearance.may_manage(user, session.department_id):
            raise NotAllowed(MAY_NOT, field="training_session")
        person = _person(item, user, session.department_id)
        taken = db.session.scalar(
            select(TrainingAttendance.id).where(
                TrainingAttendance.training_session_id == session.id,
                TrainingAttendance.person_id == person.id,
                TrainingAttendance.id != (item.id or 0),
            )
        )
        if taken is not None:
            raise InvalidInput(
                _l("%(name)s is already on this session's list.", name=str(person)),
                field="person",
            )
        if item.attended is None:
            item.attended = True

    def before_create(self, item: TrainingAttendance, user: Any) -> None:
        self._check(item, user)

    def before_update(self, item: TrainingAttendance, user: Any) -> None:
        self._check(item, user)

    def before_delete(self, item: TrainingAttendance, user: Any) -> None:
        session = _get(item, "training_session", TrainingSession)
        if not clearance.may_manage(user, session.department_id if session else None):
            raise NotAllowed(MAY_NOT)


def passes(score: Decimal) -> bool:
    """An assessment passes at or above the pass mark."""
    return Decimal(score) >= clearance.pass_score()


@register
class TrainingAssessmentRules(RecordRules):
    model = TrainingAssessment

    def _check(self, item: TrainingAssessment, user: Any) -> None:
        person = _person(item, user, None)
        if item.score is None:
            raise InvalidInput(_l("Give the score."), field="score")
        if not Decimal(0) <= Decimal(item.score) <= Decimal(100):
            raise InvalidInput(_l("The score is from 0 to 100."), field="score")
        today = now().date()
        item.assessed_on = item.assessed_on or today
        if item.assessed_on > today:
            raise InvalidInput(
                _l("The assessment date cannot be in the future."),
                field="assessed_on",
            )
        session = _get(item, "training_session", TrainingSession)
        if session is not None and not clearance.may_manage(
            user, session.department_id
        ):
            raise NotAllowed(MAY_NOT, field="training_session")
        item.passed = passes(item.score)
        if item.passed:
            clearance.mark_cleared(
                person,
                str(
                    _l(
                        "Passed the training assessment of %(day)s with %(score)s.",
                        day=item.assessed_on.isoformat(),
                        score=f"{Decimal(item.score):g}",
                    )
                ),
            )

    def before_create(self, item: TrainingAssessment, user: Any) -> None:
        self._check(item, user)

    def before_update(self, item: TrainingAssessment, user: Any) -> None:
        if _changed(item, "person_id", "person"):
            raise Conflict(_l("An assessment stays with its person; record a new one."))
        self._check(item, user)
