"""Open clocks follow what they depend on: recomputed set-based, alerts withdrawn.

A clock's dates depend on the business calendar (days and weekly windows),
the SLA policy, and the case's kind, severity and customer type. Whenever one
of them changes - through a screen, the API, an import, `flask calendar sync`
or any other ORM write - the open clocks it can move are recomputed before
the change is committed, in the same transaction (`_collect` and
`_recompute`, wired by `core.commit_hooks`), so no open case keeps a date the
calendar no longer gives:

- a calendar day affects the running clocks whose span (receipt or cycle
  start .. due) contains it, plus the clocks waiting for calendar data or
  paused; a year added affects the "unknown" ones; weekly windows affect all;
- a policy affects the open cases of its kind and severity (pickups for the
  pickup policy);
- a customer's type affects that customer's open cases; a case's kind,
  severity or customer affects that case (`record_clocks.recompute_case`,
  also the entry point of reclassification).

Each set is chosen by index (partial indexes on open rows' due instants) and
recomputed in batches through the same computation as registration
(`record_clocks.case_deadlines`), so the cost grows with the open clocks
affected, not with the table. A recomputed clock's state follows its new
dates (running, at risk, breached); alerts raised on the old dates that no
longer hold are kept in the history but marked withdrawn, and the case's
escalation level is lowered to what its remaining alerts justify. The
deadline check ignores withdrawn alerts, so it raises an alert again only
when the new date passes - never twice for the same date.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import (
    CalendarDay,
    CalendarYear,
    Case,
    CasePause,
    Customer,
    Notification,
    Pickup,
    Setting,
    SlaPolicy,
    WorkWindow,
    now,
)
from app.models.cases import OPEN_CASE, WAITING_CASE
from app.models.recycling import OPEN_PICKUP, WAITING_PICKUP
from app.services.clocks import record_clocks
from app.services.clocks.record_clocks import Rules
from app.services.clocks.working_time import SHANGHAI
from app.services.core import commit_hooks

logger = logging.getLogger(__name__)

BATCH = 1000
BREACH_LEVELS = ("breached", "escalated", "management")
_RANK = {"running": 0, "paused": 0, "at_risk": 1, "breached": 2}
CASE_CLOCKS = ("response", "resolution")
CASE_FIELDS = (
    *(f"{c}_{part}" for c in CASE_CLOCKS for part in ("due_at", "risk_at", "state")),
    "sla_policy_id",
)
PICKUP_FIELDS = ("confirm_due_at", "confirm_risk_at", "confirm_state", "sla_policy_id")


@dataclass
class Recomputed:
    """What a recomputation did."""

    looked_at: int = 0
    changed: int = 0
    withdrawn: int = 0
    missing_years: set[int] = field(default_factory=set)

    def add(self, other: Recomputed) -> None:
        self.looked_at += other.looked_at
        self.changed += other.changed
        self.withdrawn += other.withdrawn
        self.missing_years |= other.missing_years


# ------------------------------------------------------------- selection
def _span(days: Iterable[dt.date]) -> tuple[dt.datetime, dt.datetime] | None:
    days = sorted(set(days))
    if not days:
        return None
    first = dt.datetime.combine(days[0], dt.time(0), SHANGHAI)
    after = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(0), SHANGHAI)
    return first, after


def case_ids_for_days(days: Iterable[dt.date] | None) -> set[int]:
    """Open cases a change of these calendar days can move (None: all open)."""
    t = Case.__table__
    if days is None:
        return set(db.session.scalars(select(t.c.id).where(OPEN_CASE)))
    span = _span(days)
    ids = set(db.session.scalars(select(t.c.id).where(WAITING_CASE)))
    if span is None:
        return ids
    first, after = span
    ids.update(
        db.session.scalars(
            select(t.c.id).where(
                OPEN_CASE,
                t.c.response_due_at >= first,
                t.c.received_at < after,
                t.c.responded_at.is_(None),
            )
        )
    )
    ids.update(
        db.session.scalars(
            select(t.c.id).where(
                OPEN_CASE,
                t.c.resolution_due_at >= first,
                t.c.resolution_started_at < after,
                t.c.resolved_at.is_(None),
            )
        )
    )
    return ids


def pickup_ids_for_days(days: Iterable[dt.date] | None) -> set[int]:
    """Unconfirmed open pickups a change of these days can move (None: all)."""
    t = Pickup.__table__
    unconfirmed = and_(OPEN_PICKUP, t.c.confirmed_at.is_(None))
    if days is None:
        return set(db.session.scalars(select(t.c.id).where(unconfirmed)))
    ids = set(db.session.scalars(select(t.c.id).where(WAITING_PICKUP)))
    span = _span(days)
    if span is not None:
        first, after = span
        ids.update(
            db.session.scalars(
                select(t.c.id).where(
                    unconfirmed,
                    t.c.confirm_due_at >= first,
                    t.c.received_at < after,
                )
            )
        )
    return ids


def case_ids_for_policies(pairs: Iterable[tuple[str, str]]) -> set[int]:
    """Open cases of these kind x severity pairs."""
    t = Case.__table__
    pairs = set(pairs)
    if not pairs:
        return set()
    return set(
        db.session.scalars(
            select(t.c.id).where(
                OPEN_CASE,
                or_(*(and_(t.c.kind == k, t.c.severity == s) for k, s in pairs)),
            )
        )
    )


def case_ids_for_customers(customer_ids: Iterable[int]) -> set[int]:
    t = Case.__table__
    customer_ids = set(customer_ids)
    if not customer_ids:
        return set()
    return set(
        db.session.scalars(
            select(t.c.id).where(OPEN_CASE, t.c.customer_id.in_(customer_ids))
        )
    )


def case_ids_for_thresholds(urgent_only: bool) -> set[int]:
    """Open cases whose at-risk instant follows a threshold setting: the
    urgent ones for `sla.urgent_at_risk_percent`, all for the default."""
    t = Case.__table__
    stmt = select(t.c.id).where(OPEN_CASE)
    if urgent_only:
        stmt = stmt.where(t.c.urgent.is_(True))
    return set(db.session.scalars(stmt))


# ----------------------------------------------------------- computation
def _pauses_by_case(ids: list[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = defaultdict(list)
    for row in db.session.execute(
        select(
            CasePause.case_id, CasePause.cycle, CasePause.started_at, CasePause.ended_at
        )
        .where(CasePause.case_id.in_(ids))
        .order_by(CasePause.case_id, CasePause.started_at)
    ):
        found[row.case_id].append(row)
    return found


def _withdrawals(
    record_type: str,
    record_id: int,
    clock: str,
    cycle: int,
    old: str,
    new: str,
) -> list[dict[str, Any]]:
    """Alert levels that the move from state `old` to `new` makes stale."""
    before, after = _RANK.get(old, -1), _RANK.get(new, -1)
    levels = []
    if before >= 1 and after < 1:
        levels.append("at_risk")
    if before >= 2 and after < 2:
        levels.extend(BREACH_LEVELS)
    return [
        {
            "r_type": record_type,
            "r_id": record_id,
            "r_clock": clock,
            "r_cycle": cycle,
            "r_level": level,
        }
        for level in levels
    ]


def _withdraw(items: list[dict[str, Any]], moment: dt.datetime) -> int:
    """Mark these live alerts withdrawn (history kept); returns how many."""
    if not items:
        return 0
    n = Notification.__table__
    result = db.session.connection().execute(
        update(n)
        .where(
            n.c.record_type == bindparam("r_type"),
            n.c.record_id == bindparam("r_id"),
            n.c.clock == bindparam("r_clock"),
            n.c.cycle == bindparam("r_cycle"),
            n.c.level == bindparam("r_level"),
            n.c.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=moment),
        items,
    )
    return max(result.rowcount or 0, 0)


def _lower_escalation(case_ids: set[int]) -> None:
    """Escalation level back to what the case's live alerts still justify."""
    if not case_ids:
        return
    t, n = Case.__table__, Notification.__table__
    live = (
        select(
            func.coalesce(
                func.max(
                    case(
                        (n.c.level == "management", 2),
                        (n.c.level == "escalated", 1),
                        else_=0,
                    )
                ),
                0,
            )
        )
        .where(
            n.c.record_type == "case",
            n.c.record_id == t.c.id,
            n.c.withdrawn_at.is_(None),
            or_(
                n.c.clock == "opened",
                and_(n.c.clock == "response", n.c.cycle == 0),
                and_(n.c.clock == "resolution", n.c.cycle == t.c.resolution_cycle),
            ),
        )
        .scalar_subquery()
    )
    db.session.execute(
        update(t)
        .where(t.c.id.in_(sorted(case_ids)), t.c.escalation_level > live)
        .values(escalation_level=live)
    )


