"""A small hand-made month (October 2026) whose KPI values are worked out by hand.

Records are created through the factories (the record rules), then given the
states the workflow would have left them in. Every instant is business time
(Asia/Shanghai). Cases are created by `cs` unless said otherwise; each case's
department is its owner's department.

Cases (kind/category, owner, customer, received, responded, closed, reopens,
satisfaction):

  C1  complaint/delivery   ops    K1  Oct 2   Oct 2 met     Oct 10 met      0  5
  C2  complaint/delivery   ops2   K1  Oct 20  Oct 21 missed Oct 28 missed   1  2
  C3  complaint/delivery   ops2   K2  Sep 29  Sep 29 met    Oct 1 05:00 met 0  4
  C4  complaint/weighing   wareh. K2  Oct 9   Oct 9 met     Oct 20 met      0  -
  C5  complaint/other      cs     K3  Oct 14  Oct 14 met    Oct 31 23:30 met 0 3
  C6  complaint/other      cs2    K3  Oct 30  Oct 30 met    Nov 1 07:00 met 0  5
  C7  complaint/delivery   ops    K4  Oct 12  Oct 12 unknown Oct 15 unknown 0 4
  C8  complaint/weighing   wareh. K2  Sep 5   Sep 5 met     Sep 10 met      0  -
  C9  complaint/other      cs     K6  Sep 20  Sep 20 met    Sep 25 met      0  -
  C10 complaint/other      cs2    K6  Oct 18  Oct 18 met    open            0  -
  Q1  inquiry/price        sales  K4  Oct 5   Oct 5 met     Oct 5 met       0  -
  A1  aftersales/aftersal. ops    K5  Oct 3   Oct 3 missed  Oct 22 met      2  1
  O1  complaint/delivery   ops    K5  Oct 8   Oct 8 met     open (reopened) 1  -
  O2  business/other       cs2    K6  Oct 9   Oct 9 none    open            0  -
  X1  complaint/delivery   ops    K1  Oct 25  Oct 25 met    cancelled       0  -

Oct 1 05:00 and Nov 1 07:00 in Shanghai are Sep 30 and Oct 31 in UTC: they
check that months are cut in business time.

Follow-up visits (created by cs, department cs):
  F1  of case C4, assignee cs2, done Oct 25, score 5 -> counts for warehouse
  F2  of pickup P1 (recorded by cs), assignee cs2, done Oct 26, score 4 -> ops / cs
  F3  manual, assignee cs2, done Oct 27, score 3 -> cs / cs2
  F4  manual, assignee cs2, done Nov 2, score 1 -> November, not counted

Pickups (department ops): P1 by cs confirmed Oct 6 met; P2 by ops Oct 7
missed; P3 by ops Oct 8 met; P4 by ops Sep 30 20:00 met (September); P5 by
ops Oct 9 with no target ("none").

Weigh lines (tickets of the warehouse; weighed by `warehouse` unless said):
  W1 net 1000 kg, re-weighed Oct 15: 1010 kg  (exactly 1 %: within)
  W2 net 1000 kg, re-weighed Oct 16: 989.999 kg (1.0001 %: outside)
  W3 net 2000 kg, tare weighed by ops2, re-weighed Oct 17: 1990 kg (0.5 %)
  W4 net 800 kg, re-weighed Sep 30: 800 kg (September)
  W5 net 1000 kg, never re-weighed (not checked)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from app.extensions import db
from app.models import BUSINESS_TZ, CaseCategory, Reweigh
from app.security.access import acting_as
from app.services.core import records
from tests.factories import (
    CaseFactory,
    CustomerFactory,
    FollowUpFactory,
    PickupFactory,
    WeighLineFactory,
    by_code,
    user,
)

OCTOBER = dt.date(2026, 10, 1)


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BUSINESS_TZ)


CASES: dict[str, dict[str, Any]] = {
    "C1": dict(
        kind="complaint",
        severity="general",
        category="delivery",
        owner="ops",
        customer="K1",
        received=at(10, 2),
        responded=at(10, 2, 10),
        response="met",
        closed=at(10, 10, 15),
        resolution="met",
        satisfaction=5,
    ),
    "C2": dict(
        kind="complaint",
        severity="general",
        category="delivery",
        owner="ops2",
        customer="K1",
        received=at(10, 20),
        responded=at(10, 21, 12),
        response="missed",
        closed=at(10, 28, 16),
        resolution="missed",
        reopens=1,
        satisfaction=2,
    ),
    "C3": dict(
        kind="complaint",
        severity="general",
        category="delivery",
        owner="ops2",
        customer="K2",
        received=at(9, 29, 10),
        responded=at(9, 29, 11),
        response="met",
        closed=at(10, 1, 5),
        resolution="met",
        satisfaction=4,
    ),
    "C4": dict(
        kind="complaint",
        severity="general",
        category="weighing",
        owner="warehouse",
        customer="K2",
        received=at(10, 9),
        responded=at(10, 9, 9, 30),
        response="met",
        closed=at(10, 20, 10),
        resolution="met",
    ),
    "C5": dict(
        kind="complaint",
        severity="general",
        category="other",
        owner="cs",
        customer="K3",
        received=at(10, 14),
        responded=at(10, 14, 9, 10),
        response="met",
        closed=at(10, 31, 23, 30),
        resolution="met",
        satisfaction=3,
    ),
    "C6": dict(
        kind="complaint",
        severity="general",
        category="other",
        owner="cs2",
        customer="K3",
        received=at(10, 30, 10),
        responded=at(10, 30, 10, 5),
        response="met",
        closed=at(11, 1, 7),
        resolution="met",
        satisfaction=5,
    ),
    "C7": dict(
        kind="complaint",
        severity="general",
        category="delivery",
        owner="ops",
        customer="K4",
        received=at(10, 12),
        responded=at(10, 12, 9, 20),
        response="unknown",
        closed=at(10, 15, 10),
        resolution="unknown",
        satisfaction=4,
    ),
    "C8": dict(
        kind="complaint",
        severity="general",
        category="weighing",
        owner="warehouse",
        customer="K2",
        received=at(9, 5),
        responded=at(9, 5, 10),
        response="met",
        closed=at(9, 10),
        resolution="met",
    ),
    "C9": dict(
        kind="complaint",
        severity="general",
        category="other",
        owner="cs",
        customer="K6",
        received=at(9, 20),
        responded=at(9, 20, 10),
        response="met",
        closed=at(9, 25),
        resolution="met",
    ),
    "C10": dict(
        kind="complaint",
        severity="general",
        category="other",
        owner="cs2",
        customer="K6",
        received=at(10, 18),
        responded=at(10, 18, 9, 30),
        response="met",
        status="in_progress",
    ),
    "Q1": dict(
        kind="inquiry",
        severity="normal",
        category="price",
        owner="sales",
        customer="K4",
        received=at(10, 5),
        responded=at(10, 5, 9, 30),
        response="met",
        closed=at(10, 5, 9, 30),
        resolution="met",
    ),
    "A1": dict(
        kind="aftersales",
        severity="normal",
        category="aftersales",
        owner="ops",
        customer="K5",
        received=at(10, 3),
        responded=at(10, 3, 14),
        response="missed",
        closed=at(10, 22, 10),
        resolution="met",
        reopens=2,
        satisfaction=1,
    ),
    "O1": dict(
        kind="complaint",
        severity="general",
        category="delivery",
        owner="ops",
        customer="K5",
        received=at(10, 8, 8),
        responded=at(10, 8, 9),
        response="met",
        status="in_progress",
        reopens=1,
    ),
    "O2": dict(
        kind="business",
        severity="routine",
        category="other",
        owner="cs2",
        customer="K6",
        received=at(10, 9),
        responded=at(10, 9, 10),
        response="none",
        status="in_progress",
    ),
    "X1": dict(
        kind="complaint",
        severity="general",
        category="delivery",
        owner="ops",
        customer="K1",
        received=at(10, 25),
        responded=at(10, 25, 10),
        response="met",
        status="cancelled",
    ),
}

REGIONS = {
    "K1": "杭州市西湖区",
    "K2": "杭州市余杭区",
    "K3": "宁波市鄞州区",
    "K4": "杭州市西湖区",
    "K5": "绍兴市柯桥区",
    "K6": "嘉兴市南湖区",
}


def make_case(spec: dict[str, Any], customer: Any) -> Any:
    owner = user(spec["owner"])
    case = CaseFactory(
        customer=customer,
        kind=spec["kind"],
        severity=spec["severity"],
        category=by_code(CaseCategory, spec["category"]),
        received_at=spec["received"],
        expected_solution="尽快处理并答复",
    )
    # What the workflow would have left: routed to the owner's department.
    case.owner = owner
    case.department_id = owner.department_id
    case.responded_at = spec.get("responded")
    case.response_state = spec.get("response", "running")
    closed = spec.get("closed")
    case.status = spec.get("status", "closed" if closed else "in_progress")
    if closed:
        case.closed_at = case.resolved_at = closed
        case.resolution_state = spec["resolution"]
        case.result = "已处理并反馈客户"
    if case.status == "cancelled":
        case.cancelled_at = spec["received"] + dt.timedelta(hours=2)
        case.cancel_reason = "重复登记"
    case.reopen_count = spec.get("reopens", 0)
    case.resolution_cycle = case.reopen_count
    case.satisfaction = spec.get("satisfaction")
    db.session.commit()
    return case


def _reweigh(line: Any, net: str, when: dt.datetime) -> Reweigh:
    item = Reweigh(weigh_line=line, net_kg=Decimal(net), weighed_at=when)
    with acting_as(user("warehouse")):
        records.before_create(item)
        db.session.add(item)
        db.session.commit()
    return item


def build_october() -> dict[str, Any]:
    """Create the month; returns the records by their name above."""
    made: dict[str, Any] = {}
    for key, region in REGIONS.items():
        made[key] = CustomerFactory(name=f"{key}回收客户有限公司", region=region)
    for key, spec in CASES.items():
        made[key] = make_case(spec, made[spec["customer"]])

    pickups = {
        "P1": ("cs", at(10, 6), "met"),
        "P2": ("ops", at(10, 7), "missed"),
        "P3": ("ops", at(10, 8), "met"),
        "P4": ("ops", at(9, 30, 20), "met"),
        "P5": ("ops", at(10, 9), "none"),
    }
    for key, (creator, confirmed, state) in pickups.items():
        pickup = PickupFactory(customer=made["K1"], _as=creator)
        pickup.confirmed_at = confirmed
        pickup.confirm_state = state
        pickup.status = "scheduled"
        db.session.commit()
        made[key] = pickup

    cs2 = user("cs2")
    visits = {
        "F1": dict(
            case=made["C4"],
            customer=made["K2"],
            source="case",
            done=at(10, 25),
            score=5,
        ),
        "F2": dict(
            pickup=made["P1"],
            customer=made["K1"],
            source="pickup",
            done=at(10, 26),
            score=4,
        ),
        "F3": dict(customer=made["K3"], done=at(10, 27), score=3),
        "F4": dict(customer=made["K3"], done=at(11, 2), score=1),
    }
    for key, spec in visits.items():
        done, score = spec.pop("done"), spec.pop("score")
        visit = FollowUpFactory(assignee=cs2, **spec)
        visit.status, visit.done_at, visit.satisfaction = "done", done, score
        db.session.commit()
        made[key] = visit

    lines = {
        "W1": ("1500", "500", "1010.000", at(10, 15)),
        "W2": ("1500", "500", "989.999", at(10, 16)),
        "W3": ("2500", "500", "1990.000", at(10, 17)),
        "W4": ("1300", "500", "800.000", at(9, 30)),
        "W5": ("1500", "500", None, None),
    }
    for key, (gross, tare, again, when) in lines.items():
        line = WeighLineFactory(
            gross_kg=Decimal(gross), tare_kg=Decimal(tare), _as="warehouse"
        )
        made[key] = line
        if again is not None:
            _reweigh(line, again, when)
    made["W3"].tare_by_id = user("ops2").id
    db.session.commit()
    return made


# Owners per category, for the year of history behind the dashboard screenshot.
OWNERS = {
    "delivery": ("ops", "ops2"),
    "weighing": ("warehouse",),
    "other": ("cs", "cs2"),
    "quality": ("qc",),
    "price": ("sales",),
    "settlement": ("finance",),
    "inspection_dispute": ("qc",),
}
PLACES = [
    "杭州市西湖区",
    "杭州市余杭区",
    "杭州市萧山区",
    "宁波市鄞州区",
    "绍兴市柯桥区",
    "嘉兴市南湖区",
    "湖州市吴兴区",
    "金华市义乌市",
]


def build_year() -> None:
    """A deterministic year of complaints before October (trends, mix, clocks)."""
    customers = [
        CustomerFactory(name=f"{place[:2]}{n}号再生资源有限公司", region=place)
        for n, place in enumerate(PLACES, start=1)
    ]
    categories = list(OWNERS)
    for i in range(11):
        month = 11 + i if i < 2 else i - 1  # Nov 2025 .. Sep 2026
        year = 2025 if i < 2 else 2026
        for j in range(2 + (i * 7 + 3) % 4):
            n = i * 5 + j
            category = categories[(n * 3 + i) % len(categories)]
            owners = OWNERS[category]
            received = dt.datetime(year, month, 3 + 6 * j, 10, tzinfo=BUSINESS_TZ)
            spec = dict(
                kind="complaint",
                severity="general",
                category=category,
                owner=owners[n % len(owners)],
                received=received,
                responded=received + dt.timedelta(hours=3),
                response="missed" if n % 6 == 0 else "met",
                closed=received + dt.timedelta(days=5),
                resolution="missed" if n % 4 == 0 else "met",
                reopens=1 if n % 9 == 0 else 0,
                satisfaction=(5, 4, 4, 3, 5, 2)[n % 6],
            )
            make_case(spec, customers[(n * 5) % len(customers)])
    # Open cases waiting for their first answer, one per clock state.
    for day, state in ((20, "running"), (18, "at_risk"), (16, "breached")):
        make_case(
            dict(
                kind="complaint",
                severity="general",
                category="delivery",
                owner="ops",
                received=at(11, day),
                response=state,
                status="new",
            ),
            customers[day % len(customers)],
        )
