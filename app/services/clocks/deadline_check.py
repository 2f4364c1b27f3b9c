"""The deadline check (时限检查): mark clocks at risk or breached, alert, escalate.

For each kind of record (cases, pickups, follow-up visits, improvement
actions, confirmed settlements awaiting payment) one set-based SELECT - all
sent as one UNION ALL round trip - reads, from the partial indexes on the
open rows' risk instants, the ids of the rows with something to do; those
rows are then re-read in batches:

- a pending clock (running/at risk) whose risk or due instant has passed:
  it becomes at_risk or breached, and the owner (or, without one, the
  department), the first-ask owner and - at breach - the department head(s)
  are alerted (level 1 escalation);
- a breached clock whose breach was never alerted (the web marked it);
- a breached clock due for Management (level 2): at once for major
  complaints and incidents, after `escalation.grace_hours` for the rest.

Each notification is unique per (record, clock, level, cycle), so a second
or concurrent sweep raises nothing twice; on PostgreSQL candidate rows are
locked with SKIP LOCKED so two sweeps split the work instead of waiting. Work
is committed in batches, so a sweep killed half-way keeps what it finished
and the next one does the rest. Paused and unknown clocks are left alone.
Cost: an idle sweep is a few index probes per open item past its risk
instant, whatever the table size (see bench/bench_sweep.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import (
    Table,
    and_,
    bindparam,
    case,
    exists,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import ColumnElement

from app.extensions import db
from app.models import (
    AppUser,
    AwareDateTime,
    Case,
    Department,
    FollowUp,
    ImprovementAction,
    Notification,
    Pickup,
    Setting,
    Settlement,
    SlaPolicy,
    now,
)
from app.models.cases import OPEN_CASE
from app.models.followups import OPEN_ACTION, OPEN_FOLLOWUP
from app.models.recycling import OPEN_PICKUP, OPEN_SETTLEMENT
from app.security.access import can
from app.services.notify import alerts

logger = logging.getLogger(__name__)

DEFAULT_GRACE_HOURS = 4
PENDING = ("running", "at_risk")


@dataclass(frozen=True)
class Clock:
    """One deadline of a record type, by its column names."""

    name: str
    label: str  # Chinese, for the alert text
    risk: str
    due: str
    state: str
    done: str | None = None  # set when the clock stopped (responded_at ...)
    pending: tuple[str, ...] = PENDING
    cycle: str | None = None  # column numbering the clock's cycles
    only_if: Callable[[Table], ColumnElement[bool]] | None = None


@dataclass(frozen=True)
class Kind:
    """A record type the sweep covers."""

    record_type: str
    label: str
    model: Any
    open_rows: Any  # the partial indexes' predicate, as literal SQL
    link: str
    clocks: tuple[Clock, ...]
    owner: str | None = None
    first_ask: str | None = None
    # Rows whose breach goes to Management at once (major complaints ...),
    # as SQL for the query and as a test of a fetched row.
    urgent: Callable[[Table], ColumnElement[bool]] | None = None
    urgent_row: Callable[[Any], bool] | None = None
    # Status change at breach, (from, to): a planned follow-up becomes overdue.
    breach_status: tuple[str, str] | None = None


def _major(table: Table) -> ColumnElement[bool]:
    return or_(
        and_(table.c.kind == "complaint", table.c.severity == "major"),
        table.c.kind == "incident",
    )


def _major_row(row: Any) -> bool:
    return (row.kind == "complaint" and row.severity == "major") or (
        row.kind == "incident"
    )


KINDS: tuple[Kind, ...] = (
    Kind(
        "case",
        "工单",
        Case,
        OPEN_CASE,
        "/cases/show/{id}",
        (
            Clock(
                "response",
                "响应时限",
                "response_risk_at",
                "response_due_at",
                "response_state",
                done="responded_at",
            ),
            Clock(
                "resolution",
                "处理时限",
                "resolution_risk_at",
                "resolution_due_at",
                "resolution_state",
                done="resolved_at",
                cycle="resolution_cycle",
                only_if=lambda t: t.c.paused_since.is_(None),
            ),
        ),
        owner="owner_id",
        first_ask="first_ask_owner_id",
        urgent=_major,
        urgent_row=_major_row,
    ),
    Kind(
        "pickup",
        "回收预约",
        Pickup,
        OPEN_PICKUP,
        "/pickups/show/{id}",
        (
            Clock(
                "confirm",
                "预约确认时限",
                "confirm_risk_at",
                "confirm_due_at",
                "confirm_state",
                done="confirmed_at",
            ),
            # The crew must arrive within the agreed window; no earlier warning.
            Clock(
                "arrival",
                "约定上门时段",
                "window_end",
                "window_end",
                "arrival_state",
                done="arrived_at",
                pending=("none", "running", "at_risk"),
                only_if=lambda t: t.c.status.in_(("requested", "scheduled")),
            ),
        ),
    ),
    Kind(
        "followup",
        "回访",
        FollowUp,
        OPEN_FOLLOWUP,
        "/followups/show/{id}",
        (Clock("due", "回访期限", "risk_at", "due_at", "due_state"),),
        owner="assignee_id",
        breach_status=("planned", "overdue"),
    ),
    Kind(
        "action",
        "改进措施",
        ImprovementAction,
        OPEN_ACTION,
        "/improvementactionview/show/{id}",
        (Clock("due", "完成期限", "risk_at", "due_at", "due_state"),),
        owner="owner_id",
    ),
    # A confirmed settlement must be paid (or collected) by its due date
    # (seed 002 §3(四)); app.services.finance.terms sets the instants.
    Kind(
        "settlement",
        "结算",
        Settlement,
        OPEN_SETTLEMENT,
        "/settlements/show/{id}",
        (
            Clock(
                "payment",
                "款项到期日",
                "due_risk_at",
                "due_at",
                "due_state",
                done="paid_at",
            ),
        ),
    ),
)


@dataclass
class SweepResult:
    """What one sweep did, per record type."""

    marked: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    raised: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def total_raised(self) -> int:
        return sum(self.raised.values())

    @property
    def total_marked(self) -> int:
        return sum(self.marked.values())


@dataclass
class People:
    """Who receives what, loaded once per sweep (users are few)."""

    active: set[int]
    names: dict[int, str]
    members: dict[int, list[int]]
    heads: dict[int, list[int]]
    management: list[int]
    departments: dict[int, str]

    @classmethod
    def load(cls) -> People:
        users = db.session.scalars(
            select(AppUser)
            .where(AppUser.active.is_(True))
            .options(selectinload(AppUser.roles), selectinload(AppUser.groups))
        ).all()
        members: dict[int, list[int]] = defaultdict(list)
        heads: dict[int, list[int]] = defaultdict(list)
        for user in users:
            if user.department_id is not None:
                members[user.department_id].append(user.id)
                if user.is_department_head:
                    heads[user.department_id].append(user.id)
        departments = dict(
            db.session.execute(select(Department.id, Department.name)).all()
        )
        return cls(
            active={u.id for u in users},
            names={u.id: str(u) for u in users},
            members=members,
            heads=heads,
            management=[u.id for u in users if can(u, "receive", "Escalation")],
            departments=departments,
        )

    def responsible(self, owner: int | None, department: int | None) -> list[int]:
        """The owner, or everyone in the department when nobody owns it."""
        if owner is not None and owner in self.active:
            return [owner]
        return list(self.members.get(department, ())) if department else []

    def department_heads(self, department: int | None) -> list[int]:
        return list(self.heads.get(department, ())) if department else []


def grace_hours() -> float:
    """Setting `escalation.grace_hours`: breached longer goes to Management."""
    value = db.session.execute(
        select(Setting.value).where(Setting.key == "escalation.grace_hours")
    ).scalar_one_or_none()
    try:
        hours = float(value) if value not in (None, "") else DEFAULT_GRACE_HOURS
    except ValueError:
        hours = DEFAULT_GRACE_HOURS
    return max(hours, 0.0)


def _batch_size() -> int:
    return int(current_app.config.get("DEADLINE_BATCH_SIZE", 500))


# ------------------------------------------------------------------ query
def _alerted(kind: Kind, table: Table, clock: Clock, level: str) -> ColumnElement[bool]:
    """An alert of this level exists for the row's clock in its current cycle."""
    n = Notification.__table__
    cycle = table.c[clock.cycle] if clock.cycle else literal(0)
    return exists().where(
        n.c.record_type == kind.record_type,
        n.c.record_id == table.c.id,
        n.c.clock == clock.name,
        n.c.level == level,
        n.c.cycle == cycle,
    )


