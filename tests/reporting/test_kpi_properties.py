"""Every KPI against a straightforward computation, on random months of cases,
bookings and follow-up visits (seed 001 §8, 002 §4, 004 §21, SPEC §5).

Each example writes its history with plain INSERTs inside a savepoint (rolled
back afterwards), computes the figures with the service, and recomputes them
here record by record from the generated history: company, each department
and each staff member, for October 2026 and for the fourth quarter.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from app.models import (
    BUSINESS_TZ,
    Case,
    CaseCategory,
    CaseRating,
    CaseRound,
    Channel,
    FollowUp,
    Pickup,
)
from app.services.reporting import kpi
from tests.factories import CustomerFactory, by_code

START = dt.datetime(2026, 9, 1, tzinfo=BUSINESS_TZ)
AS_OF = dt.datetime(2026, 11, 25, 12, 0, tzinfo=BUSINESS_TZ)
OCTOBER = kpi.Period("month", dt.date(2026, 10, 1))
Q4 = kpi.Period("quarter", dt.date(2026, 10, 1))
STAFF = ("ops", "ops2", "cs", "cs2", "sales")
KINDS = ("complaint", "complaint", "business", "aftersales", "inquiry")
CATEGORIES = ("delivery", "other", "price")

# An instant within Sep 1 .. Dec 10, in whole hours (month edges included).
instants = st.integers(0, 100 * 24).map(lambda h: START + dt.timedelta(hours=h))


@st.composite
def clocks(draw: Any, start: dt.datetime) -> tuple[Any, Any]:
    """(due, stop): a due instant after `start` (or none), stopped before it,
    after it, or not at all."""
    if draw(st.integers(0, 9)) == 0:
        return None, draw(st.sampled_from([None, start + dt.timedelta(hours=3)]))
    due = start + dt.timedelta(hours=draw(st.integers(1, 20 * 24)))
    stop = draw(
        st.sampled_from(
            [None, due - dt.timedelta(hours=1), due, due + dt.timedelta(hours=5)]
        )
    )
    return due, stop


@st.composite
def cases(draw: Any) -> dict[str, Any]:
    received = draw(instants)
    response_due, responded = draw(clocks(received))
    rounds = []
    start = received
    for _ in range(draw(st.integers(0, 2))):
        due, resolved = draw(clocks(start))
        ended = (resolved or due or start) + dt.timedelta(
            hours=draw(st.integers(1, 48))
        )
        score = draw(st.sampled_from([None, 1, 2, 3]))
        rounds.append(
            dict(
                due=due,
                resolved=resolved,
                ended=ended,
                score=score,
                score_at=ended - dt.timedelta(minutes=30),
            )
        )
        start = ended
    due, resolved = draw(clocks(start))
    ending = draw(st.sampled_from(["open", "closed", "cancelled", "held"]))
    if ending == "closed" and resolved is None:
        resolved = start + dt.timedelta(hours=draw(st.integers(1, 400)))
    if ending != "closed":
        resolved = None
    return dict(
        kind=draw(st.sampled_from(KINDS)),
        category=draw(st.sampled_from(CATEGORIES)),
        owner=draw(st.sampled_from(STAFF)),
        customer=draw(st.integers(0, 3)),
        received=received,
        response_due=response_due,
        responded=responded,
        rounds=rounds,
        started=start,
        due=due,
        resolved=resolved,
        ending=ending,
        cancelled=start + dt.timedelta(hours=draw(st.integers(1, 300)))
        if ending == "cancelled"
        else None,
        score=draw(st.sampled_from([None, 2, 4, 5])) if resolved else None,
    )


@st.composite
def pickups(draw: Any) -> dict[str, Any]:
    received = draw(instants)
    due, confirmed = draw(clocks(received))
    window, arrived = draw(clocks(received))
    cancelled = draw(st.sampled_from([None, None, received + dt.timedelta(hours=30)]))
    return dict(
        clerk=draw(st.sampled_from(STAFF)),
        customer=draw(st.integers(0, 3)),
        received=received,
        due=due,
        confirmed=confirmed,
        window=window,
        arrived=arrived,
        cancelled=cancelled,
    )


@st.composite
def visits(draw: Any) -> dict[str, Any]:
    return dict(
        done=draw(instants),
        score=draw(st.integers(1, 5)),
        assignee=draw(st.sampled_from(STAFF)),
        case=draw(st.sampled_from([None, 0, 1])),
    )


def _fell_due(due: Any, stop: Any, end: Any, held: bool, period: kpi.Period) -> Any:
    """None when not counted in `period`, else True (met) / False."""
    if due is None or not (_in(due, period)):
        return None
    if stop is not None:
        return stop <= due
    if due > AS_OF or held or (end is not None and end <= due):
        return None
    return False


def _in(moment: dt.datetime, period: kpi.Period) -> bool:
    return kpi.month_start(period.start) <= moment < kpi.month_start(period.end)


def expected(
    history: dict[str, Any], who: dict[str, Any], period: kpi.Period
) -> dict[tuple[str, Any, Any], list[int]]:
    """(kpi, department, staff) -> [numerator, denominator], by hand."""
    out: dict[tuple[str, Any, Any], list[int]] = defaultdict(lambda: [0, 0])

    def count(code: str, dept: Any, user: Any, num: int, den: int = 1) -> None:
        keys = [(code, None, None)]
        if dept is not None:
            keys.append((code, dept, None))
        if user is not None:
            keys.append((code, None, user))
        for key in keys:
            out[key][0] += num
            out[key][1] += den

    resolution = {
        "complaint": "complaint_timeliness",
        "business": "business_on_time",
        "aftersales": "aftersales_on_time",
    }
    all_cases = history["cases"]
    for c in all_cases:
        dept, user = who[c["owner"]]
        cancelled = c["cancelled"]
        verdict = _fell_due(c["response_due"], c["responded"], cancelled, False, period)
        if verdict is not None:
            count("response_timeliness", dept, user, int(verdict))
        code = resolution.get(c["kind"])
        if code:
            for r in c["rounds"]:
                verdict = _fell_due(r["due"], r["resolved"], r["ended"], False, period)
                if verdict is not None:
                    count(code, dept, user, int(verdict))
            verdict = _fell_due(
                c["due"], c["resolved"], cancelled, c["ending"] == "held", period
            )
            if verdict is not None:
                count(code, dept, user, int(verdict))
        for r in c["rounds"]:
            if r["score"] is not None and _in(r["score_at"], period):
                count("satisfaction_mean", dept, user, r["score"])
                count("satisfaction_share", dept, user, int(r["score"] >= 4))
        if c["score"] is not None and _in(c["resolved"], period):
            count("satisfaction_mean", dept, user, c["score"])
            count("satisfaction_share", dept, user, int(c["score"] >= 4))
        # first round ended: closed without reopen, or reopened
        if c["rounds"]:
            first = c["rounds"][0]
            if _in(first["resolved"] or first["ended"], period):
                count("first_time_resolution", dept, user, 0)
        elif c["ending"] == "closed" and _in(c["resolved"], period):
            count("first_time_resolution", dept, user, 1)
        if (
            c["kind"] == "complaint"
            and c["ending"] != "cancelled"
            and _in(c["received"], period)
        ):
            repeat = bool(c["rounds"]) or any(
                o is not c
                and o["kind"] == "complaint"
                and o["ending"] != "cancelled"
                and o["customer"] == c["customer"]
                and o["category"] == c["category"]
                and c["received"] - dt.timedelta(days=30)
                <= o["received"]
                < c["received"]
                for o in all_cases
            )
            count("repeat_complaint_rate", dept, user, int(repeat))
            count("complaint_rate_pickups", dept, user, 1, 0)
            count("complaint_rate_customers", dept, user, 1, 0)
    for p in history["pickups"]:
        dept, user = who[p["clerk"]]
        verdict = _fell_due(p["due"], p["confirmed"], p["cancelled"], False, period)
        if verdict is not None:
            count("pickup_response_timeliness", who["ops"][0], user, int(verdict))
        verdict = _fell_due(p["window"], p["arrived"], p["cancelled"], False, period)
        if verdict is not None:
            count("arrival_on_time", who["ops"][0], user, int(verdict))
        if p["cancelled"] is None and _in(p["received"], period):
            count("complaint_rate_pickups", who["ops"][0], user, 0, 1)
    active = {
        c["customer"]
        for c in all_cases
        if c["ending"] != "cancelled" and _in(c["received"], period)
    } | {
        p["customer"]
        for p in history["pickups"]
        if p["cancelled"] is None and _in(p["received"], period)
    }
    for customer in active:
        dept, user = who["customer"][customer]
        count("complaint_rate_customers", dept, user, 0, 1)
    for v in history["visits"]:
        if not _in(v["done"], period):
            continue
        if v["case"] is not None and v["case"] < len(all_cases):
            dept, user = who[all_cases[v["case"]]["owner"]]
        else:
            dept, user = who["cs"][0], who[v["assignee"]][1]
        count("satisfaction_mean", dept, user, v["score"])
        count("satisfaction_share", dept, user, int(v["score"] >= 4))
    return out


def _write(db: Any, history: dict[str, Any], who: dict[str, Any], refs: Any) -> None:
    """The generated history as plain rows (no record rules: the figures are
    what is being checked, not the workflow)."""
    session = db.session
    case_ids = []
    for n, c in enumerate(history["cases"]):
        dept, user = who[c["owner"]]
        resolved = c["resolved"]
        status = {
            "closed": "closed",
            "cancelled": "cancelled",
            "held": "pending_customer",
        }.get(c["ending"], "in_progress")
        row = dict(
            number=f"PT-{n:05d}",
            customer_id=refs["customers"][c["customer"]].id,
            kind=c["kind"],
            severity="general",
            category_id=refs["categories"][c["category"]],
            channel_id=refs["channel"],
            title="t",
            description="d",
            status=status,
            department_id=dept,
            first_ask_owner_id=user,
            owner_id=user,
            received_at=c["received"],
            response_due_at=c["response_due"],
            responded_at=c["responded"],
            resolution_started_at=c["started"],
            resolution_due_at=c["due"],
            resolved_at=resolved,
            closed_at=resolved,
            resolution_state="paused" if c["ending"] == "held" else "running",
            paused_since=c["started"] if c["ending"] == "held" else None,
            cancelled_at=c["cancelled"],
            resolution_cycle=len(c["rounds"]),
            reopen_count=len(c["rounds"]),
            created_by_id=user,
            changed_by_id=user,
        )
        case_id = session.execute(
            insert(Case.__table__).returning(Case.__table__.c.id), [row]
        ).scalar_one()
        case_ids.append(case_id)
        for cycle, r in enumerate(c["rounds"]):
            session.execute(
                insert(CaseRound.__table__),
                [
                    dict(
                        case_id=case_id,
                        cycle=cycle,
                        due_at=r["due"],
                        resolved_at=r["resolved"],
                        ended_at=r["ended"],
                        state="missed",
                        department_id=dept,
                        owner_id=user,
                    )
                ],
            )
            if r["score"] is not None:
                session.execute(
                    insert(CaseRating.__table__),
                    [
                        dict(
                            case_id=case_id,
                            cycle=cycle,
                            score=r["score"],
                            given_at=r["score_at"],
                        )
                    ],
                )
        if c["score"] is not None:
            session.execute(
                insert(CaseRating.__table__),
                [
                    dict(
                        case_id=case_id,
                        cycle=len(c["rounds"]),
                        score=c["score"],
                        given_at=resolved,
                    )
                ],
            )
    for n, p in enumerate(history["pickups"]):
        _, user = who[p["clerk"]]
        session.execute(
            insert(Pickup.__table__),
            [
                dict(
                    number=f"PT-P{n:05d}",
                    customer_id=refs["customers"][p["customer"]].id,
                    address="a",
                    status="cancelled" if p["cancelled"] else "scheduled",
                    department_id=who["ops"][0],
                    received_at=p["received"],
                    confirm_due_at=p["due"],
                    confirmed_at=p["confirmed"],
                    window_end=p["window"],
                    arrived_at=p["arrived"],
                    cancelled_at=p["cancelled"],
                    created_by_id=user,
                    changed_by_id=user,
                )
            ],
        )
    for n, v in enumerate(history["visits"]):
        case_id = (
            case_ids[v["case"]]
            if v["case"] is not None and v["case"] < len(case_ids)
            else None
        )
        row = dict(
            number=f"PT-F{n:05d}",
            source="case" if case_id else "manual",
            case_id=case_id,
            customer_id=refs["customers"][0].id,
            department_id=who["cs"][0],
            assignee_id=who[v["assignee"]][1],
            due_at=v["done"],
            due_state="met",
            status="done",
            done_at=v["done"],
            satisfaction=v["score"],
        )
        table = FollowUp.__table__
        if "created_by_id" in table.c:
            row.update(created_by_id=who["cs"][1], changed_by_id=who["cs"][1])
        session.execute(insert(table), [row])
    session.flush()


@pytest.fixture
def world(db: Any, users: Any) -> dict[str, Any]:
    customers = [CustomerFactory(name=f"性质测试客户{n}") for n in range(4)]
    who: dict[str, Any] = {
        name: (users[name].department_id, users[name].id) for name in STAFF
    }
    who["customer"] = [(c.department_id, c.sales_rep_id) for c in customers]
    refs = {
        "customers": customers,
        "categories": {code: by_code(CaseCategory, code).id for code in CATEGORIES},
        "channel": by_code(Channel, "hotline").id,
    }
    assert db.session.query(Case).count() == 0
    return {"who": who, "refs": refs, "manager": users["manager"]}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=st.fixed_dictionaries(
        {
            "cases": st.lists(cases(), max_size=10),
            "pickups": st.lists(pickups(), max_size=5),
            "visits": st.lists(visits(), max_size=3),
        }
    )
)
def test_every_kpi_equals_the_straightforward_count(db, world, history):
    nested = db.session.begin_nested()
    try:
        _write(db, history, world["who"], world["refs"])
        for period in (OCTOBER, Q4):
            report = kpi.compute_period(period, world["manager"], as_of=AS_OF)
            want = expected(history, world["who"], period)
            got = {
                (code, dept, user): [f.numerator, f.denominator]
                for (code, _month, dept, user), f in report.figures.items()
                if f.denominator or f.numerator
            }
            want = {k: v for k, v in want.items() if v != [0, 0]}
            assert got == want, period.key
    finally:
        nested.rollback()
