"""Case and pickup clocks: policy matching, due and at-risk instants, stop/pause/reopen.

Counting rules (one place; the README quotes them):
- "N hours" are calendar hours; "N working hours" are working time inside the
  calendar's windows; "N working days" end at the close of the N-th working
  day after the day of receipt (the receipt day does not count).
- An inquiry received outside working time gets the policy's off-hours
  response target (2 calendar hours) instead of 1 working hour.
- The resolution clock stands still while the case waits for the customer;
  the hold time is measured in the clock's own measure and added back.
- A reopened case starts a new resolution clock (a new cycle) from the reopen.
- A breached clock stays breached. A clock whose due date would need a year
  with no calendar data is marked "unknown" and admins are alerted; its due
  date is left empty rather than guessed.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import or_, select

from app.extensions import db
from app.models import Case, CasePause, Pickup, Setting, SlaPolicy, now
from app.services.clocks import service_targets
from app.services.clocks.business_calendar import current_calendar
from app.services.clocks.service_targets import Target
from app.services.clocks.working_time import CalendarUnknownError, WorkCalendar

logger = logging.getLogger(__name__)

DEFAULT_AT_RISK = Fraction(8, 10)
OPEN_STATES = ("running", "at_risk")


@dataclass(frozen=True)
class Plan:
    """The targets a case or pickup runs under."""

    policy: SlaPolicy | None
    response: Target | None
    resolution: Target | None
    resolve_at_response: bool
    fraction: Fraction


@dataclass(frozen=True)
class DueTimes:
    """Response and resolution due instants for a policy check (`flask sla due`)."""

    response: dt.datetime | None
    resolution: dt.datetime | None


def match_policy(
    kind: str, severity: str, customer_type_id: int | None = None
) -> SlaPolicy | None:
    """The active policy for kind x severity, preferring the customer type's own."""
    stmt = (
        select(SlaPolicy)
        .where(
            SlaPolicy.kind == kind,
            SlaPolicy.severity == severity,
            SlaPolicy.active.is_(True),
            or_(
                SlaPolicy.customer_type_id.is_(None),
                SlaPolicy.customer_type_id == customer_type_id,
            ),
        )
        .order_by(SlaPolicy.customer_type_id.is_(None))
    )
    return db.session.scalars(stmt).first()


def at_risk_fraction(policy: SlaPolicy | None) -> Fraction:
    if policy is not None and policy.at_risk_percent is not None:
        return Fraction(policy.at_risk_percent) / 100
    value = db.session.execute(
        select(Setting.value).where(Setting.key == "sla.at_risk_percent")
    ).scalar_one_or_none()
    try:
        percent = Fraction(value) if value else None
    except ValueError:
        percent = None
    if percent is None or not 0 < percent < 100:
        return DEFAULT_AT_RISK
    return percent / 100


def _target(amount: int | None, unit: str | None) -> Target | None:
    if amount is None or unit is None:
        return None
    return Target(int(amount), unit)  # type: ignore[arg-type]


def plan_for(
    policy: SlaPolicy | None, received: dt.datetime, cal: WorkCalendar
) -> Plan:
    """The targets that apply to something received at `received`."""
    if policy is None:
        return Plan(None, None, None, False, DEFAULT_AT_RISK)
    response = _target(policy.response_amount, policy.response_unit)
    offhours = _target(policy.offhours_response_amount, policy.offhours_response_unit)
    if offhours is not None and not cal.is_working_time(received):
        response = offhours
    resolution = _target(policy.resolution_amount, policy.resolution_unit)
    return Plan(
        policy,
        response,
        resolution,
        bool(policy.resolve_at_response),
        at_risk_fraction(policy),
    )


def due_times(
    kind: str,
    severity: str,
    received: dt.datetime,
    pauses: list[tuple[dt.datetime, dt.datetime]] | None = None,
    customer_type_id: int | None = None,
) -> DueTimes:
    """Due instants a policy gives (same engine as the cases). May raise
    CalendarUnknownError."""
    cal = current_calendar()
    plan = plan_for(match_policy(kind, severity, customer_type_id), received, cal)
    response = (
        service_targets.due_at(cal, received, plan.response) if plan.response else None
    )
    if plan.resolve_at_response:
        resolution = response
    elif plan.resolution:
        resolution = service_targets.due_at(
            cal, received, plan.resolution, pauses or ()
        )
    else:
        resolution = None
    return DueTimes(response, resolution)