def _clock_due(
    kind: Kind, table: Table, clock: Clock, moment: Any, cutoff: Any
) -> ColumnElement[bool]:
    """Rows of this clock that need the sweep's attention now."""
    risk, due, state = table.c[clock.risk], table.c[clock.due], table.c[clock.state]
    to_management = due <= cutoff
    if kind.urgent is not None:
        to_management = or_(to_management, kind.urgent(table))
    needs = or_(
        and_(
            state.in_(clock.pending),
            or_(
                state != "at_risk",
                due <= moment,
                ~_alerted(kind, table, clock, "at_risk"),
            ),
        ),
        and_(
            state == "breached",
            or_(
                ~_alerted(kind, table, clock, "breached"),
                and_(to_management, ~_alerted(kind, table, clock, "management")),
            ),
        ),
    )
    terms = [risk <= moment, needs]
    if clock.done:
        terms.append(table.c[clock.done].is_(None))
    if clock.only_if is not None:
        terms.append(clock.only_if(table))
    return and_(*terms)


def _needs_attention(kind: Kind, table: Table) -> ColumnElement[bool]:
    moment = bindparam("moment", type_=AwareDateTime())
    cutoff = bindparam("cutoff", type_=AwareDateTime())
    return and_(
        kind.open_rows,
        or_(*(_clock_due(kind, table, c, moment, cutoff) for c in kind.clocks)),
    )


