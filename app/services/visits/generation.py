"""Follow-up generation (回访生成): the visits the follow-up rules ask for, set-based.

- a closed case of the rule's kind: a visit due `delay` after closure
  (working days on the business calendar, or calendar days);
- a settled pickup: a satisfaction call due `delay` after settlement;
- a long-term partner: a regular visit every `interval_days`, one per period
  (periods are staggered by customer so that visits spread over the month),
  made by the designated visitor of the customer's visit plan, never by
  default by the account's own sales rep (seed 003 第四条(2)).

Each active rule is one `INSERT ... SELECT`: its sources (a SQL query per
trigger, see `sources_for`) anti-joined on the unique `followup.source_key`,
so a source never gets two visits per rule; due and at-risk instants,
assignee and number computed in the statement; the audit rows written from
the inserted set. Nothing is read row by row, so memory does not grow with
the number of visits. A reopened and closed-again case is a new source (its
resolution cycle is part of the key): the customer is asked again.

Numbers come from the gap-free counter (`numbering`), locked before the
insert: two runs at once (the hourly job and a closing event, or two
workers) queue on that lock, and the second sees what the first committed.
On PostgreSQL a run of FOLLOWUP_PARTS_FROM sources or more (a catch-up) is
written by FOLLOWUP_PARTS connections at once, each a run of the block's
numbers, on one snapshot, all committed or none
(`snapshot_parts`): PostgreSQL checks foreign keys and fills indexes row by
row on one core per statement. Every run holds the advisory lock
GENERATION_LOCK, so a run waits until all the parts of another are
committed.
Working-day due dates come from the business calendar, computed once per
business date of the rule's sources; a date whose due date needs a calendar
year that is not loaded waits (its sources get their visits on a later run)
and the admins are told.

Seed 001 §6 (回访 after handling), seed 003 第八条, SPEC §2 follow-up rules.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import (
    Date,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import (
    BUSINESS_TZ,
    AppUser,
    AuditLog,
    Case,
    Customer,
    Department,
    FollowUp,
    FollowUpRule,
    Pickup,
    Settlement,
    VisitPlan,
    now,
)
from app.models.base import AwareDateTime
from app.security.access import actor_or_system
from app.services.clocks import record_clocks
from app.services.clocks.business_calendar import current_calendar
from app.services.clocks.working_time import CalendarUnknownError
from app.services.core import numbering, snapshot_parts
from app.services.core.portable_sql import (
    add_us,
    business_date,
    insert_changes,
    rows,
    share_of_span,
)
from app.services.notify import alerts

logger = logging.getLogger(__name__)

DEFAULT_LOOKBACK_DAYS = 30
# Partner periods are counted from this day, shifted per customer.
PERIOD_EPOCH = dt.date(2026, 1, 1)
MICROSECONDS_PER_DAY = 86_400 * 1_000_000
# Advisory lock of the runs (PostgreSQL): a run waits for one written in
# parts until all its parts are committed, then sees them all.
GENERATION_LOCK = 0x4846_0001


@dataclass(frozen=True)
class Scope:
    """Which sources a run looks at: closures and settlements since `since`
    (None: any time), only the records `ids` (None: all), as of `moment`."""

    moment: dt.datetime
    since: dt.datetime | None = None
    ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Sources:
    """A rule's sources as one SELECT of `source_columns`, one row per source.

    `due_from_rule`: the due date is the rule's delay after `start_at`;
    otherwise the query's own `due_at` is the due date (partner periods).
    """

    query: Select[Any]
    due_from_rule: bool = True


SourceQuery = Callable[[FollowUpRule, Scope], Sources]
SOURCE_QUERIES: dict[str, SourceQuery] = {}


def sources_for(trigger: str) -> Callable[[SourceQuery], SourceQuery]:
    """Register how the rules of a trigger (FOLLOWUP_TRIGGERS code) find their
    sources. A new kind of rule is one such function; `generate` runs the
    triggers in the order they were registered."""

    def register(query: SourceQuery) -> SourceQuery:
        SOURCE_QUERIES[trigger] = query
        return query

    return register


def source_columns(
    *,
    source: str,
    key: Any,
    customer_id: Any,
    start_at: Any,
    position: Any,
    case_id: Any = None,
    pickup_id: Any = None,
    settlement_id: Any = None,
    due_at: Any = None,
    preferred: tuple[Any, ...] = (),
    visitor: Any = None,
    avoid: Any = None,
) -> list[Any]:
    """The labelled columns a source query selects.

    `source`: FOLLOWUP_SOURCES code; `key`: text unique per source and rule;
    `start_at`: the event the delay and the at-risk share count from;
    `position`: orders the numbers; `preferred`: up to two user ids who should
    make the call if they work in the rule's department; `visitor`: a user
    designated for the customer (a key account's visit plan), whatever their
    department, before anyone else; `avoid`: a user who should not make it
    (the account's own sales rep), passed over by the department fallback.
    """
    people = [*preferred, None, None][:2]

    def integer(value: Any) -> Any:
        return cast(null(), Integer) if value is None else value

    return [
        literal(source, String).label("source"),
        key.label("source_key"),
        customer_id.label("customer_id"),
        integer(case_id).label("case_id"),
        integer(pickup_id).label("pickup_id"),
        integer(settlement_id).label("settlement_id"),
        start_at.label("start_at"),
        (cast(null(), AwareDateTime) if due_at is None else due_at).label("due_at"),
        integer(people[0]).label("preferred_1"),
        integer(people[1]).label("preferred_2"),
        integer(visitor).label("visitor"),
        integer(avoid).label("avoid"),
        position.label("position"),
    ]


def _text(value: Any) -> Any:
    return cast(value, String)


def customer_limits(rule: FollowUpRule) -> list[Any]:
    """Which customers a rule serves, for every trigger: those of its customer
    type and customer grade when it names them.

    A rule naming no grade gives way, for a customer of a grade, to an active
    rule of the same trigger and case kind naming that grade: e.g. visits to
    A customers every 15 days instead of every 30 (seed 003 公司客户服务办法
    第四条, 供电 第五条: service by class of customer). Conditions on
    `Customer` (the caller joins it).
    """
    limits: list[Any] = []
    if rule.customer_type_id:
        limits.append(Customer.customer_type_id == rule.customer_type_id)
    if rule.customer_grade_id:
        limits.append(Customer.grade_id == rule.customer_grade_id)
        return limits
    own = aliased(FollowUpRule)
    same = [
        own.active.is_(True),
        own.trigger == rule.trigger,
        own.customer_grade_id.is_not(None),
        own.case_kind == rule.case_kind if rule.case_kind else own.case_kind.is_(None),
    ]
    if db.session.execute(select(own.id).where(*same).limit(1)).first() is not None:
        limits.append(
            ~exists().where(*same, own.customer_grade_id == Customer.grade_id)
        )
    return limits


# ---------------------------------------------------------------- sources
@sources_for("case_closed")
def _closed_cases(rule: FollowUpRule, scope: Scope) -> Sources:
    cycle = func.coalesce(Case.resolution_cycle, 0)
    key = (
        literal("case:")
        + _text(Case.id)
        + literal(f":rule:{rule.id}")
        + case((cycle != 0, literal(":cycle:") + _text(cycle)), else_=literal(""))
    )
    stmt = select(
        *source_columns(
            source="case",
            key=key,
            customer_id=Case.customer_id,
            case_id=Case.id,
            start_at=Case.closed_at,
            preferred=(Case.first_ask_owner_id, Case.owner_id),
            position=Case.id,
        )
    ).where(Case.status == "closed", Case.closed_at.is_not(None))
    if scope.ids is not None:
        stmt = stmt.where(Case.id.in_(scope.ids))
    if scope.since is not None:
        stmt = stmt.where(Case.closed_at >= scope.since)
    if rule.case_kind:
        stmt = stmt.where(Case.kind == rule.case_kind)
    limits = customer_limits(rule)
    if limits:
        stmt = stmt.join(Customer, Customer.id == Case.customer_id).where(*limits)
    return Sources(stmt)


@sources_for("pickup_settled")
def _settled_pickups(rule: FollowUpRule, scope: Scope) -> Sources:
    settlement = aliased(Settlement)
    stmt = (
        select(
            *source_columns(
                source="pickup",
                key=literal("pickup:") + _text(Pickup.id) + literal(f":rule:{rule.id}"),
                customer_id=Pickup.customer_id,
                pickup_id=Pickup.id,
                settlement_id=settlement.id,
                start_at=Pickup.settled_at,
                preferred=(Pickup.created_by_id,),
                position=Pickup.id,
            )
        )
        # At most one: uq_settlement_pickup_active.
        .outerjoin(
            settlement,
            and_(
                settlement.pickup_id == Pickup.id,
                settlement.status != "voided",
                settlement.adjusts_id.is_(None),
            ),
        )
        .where(Pickup.settled_at.is_not(None), Pickup.status.in_(("settled", "closed")))
    )
    if scope.ids is not None:
        stmt = stmt.where(Pickup.id.in_(scope.ids))
    if scope.since is not None:
        stmt = stmt.where(Pickup.settled_at >= scope.since)
    limits = customer_limits(rule)
    if limits:
        stmt = stmt.join(Customer, Customer.id == Pickup.customer_id).where(*limits)
    return Sources(stmt)


def _period(customer_id: int, interval: int, today: dt.date) -> dt.date:
    """Start of the customer's current period (staggered by customer id)."""
    first = PERIOD_EPOCH + dt.timedelta(days=customer_id % interval)
    elapsed = (today - first).days
    return first + dt.timedelta(days=(elapsed // interval) * interval)


def _designated_visitor(begin_day: Any, due_day: Any) -> Any:
    """The designated visitor of the customer's visit plan overlapping the
    period (the narrowest plan: month, then quarter, then year), or NULL.

    Partner visits feed the satisfaction KPI: by seed 003 第四条(2) they are
    made by the designated visitor, in principle not the account's own sales
    rep (see app.services.visits.key_accounts).
    """
    narrowest = case(
        (VisitPlan.period == "month", 0), (VisitPlan.period == "quarter", 1), else_=2
    )
    return (
        select(VisitPlan.visitor_id)
        .where(
            VisitPlan.customer_id == Customer.id,
            VisitPlan.starts_on <= due_day,
            VisitPlan.ends_on >= begin_day,
        )
        .order_by(narrowest, VisitPlan.id.desc())
        .limit(1)
        .correlate(Customer)
        .scalar_subquery()
    )


@sources_for("partner_periodic")
def _partner_periods(rule: FollowUpRule, scope: Scope) -> Sources:
    interval = rule.interval_days or 30
    today = scope.moment.astimezone(BUSINESS_TZ).date()
    # A customer's period depends only on its id modulo the interval.
    periods = []
    for shift in range(interval):
        start = _period(shift, interval, today)
        periods.append(
            (
                shift,
                dt.datetime.combine(start, dt.time(0, 0), BUSINESS_TZ),
                dt.datetime.combine(
                    start + dt.timedelta(days=interval - 1),
                    dt.time(23, 59),
                    BUSINESS_TZ,
                ),
                f"{start:%Y%m%d}",
                start,
                start + dt.timedelta(days=interval - 1),
            )
        )
    period = rows(
        "period",
        [
            ("shift", Integer()),
            ("begins", AwareDateTime()),
            ("due", AwareDateTime()),
            ("stamp", String()),
            ("begin_day", Date()),
            ("due_day", Date()),
        ],
        periods,
    )
    stmt = (
        select(
            *source_columns(
                source="partner",
                key=literal("partner:")
                + _text(Customer.id)
                + literal(f":rule:{rule.id}:")
                + period.c.stamp,
                customer_id=Customer.id,
                start_at=period.c.begins,
                due_at=period.c.due,
                visitor=_designated_visitor(period.c.begin_day, period.c.due_day),
                avoid=Customer.sales_rep_id,
                position=Customer.id,
            )
        )
        .join(period, Customer.id % interval == period.c.shift)
        .where(Customer.status == "active")
    )
    stmt = stmt.where(*customer_limits(rule))
    if scope.ids is not None:
        stmt = stmt.where(Customer.id.in_(scope.ids))
    return Sources(stmt, due_from_rule=False)


# --------------------------------------------------------------- creating
def _working_day_dues(rule: FollowUpRule, sources: Any) -> Any | None:
    """(business date, due) rows for the dates of the sources; None if none.

    "N working days" end at the close of the N-th working day after the date
    of the event, so the due date depends on that date only.
    """
    low, high = db.session.execute(
        select(func.min(sources.c.start_at), func.max(sources.c.start_at))
    ).one()
    if low is None:
        return None
    calendar = current_calendar()
    day = low.astimezone(BUSINESS_TZ).date()
    last = high.astimezone(BUSINESS_TZ).date()
    dues, missing = [], set()
    while day <= last:
        noon = dt.datetime.combine(day, dt.time(12, 0), BUSINESS_TZ)
        try:
            due = calendar.end_of_nth_working_day_after(noon, rule.delay_amount)
        except CalendarUnknownError as error:
            missing.add(error.year)
        else:
            dues.append((day, due))
        day += dt.timedelta(days=1)
    for year in sorted(missing):
        logger.warning("Follow-ups of rule %s wait for the %s calendar", rule.id, year)
        alerts.calendar_missing(year)
    if not dues:
        return None
    return rows("due_day", [("day", Date()), ("due", AwareDateTime())], dues)


def _planned(rule: FollowUpRule, found: Sources) -> Any | None:
    """The sources without a visit, with their due instant; None: nothing to do."""
    sources = found.query.subquery("sources")
    dues = None
    if not found.due_from_rule:
        due = sources.c.due_at
    elif rule.delay_amount <= 0:
        due = sources.c.start_at
    elif rule.delay_unit == "working_days":
        dues = _working_day_dues(rule, sources)
        if dues is None:
            return None
        due = dues.c.due
    else:
        due = add_us(sources.c.start_at, rule.delay_amount * MICROSECONDS_PER_DAY)
    stmt = select(
        *[c for c in sources.c if c.key != "due_at"], due.label("due_at")
    ).select_from(sources)
    if dues is not None:
        stmt = stmt.join(dues, dues.c.day == business_date(sources.c.start_at))
    stmt = stmt.where(
        ~exists().where(FollowUp.source_key == sources.c.source_key),
        sources.c.start_at.is_not(None),
    )
    return stmt.subquery("planned")


def _fallback_assignees(department_id: int) -> list[int]:
    """The department head, then the others of the department (lowest id first)."""
    return list(
        db.session.scalars(
            select(AppUser.id)
            .where(AppUser.active.is_(True), AppUser.department_id == department_id)
            .order_by(
                case((AppUser.is_department_head.is_(True), 0), else_=1), AppUser.id
            )
            .limit(2)
        )
    )


def _fallback(department_id: int, avoid: Any) -> Any:
    """Who calls when no preferred clerk does: the department's head (or first
    clerk); when that is the one to avoid, the next clerk of the department,
    else the head of customer service (who runs follow-ups, SPEC §1)."""
    team = _fallback_assignees(department_id)
    if not team:
        return literal(None, Integer)
    first = team[0]
    others = (
        team[1:]
        or [u for u in _fallback_assignees(_customer_service_id()) if u != first][:1]
    )
    if not others:
        return literal(first, Integer)
    return case(
        (and_(avoid.is_not(None), avoid == first), literal(others[0], Integer)),
        else_=literal(first, Integer),
    )


def _customer_service_id() -> int:
    return db.session.scalar(select(Department.id).where(Department.code == "cs"))


VISIT_COLUMNS = (
    "number",
    "source",
    "source_key",
    "rule_id",
    "case_id",
    "pickup_id",
    "settlement_id",
    "customer_id",
    "department_id",
    "assignee_id",
    "due_at",
    "risk_at",
    "due_state",
    "status",
    "escalation_level",
    "created_at",
    "changed_at",
    "created_by_id",
    "changed_by_id",
    "version",
    "next_check_at",
)
# The audit row's columns: every column written but the version and the
# deadline check's next look (kept by the database), the number last.
AUDITED_COLUMNS = (*VISIT_COLUMNS[1:-2], "number")


def _constants(
    rule: FollowUpRule, actor_id: int, moment: dt.datetime
) -> dict[str, Any]:
    """The columns of VISIT_COLUMNS with one value for every visit of a run."""
    return {
        "rule_id": rule.id,
        "department_id": rule.department_id,
        "due_state": "running",
        "status": "planned",
        "escalation_level": 0,
        "created_at": moment,
        "changed_at": moment,
        "created_by_id": actor_id,
        "changed_by_id": actor_id,
        "version": 1,
    }


def _visits(
    rule: FollowUpRule,
    planned: Any,
    first: int,
    constants: dict[str, Any],
    part: tuple[int, int] | None = None,
) -> Select[Any]:
    """SELECT of the new visits' VISIT_COLUMNS, numbered after `first` in
    the order of their sources; `part` = (i, n): only the i-th of n equal
    runs of numbers (the n parts make one gap-free block; runs, not every
    n-th number, so that the parts write to different index pages)."""
    rank = func.row_number().over(order_by=planned.c.position).label("rank")
    total = func.count().over().label("total")
    ranked = select(planned, rank, total).subquery("ranked")
    if part is not None:
        index, parts = part
        share = (ranked.c.rank - 1) * parts // ranked.c.total
        ranked = select(ranked).where(share == index).subquery("part")
    planned = ranked
    department = rule.department_id
    designated = aliased(AppUser)
    staff = [aliased(AppUser) for _ in range(2)]
    chosen = [(designated.id.is_not(None), designated.id)] + [
        (person.id.is_not(None), person.id)
        for person in staff  # a preferred clerk of the rule's department
    ]
    # Like the SLA clocks, the warning comes at a share of the time from the
    # triggering event (closure, settlement, period start) to the due date.
    fraction = record_clocks.at_risk_fraction(None)
    computed = {
        "number": numbering.number_sql(
            "followup",
            constants["created_at"],
            first + planned.c.rank,
        ),
        "source": planned.c.source,
        "source_key": planned.c.source_key,
        "case_id": planned.c.case_id,
        "pickup_id": planned.c.pickup_id,
        "settlement_id": planned.c.settlement_id,
        "customer_id": planned.c.customer_id,
        "assignee_id": case(*chosen, else_=_fallback(department, planned.c.avoid)),
        "due_at": planned.c.due_at,
        "risk_at": share_of_span(planned.c.start_at, planned.c.due_at, fraction),
    }
    # The next look of a planned visit whose clock runs is its risk instant
    # (deadline_check.look_sql); brought along, the insert trigger has
    # nothing to correct and is not called.
    computed["next_check_at"] = computed["risk_at"]
    types = FollowUp.__table__.c
    stmt = select(
        *[
            computed[name]
            if name in computed
            else literal(constants[name], types[name].type)
            for name in VISIT_COLUMNS
        ]
    ).select_from(planned)
    stmt = stmt.outerjoin(
        designated,
        and_(designated.id == planned.c.visitor, designated.active.is_(True)),
    )
    for person, preferred in zip(
        staff, (planned.c.preferred_1, planned.c.preferred_2), strict=True
    ):
        stmt = stmt.outerjoin(
            person,
            and_(
                person.id == preferred,
                person.active.is_(True),
                person.department_id == department,
                or_(planned.c.avoid.is_(None), person.id != planned.c.avoid),
            ),
        )
    return stmt


def _audit_rows(visits: Any, constants: dict[str, Any]) -> Any:
    """INSERT of one audit row per visit of `visits` (a set with id and the
    columns of AUDITED_COLUMNS not in `constants`), with the changes the
    session hook writes for an insert; the constants are encoded once."""
    changes = insert_changes(
        [
            (name, constants[name] if name in constants else visits.c[name])
            for name in AUDITED_COLUMNS
        ],
        nullable=("case_id", "pickup_id", "settlement_id", "assignee_id"),
    )
    return insert(AuditLog.__table__).from_select(
        ["at", "user_id", "table_name", "row_id", "action", "changes"],
        select(
            literal(constants["created_at"], AwareDateTime),
            literal(constants["created_by_id"], Integer),
            literal(FollowUp.__tablename__),
            visits.c.id,
            literal("insert"),
            changes,
        ),
    )


def _returned(constants: dict[str, Any]) -> list[str]:
    """What the audit rows need of each new visit (the rest is constant)."""
    return ["id", *(n for n in AUDITED_COLUMNS if n not in constants)]


def _written(
    rule: FollowUpRule,
    planned: Any,
    first: int,
    constants: dict[str, Any],
    part: tuple[int, int] | None = None,
) -> tuple[Select[Any], Any]:
    """PostgreSQL: one statement inserting the visits (of `part`) and their
    audit rows, selecting how many; and the inserted set (a CTE)."""
    table = FollowUp.__table__
    new = insert(table).from_select(
        list(VISIT_COLUMNS), _visits(rule, planned, first, constants, part)
    )
    returning = [table.c[n] for n in _returned(constants)]
    inserted = new.returning(*returning).cte("inserted")
    stmt = (
        select(func.count())
        .select_from(inserted)
        .add_cte(_audit_rows(inserted, constants).cte("audited"))
    )
    return stmt, inserted


def _parts(scope: Scope, planned: Any) -> int:
    """How many connections write a run's visits at once (PostgreSQL): one
    for a closing event or a run with fewer sources than
    FOLLOWUP_PARTS_FROM, else FOLLOWUP_PARTS."""
    parts = int(current_app.config.get("FOLLOWUP_PARTS", 2))
    least = int(current_app.config.get("FOLLOWUP_PARTS_FROM", 2000))
    if parts < 2 or scope.ids is not None:
        return 1
    if db.session.get_bind().dialect.name != "postgresql":
        return 1
    some = select(literal(1)).select_from(planned).limit(least).subquery("some")
    return (
        parts
        if db.session.scalar(select(func.count()).select_from(some)) >= least
        else 1
    )


def _create_in_parts(
    rule: FollowUpRule, planned: Any, constants: dict[str, Any], parts: int
) -> int:
    """The visits written by `parts` connections at once on one snapshot,
    the counter locked and advanced by the leading one (snapshot_parts)."""
    moment = constants["created_at"]

    def begin(leader: Connection) -> int:
        return numbering.lock_counter_on(leader, "followup", moment)

    def statement(first: int, part: int) -> Select[Any]:
        built = _written(rule, planned, first, constants, (part, parts))[0]
        # Building it read the fallback callers: the session does not wait
        # idle in that transaction while the parts are written.
        db.session.commit()
        return built

    def finish(leader: Connection, total: int) -> None:
        leader.execute(numbering.advance_counter("followup", moment, total))

    db.session.commit()  # what the run wrote so far (calendar alerts)
    return snapshot_parts.write_in_parts(
        parts, begin, statement, finish, lock=GENERATION_LOCK
    )


def _create(rule: FollowUpRule, scope: Scope) -> int:
    """Insert the visits one rule asks for in scope; commits; returns how many."""
    planned = _planned(rule, SOURCE_QUERIES[rule.trigger](rule, scope))
    if planned is None:
        db.session.commit()  # the calendar alerts, if any
        return 0
    moment = scope.moment
    constants = _constants(rule, actor_or_system().id, moment)
    parts = _parts(scope, planned)
    if parts > 1:
        return _create_in_parts(rule, planned, constants, parts)
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        snapshot_parts.hold(GENERATION_LOCK)  # behind a run written in parts
    first = numbering.lock_counter("followup", moment)
    table = FollowUp.__table__
    returned = _returned(constants)
    if postgres:
        # One statement: visits, their audit rows, the counter.
        stmt, inserted = _written(rule, planned, first, constants)
        total = select(func.count()).select_from(inserted).scalar_subquery()
        count = db.session.execute(
            stmt.add_cte(
                numbering.advance_counter("followup", moment, total).cte("counted")
            )
        ).scalar_one()
    else:
        new = insert(table).from_select(
            list(VISIT_COLUMNS), _visits(rule, planned, first, constants)
        )
        # SQLite has one writer at a time (the counter lock took it): the new
        # visits are those above the highest id before the insert.
        before = db.session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
        count = db.session.execute(new).rowcount
        if count:
            db.session.execute(
                _audit_rows(
                    select(*[table.c[n] for n in returned])
                    .where(table.c.id > before)
                    .subquery("inserted"),
                    constants,
                )
            )
            db.session.execute(numbering.advance_counter("followup", moment, count))
    db.session.commit()
    return int(count)


def _rules(trigger: str) -> list[FollowUpRule]:
    return list(
        db.session.scalars(
            select(FollowUpRule)
            .where(FollowUpRule.trigger == trigger, FollowUpRule.active.is_(True))
            .order_by(FollowUpRule.id)
        )
    )


def _run(scope: Scope, triggers: tuple[str, ...]) -> int:
    return sum(_create(rule, scope) for trigger in triggers for rule in _rules(trigger))


def generate(
    since: dt.datetime | None = None, moment: dt.datetime | None = None
) -> int:
    """Create every visit due under the active rules; returns how many.

    `since` bounds how far back closures and settlements are looked at
    (indexed columns); the periodic job passes its last successful run, so
    an outage of any length is caught up.
    """
    moment = moment or now()
    since = since or moment - dt.timedelta(days=DEFAULT_LOOKBACK_DAYS)
    return _run(Scope(moment, since), tuple(SOURCE_QUERIES))


def for_case(case_id: int) -> int:
    """Visits for a case that was just closed."""
    return _run(Scope(now(), ids=(case_id,)), ("case_closed",))


def for_pickup(pickup_id: int) -> int:
    """The satisfaction call of a pickup that was just settled."""
    return _run(Scope(now(), ids=(pickup_id,)), ("pickup_settled",))
