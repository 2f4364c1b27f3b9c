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
Cost: an idle sweep reads the next-look indexes' entries up to now: a few
index probes whatever the table size (see bench/bench_sweep.py). The entries
of rows whose look the check moved stay in the index, dead, until VACUUM:
they are read by a plain index scan, which marks them so later checks skip
them, and the tables' autovacuum runs after 2 % of their rows changed
(migration 9d4e6f1a2b3c), not the default 20 %.
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
    text,
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
from app.services.core.records import RecordRules, register
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
    # When the clock runs at all besides being open and not done (a paused
    # resolution clock does not), as a test of a fetched row and its columns.
    applies: Callable[[Any], bool] | None = None
    applies_columns: tuple[str, ...] = ()

    def columns(self) -> tuple[str, ...]:
        """The row's columns this clock's deadlines depend on."""
        named = (self.risk, self.due, self.state, self.done, self.cycle)
        return (*(c for c in named if c), *self.applies_columns)


@dataclass(frozen=True)
class Kind:
    """A record type the sweep covers."""

    record_type: str
    label: str
    model: Any
    open_rows: Any  # the partial indexes' predicate, as literal SQL on `status`
    is_open: Callable[[Any], bool]  # the same, as a test of a fetched row
    link: str
    clocks: tuple[Clock, ...]
    owner: str | None = None
    first_ask: str | None = None
    # Rows whose breach goes to Management at once (major complaints ...),
    # as SQL for the query and as a test of a fetched row.
    urgent_row: Callable[[Any], bool] | None = None
    urgent_columns: tuple[str, ...] = ()
    # Status change at breach, (from, to): a planned follow-up becomes overdue.
    breach_status: tuple[str, str] | None = None


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
        lambda row: row.status not in ("closed", "cancelled"),
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
                applies=lambda row: row.paused_since is None,
                applies_columns=("paused_since",),
            ),
            # A date promised to the customer (seed 000 §3(2)2): kept when
            # the promised reply is given; each new promise is a new cycle.
            Clock(
                "promise",
                "承诺客户日期",
                "promised_risk_at",
                "promised_at",
                "promise_state",
                done="promise_kept_at",
                cycle="promise_cycle",
            ),
        ),
        owner="owner_id",
        first_ask="first_ask_owner_id",
        urgent_row=_major_row,
        urgent_columns=("kind", "severity"),
    ),
    Kind(
        "pickup",
        "回收预约",
        Pickup,
        OPEN_PICKUP,
        lambda row: row.status not in ("closed", "cancelled"),
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
                applies=lambda row: row.status in ("requested", "scheduled"),
            ),
        ),
    ),
    Kind(
        "followup",
        "回访",
        FollowUp,
        OPEN_FOLLOWUP,
        lambda row: row.status in ("planned", "overdue"),
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
        lambda row: row.status in ("open", "in_progress"),
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
        lambda row: row.status == "confirmed",
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


# ------------------------------------------------------- the next look
# Each record of a kind carries `next_check_at`: the next instant the check
# must look at it (models.base.DeadlineChecked, partial index on it). Database
# triggers set it, on every path (form, API, import, job, bare SQL), to the
# earliest risk instant of the record's running or breached clocks whenever a
# clock column, the status, a pause or the severity changes; the check reads
# only the rows whose instant has come and moves it on to the next instant
# anything can happen (the due instant, the end of the escalation grace) or
# clears it. An idle check therefore reads a few index entries.


def look_sql(kind: Kind, row: str) -> str:
    """SQL for the earliest instant a record may need the check, from the
    columns of `row` (a table name, or NEW in a trigger): the risk instant of
    its open clocks still running, at risk or breached; NULL when none is."""
    per_clock = []
    for clock in kind.clocks:
        states = ", ".join(f"'{s}'" for s in (*clock.pending, "breached"))
        cond = f"{row}.{clock.state} IN ({states})"
        if clock.done:
            cond += f" AND {row}.{clock.done} IS NULL"
        per_clock.append(f"CASE WHEN {cond} THEN {row}.{clock.risk} END")
    earliest = per_clock[0]
    for other in per_clock[1:]:
        earliest = (
            f"CASE WHEN ({earliest}) IS NULL OR ({other}) < ({earliest}) "
            f"THEN ({other}) ELSE ({earliest}) END"
        )
    is_open = str(kind.open_rows).replace("status", f"{row}.status", 1)
    return f"CASE WHEN {is_open} THEN {earliest} END"


def watched_columns(kind: Kind) -> list[str]:
    """Columns whose change may bring a record's next look forward."""
    names = ["status", *kind.urgent_columns]
    for clock in kind.clocks:
        names.extend(clock.columns())
    return sorted(set(names))


def trigger_sql(dialect: str) -> list[str]:
    """DDL of the triggers keeping `next_check_at` (created by a migration)."""
    statements = []
    for kind in KINDS:
        table = kind.model.__tablename__
        name = f"{table}_next_check"
        cols = watched_columns(kind)
        if dialect == "postgresql":
            new = ", ".join(f"NEW.{c}" for c in cols)
            old = ", ".join(f"OLD.{c}" for c in cols)
            look = look_sql(kind, "NEW")
            statements += [
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN "
                f"IF TG_OP = 'INSERT' OR ROW({new}) IS DISTINCT FROM ROW({old}) "
                f"THEN NEW.next_check_at := {look}; END IF; "
                "RETURN NEW; END $$",
                f"CREATE TRIGGER {name} BEFORE UPDATE OF "
                f"{', '.join(cols)} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()",
                # An insert bringing the right next look (a set-based insert
                # computes it) skips the function call: its condition is
                # evaluated without PL/pgSQL.
                f"CREATE TRIGGER {name}_insert BEFORE INSERT ON {table} "
                f"FOR EACH ROW WHEN (NEW.next_check_at IS DISTINCT FROM ({look})) "
                f"EXECUTE FUNCTION {name}()",
            ]
        else:
            changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in cols)
            body = (  # DDL from the models' own names
                f"BEGIN UPDATE {table} SET next_check_at = {look_sql(kind, 'NEW')} "  # noqa: S608
                "WHERE id = NEW.id; END"
            )
            statements += [
                f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} "
                f"FOR EACH ROW {body}",
                f"CREATE TRIGGER {name}_update AFTER UPDATE OF {', '.join(cols)} "
                f"ON {table} FOR EACH ROW WHEN {changed} {body}",
            ]
    return statements


