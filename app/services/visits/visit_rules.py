"""Follow-up visit record rules: number, assignee, due and at-risk instants."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect as sa_inspect

from app.models import FollowUp
from app.services.clocks.record_clocks import set_due_risk
from app.services.core.errors import Conflict, InvalidInput
from app.services.core.numbering import next_number
from app.services.core.records import RecordRules, own_department, register


def _due_changed(item: FollowUp) -> bool:
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