@functools.cache
def _rows_query(kind: Kind, dialect: str) -> Any:
    """A batch of those rows, re-checked and (PostgreSQL) locked."""
    table = kind.model.__table__
    stmt = (
        select(table)
        .where(
            table.c.id.in_(bindparam("ids", expanding=True)),
            _needs_attention(kind, table),
        )
        .order_by(table.c.id)
    )
    if dialect == "postgresql":
        # Concurrent sweeps split the rows instead of waiting on each other.
        stmt = stmt.with_for_update(skip_locked=True, of=table)
    return stmt


# ------------------------------------------------------------- processing
def _texts(
    kind: Kind, clock: Clock, level: str, row: Any, people: People
) -> tuple[str, str]:
    subject = f"{kind.label} {row.number}"
    due = getattr(row, clock.due)
    when = due.strftime("%Y-%m-%d %H:%M") if due else "—"
    titles = {
        "at_risk": f"【预警】{subject} {clock.label}即将到期（{when}）",
        "breached": f"【超时】{subject} {clock.label}已超时（{when}）",
        "escalated": f"【升级·部门负责人】{subject} {clock.label}已超时，请督办",
        "management": f"【升级·管理层】{subject} {clock.label}已超时，请关注",
    }
    lines = [subject]
    if getattr(row, "title", None):
        lines.append(f"标题：{row.title}")
    lines.append(f"{clock.label}：{when}")
    department = getattr(row, "department_id", None)
    if department:
        lines.append(f"责任部门：{people.departments.get(department, '')}")
    owner = getattr(row, kind.owner, None) if kind.owner else None
    if owner:
        lines.append(f"负责人：{people.names.get(owner, '')}")
    return titles[level][:200], "\n".join(lines)


def _recipients(kind: Kind, level: str, row: Any, people: People) -> list[int]:
    department = getattr(row, "department_id", None)
    if level == "management":
        return people.management
    if level == "escalated":
        return people.department_heads(department) or people.management
    owner = getattr(row, kind.owner) if kind.owner else None
    users = people.responsible(owner, department)
    first_ask = getattr(row, kind.first_ask) if kind.first_ask else None
    if first_ask is not None and first_ask in people.active:
        users.append(first_ask)
    return users