def _write(table: Any, fields: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    db.session.connection().execute(
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({f: bindparam(f"_{f}") for f in fields}),
        [{"_id": r["id"], **{f"_{f}": r[f] for f in fields}} for r in rows],
    )


def recompute_cases(
    ids: Iterable[int], moment: dt.datetime | None = None, rules: Rules | None = None
) -> Recomputed:
    """Recompute these cases' open clocks in batches; write what changed."""
    moment = moment or now()
    rules = rules or Rules.load()
    ids = sorted(set(ids))
    done = Recomputed()
    t = Case.__table__
    columns = [
        t.c.id,
        t.c.status,
        t.c.kind,
        t.c.severity,
        t.c.received_at,
        t.c.resolution_started_at,
        t.c.resolution_cycle,
        t.c.responded_at,
        t.c.resolved_at,
        t.c.paused_since,
        t.c.urgent,
        *(t.c[f] for f in CASE_FIELDS),
        Customer.customer_type_id,
        Customer.grade_id,
    ]
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = db.session.execute(
            select(*columns)
            .join(Customer, Customer.id == t.c.customer_id)
            .where(t.c.id.in_(chunk))
        ).all()
        pauses = _pauses_by_case(chunk)
        changed: list[dict[str, Any]] = []
        stale: list[dict[str, Any]] = []
        lowered: set[int] = set()
        for row in rows:
            done.looked_at += 1
            item = SimpleNamespace(**row._mapping)
            cycle = item.resolution_cycle or 0
            policy, times = record_clocks.case_deadlines(
                rules,
                item.kind,
                item.severity,
                item.customer_type_id,
                item.received_at,
                item.resolution_started_at or item.received_at,
                cycle,
                [
                    (p.started_at, p.ended_at or moment)
                    for p in pauses.get(item.id, ())
                    if p.cycle == cycle
                ],
                bool(item.urgent),
                item.grade_id,
            )
            before = {f: getattr(item, f) for f in CASE_FIELDS}
            record_clocks.apply_case_times(item, times, moment)
            item.sla_policy_id = policy.id if policy is not None else None
            done.missing_years.update(times.missing_years)
            after = {f: getattr(item, f) for f in CASE_FIELDS}
            if after == before:
                continue
            changed.append({"id": item.id, **after})
            for clock, cycle_no in (("response", 0), ("resolution", cycle)):
                items = _withdrawals(
                    "case",
                    item.id,
                    clock,
                    cycle_no,
                    before[f"{clock}_state"],
                    after[f"{clock}_state"],
                )
                stale.extend(items)
                if any(i["r_level"] in BREACH_LEVELS for i in items):
                    lowered.add(item.id)
        _write(t, CASE_FIELDS, changed)
        done.changed += len(changed)
        done.withdrawn += _withdraw(stale, moment)
        _lower_escalation(lowered)
    for year in sorted(done.missing_years):
        record_clocks._unknown(year)
    return done


def recompute_pickups(
    ids: Iterable[int], moment: dt.datetime | None = None, rules: Rules | None = None
) -> Recomputed:
    """Recompute these pickups' confirmation clocks in batches."""
    moment = moment or now()
    rules = rules or Rules.load()
    ids = sorted(set(ids))
    done = Recomputed()
    t = Pickup.__table__
    columns = [
        t.c.id,
        t.c.received_at,
        t.c.confirmed_at,
        *(t.c[f] for f in PICKUP_FIELDS),
        Customer.customer_type_id,
        Customer.grade_id,
    ]
    for start in range(0, len(ids), BATCH):
        rows = db.session.execute(
            select(*columns)
            .join(Customer, Customer.id == t.c.customer_id)
            .where(t.c.id.in_(ids[start : start + BATCH]))
        ).all()
        changed, stale = [], []
        for row in rows:
            done.looked_at += 1
            item = SimpleNamespace(**row._mapping)
            if item.confirmed_at is not None:
                continue
            policy, times = record_clocks.pickup_deadline(
                rules, item.customer_type_id, item.received_at, item.grade_id
            )
            before = {f: getattr(item, f) for f in PICKUP_FIELDS}
            item.confirm_due_at, item.confirm_risk_at = times.due, times.risk
            item.confirm_state = record_clocks.state_of(times, moment)
            item.sla_policy_id = policy.id if policy is not None else None
            if times.unknown:
                done.missing_years.add(times.missing_year)  # type: ignore[arg-type]
            after = {f: getattr(item, f) for f in PICKUP_FIELDS}
            if after != before:
                changed.append({"id": item.id, **after})
                stale.extend(
                    _withdrawals(
                        "pickup",
                        item.id,
                        "confirm",
                        0,
                        before["confirm_state"],
                        after["confirm_state"],
                    )
                )
        _write(t, PICKUP_FIELDS, changed)
        done.changed += len(changed)
        done.withdrawn += _withdraw(stale, moment)
    for year in sorted(done.missing_years):
        record_clocks._unknown(year)
    return done


def withdraw_case(
    case_id: int, old_states: dict[str, str], new_states: dict[str, str], cycle: int
) -> int:
    """Withdraw one case's alerts that its recomputed states make stale."""
    items = []
    for clock in CASE_CLOCKS:
        items += _withdrawals(
            "case",
            case_id,
            clock,
            0 if clock == "response" else cycle,
            old_states[clock],
            new_states[clock],
        )
    count = _withdraw(items, now())
    if any(i["r_level"] in BREACH_LEVELS for i in items):
        _lower_escalation({case_id})
    return count


# ------------------------------------------------------------ entry points
def calendar_changed(days: Iterable[dt.date] | None = None) -> Recomputed:
    """Open clocks follow a calendar change: these days, or (None) the weekly
    windows or anything that may touch every day. Call after the change is
    flushed; the caller commits. Screens, the import and `flask calendar
    sync` all arrive here (the session watcher calls it for any ORM write)."""
    days = None if days is None else sorted(set(days))
    rules = Rules.load()
    moment = now()
    done = recompute_cases(case_ids_for_days(days), moment, rules)
    done.add(recompute_pickups(pickup_ids_for_days(days), moment, rules))
    logger.info(
        "Calendar change: %s clocks looked at, %s changed, %s alerts withdrawn",
        done.looked_at,
        done.changed,
        done.withdrawn,
    )
    return done


def policies_changed(pairs: Iterable[tuple[str, str]]) -> Recomputed:
    """Open clocks follow an SLA policy edit (its kind x severity pairs)."""
    pairs = set(pairs)
    rules = Rules.load()
    moment = now()
    done = recompute_cases(case_ids_for_policies(pairs), moment, rules)
    if any(kind == "pickup" for kind, _ in pairs):
        done.add(recompute_pickups(pickup_ids_for_days(None), moment, rules))
    return done


def customers_changed(customer_ids: Iterable[int]) -> Recomputed:
    """Open clocks of customers whose type changed (type-specific policies)."""
    return recompute_cases(case_ids_for_customers(customer_ids))


def cases_changed(case_ids: Iterable[int]) -> Recomputed:
    """Open clocks of cases flagged or unflagged urgent (earlier at-risk)."""
    t = Case.__table__
    ids = set(case_ids)
    if not ids:
        return Recomputed()
    return recompute_cases(
        db.session.scalars(select(t.c.id).where(OPEN_CASE, t.c.id.in_(ids)))
    )


def thresholds_changed(urgent_only: bool) -> Recomputed:
    """Open clocks follow an at-risk threshold setting."""
    return recompute_cases(case_ids_for_thresholds(urgent_only))


THRESHOLD_SETTINGS = {"sla.at_risk_percent": False, record_clocks.URGENT_SETTING: True}


# ------------------------------------------------------- session watcher
_KEY = "clock_dependencies"


def _changes(session: Session) -> dict[str, Any]:
    return session.info.setdefault(
        _KEY,
        {
            "days": set(),
            "all": False,
            "pairs": set(),
            "customers": set(),
            "cases": set(),
            "thresholds": set(),
        },
    )


def _changed(obj: Any, *names: str) -> bool:
    state = sa_inspect(obj)
    return any(state.attrs[n].history.has_changes() for n in names)


def _old(obj: Any, name: str) -> list[Any]:
    history = sa_inspect(obj).attrs[name].history
    return [v for v in (*history.deleted, *history.unchanged) if v is not None]


def _collect(session: Session) -> None:
    """Note, at each flush, what changed that open clocks depend on."""
    found = None
    for obj in (*session.new, *session.dirty, *session.deleted):
        kind = type(obj)
        if kind is Case:
            if obj in session.dirty and _changed(obj, "urgent"):
                found = found or _changes(session)
                found["cases"].add(obj.id)
            continue
        if kind is Setting:
            keys = {obj.key, *_old(obj, "key")} & set(THRESHOLD_SETTINGS)
            if keys and (obj not in session.dirty or _changed(obj, "key", "value")):
                found = found or _changes(session)
                found["thresholds"].update(keys)
            continue
        if kind not in (CalendarDay, CalendarYear, WorkWindow, SlaPolicy, Customer):
            continue
        deleted = obj in session.deleted
        if kind is Customer:
            if (
                not deleted
                and obj.id is not None
                and _changed(obj, "customer_type_id", "grade_id")
            ):
                found = found or _changes(session)
                found["customers"].add(obj.id)
            continue
        found = found or _changes(session)
        if kind is CalendarDay:
            if obj in session.dirty and not _changed(
                obj, "day", "kind", "hours", "follows_weekday"
            ):
                continue
            found["days"].update({obj.day, *_old(obj, "day")})
        elif kind is WorkWindow:
            found["all"] = True
        elif kind is CalendarYear:
            if obj in session.dirty and not _changed(obj, "year"):
                continue
            for year in {obj.year, *_old(obj, "year")}:
                found["days"].update((dt.date(year, 1, 1), dt.date(year, 12, 31)))
        elif kind is SlaPolicy:
            found["pairs"].update(
                {
                    (obj.kind, obj.severity),
                    *zip(_old(obj, "kind"), _old(obj, "severity"), strict=False),
                }
            )


def _recompute(session: Session, changes: dict[str, Any]) -> None:
    """Recompute what the transaction's changes move, inside it."""
    done = session.info.setdefault("clocks_recomputed", Recomputed())
    if changes["all"]:
        done.add(calendar_changed(None))
    elif changes["days"]:
        done.add(calendar_changed(changes["days"]))
    if changes["pairs"]:
        done.add(policies_changed(changes["pairs"]))
    if changes["customers"]:
        done.add(customers_changed(changes["customers"]))
    if changes["thresholds"]:
        urgent_only = all(THRESHOLD_SETTINGS[k] for k in changes["thresholds"])
        done.add(thresholds_changed(urgent_only))
    elif changes["cases"]:
        done.add(cases_changed(changes["cases"]))


def recomputed_by_commits(session: Session | None = None) -> Recomputed:
    """What the commits so far recomputed (and forget it), for reports."""
    session = session or db.session()
    return session.info.pop("clocks_recomputed", None) or Recomputed()


commit_hooks.before_commit(_KEY, _collect, _recompute)
