"""Follow-up visit and improvement action record rules."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect as sa_inspect

from app.models import FollowUp, ImprovementAction, now
from app.security.scope import sees_all
from app.services import improvements
from app.services.errors import Conflict, InvalidInput
from app.services.numbering import next_number
from app.services.records import RecordRules, own_department, register
from app.services.sla import set_due_risk


def _due_changed(item: FollowUp | ImprovementAction) -> bool:
    return sa_inspect(item).attrs.due_at.history.has_changes()


@register
class FollowUpRules(RecordRules):
    model = FollowUp

    def before_create(self, item: FollowUp, user: Any) -> None:
        if item.due_at is None:
            raise InvalidInput(_l("Give the due date."), field="due_at")
        item.number = next_number("followup")
        item.source = item.source or "manual"
        item.status = "planned"
        item.department = own_department(user)
        if item.assignee_id is None and item.assignee is None:
            item.assignee_id = user.id
        set_due_risk(item)

    def before_update(self, item: FollowUp, user: Any) -> None:
        if item.satisfaction is not None and not 1 <= int(item.satisfaction) <= 5:
            raise InvalidInput(
                _l("Satisfaction is a score from 1 to 5."), field="satisfaction"
            )
        if _due_changed(item):
            set_due_risk(item, active=item.status in ("planned", "overdue"))
            if item.status == "overdue" and item.due_state == "running":
                item.status = "planned"

    def before_delete(self, item: FollowUp, user: Any) -> None:
        if item.status != "planned":
            raise Conflict(_l("Only a planned follow-up can be deleted."))


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
        improvements.check_owner(item)
        set_due_risk(item)

    def before_update(self, item: ImprovementAction, user: Any) -> None:
        # Read the change first: loading the owner may autoflush the history away.
        due_changed = _due_changed(item)
        improvements.check_owner(item)
        if due_changed:
            if item.due_at is None or item.due_at < now():
                raise InvalidInput(_l("The due date is in the past."), field="due_at")
            set_due_risk(item, active=item.status in improvements.ACTIVE)
