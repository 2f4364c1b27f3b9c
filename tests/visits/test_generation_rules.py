"""Follow-up generation against a hand-worked set of sources (SPEC §2 follow-up rules).

Every expected visit below is worked out by hand from the rules and China's
2026 calendar (make-up Saturdays Feb 14 and Feb 28, Spring Festival Feb
15-23; working hours 08:30-17:30), at-risk at 80 % of the time from the
source event to the due date. Times are business time (Asia/Shanghai).

Rules: the seeded ones (R1 closed complaint +3 working days, CS; R3 settled
pickup +7 days, CS; partner visit every 30 days, Sales) and, added here, R2
(closed complaint of a partner +2 calendar days, Sales), R4 (any closed case
of a walk-in customer +1 working day, Operations) and an inactive R5.

  A complaint  supplier  first-ask cs            closed Fri Feb 13 16:00 (R1)
  B complaint  supplier  first-ask ops, owner cs2  closed Mon Feb 2 10:00 (R1)
  C complaint  supplier  first-ask ops, owner ops2 closed Wed Feb 25 20:00 (R1)
  D complaint  supplier  first-ask cs2, reopened once, closed Thu Feb 26 09:00
  E complaint  closed Jan 20 (before `since`): nothing
  F inquiry    supplier  closed Feb 10: nothing (R1 is for complaints)
  G complaint  partner   first-ask cs, owner sales  closed Tue Feb 10 11:00 (R1, R2)
  H inquiry    walk-in   first-ask cs  closed Sat Feb 28 10:00 (R4)
  P1 pickup settled Thu Feb 26 10:00, recorded by ops, settlement S1
  P2 pickup closed, settled Fri Feb 20 15:00, recorded by cs2, only a voided one
  P3 pickup inspected (settled_at set by mistake): nothing
  P4 pickup settled Jan 10 (before `since`): nothing
  K1 partner, sales rep `sales`; K2 partner without rep; K3 partner, suspended
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError

from app.models import (
    BUSINESS_TZ,
    AuditLog,
    CalendarDay,
    CalendarYear,
    Case,
    Customer,
    CustomerType,
    Department,
    FollowUp,
    FollowUpRule,
    Notification,
    NumberSequence,
    Pickup,
    Settlement,
)
from app.services.core import numbering
from app.services.visits import generation
from tests.factories import (
    CaseFactory,
    CustomerFactory,
    PickupFactory,
    SettlementFactory,
    by_code,
    user,
)

MOMENT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=BUSINESS_TZ)  # Monday
SINCE = dt.datetime(2026, 2, 1, 0, 0, tzinfo=BUSINESS_TZ)


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026):
    return dt.datetime(year, month, day, hour, minute, tzinfo=BUSINESS_TZ)


def _rule(db, code: str, **values) -> FollowUpRule:
    rule = FollowUpRule(code=code, name=code, **values)
    db.session.add(rule)
    db.session.commit()
    return rule


def _customer(db, type_code: str, **values) -> Customer:
    customer = CustomerFactory(customer_type=by_code(CustomerType, type_code))
    if values:
        db.session.execute(
            update(Customer).where(Customer.id == customer.id).values(**values)
        )
        db.session.commit()
    return customer


def _closed_case(db, customer, closed, first, owner=None, kind="complaint", cycle=0):
    case = CaseFactory(
        customer=customer,
        kind=kind,
        severity="general" if kind == "complaint" else "normal",
    )
    db.session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(
            status="closed",
            closed_at=closed,
            resolved_at=closed,
            resolution_state="met",
            first_ask_owner_id=user(first).id,
            owner_id=user(owner or first).id,
            resolution_cycle=cycle,
            reopen_count=cycle,
        )
    )
    db.session.commit()
    return case


def _settled_pickup(db, settled, recorder, status="settled"):
    pickup = PickupFactory(_as="ops")
    db.session.execute(
        update(Pickup)
        .where(Pickup.id == pickup.id)
        .values(status=status, settled_at=settled, created_by_id=user(recorder).id)
    )
    db.session.commit()
    return pickup


def _settlement(db, pickup, **values) -> Settlement:
    settlement = SettlementFactory(customer=pickup.customer, _as="finance")
    db.session.execute(
        update(Settlement)
        .where(Settlement.id == settlement.id)
        .values(pickup_id=pickup.id, **values)
    )
    db.session.commit()
    return settlement


def _period(customer_id: int, today: dt.date) -> dt.date:
    """The 30-day period holding today; periods start Jan 1 + (id mod 30) days."""
    start = dt.date(2026, 1, 1) + dt.timedelta(days=customer_id % 30)
    while start > today:
        start -= dt.timedelta(days=30)
    while start + dt.timedelta(days=30) <= today:
        start += dt.timedelta(days=30)
    return start


@pytest.fixture
def world(db):
    rules = {r.code: r for r in db.session.scalars(select(FollowUpRule))}
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    partner = by_code(CustomerType, "partner")
    rules["R2"] = _rule(
        db,
        "partner-complaint",
        trigger="case_closed",
        case_kind="complaint",
        customer_type_id=partner.id,
        delay_amount=2,
        delay_unit="calendar_days",
        department_id=departments["sales"].id,
    )
    rules["R4"] = _rule(
        db,
        "walkin-any",
        trigger="case_closed",
        case_kind=None,
        customer_type_id=by_code(CustomerType, "walkin").id,
        delay_amount=1,
        delay_unit="working_days",
        department_id=departments["ops"].id,
    )
    rules["R5"] = _rule(
        db,
        "inactive",
        trigger="case_closed",
        case_kind="complaint",
        delay_amount=1,
        delay_unit="working_days",
        department_id=departments["ops"].id,
        active=False,
    )
    supplier = _customer(db, "supplier")
    g_customer = _customer(db, "partner", sales_rep_id=user("sales").id)
    walkin = _customer(db, "walkin")
    w = {
        "rules": rules,
        "A": _closed_case(db, supplier, at(2, 13, 16), "cs"),
        "B": _closed_case(db, supplier, at(2, 2, 10), "ops", "cs2"),
        "C": _closed_case(db, supplier, at(2, 25, 20), "ops", "ops2"),
        "D": _closed_case(db, supplier, at(2, 26, 9), "cs2", cycle=1),
        "E": _closed_case(db, supplier, at(1, 20, 10), "cs"),
        "F": _closed_case(db, supplier, at(2, 10, 10), "cs", kind="inquiry"),
        "G": _closed_case(db, g_customer, at(2, 10, 11), "cs", "sales"),
        "H": _closed_case(db, walkin, at(2, 28, 10), "cs", kind="inquiry"),
        "P1": _settled_pickup(db, at(2, 26, 10), "ops"),
        "P2": _settled_pickup(db, at(2, 20, 15), "cs2", status="closed"),
        "P3": _settled_pickup(db, at(2, 21, 9), "ops", status="inspected"),
        "P4": _settled_pickup(db, at(1, 10, 9), "ops"),
        "K1": _customer(db, "partner", sales_rep_id=user("sales").id),
        "K2": _customer(db, "partner", sales_rep_id=None),
        "K3": _customer(db, "partner", status="suspended"),
        "G_customer": g_customer,
    }
    w["S1"] = _settlement(db, w["P1"])
    _settlement(db, w["P2"], status="voided", void_reason="重复结算")
    return w


def _expected(w) -> dict[str, dict]:
    """source_key -> the visit the rules ask for, worked out by hand."""
    r1, r3, rp = (
        w["rules"][c].id
        for c in ("complaint-closed", "pickup-settled", "partner-regular")
    )
    r2, r4 = w["rules"]["R2"].id, w["rules"]["R4"].id

    def case(key, name, rule, due, risk, assignee, dept):
        item = w[name]
        return key, {
            "source": "case",
            "rule_id": rule,
            "case_id": item.id,
            "pickup_id": None,
            "settlement_id": None,
            "customer_id": item.customer_id,
            "department": dept,
            "assignee": assignee,
            "due_at": due,
            "risk_at": risk,
        }

    def pickup(name, due, risk, assignee, settlement):
        item = w[name]
        return f"pickup:{item.id}:rule:{r3}", {
            "source": "pickup",
            "rule_id": r3,
            "case_id": None,
            "pickup_id": item.id,
            "settlement_id": settlement,
            "customer_id": item.customer_id,
            "department": "cs",
            "assignee": assignee,
            "due_at": due,
            "risk_at": risk,
        }

    def partner(customer, assignee="cs"):
        start = _period(customer.id, MOMENT.date())
        begin = dt.datetime.combine(start, dt.time(0, 0), BUSINESS_TZ)
        due = dt.datetime.combine(
            start + dt.timedelta(days=29), dt.time(23, 59), BUSINESS_TZ
        )
        return f"partner:{customer.id}:rule:{rp}:{start:%Y%m%d}", {
            "source": "partner",
            "rule_id": rp,
            "case_id": None,
            "pickup_id": None,
            "settlement_id": None,
            "customer_id": customer.id,
            "department": "sales",
            "assignee": assignee,
            "due_at": due,
            "risk_at": begin + (due - begin) * 0.8,
        }

    ids = {k: w[k].id for k in "ABCDGH"}
    return dict(
        [
            # Sat Feb 14 (make-up) is the 1st working day, Feb 24 the 2nd.
            case(f"case:{ids['A']}:rule:{r1}", "A", r1, at(2, 25, 17, 30),
                 at(2, 23, 7, 36), "cs", "cs"),
            # The first-ask owner works in Operations: the owner (CS) calls.
            case(f"case:{ids['B']}:rule:{r1}", "B", r1, at(2, 5, 17, 30),
                 at(2, 5, 1, 36), "cs2", "cs"),
            # Nobody of CS on the case: the head of CS; Sat Feb 28 is the 3rd day.
            case(f"case:{ids['C']}:rule:{r1}", "C", r1, at(2, 28, 17, 30),
                 at(2, 28, 3, 36), "cs", "cs"),
            # Closed again after a reopen: a new source, the customer is asked again.
            case(f"case:{ids['D']}:rule:{r1}:cycle:1", "D", r1, at(3, 2, 17, 30),
                 at(3, 1, 20, 36), "cs2", "cs"),
            case(f"case:{ids['G']}:rule:{r1}", "G", r1, at(2, 13, 17, 30),
                 at(2, 13, 1, 48), "cs", "cs"),
            case(f"case:{ids['G']}:rule:{r2}", "G", r2, at(2, 12, 11),
                 at(2, 12, 1, 24), "sales", "sales"),
            # Closed on a make-up Saturday: the next working day is Monday.
            case(f"case:{ids['H']}:rule:{r4}", "H", r4, at(3, 2, 17, 30),
                 at(3, 2, 6, 24), "ops", "ops"),
            # Recorded by Operations: the head of CS calls.
            pickup("P1", at(3, 5, 10), at(3, 4, 0, 24), "cs", w["S1"].id),
            # A voided settlement is no settlement.
            pickup("P2", at(2, 27, 15), at(2, 26, 5, 24), "cs2", None),
            # Not by the account's own sales rep, the only clerk of Sales: the
            # head of customer service (seed 003 第四条(2)).
            partner(w["K1"]),
            partner(w["K2"], "sales"),  # no sales rep: the head of Sales
            partner(w["G_customer"]),
        ]
    )  # fmt: skip


def _visits(db) -> dict[str, FollowUp]:
    return {v.source_key: v for v in db.session.scalars(select(FollowUp))}


def test_generation_creates_exactly_the_visits_the_rules_ask_for(db, world, written):
    expected = _expected(world)
    assert generation.generate(since=SINCE, moment=MOMENT) == len(expected) == 12
    visits = _visits(db)
    assert set(visits) == set(expected)
    for key, want in expected.items():
        visit = visits[key]
        got = {
            "source": visit.source,
            "rule_id": visit.rule_id,
            "case_id": visit.case_id,
            "pickup_id": visit.pickup_id,
            "settlement_id": visit.settlement_id,
            "customer_id": visit.customer_id,
            "department": visit.department.code,
            "assignee": visit.assignee.username,
            "due_at": visit.due_at,
            "risk_at": visit.risk_at,
        }
        assert got == want, key
        assert (visit.status, visit.due_state, visit.escalation_level) == (
            "planned",
            "running",
            0,
        )
        assert visit.created_at == visit.changed_at == MOMENT
        assert visit.created_by.username == visit.changed_by.username == "system"
        assert visit.version == 1 and visit.channel_id is None


def test_numbers_are_one_gap_free_block_per_rule_in_rule_order(db, world, written):
    generation.generate(since=SINCE, moment=MOMENT)
    rules = world["rules"]
    order = [
        rules[c].id
        for c in ("complaint-closed", "R2", "R4", "pickup-settled", "partner-regular")
    ]
    by_rule: dict[int, list[int]] = {}
    for visit in _visits(db).values():
        prefix, year, value = visit.number.split("-")
        assert (prefix, year) == ("HF", "2026")
        by_rule.setdefault(visit.rule_id, []).append(int(value))
    blocks = [sorted(by_rule[r]) for r in order]
    assert blocks == [[1, 2, 3, 4, 5], [6], [7], [8, 9], [10, 11, 12]]


def test_every_visit_has_its_audit_row(db, world, written):
    generation.generate(since=SINCE, moment=MOMENT)
    system = user("system").id
    audits = {
        a.row_id: a
        for a in db.session.scalars(
            select(AuditLog).where(AuditLog.table_name == "followup")
        )
    }
    visits = _visits(db)
    assert len(audits) == len(visits)
    for visit in visits.values():
        audit = audits[visit.id]
        assert (audit.action, audit.user_id, audit.at) == ("insert", system, MOMENT)
        changes = json.loads(audit.changes)
        assert all(old is None for old, _ in changes.values())
        new = {key: value for key, (_, value) in changes.items()}
        for key in ("due_at", "risk_at", "created_at", "changed_at"):
            new[key] = dt.datetime.fromisoformat(new[key])
        wanted = {
            c: getattr(visit, c)
            for c in (
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
            )
            if getattr(visit, c) is not None
        }
        assert new == wanted
        # Text as the session hook's json.dumps writes it, number last.
        order = [*[k for k in wanted if k != "number"], "number"]
        assert audit.changes == json.dumps(
            {k: [None, _iso(wanted[k])] for k in order}, ensure_ascii=False
        )


def _iso(value):
    return value.isoformat() if isinstance(value, dt.datetime) else value


def test_a_second_run_creates_nothing_and_changes_nothing(db, world, written):
    generation.generate(since=SINCE, moment=MOMENT)
    before = {k: (v.id, v.number, v.due_at) for k, v in _visits(db).items()}
    assert generation.generate(since=SINCE, moment=MOMENT + dt.timedelta(hours=1)) == 0
    db.session.expire_all()
    assert {k: (v.id, v.number, v.due_at) for k, v in _visits(db).items()} == before
    for case in ("A", "G", "H"):
        assert generation.for_case(world[case].id) == 0
    assert generation.for_pickup(world["P1"].id) == 0


def test_the_closing_events_create_the_visits_of_their_source(db, world):
    rules = world["rules"]
    assert generation.for_case(world["G"].id) == 2
    assert generation.for_pickup(world["P2"].id) == 1
    assert generation.for_case(world["E"].id) == 1  # no lookback on the event
    assert generation.for_case(world["F"].id) == 0
    assert generation.for_pickup(world["P3"].id) == 0
    keys = set(_visits(db))
    g, e, p2 = world["G"].id, world["E"].id, world["P2"].id
    assert keys == {
        f"case:{g}:rule:{rules['complaint-closed'].id}",
        f"case:{g}:rule:{rules['R2'].id}",
        f"case:{e}:rule:{rules['complaint-closed'].id}",
        f"pickup:{p2}:rule:{rules['pickup-settled'].id}",
    }


def test_a_due_date_in_an_unloaded_year_waits_and_tells_the_admins(db):
    walkin = _customer(db, "walkin")
    departments = {d.code: d.id for d in db.session.scalars(select(Department))}
    _rule(
        db,
        "walkin-any",
        trigger="case_closed",
        delay_amount=1,
        delay_unit="working_days",
        customer_type_id=walkin.customer_type_id,
        department_id=departments["ops"],
    )
    case = _closed_case(db, walkin, at(12, 30, 10), "cs")
    moment = at(12, 30, 12)
    # +3 working days needs January 2027, which is not loaded; +1 is Dec 31.
    assert generation.generate(since=at(12, 29, 0), moment=moment) == 1
    (visit,) = _visits(db).values()
    assert visit.case_id == case.id and visit.due_at == at(12, 31, 17, 30)
    alert = db.session.scalars(
        select(Notification).where(Notification.level == "calendar_missing")
    ).one()
    assert alert.record_id == 2027
    # Once an admin enters 2027 (New Year's Day off), the next run creates it.
    db.session.add(CalendarYear(year=2027, status="manual", source="manual"))
    db.session.add(
        CalendarDay(
            day=dt.date(2027, 1, 1), kind="holiday", name="元旦", source="manual"
        )
    )
    db.session.commit()
    assert generation.generate(since=at(12, 29, 0), moment=moment) == 1
    late = _visits(db)[f"case:{case.id}:rule:{_rule_id(db, 'complaint-closed')}"]
    assert late.due_at == dt.datetime(2027, 1, 5, 17, 30, tzinfo=BUSINESS_TZ)
    assert late.assignee.username == "cs"


def _rule_id(db, code: str) -> int:
    return db.session.scalars(select(FollowUpRule.id).filter_by(code=code)).one()


def _waiting_on_a_lock(db) -> bool:
    """Whether another session of this database waits on a lock (PostgreSQL)."""
    if db.engine.dialect.name != "postgresql":
        time.sleep(0.5)  # SQLite: the second writer waits on the database lock
        return True
    with db.engine.connect() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                    "current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
        )


def test_two_runs_at_once_create_each_visit_once(app, db, world, monkeypatch, written):
    """The second run queues behind the first's uncommitted visits, then finds
    them: every visit exists once, numbers stay one gap-free series."""
    expected = _expected(world)
    inserted, release = threading.Event(), threading.Event()
    advance = numbering.advance_counter

    def held_advance(*args, **kwargs):
        # The first rule's visits are being written (in parts: are written),
        # under the counter's lock, not committed.
        if threading.current_thread().name == "first" and not inserted.is_set():
            inserted.set()
            release.wait(30)
        return advance(*args, **kwargs)

    monkeypatch.setattr(numbering, "advance_counter", held_advance)
    created: dict[str, int] = {}
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                created[threading.current_thread().name] = generation.generate(
                    since=SINCE, moment=MOMENT
                )
                from app.extensions import db as _db

                _db.session.remove()
        except BaseException as error:
            errors.append(error)

    first = threading.Thread(target=run, name="first")
    second = threading.Thread(target=run, name="second")
    first.start()
    assert inserted.wait(30)
    second.start()
    deadline = time.monotonic() + 30
    while not _waiting_on_a_lock(db):
        assert time.monotonic() < deadline, "the second run did not wait"
        time.sleep(0.05)
    release.set()
    for thread in (first, second):
        thread.join(60)
    assert not errors, errors
    assert created["first"] + created["second"] == len(expected)
    db.session.expire_all()
    visits = list(db.session.scalars(select(FollowUp)))
    assert sorted(v.source_key for v in visits) == sorted(expected)
    assert sorted(int(v.number.rsplit("-", 1)[1]) for v in visits) == list(
        range(1, len(expected) + 1)
    )
    audited = db.session.scalars(
        select(AuditLog.row_id).where(AuditLog.table_name == "followup")
    ).all()
    assert sorted(audited) == sorted(v.id for v in visits)


@pytest.mark.parametrize("taken", [5, 1], ids=["a helper's part", "the leader's part"])
def test_a_part_that_fails_writes_nothing_of_the_run(db, world, written, taken):
    """Written in parts, a failing part rolls back every part: no visit, no
    audit row, the counter where it was. Number `taken` is held by a visit
    typed in by hand past the counter, so that part's insert fails: the
    first rule's five visits are numbered 1-5, 1-3 by the leading
    connection, 4-5 by the helper."""
    if written != "in parts":
        pytest.skip("about the parts")
    typed = FollowUp(
        number=f"HF-2026-{taken:06d}",
        source="manual",
        customer_id=world["K1"].id,
        department_id=world["rules"]["complaint-closed"].department_id,
        due_at=MOMENT,
    )
    db.session.add(typed)
    db.session.commit()
    with pytest.raises(IntegrityError, match="followup_number_key"):
        generation.generate(since=SINCE, moment=MOMENT)
    db.session.rollback()
    assert [v.source for v in _visits(db).values()] == ["manual"]
    assert db.session.scalars(
        select(AuditLog.row_id).where(AuditLog.table_name == "followup")
    ).all() == [typed.id]
    assert db.session.scalar(select(numbering_counter())) in (None, 0)
    db.session.execute(delete(FollowUp))
    db.session.commit()
    expected = _expected(world)
    assert generation.generate(since=SINCE, moment=MOMENT) == len(expected)
    numbers = sorted(int(v.number.rsplit("-", 1)[1]) for v in _visits(db).values())
    assert numbers == list(range(1, len(expected) + 1))


def numbering_counter():
    return (
        select(NumberSequence.last_value)
        .where(NumberSequence.name == "followup", NumberSequence.year == 2026)
        .scalar_subquery()
    )


def test_a_part_waiting_longer_than_the_idle_limit_is_committed_with_the_rest(
    app, db, world, written
):
    """A clerk's step holds the first closed complaint (the leading part's)
    for longer than the jobs' idle-in-transaction limit: the helper, done
    and waiting idle meanwhile, is not cut off; every visit is written once
    and the numbers stay one gap-free series."""
    if written != "in parts":
        pytest.skip("about the parts")
    from app.services.core import db_limits

    # Long enough that the run's own steps, on a busy machine, never sit idle
    # that long between two statements; the clerk holds three times longer.
    app.config["JOB_IDLE_IN_TRANSACTION_TIMEOUT"] = 4
    expected = _expected(world)
    rule = world["rules"]["complaint-closed"].id
    first_case = min(
        int(key.split(":")[1])
        for key in expected
        if key.startswith("case:") and key.endswith(f":rule:{rule}")
    )
    held, release = threading.Event(), threading.Event()
    engine = db.engine

    def clerk() -> None:
        with engine.connect() as conn:
            conn.execute(
                text("SELECT 1 FROM service_case WHERE id = :id FOR UPDATE"),
                {"id": first_case},
            )
            held.set()
            release.wait(30)
            time.sleep(12)  # three times the idle limit
            conn.rollback()

    holder = threading.Thread(target=clerk)
    holder.start()
    assert held.wait(30)
    release.set()
    try:
        with db_limits.for_jobs():
            created = generation.generate(since=SINCE, moment=MOMENT)
    finally:
        holder.join(30)
    assert created == len(expected)
    visits = _visits(db)
    assert set(visits) == set(expected)
    numbers = sorted(int(v.number.rsplit("-", 1)[1]) for v in visits.values())
    assert numbers == list(range(1, len(expected) + 1))
