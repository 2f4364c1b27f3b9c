"""A small hand-made month (October 2026) whose KPI values are worked out by hand.

Records are created through the factories (the record rules), then given the
states the workflow would have left them in, with their deadlines written out
(every KPI counts what fell due: met, missed, and still open past the
deadline). Every instant is business time (Asia/Shanghai). Cases are created
by `cs`; each case's department is its owner's department.

Cases (kind/category, owner, customer, received; response due → answered;
resolution due → resolved; status):

  C1  complaint/delivery  ops   K1 Oct 2   due Oct 3 → Oct 2 met; due Oct 13 → Oct 10
        met, score 5
  C2  complaint/delivery  ops2  K1 Oct 20  due Oct 21 09:00 → 12:00 missed;
        round 0 due Oct 23 → Oct 25 missed, score 2, reopened Oct 26;
        round 1 due Nov 4 → Oct 28 (November), score 4
  C3  complaint/delivery  ops2  K2 Sep 29  due Sep 30 (September);
        due Oct 1 05:00 → Oct 1 04:00 met (Sep 30 in UTC), score 4 at closing
  C4  complaint/weighing  wareh K2 Oct 9   due Oct 10 met; due Oct 20 → Oct 20 met
  C5  complaint/other     cs    K3 Oct 14  due Oct 15 met; due Oct 31 23:30 → 23:00
        met, score 3
  C6  complaint/other     cs2   K3 Oct 30  due Oct 31 met; due Nov 1 07:00 (Oct 31 in
        UTC: November) → Nov 1 06:00, score 5 (November)
  C7  complaint/delivery  ops   K4 Oct 12  response and resolution "unknown" (no due
        instant: not judged), closed Oct 15, score 4
  C8  complaint/weighing  wareh K2 Sep 5   September
  C9  complaint/other     cs    K6 Sep 20  September
  C10 complaint/other     cs2   K6 Oct 18  due Oct 19 met; due Oct 27, OPEN (overdue)
  Q1  inquiry/price       sales K4 Oct 5   due Oct 5 10:00 → 09:30 met, closed with it
  A1  aftersales/normal   ops   K5 Oct 3   due Oct 4 09:00 → 14:00 missed;
        round 0 due Oct 6 09:00 → 08:00 met, score 1, reopened Oct 7;
        round 1 due Oct 10 09:00 → Oct 11 missed, score 2, reopened Oct 12;
        round 2 due Oct 15 09:00 → Oct 14 met, score 5
  O1  complaint/delivery  ops   K5 Oct 8   due Oct 9 met;
        round 0 due Oct 17 → Oct 16 met, score 2, reopened Oct 17;
        round 1 due Oct 28, OPEN (overdue)
  O2  business/routine    cs2   K6 Oct 9   response without target ("none");
        due Oct 14, OPEN (overdue)
  B1  business/routine    sales K4 Oct 12  due Oct 12 met; due Oct 15 → Oct 15 met
  X1  complaint/delivery  ops   K1 Oct 25  due Oct 26 met; cancelled Oct 25 (before
        its resolution fell due: not counted)
  X2  complaint/delivery  ops   K4 Oct 5   due Oct 6, never answered, cancelled Oct 7
        (after the response fell due: missed)
  N1  complaint/delivery  ops   K2 Oct 29  due Oct 30, NOT ANSWERED (overdue)
  N2  complaint/other     cs    K3 Oct 31  due Nov 1 (November)
  H1  complaint/quality   ops2  K4 Oct 10  due Oct 11 met; due Oct 21 but waiting for
        the customer since Oct 15 (held: not fallen due)

Follow-up visits (created by cs, department cs):
  F1  of case C4, assignee cs2, done Oct 25, score 5 -> counts for warehouse
  F2  of pickup P1 (recorded by cs), assignee cs2, done Oct 26, score 4 -> ops / cs
  F3  manual, assignee cs2, done Oct 27, score 3 -> cs / cs2
  F4  manual, assignee cs2, done Nov 2, score 1 -> November, not counted

Pickups (department ops; customer K1), booking confirmation due → confirmed,
agreed window end → crew arrived:
  P1 by cs  Oct 5:  due Oct 6 → Oct 5 met;  window Oct 8 12:00 → 10:00 met
  P2 by ops Oct 6:  due Oct 7 09:00 → 11:00 missed; window Oct 9 12:00 → 13:00 missed
  P3 by ops Oct 7:  due Oct 8 → Oct 7 met; window Oct 10 17:00, NOT ARRIVED (overdue)
  P4 by ops Sep 29: due Sep 30 20:00 → 10:00 met (September)
  P5 by ops Oct 9:  no target ("none"), no window
  P6 by ops Oct 20: due Oct 21, NEVER CONFIRMED (overdue)
  P7 by cs  Oct 22: due Oct 23, cancelled Oct 22 unconfirmed (before due: not counted)
  P8 by ops Oct 23: due Oct 24, cancelled Oct 25 unconfirmed (after due: missed)

Recovery checks (weigh tickets of the warehouse; weighed by `warehouse` unless
said); each compared with the weighed net, tolerance 1 %:
  W1 net 1000 kg, re-weighed Oct 15: 1010 kg  (exactly 1 %: within)
  W2 net 1000 kg, re-weighed Oct 16: 989.999 kg (1.0001 %: outside)
  W3 net 2000 kg, tare weighed by ops2, re-weighed Oct 17: 1990 kg (0.5 %)
  W4 net 800 kg, re-weighed Sep 30: 800 kg (September)
  W5 net 1000 kg, never re-weighed (not checked)
  W6 net 1004 kg weighed Oct 12 for P1's line L1, 1000 kg on site (within)
  W7 net 1000 kg weighed Oct 13 for P2's line L2, 900 kg on site (outside)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from app.extensions import db
from app.models import (
    BUSINESS_TZ,
    CaseCategory,
    CaseRating,
    CaseRound,
    Reweigh,
)
from app.security.access import acting_as
from app.services.core import records
from tests.factories import (
    CaseFactory,
    CustomerFactory,
    FollowUpFactory,
    PickupFactory,
    PickupLineFactory,
    WeighLineFactory,
    by_code,
    user,
)

OCTOBER = dt.date(2026, 10, 1)
# The instant the figures are taken at in the tests (everything above is past).
AS_OF = dt.datetime(2026, 11, 20, 9, 0, tzinfo=BUSINESS_TZ)


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BUSINESS_TZ)


def _case(
    kind: str,
    category: str,
    owner: str,
    customer: str,
    received: dt.datetime,
    response_due: dt.datetime | None,
    responded: dt.datetime | None,
    resolution_due: dt.datetime | None,
    resolved: dt.datetime | None = None,
    **more: Any,
) -> dict[str, Any]:
    severity = {"complaint": "general", "aftersales": "normal"}.get(kind, "routine")
    if kind == "inquiry":
        severity = "normal"
    return dict(
        kind=kind,
        severity=more.pop("severity", severity),
        category=category,
        owner=owner,
        customer=customer,
        received=received,
        response_due=response_due,
        responded=responded,
        resolution_due=resolution_due,
        resolved=resolved,
        **more,
    )


CASES: dict[str, dict[str, Any]] = {
    "C1": _case(
        "complaint",
        "delivery",
        "ops",
        "K1",
        at(10, 2),
        at(10, 3),
        at(10, 2, 10),
        at(10, 13, 17, 30),
        at(10, 10, 15),
        score=(5, at(10, 10, 15)),
    ),
    "C2": _case(
        "complaint",
        "delivery",
        "ops2",
        "K1",
        at(10, 20),
        at(10, 21),
        at(10, 21, 12),
        at(11, 4, 17, 30),
        at(10, 28, 16),
        score=(4, at(10, 28, 16)),
        rounds=[
            dict(
                due=at(10, 23, 17, 30),
                resolved=at(10, 25, 10),
                ended=at(10, 26),
                score=(2, at(10, 25, 10)),
                reason="赔偿方案客户不接受",
            )
        ],
    ),
    "C3": _case(
        "complaint",
        "delivery",
        "ops2",
        "K2",
        at(9, 29, 10),
        at(9, 30, 10),
        at(9, 29, 11),
        at(10, 1, 5),
        at(10, 1, 4),
        score=(4, at(10, 1, 4)),
    ),
    "C4": _case(
        "complaint",
        "weighing",
        "warehouse",
        "K2",
        at(10, 9),
        at(10, 10),
        at(10, 9, 9, 30),
        at(10, 20, 17, 30),
        at(10, 20, 10),
    ),
    "C5": _case(
        "complaint",
        "other",
        "cs",
        "K3",
        at(10, 14),
        at(10, 15),
        at(10, 14, 9, 10),
        at(10, 31, 23, 30),
        at(10, 31, 23),
        score=(3, at(10, 31, 23)),
    ),
    "C6": _case(
        "complaint",
        "other",
        "cs2",
        "K3",
        at(10, 30, 10),
        at(10, 31, 10),
        at(10, 30, 10, 5),
        at(11, 1, 7),
        at(11, 1, 6),
        score=(5, at(11, 1, 6)),
    ),
    "C7": _case(
        "complaint",
        "delivery",
        "ops",
        "K4",
        at(10, 12),
        None,
        at(10, 12, 9, 20),
        None,
        at(10, 15, 10),
        score=(4, at(10, 15, 10)),
        unknown=True,
    ),
    "C8": _case(
        "complaint",
        "weighing",
        "warehouse",
        "K2",
        at(9, 5),
        at(9, 6),
        at(9, 5, 10),
        at(9, 15, 17, 30),
        at(9, 10),
    ),
    "C9": _case(
        "complaint",
        "other",
        "cs",
        "K6",
        at(9, 20),
        at(9, 21),
        at(9, 20, 10),
        at(9, 30, 17, 30),
        at(9, 25),
    ),
    "C10": _case(
        "complaint",
        "other",
        "cs2",
        "K6",
        at(10, 18),
        at(10, 19),
        at(10, 18, 9, 30),
        at(10, 27, 17, 30),
    ),
    "Q1": _case(
        "inquiry",
        "price",
        "sales",
        "K4",
        at(10, 5),
        at(10, 5, 10),
        at(10, 5, 9, 30),
        at(10, 5, 10),
        at(10, 5, 9, 30),
    ),
    "A1": _case(
        "aftersales",
        "aftersales",
        "ops",
        "K5",
        at(10, 3),
        at(10, 4),
        at(10, 4, 14),
        at(10, 15),
        at(10, 14, 10),
        score=(5, at(10, 14, 10)),
        rounds=[
            dict(
                due=at(10, 6),
                resolved=at(10, 6, 8),
                ended=at(10, 7),
                score=(1, at(10, 6, 8)),
                reason="设备仍无法使用",
            ),
            dict(
                due=at(10, 10),
                resolved=at(10, 11),
                ended=at(10, 12),
                score=(2, at(10, 11)),
                reason="维修后再次故障",
            ),
        ],
    ),
    "O1": _case(
        "complaint",
        "delivery",
        "ops",
        "K5",
        at(10, 8, 8),
        at(10, 9, 8),
        at(10, 8, 9),
        at(10, 28, 17, 30),
        rounds=[
            dict(
                due=at(10, 17, 17, 30),
                resolved=at(10, 16, 10),
                ended=at(10, 17),
                score=(2, at(10, 16, 10)),
                reason="赔偿不到位",
            )
        ],
    ),
    "O2": _case(
        "business",
        "other",
        "cs2",
        "K6",
        at(10, 9),
        None,
        at(10, 9, 10),
        at(10, 14, 17, 30),
        no_response_target=True,
    ),
    "B1": _case(
        "business",
        "other",
        "sales",
        "K4",
        at(10, 12),
        at(10, 12, 10),
        at(10, 12, 9, 40),
        at(10, 15, 17, 30),
        at(10, 15, 16),
    ),
    "X1": _case(
        "complaint",
        "delivery",
        "ops",
        "K1",
        at(10, 25),
        at(10, 26),
        at(10, 25, 10),
        at(11, 4, 17, 30),
        cancelled=at(10, 25, 11),
    ),
    "X2": _case(
        "complaint",
        "delivery",
        "ops",
        "K4",
        at(10, 5),
        at(10, 6),
        None,
        at(10, 14, 17, 30),
        cancelled=at(10, 7),
    ),
    "N1": _case(
        "complaint",
        "delivery",
        "ops",
        "K2",
        at(10, 29),
        at(10, 30),
        None,
        at(11, 9, 17, 30),
    ),
    "N2": _case(
        "complaint",
        "other",
        "cs",
        "K3",
        at(10, 31),
        at(11, 1),
        None,
        at(11, 11, 17, 30),
    ),
    "H1": _case(
        "complaint",
        "quality",
        "ops2",
        "K4",
        at(10, 10),
        at(10, 11),
        at(10, 10, 9, 30),
        at(10, 21, 17, 30),
        paused=at(10, 15, 10),
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


def _verdict(due: dt.datetime | None, stop: dt.datetime | None) -> str:
    if due is None:
        return "none"
    if stop is None:
        return "breached" if due <= AS_OF else "running"
    return "met" if stop <= due else "missed"


def make_case(spec: dict[str, Any], customer: Any) -> Any:
    """A case as the workflow would have left it: routed to the owner's
    department, with its clocks, earlier rounds and scores."""
    owner = user(spec["owner"])
    case = CaseFactory(
        customer=customer,
        kind=spec["kind"],
        severity=spec["severity"],
        category=by_code(CaseCategory, spec["category"]),
        received_at=spec["received"],
        expected_solution="尽快处理并答复",
    )
    case.owner = owner
    case.department_id = owner.department_id
    case.response_due_at = case.response_risk_at = spec.get("response_due")
    case.responded_at = spec.get("responded")
    case.resolution_due_at = case.resolution_risk_at = spec.get("resolution_due")
    resolved = spec.get("resolved")
    case.resolved_at = case.closed_at = resolved
    case.response_state = _verdict(case.response_due_at, case.responded_at)
    case.resolution_state = _verdict(case.resolution_due_at, resolved)
    if spec.get("unknown"):
        case.response_state = case.resolution_state = "unknown"
    if spec.get("no_response_target"):
        case.response_state = "none"
    if spec.get("response_state"):
        case.response_state = spec["response_state"]
    case.status = "closed" if resolved else "in_progress"
    if resolved:
        case.result = "已处理并反馈客户"
    if spec.get("responded") is None and not resolved:
        case.status = "new"
    if spec.get("paused"):
        case.status = "pending_customer"
        case.paused_since = spec["paused"]
        case.resolution_state = "paused"
    if spec.get("cancelled"):
        case.status = "cancelled"
        case.cancelled_at = spec["cancelled"]
        case.cancel_reason = "重复登记"
    rounds = spec.get("rounds", [])
    case.reopen_count = case.resolution_cycle = len(rounds)
    case.resolution_started_at = rounds[-1]["ended"] if rounds else spec["received"]
    for cycle, item in enumerate(rounds):
        db.session.add(
            CaseRound(
                case=case,
                cycle=cycle,
                started_at=spec["received"]
                if cycle == 0
                else rounds[cycle - 1]["ended"],
                due_at=item["due"],
                resolved_at=item["resolved"],
                ended_at=item["ended"],
                state=_verdict(item["due"], item["resolved"]),
                department_id=case.department_id,
                owner_id=owner.id,
            )
        )
        score, given = item["score"]
        db.session.add(
            CaseRating(
                case=case,
                cycle=cycle,
                score=score,
                comment="不满意",
                reopen_reason=item["reason"],
                given_at=given,
            )
        )
    if spec.get("score"):
        score, given = spec["score"]
        case.satisfaction = score
        db.session.add(
            CaseRating(case=case, cycle=len(rounds), score=score, given_at=given)
        )
    db.session.commit()
    return case


def _reweigh(line: Any, net: str, when: dt.datetime) -> Reweigh:
    item = Reweigh(weigh_line=line, net_kg=Decimal(net), weighed_at=when)
    with acting_as(user("warehouse")):
        records.before_create(item)
        db.session.add(item)
        db.session.commit()
    return item


# key: recorded by, received, confirmation due, confirmed, window end, arrived,
# cancelled
PICKUPS: dict[str, tuple[Any, ...]] = {
    "P1": (
        "cs",
        at(10, 5),
        at(10, 6),
        at(10, 5, 15),
        at(10, 8, 12),
        at(10, 8, 10),
        None,
    ),
    "P2": (
        "ops",
        at(10, 6),
        at(10, 7),
        at(10, 7, 11),
        at(10, 9, 12),
        at(10, 9, 13),
        None,
    ),
    "P3": ("ops", at(10, 7), at(10, 8), at(10, 7, 16), at(10, 10, 17), None, None),
    "P4": ("ops", at(9, 29), at(9, 30, 20), at(9, 30, 10), None, None, None),
    "P5": ("ops", at(10, 9), None, at(10, 9, 11), None, None, None),
    "P6": ("ops", at(10, 20), at(10, 21), None, None, None, None),
    "P7": ("cs", at(10, 22), at(10, 23), None, None, None, at(10, 22, 15)),
    "P8": ("ops", at(10, 23), at(10, 24), None, None, None, at(10, 25)),
}


def build_october() -> dict[str, Any]:
    """Create the month; returns the records by their name above."""
    made: dict[str, Any] = {}
    for key, region in REGIONS.items():
        made[key] = CustomerFactory(name=f"{key}回收客户有限公司", region=region)
    for key, spec in CASES.items():
        made[key] = make_case(spec, made[spec["customer"]])

    for key, (
        creator,
        received,
        due,
        confirmed,
        window,
        arrived,
        cancelled,
    ) in PICKUPS.items():
        pickup = PickupFactory(customer=made["K1"], _as=creator)
        pickup.received_at = received
        pickup.confirm_due_at = pickup.confirm_risk_at = due
        pickup.confirmed_at = confirmed
        pickup.confirm_state = _verdict(due, confirmed)
        pickup.window_start = window - dt.timedelta(hours=3) if window else None
        pickup.window_end = window
        pickup.arrived_at = arrived
        pickup.arrival_state = _verdict(window, arrived)
        pickup.status = "scheduled" if confirmed else "requested"
        if cancelled:
            pickup.status, pickup.cancelled_at = "cancelled", cancelled
            pickup.cancel_reason = "客户取消"
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
        "W6": ("1504", "500", None, None),
        "W7": ("1500", "500", None, None),
    }
    for key, (gross, tare, again, when) in lines.items():
        line = WeighLineFactory(
            gross_kg=Decimal(gross), tare_kg=Decimal(tare), _as="warehouse"
        )
        made[key] = line
        if again is not None:
            _reweigh(line, again, when)
    made["W3"].tare_by_id = user("ops2").id
    # On-site quantities recorded by Operations, weighed in October.
    for key, pickup, line, on_site, weighed in (
        ("L1", "P1", "W6", "1000", at(10, 12)),
        ("L2", "P2", "W7", "900", at(10, 13)),
    ):
        item = PickupLineFactory(
            pickup=made[pickup], collected_kg=Decimal(on_site), _as="ops"
        )
        made[line].pickup_line_id = item.id
        made[line].gross_at = made[line].tare_at = weighed
        made[key] = item
    db.session.commit()
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
            closed = received + dt.timedelta(days=5)
            spec = _case(
                "complaint",
                category,
                owners[n % len(owners)],
                "",
                received,
                received + dt.timedelta(hours=2 if n % 6 == 0 else 24),
                received + dt.timedelta(hours=3),
                received + dt.timedelta(days=4 if n % 4 == 0 else 7),
                closed,
                score=((5, 4, 4, 3, 5, 2)[n % 6], closed),
            )
            if n % 9 == 0:
                spec["rounds"] = [
                    dict(
                        due=received + dt.timedelta(days=3),
                        resolved=received + dt.timedelta(days=2),
                        ended=received + dt.timedelta(days=2, hours=1),
                        score=(2, received + dt.timedelta(days=2)),
                        reason="客户不满意",
                    )
                ]
            make_case(spec, customers[(n * 5) % len(customers)])
    # Open cases waiting for their first answer, one per clock state.
    for day, state in ((20, "running"), (18, "at_risk"), (16, "breached")):
        spec = _case(
            "complaint",
            "delivery",
            "ops",
            "",
            at(11, day),
            at(11, day) + dt.timedelta(hours=24),
            None,
            at(11, day) + dt.timedelta(days=10),
            response_state=state,
        )
        make_case(spec, customers[day % len(customers)])