def drop_trigger_sql(dialect: str) -> list[str]:
    statements = []
    for kind in KINDS:
        table = kind.model.__tablename__
        name = f"{table}_next_check"
        if dialect == "postgresql":
            statements += [
                f"DROP TRIGGER IF EXISTS {name}_insert ON {table}",
                f"DROP TRIGGER IF EXISTS {name} ON {table}",
                f"DROP FUNCTION IF EXISTS {name}()",
            ]
        else:
            statements += [
                f"DROP TRIGGER IF EXISTS {name}_insert",
                f"DROP TRIGGER IF EXISTS {name}_update",
            ]
    return statements


def recheck(model: Any = None, where: Any = None) -> None:
    """(Re)set the next look of records - of one model, optionally only the
    rows matching `where` - to the earliest instant they may need the check.

    Changes to a record's own clock columns need no call (the triggers do
    it); call this when something outside the row changes what is due, e.g.
    the `escalation.grace_hours` setting. Runs in the caller's transaction.
    """
    for kind in KINDS:
        if model is not None and kind.model is not model:
            continue
        table = kind.model.__table__
        stmt = update(table).values(next_check_at=text(look_sql(kind, table.name)))
        if where is not None:
            stmt = stmt.where(where)
        db.session.execute(stmt)


@register
class GraceSettingRules(RecordRules):
    """Settings. The escalation settings are service standards, changed only
    through an approved standard change (app.services.reference.standards).
    Changing `escalation.grace_hours` moves when breached records go to
    Management: their next look is reset, the next check places it again."""

    model = Setting

    def before_create(self, item: Setting, user: Any) -> None:
        from app.services.reference.standards import refuse_direct

        refuse_direct(item)

    def before_delete(self, item: Setting, user: Any) -> None:
        from app.services.reference.standards import refuse_direct

        refuse_direct(item)

    def before_update(self, item: Setting, user: Any) -> None:
        from app.services.reference.standards import refuse_direct

        refuse_direct(item)
        if item.key != "escalation.grace_hours":
            return
        for kind in KINDS:
            table = kind.model.__table__
            recheck(
                kind.model, or_(*(table.c[c.state] == "breached" for c in kind.clocks))
            )


