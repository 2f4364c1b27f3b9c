"""Deadline check (时限检查) of improvement actions: mark at risk or breached, alert.

The sweep over cases, pickups and follow-ups is built on the jobs branch; this
is the improvement-action part with the contract both sides rely on:
`ImprovementAction.risk_at` is set when an action is created or its due date
changes, and `due_state` moves running -> at_risk -> breached here. Each
(action, "due", level) is alerted once (the notification table's unique key),
to the owner and the responsible department's head(s), so the check can run
twice or concurrently. Its cost grows with the actions due (partial index on
open actions' risk_at), not with the table.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, update

from app.extensions import db
from app.models import AppUser, ImprovementAction, now
from app.services.alerts import raise_alert

logger = logging.getLogger(__name__)

ACTIVE = ("open", "in_progress")


def _title(level: str, number: str, due: dt.datetime) -> str:
    when = due.strftime("%Y-%m-%d %H:%M")
    if level == "breached":
        return str(_l("Improvement action %(number)s is overdue (due %(due)s)",
                      number=number, due=when))
    return str(_l("Improvement action %(number)s is due soon (%(due)s)",
                  number=number, due=when))


def _heads(department_ids: set[int]) -> dict[int, list[int]]:
    heads: dict[int, list[int]] = defaultdict(list)
    if department_ids:
        rows = db.session.execute(select(AppUser.id, AppUser.department_id).where(
            AppUser.department_id.in_(department_ids),
            AppUser.is_department_head.is_(True), AppUser.active.is_(True)))
        for user_id, department_id in rows:
            heads[department_id].append(user_id)
    return heads


def check_improvement_actions(moment: dt.datetime | None = None) -> int:
    """Mark open actions past their risk or due instant, alert; returns alerts raised.

    Commits.
    """
    moment = moment or now()
    action = ImprovementAction
    rows = db.session.execute(
        select(action.id, action.number, action.due_at, action.owner_id,
               action.department_id, action.due_state)
        .where(action.status.in_(ACTIVE), action.risk_at <= moment,
               or_(action.due_state == "running",
                   and_(action.due_state == "at_risk", action.due_at <= moment)))
        .order_by(action.id)
    ).all()
    levels: dict[str, list[int]] = {"at_risk": [], "breached": []}
    for row in rows:
        levels["breached" if row.due_at <= moment else "at_risk"].append(row.id)
    for level, ids in levels.items():
        if ids:
            db.session.execute(update(action).where(action.id.in_(ids))
                               .values(due_state=level)
                               .execution_options(synchronize_session=False))
    heads = _heads({row.department_id for row in rows})
    raised = 0
    for row in rows:
        level = "breached" if row.due_at <= moment else "at_risk"
        recipients = {*heads.get(row.department_id, ())}
        if row.owner_id:
            recipients.add(row.owner_id)
        if raise_alert(record_type="improvement_action", record_id=row.id,
                       clock="due", level=level,
                       title=_title(level, row.number, row.due_at),
                       recipients=recipients, department_id=row.department_id,
                       link=f"/improvementactionview/show/{row.id}") is not None:
            raised += 1
    db.session.commit()
    if raised:
        logger.info("Improvement actions: %d alerts raised", raised)
    return raised
