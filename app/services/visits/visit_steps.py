"""The follow-up visit (回访) as explicit steps: done with a score, or unreachable.

planned/overdue → done (channel, outcome, satisfaction 1-5, comment) or
unreachable. A score at or below the setting `followup.dissatisfied_max`
(default 2) is a dissatisfied customer: the source case is reopened (二次处理)
when it is closed, or a new complaint is opened (for pickups, partner visits,
or a case that is still being handled), and linked as the visit's result case.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import FollowUp, Setting, now
from app.models.codes import FOLLOWUP_STATUSES
from app.security.access import system_user
from app.security.scope import is_visible
from app.services.core.workflow import (
    Ask,
    Step,
    Workflow,
    channel_choices,
    satisfaction_ask,
)

DEFAULT_DISSATISFIED_MAX = 2
OPEN = ("planned", "overdue")


def dissatisfied_max() -> int:
    value = db.session.execute(
        select(Setting.value).where(Setting.key == "followup.dissatisfied_max")
    ).scalar_one_or_none()
    try:
        return int(value) if value not in (None, "") else DEFAULT_DISSATISFIED_MAX
    except ValueError:
        return DEFAULT_DISSATISFIED_MAX


def _stop_clock(item: FollowUp) -> None:
    moment = now()
    item.done_at = moment
    if item.due_state in ("running", "at_risk", "breached"):
        late = item.due_state == "breached" or moment > item.due_at
        item.due_state = "missed" if late else "met"


def _complete(item: FollowUp, data: dict[str, Any], user: Any) -> None:
    item.channel_id = int(data["channel"]) if data.get("channel") else item.channel_id
    item.outcome = data["outcome"]
    item.satisfaction = int(data["satisfaction"])
    item.comment = data.get("comment")
    _stop_clock(item)
    if item.satisfaction <= dissatisfied_max():
        _follow_through(item, user)


def _unreachable(item: FollowUp, data: dict[str, Any], user: Any) -> None:
    item.outcome = data["outcome"]
    _stop_clock(item)


def _follow_through(item: FollowUp, user: Any) -> None:
    """Reopen the source case, or open a new complaint, for a poor score."""
    from app.services.cases.case_steps import CASE_FLOW, open_complaint

    reason = (
        f"回访 {item.number} 客户不满意（满意度 {item.satisfaction} 分）："
        f"{item.comment or item.outcome}"
    )
    case = item.case
    if case is not None and case.status in ("closed", "feedback"):
        # Both commit; the visit's own changes are committed with them and the
        # step's final commit records the visit as done.
        item.result_case = case
        CASE_FLOW.run(case, "reopen", {"reason": reason}, system_user())
        return
    title = f"回访不满意：{item.customer.name if item.customer else ''}"[:200]
    # The clerk who heard it registers it (首问负责制); the link to a case they
    # cannot see is left out rather than refused.
    parent = (
        case if case is not None and is_visible(type(case), case.id, user) else None
    )
    opened = open_complaint(item.customer, title, reason, user, parent=parent)
    item.result_case = opened


STEPS = (
    Step(
        "complete",
        _l("Record the visit"),
        OPEN,
        "done",
        asks=(
            Ask("channel", _l("Channel"), "select", choices=channel_choices),
            Ask("outcome", _l("What the customer said"), "textarea", required=True),
            satisfaction_ask(),
            Ask("comment", _l("Customer's comment"), "textarea"),
        ),
        apply=_complete,
        icon="fa-check",
        style="success",
        help=_l("A low score reopens the case or opens a new complaint."),
    ),
    Step(
        "unreachable",
        _l("Unreachable"),
        OPEN,
        "unreachable",
        asks=(Ask("outcome", _l("Attempts made"), "textarea", required=True),),
        apply=_unreachable,
        icon="fa-phone-square",
        style="warning",
    ),
)

FOLLOWUP_FLOW = Workflow(
    model=FollowUp,
    resource="FollowUpWorkflow",
    statuses=FOLLOWUP_STATUSES,
    steps=STEPS,
)