def _applies(kind: Kind, clock: Clock, row: Any) -> bool:
    """The clock runs on this row: open record, clock not stopped, not paused."""
    if not kind.is_open(row):
        return False
    if clock.done and getattr(row, clock.done) is not None:
        return False
    return clock.applies is None or clock.applies(row)


Alerted = set[tuple[int, str, str, int]]  # (record id, clock, level, cycle)


def _needs(
    kind: Kind,
    clock: Clock,
    row: Any,
    moment: dt.datetime,
    cutoff: dt.datetime,
    alerted: Alerted,
) -> bool:
    """The clock has something to do now: a state to move, an alert to raise."""
    risk, due = getattr(row, clock.risk), getattr(row, clock.due)
    state = getattr(row, clock.state)
    if risk is None or risk > moment or not _applies(kind, clock, row):
        return False
    cycle = getattr(row, clock.cycle) if clock.cycle else 0

    def had(level: str) -> bool:
        return (row.id, clock.name, level, cycle) in alerted

    if state in clock.pending:
        return (
            state != "at_risk"
            or (due is not None and due <= moment)
            or not had("at_risk")
        )
    if state == "breached":
        urgent = kind.urgent_row is not None and kind.urgent_row(row)
        to_management = urgent or (due is not None and due <= cutoff)
        return not had("breached") or (to_management and not had("management"))
    return False


def _next_look(
    kind: Kind,
    row: Any,
    changes: dict[str, Any],
    moment: dt.datetime,
    grace: dt.timedelta,
    alerted: Alerted,
) -> dt.datetime | None:
    """After this check: the next instant the record can need one."""
    instants = []
    for clock in kind.clocks:
        if not _applies(kind, clock, row):
            continue  # a change to what stops it brings the look back (trigger)
        risk, due = getattr(row, clock.risk), getattr(row, clock.due)
        state = changes.get(clock.state, getattr(row, clock.state))
        if state in clock.pending and risk is not None:
            if risk > moment:
                instants.append(risk)
            elif due is not None and due > moment:
                instants.append(due)
            elif due is not None:
                instants.append(risk)  # not handled yet: look again
        elif state == "breached" and due is not None:
            cycle = getattr(row, clock.cycle) if clock.cycle else 0
            urgent = kind.urgent_row is not None and kind.urgent_row(row)
            if not urgent and (row.id, clock.name, "management", cycle) not in alerted:
                instants.append(due + grace)
    return min(instants, default=None)


@functools.cache
def _rows_query(kind: Kind, dialect: str) -> Any:
    """A batch of the rows whose look has come, locked on PostgreSQL."""
    table = kind.model.__table__
    stmt = (
        select(table)
        .where(table.c.id.in_(bindparam("ids", expanding=True)))
        .order_by(table.c.id)
    )
    if dialect == "postgresql":
        # Concurrent sweeps split the rows instead of waiting on each other.
        stmt = stmt.with_for_update(skip_locked=True, of=table)
    return stmt


def _alerted(kind: Kind, ids: list[int]) -> Alerted:
    n = Notification.__table__
    rows = db.session.execute(
        select(n.c.record_id, n.c.clock, n.c.level, n.c.cycle).where(
            n.c.record_type == kind.record_type,
            n.c.record_id.in_(ids),
            n.c.withdrawn_at.is_(None),  # a withdrawn alert's date no longer holds
        )
    )
    return {tuple(r) for r in rows}  # type: ignore[misc]


