"""Management's part in a major complaint: told when one arrives, and asked to
approve its solution (seed 001 §5: 重大投诉的处理方案报管理层审批).

Two alerts go to the holders of the escalation right (Management):

- a new major complaint - registered as such, or raised to major later
  (reclassified) - once per case;
- a solution waiting for approval - a major complaint in handling whose
  solution is written and not approved - once each time the case starts
  waiting (a solution changed after approval voids it and waits again).

They are raised from the session, so every path that saves a case (screen,
API, import, job) raises them; the approval queue lists the cases waiting.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.extensions import db
from app.models import AppUser, Case, Notification
from app.security.access import can
from app.services.cases.classification import is_major_complaint
from app.services.core import commit_hooks
from app.services.notify import alerts

# Where a solution is worked on and can be approved (the approve step's states).
HANDLING = ("in_progress", "pending_customer")
_KEY = "approval_alerts"


def waiting(
    kind: str | None,
    severity: str | None,
    status: str | None,
    solution: str | None,
    approved_at: Any,
) -> bool:
    """A major complaint in handling with a written, unapproved solution."""
    return (
        is_major_complaint(kind, severity)
        and status in HANDLING
        and bool((solution or "").strip())
        and approved_at is None
    )


def waiting_clause() -> ColumnElement[bool]:
    """`waiting` as SQL: the rows of the approval queue."""
    return and_(
        Case.kind == "complaint",
        Case.severity == "major",
        Case.status.in_(HANDLING),
        func.length(func.trim(func.coalesce(Case.solution, ""))) > 0,
        Case.solution_approved_at.is_(None),
    )


def _management() -> list[int]:
    users = db.session.scalars(select(AppUser).where(AppUser.active.is_(True))).all()
    return [u.id for u in users if can(u, "receive", "Escalation")]


def _before(case: Case, name: str) -> Any:
    history = inspect(case).attrs[name].history
    if history.deleted:
        return history.deleted[0]
    return getattr(case, name)


def _collect(session: Session) -> None:
    found: dict[int, set[str]] = {}
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, Case) or obj.id is None:
            continue
        new = obj in session.new
        now_major = is_major_complaint(obj.kind, obj.severity)
        was_major = not new and is_major_complaint(
            _before(obj, "kind"), _before(obj, "severity")
        )
        events = set()
        if now_major and not was_major and obj.status != "cancelled":
            events.add("major")
        now_waiting = waiting(
            obj.kind, obj.severity, obj.status, obj.solution, obj.solution_approved_at
        )
        was_waiting = not new and waiting(
            *(
                _before(obj, name)
                for name in (
                    "kind",
                    "severity",
                    "status",
                    "solution",
                    "solution_approved_at",
                )
            )
        )
        if now_waiting and not was_waiting:
            events.add("approval")
        if events:
            found.setdefault(obj.id, set()).update(events)
    if found:
        pending = session.info.setdefault(_KEY, {})
        for case_id, events in found.items():
            pending.setdefault(case_id, set()).update(events)


def _alert(session: Session, pending: dict[int, set[str]]) -> None:
    for case_id, events in sorted(pending.items()):
        case = session.get(Case, case_id)
        if case is None:
            continue
        if "major" in events:
            _alert_major(case)
        if "approval" in events and waiting(
            case.kind,
            case.severity,
            case.status,
            case.solution,
            case.solution_approved_at,
        ):
            _alert_approval(case)


def _alert_major(case: Case) -> int | None:
    return alerts.raise_alert(
        record_type="case",
        record_id=case.id,
        clock="major",
        level="management",
        title=f"新重大投诉 {case.number}：{case.title}",
        body=(
            f"客户 {case.customer} 的重大投诉，责任部门 {case.department}。"
            "处理方案须报管理层审批（见“待审批方案”）。"
        ),
        link=f"/cases/show/{case.id}",
        department_id=case.department_id,
        recipients=_management,
    )


def _alert_approval(case: Case) -> int | None:
    # One alert per wait: a voided approval waits again under a new cycle.
    cycle = db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.record_type == "case",
            Notification.record_id == case.id,
            Notification.clock == "approval",
        )
    )
    return alerts.raise_alert(
        record_type="case",
        record_id=case.id,
        clock="approval",
        level="management",
        cycle=cycle or 0,
        title=f"重大投诉 {case.number} 的处理方案待审批",
        body=f"处理方案：{(case.solution or '').strip()[:200]}",
        link=f"/cases/show/{case.id}",
        department_id=case.department_id,
        recipients=_management,
    )


commit_hooks.before_commit(_KEY, _collect, _alert)