def _plan_row(
    kind: Kind,
    row: Any,
    moment: dt.datetime,
    cutoff: dt.datetime,
    people: People,
    plan: _Plan,
) -> None:
    """Decide what a candidate row needs: new states, alerts, escalation."""
    urgent = kind.urgent_row is not None and kind.urgent_row(row)
    for clock in kind.clocks:
        risk, due = getattr(row, clock.risk), getattr(row, clock.due)
        state = getattr(row, clock.state)
        if risk is None or risk > moment:
            continue
        if clock.done and getattr(row, clock.done) is not None:
            continue
        if clock.name == "resolution" and row.paused_since is not None:
            continue
        if clock.name == "arrival" and row.status not in ("requested", "scheduled"):
            continue
        if state in clock.pending:
            new = "breached" if due is not None and due <= moment else "at_risk"
            if new != state:
                plan.change(row.id, clock.state, new)
                plan.marked += 1
            state = new
        elif state != "breached":
            continue
        cycle = getattr(row, clock.cycle) if clock.cycle else 0
        if state == "at_risk":
            levels = ["at_risk"]
        else:
            levels = ["breached", "escalated"]
            if urgent or (due is not None and due <= cutoff):
                levels.append("management")
            if kind.breach_status is not None:
                plan.change(row.id, "status", kind.breach_status)
        for level in levels:
            title, body = _texts(kind, clock, level, row, people)
            plan.alerts.append(
                {
                    "record_type": kind.record_type,
                    "record_id": row.id,
                    "clock": clock.name,
                    "level": level,
                    "cycle": cycle,
                    "title": title,
                    "body": body,
                    "link": kind.link.format(id=row.id),
                    "department_id": getattr(row, "department_id", None),
                    "recipients": _recipients(kind, level, row, people),
                }
            )
            if level in ("escalated", "management"):
                plan.escalate(row.id, 2 if level == "management" else 1)