# ------------------------------------------------------------------ cases
def _pauses(case: Case) -> list[tuple[dt.datetime, dt.datetime]]:
    """Closed and open pauses of the current cycle (an open one ends now)."""
    moment = now()
    return [
        (p.started_at, p.ended_at or moment)
        for p in case.pauses
        if p.cycle == case.resolution_cycle
    ]


def _unknown(year: int) -> None:
    from app.services.notify import alerts

    alerts.calendar_missing(year)


def _set_response(case: Case, plan: Plan, cal: WorkCalendar) -> None:
    if case.responded_at is not None:
        return
    if plan.response is None:
        case.response_due_at = case.response_risk_at = None
        case.response_state = "none"
        return
    try:
        case.response_due_at = service_targets.due_at(
            cal, case.received_at, plan.response
        )
        case.response_risk_at = service_targets.risk_at(
            cal, case.received_at, plan.response, plan.fraction
        )
    except CalendarUnknownError as error:
        case.response_due_at = case.response_risk_at = None
        case.response_state = "unknown"
        _unknown(error.year)
        return
    if case.response_state in ("unknown", "none"):
        case.response_state = "running"


def _set_resolution(case: Case, plan: Plan, cal: WorkCalendar) -> None:
    if case.resolved_at is not None:
        return
    start = case.resolution_started_at or case.received_at
    if plan.resolve_at_response:
        case.resolution_due_at = case.response_due_at
        case.resolution_risk_at = case.response_risk_at
        if case.response_state == "unknown":
            case.resolution_state = "unknown"
        elif case.resolution_state in ("unknown", "none"):
            case.resolution_state = "running"
        return
    if plan.resolution is None:
        case.resolution_due_at = case.resolution_risk_at = None
        case.resolution_state = "none"
        return
    pauses = _pauses(case)
    try:
        case.resolution_due_at = service_targets.due_at(
            cal, start, plan.resolution, pauses
        )
        case.resolution_risk_at = service_targets.risk_at(
            cal, start, plan.resolution, plan.fraction, pauses
        )
    except CalendarUnknownError as error:
        case.resolution_due_at = case.resolution_risk_at = None
        case.resolution_state = "unknown"
        _unknown(error.year)
        return
    if case.resolution_state in ("unknown", "none"):
        case.resolution_state = "running"


def _plan(case: Case, cal: WorkCalendar) -> Plan:
    customer_type = case.customer.customer_type_id if case.customer else None
    policy = match_policy(case.kind, case.severity, customer_type)
    case.sla_policy = policy
    return plan_for(policy, case.received_at, cal)


def start_case(case: Case) -> None:
    """Start both clocks of a newly registered case."""
    cal = current_calendar()
    case.resolution_started_at = case.received_at
    case.resolution_cycle = 0
    case.response_state = case.resolution_state = "running"
    plan = _plan(case, cal)
    _set_response(case, plan, cal)
    _set_resolution(case, plan, cal)
    refresh_states(case)


def recompute(case: Case) -> None:
    """Recompute due instants after kind, severity, calendar or pauses changed."""
    cal = current_calendar()
    plan = _plan(case, cal)
    _set_response(case, plan, cal)
    _set_resolution(case, plan, cal)
    refresh_states(case)


def refresh_states(case: Case, moment: dt.datetime | None = None) -> None:
    """Move running clocks to at_risk or breached as of `moment` (never back)."""
    moment = moment or now()
    if case.responded_at is None and case.response_state in OPEN_STATES:
        case.response_state = _state(
            case.response_state, case.response_risk_at, case.response_due_at, moment
        )
    if (
        case.resolved_at is None
        and case.paused_since is None
        and case.resolution_state in OPEN_STATES
    ):
        case.resolution_state = _state(
            case.resolution_state,
            case.resolution_risk_at,
            case.resolution_due_at,
            moment,
        )


def _state(
    state: str, risk: dt.datetime | None, due: dt.datetime | None, moment: dt.datetime
) -> str:
    if due is not None and moment >= due:
        return "breached"
    if risk is not None and moment >= risk:
        return "at_risk"
    return state


