"""Improvement actions (改进措施, seed 001 §7.2): deadline, steps, creation, rules.

An action is created from the complaint analysis (a category or KPI that
misses its target) with an owner department and person and a due date. Its
at-risk instant is `created + 80 % x (due - created)` (the share is the
`sla.at_risk_percent` setting); the deadline check marks it at risk and
breached and alerts the owner and the department head(s). Steps: start,
complete (with what was done), verify the effect (Management; an ineffective
action goes back to work with a new due date), cancel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from app.extensions import db
from app.models import AppUser, CaseCategory, Department, ImprovementAction, now
from app.models.codes import IMPROVEMENT_STATUSES
from app.security.access import acting_as, can
from app.security.scope import sees_all
from app.services.clocks import record_clocks
from app.services.core import records
from app.services.core.errors import InvalidInput, NotAllowed
from app.services.core.numbering import next_number
from app.services.core.records import RecordRules, own_department, register
from app.services.core.workflow import Ask, Step, Workflow, as_datetime

ACTIVE = ("open", "in_progress")


def check_owner(action: ImprovementAction) -> None:
    """The responsible person works in the responsible department."""
    owner = action.owner or (
        db.session.get(AppUser, action.owner_id) if action.owner_id else None
    )
    department_id = action.department_id or (
        action.department.id if action.department else None
    )
    if (
        owner is not None
        and department_id is not None
        and (owner.department_id != department_id)
    ):
        raise InvalidInput(
            _l("The person responsible does not work in the responsible department."),
            field="owner",
        )


# ------------------------------------------------------------------- steps
def _complete(action: ImprovementAction, data: dict[str, Any], user: Any) -> None:
    action.outcome = data["outcome"]
    action.done_at = now()
    action.due_state = "met" if action.done_at <= action.due_at else "missed"


def _verify(action: ImprovementAction, data: dict[str, Any], user: Any) -> None:
    effective = data["effective"] == "yes"
    action.effective = effective
    action.effectiveness = data["effectiveness"]
    action.checked_at = now()
    action.checked_by = user
    if effective:
        action.status = "verified"
        return
    # Not effective: back to work under a new due date.
    due = as_datetime(data.get("due_at"))
    if due is None or due <= now():
        raise InvalidInput(
            _l("An ineffective action needs a new due date in the future."),
            field="due_at",
        )
    action.status = "in_progress"
    action.done_at = None
    action.due_at = due
    record_clocks.set_due_risk(action)


def _cancel(action: ImprovementAction, data: dict[str, Any], user: Any) -> None:
    action.outcome = data["reason"]
    action.due_state = "none"


EFFECTIVE = (("yes", _l("Effective")), ("no", _l("Not effective")))

STEPS = (
    Step("start", _l("Start"), ("open",), "in_progress", icon="fa-play"),
    Step(
        "complete",
        _l("Complete"),
        ("in_progress",),
        "done",
        asks=(Ask("outcome", _l("What was done"), "textarea", required=True),),
        apply=_complete,
        icon="fa-check",
        style="success",
        help=_l("Next: Management checks whether the measure worked."),
    ),
    Step(
        "verify",
        _l("Check effectiveness"),
        ("done",),
        None,
        asks=(
            Ask(
                "effective",
                _l("Result of the check"),
                "select",
                required=True,
                choices=lambda _action: EFFECTIVE,
            ),
            Ask(
                "effectiveness",
                _l("Evidence (complaint figures before and after)"),
                "textarea",
                required=True,
            ),
            Ask(
                "due_at",
                _l("New due date"),
                "datetime",
                description=_l("Required when the measure did not work."),
            ),
        ),
        apply=_verify,
        icon="fa-check-square-o",
        style="success",
    ),
    Step(
        "cancel",
        _l("Cancel"),
        ACTIVE,
        "cancelled",
        asks=(Ask("reason", _l("Reason"), "textarea", required=True),),
        apply=_cancel,
        icon="fa-ban",
        style="danger",
    ),
)

IMPROVEMENT_FLOW = Workflow(
    model=ImprovementAction,
    resource="ImprovementWorkflow",
    statuses=IMPROVEMENT_STATUSES,
    steps=STEPS,
)


# ------------------------------------------------------ from the analysis
@dataclass(frozen=True)
class Draft:
    """What the analysis knows about an action it suggests."""

    problem: str
    category_id: int | None
    kpi: str | None
    department_id: int | None


def draft(
    category_id: int | None, kpi_code: str | None, period: str, figure: Any = None
) -> Draft:
    """Prefill: the problem says which figure missed which target, and where."""
    category = db.session.get(CaseCategory, category_id) if category_id else None
    parts = [period]
    if category is not None:
        parts.append(str(_l("category %(name)s", name=category.name)))
    if figure is not None and figure.value is not None:
        target = figure.target.percent if figure.target else None
        parts.append(
            str(
                _l(
                    "%(kpi)s %(value)s (target %(target)s)",
                    kpi=figure.kpi.label,
                    value=figure.display(),
                    target=f"{target} %" if target is not None else "—",
                )
            )
        )
    return Draft(
        problem="; ".join(parts),
        category_id=category.id if category else None,
        kpi=kpi_code,
        department_id=category.default_department_id if category else None,
    )


def create_action(
    user: Any,
    *,
    problem: str,
    measure: str,
    due_at: dt.datetime,
    department_id: int | None = None,
    owner_id: int | None = None,
    category_id: int | None = None,
    kpi: str | None = None,
    source_case_id: int | None = None,
) -> ImprovementAction:
    """Create an action through the same rules as the action screen."""
    if not can(user, "add", "ImprovementAction"):
        raise NotAllowed(_l("You may not create improvement actions."))
    action = ImprovementAction(
        problem=problem,
        measure=measure,
        due_at=due_at,
        kpi=kpi or None,
        category_id=category_id,
        source_case_id=source_case_id,
        department=db.session.get(Department, department_id) if department_id else None,
        owner_id=owner_id,
    )
    with acting_as(user):
        records.before_create(action)
        db.session.add(action)
        db.session.commit()
        records.after_create(action)
    return action


def staff_choices() -> list[tuple[str, str]]:
    rows = db.session.scalars(
        select(AppUser)
        .where(AppUser.active.is_(True), AppUser.department_id.is_not(None))
        .order_by(AppUser.department_id, AppUser.id)
    )
    return [(str(u.id), f"{u} · {u.department}") for u in rows]


def department_choices() -> list[tuple[str, str]]:
    rows = db.session.scalars(
        select(Department).where(Department.active.is_(True)).order_by(Department.id)
    )
    return [(str(d.id), d.name) for d in rows]


@register
class ImprovementRules(RecordRules):
    model = ImprovementAction

    def before_create(self, item: ImprovementAction, user: Any) -> None:
        if item.due_at is None:
            raise InvalidInput(_l("Give the due date."), field="due_at")
        if item.due_at < now():
            raise InvalidInput(_l("The due date is in the past."), field="due_at")
        item.number = next_number("action")
        item.status = "open"
        # CustomerService and Management hand actions to any department.
        if not sees_all(user) or (
            item.department is None and item.department_id is None
        ):
            item.department = own_department(user)
        check_owner(item)
        record_clocks.set_due_risk(item)

    def before_update(self, item: ImprovementAction, user: Any) -> None:
        # Read the change first: loading the owner may autoflush the history away.
        due_changed = sa_inspect(item).attrs.due_at.history.has_changes()
        check_owner(item)
        if due_changed:
            if item.due_at is None or item.due_at < now():
                raise InvalidInput(_l("The due date is in the past."), field="due_at")
            record_clocks.set_due_risk(item, active=item.status in ACTIVE)