def _move_looks(kind: Kind, looks: dict[int, dt.datetime | None]) -> None:
    """Write the rows' next looks in one statement (PostgreSQL) or one batch."""
    if not looks:
        return
    table = kind.model.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text(  # the table name is the model's, not input
                f"UPDATE {table.name} AS t SET next_check_at = v.look "  # noqa: S608
                "FROM unnest(CAST(:ids AS integer[]), CAST(:looks AS timestamptz[])) "
                "AS v(id, look) WHERE t.id = v.id"
            ),
            {"ids": list(looks), "looks": list(looks.values())},
        )
        return
    db.session.execute(
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(next_check_at=bindparam("look", type_=AwareDateTime())),
        [{"row_id": row_id, "look": look} for row_id, look in looks.items()],
    )


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
    people: Callable[[], People],
    plan: _Plan,
    alerted: Alerted,
) -> None:
    """Decide what a candidate row needs: new states, alerts, escalation;
    the alerts planned are added to `alerted`."""
    urgent = kind.urgent_row is not None and kind.urgent_row(row)
    for clock in kind.clocks:
        due, state = getattr(row, clock.due), getattr(row, clock.state)
        if not _needs(kind, clock, row, moment, cutoff, alerted):
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
            alerted.add((row.id, clock.name, level, cycle))
            title, body = _texts(kind, clock, level, row, people())
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
                    "recipients": _recipients(kind, level, row, people()),
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
    """Everything a sweep must look at, in one round trip: per kind the rows
    whose look has come (plus the missed immediate escalations), tagged with
    the kind's index."""
    moment = bindparam("moment", type_=AwareDateTime())
    parts = [
        select(literal(index).label("kind"), kind.model.__table__.c.id).where(
            kind.model.__table__.c.next_check_at <= moment
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
    """Handle the rows of one kind whose look has come, a batch per commit:
    move their clocks, raise their alerts, move their next look on."""
    dialect = db.session.get_bind().dialect.name
    grace = moment - cutoff
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        # Read under lock: a concurrent sweep may be doing some of them; those
        # are skipped (it moves their look on). A clerk's change waits for
        # the commit, and its trigger then brings the look back if needed.
        rows = db.session.execute(_rows_query(kind, dialect), {"ids": chunk}).all()
        alerted = _alerted(kind, [row.id for row in rows])
        plan = _Plan()
        for row in rows:
            _plan_row(kind, row, moment, cutoff, people, plan, alerted)
        raised = _apply(kind, plan)
        looks = {}
        for row in rows:
            look = _next_look(
                kind, row, plan.changes.get(row.id, {}), moment, grace, alerted
            )
            if look != row.next_check_at or row.id in plan.changes:
                looks[row.id] = look
        _move_looks(kind, looks)
        db.session.commit()
        result.marked[kind.record_type] += plan.marked
        result.raised[kind.record_type] += raised


def check_deadlines(
    moment: dt.datetime | None = None, batch: int | None = None
) -> SweepResult:
    """One sweep over every kind as of `moment`; commits as it goes."""
    moment = moment or now()
    people = LazyPeople()
    result = SweepResult()
    size = batch or _batch_size()
    due: dict[int, list[int]] = defaultdict(list)
    for index, row_id in db.session.execute(
        _due_query(), {"moment": moment, "policies": _immediate_policies()}
    ):
        due[index].append(row_id)
    db.session.rollback()  # end the read-only transaction of an idle sweep
    if any(due[index] for index in range(len(KINDS))):
        cutoff = moment - dt.timedelta(hours=grace_hours())
        for index, kind in enumerate(KINDS):
            if due[index]:
                sweep_kind(
                    kind, sorted(due[index]), moment, cutoff, people, result, size
                )
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
IMMEDIATE = select(SlaPolicy.id).where(SlaPolicy.escalate_immediately.is_(True))


def _immediate_policies() -> list[int]:
    """The SLA policies escalating at once, fetched first: with a literal id
    list the planner reads the partial index; with a subquery it may scan
    every open case.

    On PostgreSQL the same round trip turns bitmap scans off for the rest of
    the transaction (the check's read of the next-look indexes): a plain
    index scan marks the entries of rows whose look has moved (dead until
    the next VACUUM) so that later checks skip them; a bitmap scan re-reads
    every one of them on every run, its cost growing with the rows handled
    since the last VACUUM."""
    if db.session.get_bind().dialect.name == "postgresql":
        return list(
            db.session.scalars(
                text(
                    "SET LOCAL enable_bitmapscan = off; SELECT id FROM sla_policy "
                    "WHERE escalate_immediately IS true"
                )
            )
        )
    return list(db.session.scalars(IMMEDIATE))


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