def respond(case: Case, at: dt.datetime | None = None) -> None:
    """First response to the customer: the response clock stops."""
    if case.responded_at is not None:
        return
    at = at or now()
    case.responded_at = at
    if case.response_state == "none":
        return
    if case.response_state == "breached" or (
        case.response_due_at is not None and at > case.response_due_at
    ):
        case.response_state = "missed"
    elif case.response_state == "unknown":
        case.response_state = "unknown"
    else:
        case.response_state = "met"
    policy = case.sla_policy
    if policy is not None and policy.resolve_at_response:
        resolve(case, at)


def pause(case: Case, reason: str | None, at: dt.datetime | None = None) -> None:
    """The case waits for the customer: the resolution clock stands still."""
    if case.paused_since is not None:
        return
    at = at or now()
    refresh_states(case, at)
    case.paused_since = at
    case.pauses.append(
        CasePause(cycle=case.resolution_cycle, started_at=at, reason=reason)
    )
    if case.resolution_state in OPEN_STATES:
        case.resolution_state = "paused"


def resume(case: Case, at: dt.datetime | None = None) -> None:
    """The customer answered: the clock runs again with the hold time added back."""
    if case.paused_since is None:
        return
    at = at or now()
    for item in case.pauses:
        if item.ended_at is None:
            item.ended_at = at
    case.paused_since = None
    if case.resolution_state == "paused":
        case.resolution_state = "running"
    cal = current_calendar()
    _set_resolution(case, _plan(case, cal), cal)
    refresh_states(case, at)


def resolve(case: Case, at: dt.datetime | None = None) -> None:
    """The result reached the customer: the resolution clock stops."""
    if case.resolved_at is not None:
        return
    at = at or now()
    if case.paused_since is not None:
        resume(case, at)
    case.resolved_at = at
    if case.resolution_state == "none":
        return
    if case.resolution_state == "breached" or (
        case.resolution_due_at is not None and at > case.resolution_due_at
    ):
        case.resolution_state = "missed"
    elif case.resolution_state != "unknown":
        case.resolution_state = "met"


def reopen(case: Case, at: dt.datetime | None = None) -> None:
    """二次处理: a new resolution clock from the reopening, on the same policy."""
    at = at or now()
    case.resolution_cycle += 1
    case.resolution_started_at = at
    case.resolved_at = None
    case.paused_since = None
    case.resolution_state = "running"
    case.escalation_level = 0
    cal = current_calendar()
    plan = _plan(case, cal)
    if plan.resolve_at_response:
        # An answered inquiry reopened needs a real resolution: treat the
        # response target as the new resolution target.
        plan = Plan(plan.policy, plan.response, plan.response, False, plan.fraction)
    _set_resolution(case, plan, cal)
    refresh_states(case, at)


def time_left(case: Case, clock: str, moment: dt.datetime | None = None) -> int | None:
    """Running seconds left on a clock in its own measure (working time for
    working-time targets); negative when overdue, None without a target."""
    if getattr(case, f"{clock}_due_at") is None or case.sla_policy is None:
        return None
    cal = current_calendar()
    plan = plan_for(case.sla_policy, case.received_at, cal)
    if clock == "response":
        target, start, stop, pauses = (
            plan.response,
            case.received_at,
            case.responded_at,
            [],
        )
    else:
        target = (
            plan.response
            if plan.resolve_at_response or (plan.resolution is None)
            else plan.resolution
        )
        start = case.resolution_started_at or case.received_at
        stop, pauses = case.resolved_at, _pauses(case)
    if target is None:
        return None
    moment = stop or case.paused_since or moment or now()
    try:
        return service_targets.remaining(cal, moment, start, target, pauses)
    except CalendarUnknownError:
        return None


