"""Reference: follow-up generation row by row, as it was before it became set-based.

Kept only as the oracle of `test_generation_matches_rowwise`: for each source
it reads what it needs, computes due, at-risk instant and assignee in Python
and inserts the visit, its number and its audit row one statement at a time.
The set-based generation in `app.services.visits.generation` must create the
same rows.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite

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
    VisitPlan,
    now,
)
from app.security.access import actor_or_system
from app.services.clocks import record_clocks
from app.services.clocks.business_calendar import current_calendar
from app.services.clocks.working_time import CalendarUnknownError
from app.services.core import numbering
from app.services.notify import alerts

logger = logging.getLogger(__name__)

DEFAULT_LOOKBACK_DAYS = 30
# Partner periods are counted from this day, shifted per customer.
PERIOD_EPOCH = dt.date(2026, 1, 1)


@dataclass(frozen=True)
class Source:
    """Something that deserves a visit under a rule."""

    key: str
    kind: str  # FOLLOWUP_SOURCES code
    customer_id: int
    start: dt.datetime  # when the delay starts (closure, settlement, period)
    preferred: tuple[int | None, ...]  # assignees to try before the head
    case_id: int | None = None
    pickup_id: int | None = None
    settlement_id: int | None = None
    due: dt.datetime | None = None  # fixed due (partner periods)
    visitor: int | None = None  # designated by the key account's visit plan
    avoid: int | None = None  # not by default (the account's own sales rep)


# ---------------------------------------------------------------- sources
def case_key(case_id: int, rule_id: int, cycle: int) -> str:
    key = f"case:{case_id}:rule:{rule_id}"
    return key if not cycle else f"{key}:cycle:{cycle}"


def _case_sources(
    rule: FollowUpRule, since: dt.datetime | None, ids: Iterable[int] | None
) -> list[Source]:
    stmt = select(Case).where(Case.status == "closed", Case.closed_at.is_not(None))
    if ids is not None:
        stmt = stmt.where(Case.id.in_(list(ids)))
    if since is not None:
        stmt = stmt.where(Case.closed_at >= since)
    if rule.case_kind:
        stmt = stmt.where(Case.kind == rule.case_kind)
    if rule.customer_type_id:
        stmt = stmt.join(Customer, Customer.id == Case.customer_id).where(
            Customer.customer_type_id == rule.customer_type_id
        )
    return [
        Source(
            case_key(c.id, rule.id, c.resolution_cycle),
            "case",
            c.customer_id,
            c.closed_at,
            (c.first_ask_owner_id, c.owner_id),
            case_id=c.id,
        )
        for c in db.session.scalars(stmt)
    ]


def _pickup_sources(
    rule: FollowUpRule, since: dt.datetime | None, ids: Iterable[int] | None
) -> list[Source]:
    from app.models import Settlement

    stmt = select(Pickup).where(
        Pickup.settled_at.is_not(None), Pickup.status.in_(("settled", "closed"))
    )
    if ids is not None:
        stmt = stmt.where(Pickup.id.in_(list(ids)))
    if since is not None:
        stmt = stmt.where(Pickup.settled_at >= since)
    if rule.customer_type_id:
        stmt = stmt.join(Customer, Customer.id == Pickup.customer_id).where(
            Customer.customer_type_id == rule.customer_type_id
        )
    pickups = db.session.scalars(stmt).all()
    settlements = (
        dict(
            db.session.execute(
                select(Settlement.pickup_id, Settlement.id).where(
                    Settlement.pickup_id.in_([p.id for p in pickups]),
                    Settlement.status != "voided",
                    Settlement.adjusts_id.is_(None),
                )
            ).all()
        )
        if pickups
        else {}
    )
    return [
        Source(
            f"pickup:{p.id}:rule:{rule.id}",
            "pickup",
            p.customer_id,
            p.settled_at,
            (p.created_by_id,),
            pickup_id=p.id,
            settlement_id=settlements.get(p.id),
        )
        for p in pickups
    ]


def _period(customer_id: int, interval: int, today: dt.date) -> dt.date:
    """Start of the customer's current period (staggered by customer id)."""
    first = PERIOD_EPOCH + dt.timedelta(days=customer_id % interval)
    elapsed = (today - first).days
    return first + dt.timedelta(days=(elapsed // interval) * interval)


def _partner_sources(
    rule: FollowUpRule, moment: dt.datetime, ids: Iterable[int] | None = None
) -> list[Source]:
    interval = rule.interval_days or 30
    stmt = select(Customer).where(Customer.status == "active")
    if rule.customer_type_id:
        stmt = stmt.where(Customer.customer_type_id == rule.customer_type_id)
    if ids is not None:
        stmt = stmt.where(Customer.id.in_(list(ids)))
    today = moment.astimezone(BUSINESS_TZ).date()
    sources = []
    for customer in db.session.scalars(stmt):
        start = _period(customer.id, interval, today)
        last_day = start + dt.timedelta(days=interval - 1)
        due = dt.datetime.combine(last_day, dt.time(23, 59), BUSINESS_TZ)
        begin = dt.datetime.combine(start, dt.time(0, 0), BUSINESS_TZ)
        sources.append(
            Source(
                f"partner:{customer.id}:rule:{rule.id}:{start:%Y%m%d}",
                "partner",
                customer.id,
                begin,
                (),
                due=due,
                visitor=_plan_visitor(customer.id, start, last_day),
                avoid=customer.sales_rep_id,
            )
        )
    return sources


def _plan_visitor(customer_id: int, first: dt.date, last: dt.date) -> int | None:
    """The visitor of the narrowest visit plan of the customer overlapping
    the days `first`..`last` (a month's plan before a quarter's before a year's)."""
    plans = db.session.scalars(
        select(VisitPlan).where(VisitPlan.customer_id == customer_id)
    ).all()
    overlapping = [p for p in plans if p.starts_on <= last and p.ends_on >= first]
    order = {"month": 0, "quarter": 1, "year": 2}
    overlapping.sort(key=lambda p: (order[p.period], -p.id))
    return overlapping[0].visitor_id if overlapping else None


# --------------------------------------------------------------- creating
def _due(rule: FollowUpRule, source: Source) -> dt.datetime:
    if source.due is not None:
        return source.due
    if rule.delay_amount <= 0:
        return source.start
    if rule.delay_unit == "working_days":
        return current_calendar().end_of_nth_working_day_after(
            source.start, rule.delay_amount
        )
    return source.start + dt.timedelta(days=rule.delay_amount)


def _assignee(
    rule: FollowUpRule, source: Source, staff: dict[int, AppUser]
) -> int | None:
    """Who makes the call: the visitor a key account's plan designates, a
    preferred clerk of the rule's department (the case's first-ask owner, the
    pickup's recorder) unless to be avoided, else the department head (or
    first clerk); when that is the account's own sales rep, the next clerk of
    the department, else the head of customer service."""
    if source.visitor in staff:
        return source.visitor
    for user_id in source.preferred:
        user = staff.get(user_id) if user_id else None
        if (
            user is not None
            and user.department_id == rule.department_id
            and user.id != source.avoid
        ):
            return user.id

    def ranked(department_id: int) -> list[AppUser]:
        team = [u for u in staff.values() if u.department_id == department_id]
        return sorted(team, key=lambda u: (not u.is_department_head, u.id))

    team = ranked(rule.department_id)
    if not team:
        return None
    if source.avoid != team[0].id:
        return team[0].id
    cs = db.session.scalar(select(Department.id).where(Department.code == "cs"))
    others = team[1:] or [u for u in ranked(cs) if u.id != team[0].id]
    return others[0].id if others else team[0].id


def _insert_stmt(values: dict[str, Any]) -> Any:
    dialect = db.session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert_(FollowUp.__table__)
        .values(values)
        .on_conflict_do_nothing(index_elements=["source_key"])
        .returning(FollowUp.__table__.c.id)
    )


def _create(
    rule: FollowUpRule,
    source: Source,
    staff: dict[int, AppUser],
    actor_id: int,
    moment: dt.datetime,
) -> int | None:
    """Insert one visit unless its source already has one; returns its id."""
    due = _due(rule, source)
    # Like the SLA clocks, the warning comes at a share of the time from the
    # triggering event (closure, settlement, period start) to the due date.
    fraction = record_clocks.at_risk_fraction(None)
    span = max(due - source.start, dt.timedelta(0))
    values = {
        "source": source.kind,
        "source_key": source.key,
        "rule_id": rule.id,
        "case_id": source.case_id,
        "pickup_id": source.pickup_id,
        "settlement_id": source.settlement_id,
        "customer_id": source.customer_id,
        "department_id": rule.department_id,
        "assignee_id": _assignee(rule, source, staff),
        "due_at": due,
        "risk_at": source.start + span * float(fraction),
        "due_state": "running",
        "status": "planned",
        "escalation_level": 0,
        "created_at": moment,
        "changed_at": moment,
        "created_by_id": actor_id,
        "changed_by_id": actor_id,
    }
    # The number is taken first: its counter lock serializes creators, and a
    # visit that already exists gives the number back (numbers stay gap-free).
    values["number"] = numbering.next_number("followup", moment)
    new_id = db.session.execute(_insert_stmt(values)).scalar_one_or_none()
    if new_id is None:
        numbering.give_back("followup", values["number"])
        return None
    db.session.execute(
        insert(AuditLog.__table__).values(
            at=moment,
            user_id=actor_id,
            table_name=FollowUp.__tablename__,
            row_id=new_id,
            action="insert",
            changes=json.dumps(
                {k: [None, _plain(v)] for k, v in values.items() if v is not None},
                ensure_ascii=False,
            ),
        )
    )
    return new_id


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _create_all(rule: FollowUpRule, sources: list[Source], moment: dt.datetime) -> int:
    if not sources:
        return 0
    existing = set(
        db.session.scalars(
            select(FollowUp.source_key).where(
                FollowUp.source_key.in_([s.key for s in sources])
            )
        )
    )
    todo = [s for s in sources if s.key not in existing]
    if not todo:
        return 0
    staff = {
        u.id: u
        for u in db.session.scalars(select(AppUser).where(AppUser.active.is_(True)))
    }
    actor_id = actor_or_system().id
    count = 0
    for source in todo:
        try:
            if _create(rule, source, staff, actor_id, moment) is not None:
                count += 1
        except CalendarUnknownError as error:
            logger.warning(
                "Follow-up %s waits for the %s calendar", source.key, error.year
            )
            alerts.calendar_missing(error.year)
    db.session.commit()
    return count


def _rules(trigger: str) -> list[FollowUpRule]:
    return list(
        db.session.scalars(
            select(FollowUpRule)
            .where(FollowUpRule.trigger == trigger, FollowUpRule.active.is_(True))
            .order_by(FollowUpRule.id)
        )
    )


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
    count = 0
    for rule in _rules("case_closed"):
        count += _create_all(rule, _case_sources(rule, since, None), moment)
    for rule in _rules("pickup_settled"):
        count += _create_all(rule, _pickup_sources(rule, since, None), moment)
    for rule in _rules("partner_periodic"):
        count += _create_all(rule, _partner_sources(rule, moment), moment)
    return count


def for_case(case_id: int) -> int:
    """Visits for a case that was just closed."""
    moment = now()
    return sum(
        _create_all(rule, _case_sources(rule, None, [case_id]), moment)
        for rule in _rules("case_closed")
    )


def for_pickup(pickup_id: int) -> int:
    """The satisfaction call of a pickup that was just settled."""
    moment = now()
    return sum(
        _create_all(rule, _pickup_sources(rule, None, [pickup_id]), moment)
        for rule in _rules("pickup_settled")
    )