@dataclass
class _Plan:
    """A batch's writes: per row the columns to change, and the alerts."""

    changes: dict[int, dict[str, Any]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    alerts: list[dict[str, Any]] = field(default_factory=list)
    marked: int = 0

    def change(self, row_id: int, column: str, value: Any) -> None:
        self.changes[row_id][column] = value

    def escalate(self, row_id: int, level: int) -> None:
        current = self.changes[row_id].get("escalation_level", 0)
        self.changes[row_id]["escalation_level"] = max(current, level)


def _guarded(kind: Kind, table: Table, column: str, value: Any) -> Any:
    """SET value that never overwrites what changed meanwhile: a state only
    from a pending one, a status only from the expected one, a level only up."""
    col = table.c[column]
    if column == "escalation_level":
        return case((col < value, value), else_=col)
    if column == "status":
        old, new = value
        return case((col == old, new), else_=col)
    clock = next(c for c in kind.clocks if c.state == column)
    return case((col.in_(clock.pending), value), else_=col)


def _apply(kind: Kind, plan: _Plan) -> int:
    """Write the batch in one UPDATE per distinct change set; raise its alerts."""
    table = kind.model.__table__
    groups: dict[tuple[tuple[str, Any], ...], list[int]] = defaultdict(list)
    for row_id, changes in plan.changes.items():
        groups[tuple(sorted(changes.items()))].append(row_id)
    for changes, ids in groups.items():
        db.session.execute(
            update(table)
            .where(table.c.id.in_(ids))
            .values(
                {
                    column: _guarded(kind, table, column, value)
                    for column, value in changes
                }
            )
        )
    return len(alerts.raise_many(plan.alerts))


class LazyPeople:
    """People, loaded only when a sweep finds something to do."""

    def __init__(self) -> None:
        self._people: People | None = None

    def __call__(self) -> People:
        if self._people is None:
            self._people = People.load()
        return self._people


def _unescalated(table: Table) -> ColumnElement[bool]:
    """Open incidents (policies escalating at once) not yet sent to Management."""
    n = Notification.__table__
    return and_(
        OPEN_CASE,
        table.c.escalation_level < 2,
        table.c.sla_policy_id.in_(bindparam("policies", expanding=True)),
        ~exists().where(
            n.c.record_type == "case",
            n.c.record_id == table.c.id,
            n.c.clock == "opened",
            n.c.level == "management",
            n.c.cycle == 0,
        ),
    )


OPENED = len(KINDS)  # the branch of the due query for immediate escalations


@functools.cache
def _due_query() -> Any:
    """Everything a sweep must look at, in one round trip: one SELECT per kind
    (plus the missed immediate escalations), tagged with the kind's index."""
    parts = [
        select(literal(index).label("kind"), kind.model.__table__.c.id).where(
            _needs_attention(kind, kind.model.__table__)
        )
        for index, kind in enumerate(KINDS)
    ]
    table = Case.__table__
    parts.append(
        select(literal(OPENED).label("kind"), table.c.id).where(_unescalated(table))
    )
    return union_all(*parts)


def sweep_kind(
    kind: Kind,
    ids: list[int],
    moment: dt.datetime,
    cutoff: dt.datetime,
    people: Callable[[], People],
    result: SweepResult,
    batch: int,
) -> None:
    """Process the rows of one kind that need attention, a batch per commit."""
    instants = {"moment": moment, "cutoff": cutoff}
    dialect = db.session.get_bind().dialect.name
    for start in range(0, len(ids), batch):
        # Re-read under lock: a concurrent sweep may have done (or be doing)
        # some of them meanwhile; those no longer match or are skipped.
        rows = db.session.execute(
            _rows_query(kind, dialect), {**instants, "ids": ids[start : start + batch]}
        ).all()
        plan = _Plan()
        for row in rows:
            _plan_row(kind, row, moment, cutoff, people(), plan)
        raised = _apply(kind, plan)
        db.session.commit()
        result.marked[kind.record_type] += plan.marked
        result.raised[kind.record_type] += raised


def check_deadlines(
    moment: dt.datetime | None = None, batch: int | None = None
) -> SweepResult:
    """One sweep over every kind as of `moment`; commits as it goes."""
    moment = moment or now()
    cutoff = moment - dt.timedelta(hours=grace_hours())
    people = LazyPeople()
    result = SweepResult()
    size = batch or _batch_size()
    due: dict[int, list[int]] = defaultdict(list)
    for index, row_id in db.session.execute(
        _due_query(),
        {"moment": moment, "cutoff": cutoff, "policies": _immediate_policies()},
    ):
        due[index].append(row_id)
    db.session.rollback()  # end the read-only transaction of an idle sweep
    for index, kind in enumerate(KINDS):
        if due[index]:
            sweep_kind(kind, sorted(due[index]), moment, cutoff, people, result, size)
    if due[OPENED]:
        result.raised["case"] += catch_up_opened(people, sorted(due[OPENED]))
    if result.total_raised or result.total_marked:
        logger.info(
            "Deadline check: marked %s, raised %s",
            dict(result.marked),
            dict(result.raised),
        )
    return result


# ------------------------------------------------ immediate escalation
def _immediate_policies() -> list[int]:
    # Fetched first: with a literal id list the planner reads the partial
    # index; with a subquery it may scan every open case.
    return list(
        db.session.scalars(
            select(SlaPolicy.id).where(SlaPolicy.escalate_immediately.is_(True))
        )
    )


def _opened_alert(case: Any, people: People) -> dict[str, Any]:
    number = case.number
    body = [
        f"工单 {number}",
        f"标题：{case.title}",
        f"责任部门：{people.departments.get(case.department_id, '')}",
    ]
    return {
        "record_type": "case",
        "record_id": case.id,
        "clock": "opened",
        "level": "management",
        "cycle": 0,
        "title": f"【升级·管理层】突发事件 {number} 已登记，请立即关注"[:200],
        "body": "\n".join(body),
        "link": f"/cases/show/{case.id}",
        "department_id": case.department_id,
        "recipients": [
            *people.management,
            *people.department_heads(case.department_id),
        ],
    }


def _escalate_opened(rows: list[Any], people: Callable[[], People]) -> int:
    if not rows:
        return 0
    table = Case.__table__
    raised = alerts.raise_many([_opened_alert(r, people()) for r in rows])
    db.session.execute(
        update(table)
        .where(table.c.id.in_([r.id for r in rows]), table.c.escalation_level < 2)
        .values(escalation_level=2)
    )
    db.session.commit()
    return len(raised)


def escalate_opened(case_id: int) -> int:
    """Management hears of an incident as soon as it is registered (seed 002 §6)."""
    policies = _immediate_policies()
    table = Case.__table__
    rows = (
        db.session.execute(
            select(table).where(
                table.c.id == case_id, OPEN_CASE, table.c.sla_policy_id.in_(policies)
            )
        ).all()
        if policies
        else []
    )
    return _escalate_opened(rows, LazyPeople())


def catch_up_opened(people: Callable[[], People], ids: list[int]) -> int:
    """Incidents whose immediate escalation was missed (Redis down at creation)."""
    table = Case.__table__
    rows = db.session.execute(
        select(table).where(table.c.id.in_(ids), _unescalated(table)),
        {"policies": _immediate_policies()},
    ).all()
    return _escalate_opened(rows, people)