# ---------------------------------------------------------------- pickups
def start_pickup(pickup: Pickup) -> None:
    """The appointment-confirmation clock (服务响应及时率) of a new pickup."""
    cal = current_calendar()
    customer_type = pickup.customer.customer_type_id if pickup.customer else None
    policy = match_policy("pickup", "normal", customer_type)
    pickup.sla_policy = policy
    plan = plan_for(policy, pickup.received_at, cal)
    if plan.response is None:
        pickup.confirm_due_at = pickup.confirm_risk_at = None
        pickup.confirm_state = "none"
        return
    try:
        pickup.confirm_due_at = service_targets.due_at(
            cal, pickup.received_at, plan.response
        )
        pickup.confirm_risk_at = service_targets.risk_at(
            cal, pickup.received_at, plan.response, plan.fraction
        )
        pickup.confirm_state = "running"
    except CalendarUnknownError as error:
        pickup.confirm_due_at = pickup.confirm_risk_at = None
        pickup.confirm_state = "unknown"
        _unknown(error.year)


def confirm_pickup(pickup: Pickup, at: dt.datetime | None = None) -> None:
    """The appointment was confirmed to the customer: the clock stops."""
    if pickup.confirmed_at is not None:
        return
    at = at or now()
    pickup.confirmed_at = at
    if pickup.confirm_state in ("none", "unknown"):
        return
    late = pickup.confirm_due_at is not None and at > pickup.confirm_due_at
    pickup.confirm_state = (
        "missed" if late or pickup.confirm_state == "breached" else "met"
    )


def arrive(pickup: Pickup, at: dt.datetime | None = None) -> None:
    """The crew arrived: on time when inside the agreed window (or before it)."""
    at = at or now()
    pickup.arrived_at = at
    if pickup.window_end is None:
        pickup.arrival_state = "none"
        return
    late = at > pickup.window_end
    pickup.arrival_state = (
        "missed" if late or pickup.arrival_state == "breached" else "met"
    )


def recompute_unknown() -> int:
    """Recompute clocks left unknown for lack of calendar data; returns count."""
    count = 0
    cases = db.session.scalars(
        select(Case).where(
            Case.status.notin_(("closed", "cancelled")),
            or_(Case.response_state == "unknown", Case.resolution_state == "unknown"),
        )
    )
    for case in cases:
        recompute(case)
        count += 1
    pickups = db.session.scalars(
        select(Pickup).where(
            Pickup.confirm_state == "unknown", Pickup.confirmed_at.is_(None)
        )
    )
    for pickup in pickups:
        start_pickup(pickup)
        count += 1
    db.session.commit()
    return count


def describe(seconds: int | None) -> str:
    """'68h 05m' style: hours of the clock's own measure (no days, which would
    read as calendar days)."""
    if seconds is None:
        return ""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    return f"{sign}{minutes}m"


def clock_panel(case: Case) -> list[dict[str, object]]:
    """What the case screen shows about each clock, computed once here."""
    from flask_babel import lazy_gettext as _l

    from app.models.codes import CLOCK_STATES, CLOCK_STYLES, label

    panel = []
    for clock, title, done in (
        ("response", _l("Response"), case.responded_at),
        ("resolution", _l("Resolution"), case.resolved_at),
    ):
        state = getattr(case, f"{clock}_state")
        left = None if done is not None else time_left(case, clock)
        panel.append(
            {
                "clock": clock,
                "title": title,
                "due": getattr(case, f"{clock}_due_at"),
                "done": done,
                "state": state,
                "state_label": label(CLOCK_STATES, state),
                "style": CLOCK_STYLES.get(state, "default"),
                "left": describe(left) if left is not None else "",
                "overdue": left is not None and left < 0,
                "paused_since": case.paused_since if clock == "resolution" else None,
            }
        )
    return panel


def set_due_risk(item: Any, active: bool = True) -> None:
    """At-risk instant of a dated task (follow-up visit, improvement action).

    The share of the at-risk setting (default 80 %) of the time from the
    task's creation to its due date; a due date moved into the future
    restarts an at-risk or breached clock.
    """
    if item.due_at is None:
        return
    start = item.created_at or now()
    if item.created_at is None:
        item.created_at = start  # stamp now, so both use the same instant
    span = max(item.due_at - start, dt.timedelta(0)) // dt.timedelta(microseconds=1)
    item.risk_at = start + dt.timedelta(
        microseconds=round(span * at_risk_fraction(None))
    )
    if (
        active
        and item.due_state in ("at_risk", "breached", "unknown")
        and (item.due_at > now())
    ):
        item.due_state = "running"
