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
- The response clock stops only at a contact with the customer
  (acknowledging, answering, a logged contact on a customer channel; seed 000
  §3, seed 001 §4), never at an internal assignment.
- Missing calendar data is handled in `deadlines` only, for every clock: a
  target that needs no calendar (12 calendar hours; 2 calendar hours after a
  receipt known to lie outside working time) always gets its date; a clock
  whose date needs a year with no calendar data is "unknown", its date left
  empty rather than guessed, and admins are alerted.
- A clock's state follows its dates: running, at risk past the at-risk
  instant, breached past the due instant (paused while waiting for the
  customer), so a recomputed date moves the state too (`recompute`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Case, CasePause, Pickup, Setting, SlaPolicy, now
from app.services.clocks import service_targets
from app.services.clocks.business_calendar import current_calendar
from app.services.clocks.service_targets import Target
from app.services.clocks.working_time import CalendarUnknownError, WorkCalendar

logger = logging.getLogger(__name__)

DEFAULT_AT_RISK = Fraction(8, 10)
DEFAULT_URGENT_AT_RISK = Fraction(5, 10)
URGENT_SETTING = "sla.urgent_at_risk_percent"
OPEN_STATES = ("running", "at_risk")
Pause = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class Plan:
    """The targets a case or pickup runs under.

    `response_missing` is the year whose calendar would decide whether the
    receipt lies in working time (which response target applies) when that
    year has no data; the response is then unknown.
    """

    policy: SlaPolicy | None
    response: Target | None
    resolution: Target | None
    resolve_at_response: bool
    fraction: Fraction
    response_missing: int | None = None
    resolution_missing: int | None = None


@dataclass(frozen=True)
class ClockTimes:
    """One clock's due and at-risk instants, or the year the calendar lacks.

    `target` False: the policy sets no target (state "none"); `missing_year`
    set: the date needs a year with no calendar data (state "unknown").
    """

    due: dt.datetime | None = None
    risk: dt.datetime | None = None
    missing_year: int | None = None
    target: bool = True

    @property
    def unknown(self) -> bool:
        return self.missing_year is not None


@dataclass(frozen=True)
class DueTimes:
    """Response and resolution of a policy check (`flask sla due`)."""

    response: ClockTimes
    resolution: ClockTimes

    @property
    def missing_years(self) -> list[int]:
        years = {self.response.missing_year, self.resolution.missing_year}
        return sorted(y for y in years if y is not None)


def _policies() -> list[SlaPolicy]:
    """Every version of every policy (retired ones too: a retiring version
    ends the one before it)."""
    return list(db.session.scalars(select(SlaPolicy).order_by(SlaPolicy.id)))


def _since(policy: SlaPolicy) -> dt.datetime:
    return policy.valid_from or dt.datetime.min.replace(tzinfo=dt.UTC)


def in_force(
    versions: Iterable[SlaPolicy], received: dt.datetime, moment: dt.datetime
) -> SlaPolicy | None:
    """The version of one policy that a case received at `received` runs
    under at `moment` (seed 000 §2(六)1, approved standard changes).

    The version in force at the receipt, unless a later version that applies
    to open cases too (`covers_open`) has taken effect by `moment`; then the
    latest such version.
    """
    chosen: SlaPolicy | None = None
    for version in sorted(versions, key=_since):
        since = _since(version)
        if since <= received or (version.covers_open and since <= moment):
            chosen = version
    return chosen


def pick_policy(
    policies: Iterable[SlaPolicy],
    kind: str,
    severity: str,
    customer_type_id: int | None = None,
    grade_id: int | None = None,
    received: dt.datetime | None = None,
    moment: dt.datetime | None = None,
) -> SlaPolicy | None:
    """The active policy for kind x severity that fits the customer best.

    A policy may be limited to a customer type and/or a customer grade (seed
    003 公司客户服务办法 第四条, 供电 第五条: a service policy per class of
    customer, e.g. shorter targets for A customers). Of the policies whose
    limits the customer meets, the grade's own wins over the type's own,
    which wins over the general one; None when none fits. Of each policy's
    versions the one in force for a case received at `received` counts
    (`in_force`; now when not given).
    """
    moment = moment or now()
    received = received or moment
    versions: dict[tuple[int | None, int | None], list[SlaPolicy]] = {}
    for policy in policies:
        if policy.kind != kind or policy.severity != severity:
            continue
        key = (policy.customer_grade_id, policy.customer_type_id)
        versions.setdefault(key, []).append(policy)
    best, best_score = None, -1
    for (policy_grade, policy_type), rows in versions.items():
        policy = in_force(rows, received, moment)
        if policy is None or not policy.active:
            continue
        score = 0
        if policy_grade is not None:
            if policy_grade != grade_id:
                continue
            score += 2
        if policy_type is not None:
            if policy_type != customer_type_id:
                continue
            score += 1
        if score > best_score:
            best, best_score = policy, score
    return best


def match_policy(
    kind: str,
    severity: str,
    customer_type_id: int | None = None,
    grade_id: int | None = None,
    received: dt.datetime | None = None,
) -> SlaPolicy | None:
    """The policy for kind x severity that fits the customer best, in the
    version in force for a case received at `received` (now if not given)."""
    stmt = (
        select(SlaPolicy)
        .where(SlaPolicy.kind == kind, SlaPolicy.severity == severity)
        .order_by(SlaPolicy.id)
    )
    return pick_policy(
        db.session.scalars(stmt), kind, severity, customer_type_id, grade_id, received
    )


def _percent_setting(key: str, default: Fraction) -> Fraction:
    value = db.session.execute(
        select(Setting.value).where(Setting.key == key)
    ).scalar_one_or_none()
    try:
        percent = Fraction(value) if value else None
    except ValueError:
        percent = None
    if percent is None or not 0 < percent < 100:
        return default
    return percent / 100


def default_at_risk() -> Fraction:
    """Setting `sla.at_risk_percent` as a fraction (80 % when unset or invalid)."""
    return _percent_setting("sla.at_risk_percent", DEFAULT_AT_RISK)


def urgent_at_risk() -> Fraction:
    """Setting `sla.urgent_at_risk_percent`: a case flagged urgent (紧急标识)
    is at risk once this share of its time is used, when that is earlier than
    its policy's own threshold (50 % when unset or invalid)."""
    return _percent_setting(URGENT_SETTING, DEFAULT_URGENT_AT_RISK)


def at_risk_fraction(
    policy: SlaPolicy | None, default: Fraction | None = None
) -> Fraction:
    if policy is not None and policy.at_risk_percent is not None:
        return Fraction(policy.at_risk_percent) / 100
    return default if default is not None else default_at_risk()


def _target(amount: int | None, unit: str | None) -> Target | None:
    if amount is None or unit is None:
        return None
    return Target(int(amount), unit)  # type: ignore[arg-type]


def plan_for(
    policy: SlaPolicy | None,
    received: dt.datetime,
    cal: WorkCalendar,
    cycle: int = 0,
    default_fraction: Fraction | None = None,
) -> Plan:
    """The targets that apply to something received at `received`.

    From the second handling round (`cycle` > 0) a policy resolved at the
    response (an answered inquiry) uses its response target as the new
    resolution target.
    """
    if policy is None:
        return Plan(None, None, None, False, DEFAULT_AT_RISK)
    response = _target(policy.response_amount, policy.response_unit)
    offhours = _target(policy.offhours_response_amount, policy.offhours_response_unit)
    missing = None
    if offhours is not None and offhours != response:
        try:
            if not cal.is_working_time(received):
                response = offhours
        except CalendarUnknownError as error:
            response, missing = None, error.year
    plan = Plan(
        policy,
        response,
        _target(policy.resolution_amount, policy.resolution_unit),
        bool(policy.resolve_at_response),
        at_risk_fraction(policy, default_fraction),
        response_missing=missing,
    )
    if cycle > 0 and plan.resolve_at_response:
        plan = replace(
            plan,
            resolution=plan.response,
            resolve_at_response=False,
            resolution_missing=missing,
        )
    return plan


def clock_times(
    cal: WorkCalendar,
    start: dt.datetime,
    target: Target | None,
    fraction: Fraction,
    pauses: Iterable[Pause] = (),
    missing: int | None = None,
) -> ClockTimes:
    """Due and at-risk instants of one target, "unknown" when a year is missing."""
    if missing is not None:
        return ClockTimes(missing_year=missing)
    if target is None:
        return ClockTimes(target=False)
    pauses = list(pauses)
    try:
        return ClockTimes(
            service_targets.due_at(cal, start, target, pauses),
            service_targets.risk_at(cal, start, target, fraction, pauses),
        )
    except CalendarUnknownError as error:
        return ClockTimes(missing_year=error.year)


def deadlines(
    plan: Plan,
    cal: WorkCalendar,
    received: dt.datetime,
    resolution_start: dt.datetime | None = None,
    pauses: Iterable[Pause] = (),
) -> DueTimes:
    """Both clocks of a case (or the confirmation clock of a pickup as the
    response): the one computation behind cases, pickups, recomputation and
    `flask sla due`."""
    response = clock_times(
        cal, received, plan.response, plan.fraction, missing=plan.response_missing
    )
    if plan.resolve_at_response:
        return DueTimes(response, response)
    resolution = clock_times(
        cal,
        resolution_start or received,
        plan.resolution,
        plan.fraction,
        pauses,
        missing=plan.resolution_missing,
    )
    return DueTimes(response, resolution)


@dataclass(frozen=True)
class Rules:
    """What every clock computation reads once: the calendar, the active SLA
    policies and the default at-risk share (so recomputing many clocks asks
    the database nothing per clock)."""

    cal: WorkCalendar
    policies: tuple[SlaPolicy, ...]
    fraction: Fraction
    urgent_fraction: Fraction = DEFAULT_URGENT_AT_RISK
    # The instant the rules are read at: which approved versions have taken
    # effect for the open cases they cover.
    moment: dt.datetime | None = None

    @classmethod
    def load(cls) -> Rules:
        return cls(
            current_calendar(),
            tuple(_policies()),
            default_at_risk(),
            urgent_at_risk(),
            now(),
        )

    def policy(
        self,
        kind: str,
        severity: str,
        customer_type_id: int | None,
        grade_id: int | None = None,
        received: dt.datetime | None = None,
    ) -> SlaPolicy | None:
        return pick_policy(
            self.policies,
            kind,
            severity,
            customer_type_id,
            grade_id,
            received,
            self.moment or now(),
        )


def case_deadlines(
    rules: Rules,
    kind: str,
    severity: str,
    customer_type_id: int | None,
    received: dt.datetime,
    resolution_start: dt.datetime | None = None,
    cycle: int = 0,
    pauses: Iterable[Pause] = (),
    urgent: bool = False,
    grade_id: int | None = None,
) -> tuple[SlaPolicy | None, DueTimes]:
    """The policy and both clocks of a case with these inputs: what a case
    gets at registration and at every recomputation, and what `flask sla due`
    prints. An urgent case is at risk earlier (`urgent_at_risk`), so the
    deadline check alerts it earlier."""
    policy = rules.policy(kind, severity, customer_type_id, grade_id, received)
    plan = plan_for(policy, received, rules.cal, cycle, rules.fraction)
    if urgent and rules.urgent_fraction < plan.fraction:
        plan = replace(plan, fraction=rules.urgent_fraction)
    return policy, deadlines(
        plan, rules.cal, received, resolution_start or received, pauses
    )


def pickup_deadline(
    rules: Rules,
    customer_type_id: int | None,
    received: dt.datetime,
    grade_id: int | None = None,
) -> tuple[SlaPolicy | None, ClockTimes]:
    """The policy and appointment-confirmation clock of a pickup."""
    policy = rules.policy("pickup", "normal", customer_type_id, grade_id, received)
    plan = plan_for(policy, received, rules.cal, 0, rules.fraction)
    return policy, deadlines(plan, rules.cal, received).response


def due_times(
    kind: str,
    severity: str,
    received: dt.datetime,
    pauses: list[Pause] | None = None,
    customer_type_id: int | None = None,
    rules: Rules | None = None,
    urgent: bool = False,
    grade_id: int | None = None,
) -> DueTimes:
    """What a case received at `received` would get (`flask sla due`)."""
    return case_deadlines(
        rules or Rules.load(),
        kind,
        severity,
        customer_type_id,
        received,
        received,
        0,
        pauses or (),
        urgent,
        grade_id,
    )[1]


def state_of(times: ClockTimes, moment: dt.datetime, paused: bool = False) -> str:
    """The state of a running clock with these dates at `moment`."""
    if not times.target:
        return "none"
    if times.unknown:
        return "unknown"
    if times.due is not None and moment >= times.due:
        return "breached"
    if paused:
        return "paused"
    if times.risk is not None and moment >= times.risk:
        return "at_risk"
    return "running"


def _unknown(year: int) -> None:
    from app.services.notify import alerts

    alerts.calendar_missing(year)


# ------------------------------------------------------------------ cases
def _pauses(case: Case, moment: dt.datetime | None = None) -> list[Pause]:
    """Closed and open pauses of the current cycle (an open one ends now)."""
    moment = moment or now()
    return [
        (p.started_at, p.ended_at or moment)
        for p in case.pauses
        if p.cycle == case.resolution_cycle
    ]


def case_times(case: Case, rules: Rules, moment: dt.datetime) -> DueTimes:
    """Both clocks of a case as its policy, the calendar and its pauses give
    them now; the case's policy is set on the way."""
    policy, times = case_deadlines(
        rules,
        case.kind,
        case.severity,
        case.customer.customer_type_id if case.customer else None,
        case.received_at,
        case.resolution_started_at or case.received_at,
        case.resolution_cycle or 0,
        _pauses(case, moment),
        bool(case.urgent),
        case.customer.grade_id if case.customer else None,
    )
    case.sla_policy = policy
    return times


def apply_case_times(case: Case, times: DueTimes, moment: dt.datetime) -> None:
    """Write the running clocks' dates and states; stopped clocks stay as they are."""
    if case.status == "cancelled":
        return
    if case.responded_at is None:
        case.response_due_at = times.response.due
        case.response_risk_at = times.response.risk
        case.response_state = state_of(times.response, moment)
    if case.resolved_at is None:
        case.resolution_due_at = times.resolution.due
        case.resolution_risk_at = times.resolution.risk
        case.resolution_state = state_of(
            times.resolution, moment, paused=case.paused_since is not None
        )


def start_case(case: Case) -> None:
    """Start both clocks of a newly registered case."""
    case.resolution_started_at = case.received_at
    case.resolution_cycle = 0
    case.response_state = case.resolution_state = "running"
    _recompute_one(case)


def _recompute_one(case: Case, moment: dt.datetime | None = None) -> None:
    moment = moment or now()
    times = case_times(case, Rules.load(), moment)
    apply_case_times(case, times, moment)
    for year in times.missing_years:
        _unknown(year)


def recompute_case(case: Case, moment: dt.datetime | None = None) -> None:
    """Recompute one case's clocks after its kind, severity or customer type
    changed (the reclassify step calls this), or its pauses did.

    Dates and states follow the new policy; alerts raised on the old dates
    that no longer hold are marked withdrawn (`recompute.withdraw_case`).
    """
    from app.services.clocks import recompute as bulk

    old = {c: getattr(case, f"{c}_state") for c in ("response", "resolution")}
    _recompute_one(case, moment)
    if case.id is not None:
        new = {c: getattr(case, f"{c}_state") for c in ("response", "resolution")}
        bulk.withdraw_case(case.id, old, new, case.resolution_cycle or 0)


recompute = recompute_case


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
    """First contact with the customer: the response clock stops."""
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
    if policy is not None and policy.resolve_at_response and case.resolution_cycle == 0:
        resolve(case, at)


def contact_made(case: Case, at: dt.datetime | None = None) -> None:
    """A contact with the customer (acknowledging, answering, a logged call or
    message on a customer channel): the only thing that stops the response
    clock (seed 000 §3, seed 001 §4). An internal step never does."""
    if case.status == "cancelled":
        return
    respond(case, at)


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


def _end_pause(case: Case, at: dt.datetime) -> None:
    for item in case.pauses:
        if item.ended_at is None:
            item.ended_at = at
    case.paused_since = None


def resume(case: Case, at: dt.datetime | None = None) -> None:
    """The customer answered: the clock runs again with the hold time added back."""
    if case.paused_since is None:
        return
    at = at or now()
    _end_pause(case, at)
    if case.resolution_state == "paused":
        case.resolution_state = "running"
    _recompute_one(case, at)


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


def cancel(case: Case, at: dt.datetime | None = None) -> None:
    """The case is withdrawn: every clock stops and an open pause is closed.

    A clock that had already breached counts as missed; any other running,
    at-risk, paused or unknown clock has no deadline any more ("none").
    """
    at = at or now()
    refresh_states(case, at)
    if case.paused_since is not None:
        _end_pause(case, at)
    for clock in ("response", "resolution"):
        state = getattr(case, f"{clock}_state")
        if state == "breached":
            setattr(case, f"{clock}_state", "missed")
        elif state in ("running", "at_risk", "paused", "unknown"):
            setattr(case, f"{clock}_state", "none")


def reopen(case: Case, at: dt.datetime | None = None) -> None:
    """二次处理: a new resolution clock from the reopening, on the same policy."""
    at = at or now()
    case.resolution_cycle += 1
    case.resolution_started_at = at
    case.resolved_at = None
    case.paused_since = None
    case.resolution_state = "running"
    case.escalation_level = 0
    _recompute_one(case, at)


def time_left(case: Case, clock: str, moment: dt.datetime | None = None) -> int | None:
    """Running seconds left on a clock in its own measure (working time for
    working-time targets); negative when overdue, None without a target."""
    if getattr(case, f"{clock}_due_at") is None or case.sla_policy is None:
        return None
    cal = current_calendar()
    plan = plan_for(case.sla_policy, case.received_at, cal, case.resolution_cycle or 0)
    if clock == "response":
        target, start, stop, pauses = (
            plan.response,
            case.received_at,
            case.responded_at,
            [],
        )
    else:
        target = plan.response if plan.resolve_at_response else plan.resolution
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
def pickup_times(pickup: Pickup, rules: Rules) -> ClockTimes:
    """The appointment-confirmation clock (服务响应及时率) of a pickup."""
    customer = pickup.customer
    policy, times = pickup_deadline(
        rules,
        customer.customer_type_id if customer else None,
        pickup.received_at,
        customer.grade_id if customer else None,
    )
    pickup.sla_policy = policy
    return times


def apply_pickup_times(pickup: Pickup, times: ClockTimes, moment: dt.datetime) -> None:
    if pickup.confirmed_at is not None:
        return
    pickup.confirm_due_at, pickup.confirm_risk_at = times.due, times.risk
    pickup.confirm_state = state_of(times, moment)
    if times.unknown:
        _unknown(times.missing_year)  # type: ignore[arg-type]


def start_pickup(pickup: Pickup) -> None:
    """The appointment-confirmation clock (服务响应及时率) of a new pickup."""
    moment = now()
    apply_pickup_times(pickup, pickup_times(pickup, Rules.load()), moment)


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
    """Recompute clocks waiting for calendar data (and paused ones); commits.

    Returns how many clocks were looked at. Calendar edits need no call: they
    recompute what they move when committed (`recompute`).
    """
    from app.services.clocks import recompute as bulk

    done = bulk.calendar_changed([])
    db.session.commit()
    return done.looked_at


def describe(seconds: int | None) -> str:
    """Time left in the page's language, in hours of the clock's own measure
    (no days, which would read as calendar days): '68小时05分' ('68h 05m' in
    English); negative when overdue. Needs a request or app context."""
    from flask_babel import gettext as _

    if seconds is None:
        return ""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours:
        return sign + _("%(hours)dh %(minutes)02dm", hours=hours, minutes=minutes)
    return sign + _("%(minutes)dm", minutes=minutes)


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
        running = done is None and state in ("running", "at_risk", "paused", "breached")
        left = time_left(case, clock) if running else None
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
    promised = promise_panel(case)
    if promised is not None:
        panel.append(promised)
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


def promise(
    case: Case, due: dt.datetime, note: str, at: dt.datetime | None = None
) -> None:
    """A date promised to the customer (seed 000 §3(2)2, seed 003): its own
    clock, at risk after the at-risk share (default 80 %) of the time from the
    promise to the date; a new promise starts a new cycle of alerts."""
    at = at or now()
    if case.promise_state != "none":
        case.promise_cycle = (case.promise_cycle or 0) + 1
    span = max(due - at, dt.timedelta(0)) // dt.timedelta(microseconds=1)
    case.promised_at = due
    case.promised_risk_at = at + dt.timedelta(
        microseconds=round(span * at_risk_fraction(None))
    )
    case.promise_state = "running"
    case.promise_kept_at = None
    case.promise_note = note


def keep_promise(case: Case, at: dt.datetime | None = None) -> None:
    """The promised reply was given: met on or before the date, else missed."""
    at = at or now()
    case.promise_kept_at = at
    case.promise_state = "met" if at <= case.promised_at else "missed"


def promise_panel(case: Case) -> dict[str, object] | None:
    """What the case screen shows about the promised date (None: no promise)."""
    from flask_babel import lazy_gettext as _l

    from app.models.codes import CLOCK_STATES, CLOCK_STYLES, label

    if case.promise_state == "none" or case.promised_at is None:
        return None
    left = None
    if case.promise_kept_at is None:
        left = int((case.promised_at - now()).total_seconds())
    return {
        "clock": "promise",
        "title": _l("Date promised to the customer"),
        "due": case.promised_at,
        "done": case.promise_kept_at,
        "state": case.promise_state,
        "state_label": label(CLOCK_STATES, case.promise_state),
        "style": CLOCK_STYLES.get(case.promise_state, "default"),
        "left": describe(left) if left is not None else "",
        "overdue": left is not None and left < 0,
        "paused_since": None,
        "note": case.promise_note,
    }
