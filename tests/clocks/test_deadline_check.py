"""The deadline check: marks clocks, raises each alert once, escalates by level."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from app.models import (
    CaseCategory,
    FollowUp,
    ImprovementAction,
    Notification,
    NotificationRecipient,
    Pickup,
    Setting,
    now,
)
from app.services.cases.case_steps import reopen_case
from app.services.clocks import deadline_check
from app.services.reference import standards
from tests.factories import (
    CaseFactory,
    FollowUpFactory,
    ImprovementActionFactory,
    PickupFactory,
    by_code,
    user,
)

MINUTE = dt.timedelta(minutes=1)
GRACE = dt.timedelta(hours=4)


def alerts(
    db: Any, record_type: str, record_id: int
) -> dict[tuple[str, str, int], set[str]]:
    """(clock, level, cycle) -> usernames of the recipients."""
    from app.models import AppUser

    rows = db.session.execute(
        select(
            Notification.clock, Notification.level, Notification.cycle, AppUser.username
        )
        .join(
            NotificationRecipient,
            NotificationRecipient.notification_id == Notification.id,
        )
        .join(AppUser, AppUser.id == NotificationRecipient.user_id)
        .where(
            Notification.record_type == record_type, Notification.record_id == record_id
        )
    ).all()
    found: dict[tuple[str, str, int], set[str]] = {}
    for clock, level, cycle, username in rows:
        found.setdefault((clock, level, cycle), set()).add(username)
    return found


def count(db: Any, model: Any = Notification) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_case_goes_at_risk_breached_then_to_management_each_alert_once(db):
    case = CaseFactory(category=by_code(CaseCategory, "quality"))  # routed to QC
    risk, due = case.response_risk_at, case.response_due_at

    deadline_check.check_deadlines(risk + MINUTE)
    db.session.expire_all()
    assert case.response_state == "at_risk"
    assert alerts(db, "case", case.id) == {("response", "at_risk", 0): {"cs"}}

    deadline_check.check_deadlines(due + MINUTE)
    db.session.expire_all()
    assert case.response_state == "breached"
    assert case.escalation_level == 1
    found = alerts(db, "case", case.id)
    assert found[("response", "breached", 0)] == {"cs"}  # owner = first-ask owner
    assert found[("response", "escalated", 0)] == {"qc"}  # head of QC
    assert ("response", "management", 0) not in found

    deadline_check.check_deadlines(due + GRACE + MINUTE)
    db.session.expire_all()
    assert case.escalation_level == 2
    management = alerts(db, "case", case.id)[("response", "management", 0)]
    assert "manager" in management and "cs" not in management

    total = count(db)
    again = deadline_check.check_deadlines(due + GRACE + 2 * MINUTE)
    assert again.total_raised == 0
    assert count(db) == total


def test_major_complaint_goes_to_management_at_breach(db):
    case = CaseFactory(severity="major")
    deadline_check.check_deadlines(case.response_due_at + MINUTE)
    found = alerts(db, "case", case.id)
    assert ("response", "at_risk", 0) not in found  # skipped straight to breach
    assert "manager" in found[("response", "management", 0)]


def test_breach_marked_by_a_clerks_step_is_still_alerted(db):
    case = CaseFactory()
    db.session.execute(
        update(case.__class__)
        .where(case.__class__.id == case.id)
        .values(response_state="breached")
    )
    db.session.commit()
    deadline_check.check_deadlines(case.response_due_at + MINUTE)
    assert ("response", "breached", 0) in alerts(db, "case", case.id)


def test_paused_resolution_clock_is_left_alone(db):
    case = CaseFactory()
    case.responded_at = case.received_at
    case.response_state = "met"
    case.paused_since = case.received_at
    case.resolution_state = "paused"
    db.session.commit()
    deadline_check.check_deadlines(case.resolution_due_at + GRACE + MINUTE)
    db.session.expire_all()
    assert case.resolution_state == "paused"
    assert alerts(db, "case", case.id) == {}


def test_reopened_case_gets_alerts_of_its_new_cycle(db):
    case = CaseFactory()
    case.responded_at = case.received_at
    case.response_state = "met"
    db.session.commit()
    first_due = case.resolution_due_at
    deadline_check.check_deadlines(first_due + MINUTE)
    assert ("resolution", "breached", 0) in alerts(db, "case", case.id)
    reopen_case(case)
    db.session.commit()
    assert case.resolution_cycle == 1
    deadline_check.check_deadlines(case.resolution_due_at + MINUTE)
    found = alerts(db, "case", case.id)
    assert ("resolution", "breached", 1) in found
    assert ("resolution", "escalated", 1) in found


def test_pickup_confirmation_and_arrival(db):
    pickup = PickupFactory(_as="ops")
    deadline_check.check_deadlines(pickup.confirm_due_at + MINUTE)
    db.session.expire_all()
    assert pickup.confirm_state == "breached"
    found = alerts(db, "pickup", pickup.id)
    assert found[("confirm", "breached", 0)] == {"ops", "ops2"}  # no owner: the dept
    assert found[("confirm", "escalated", 0)] == {"ops"}

    start = pickup.confirm_due_at + dt.timedelta(hours=1)
    db.session.execute(
        update(Pickup)
        .where(Pickup.id == pickup.id)
        .values(
            status="scheduled",
            confirmed_at=pickup.received_at,
            confirm_state="met",
            window_start=start,
            window_end=start + dt.timedelta(hours=2),
        )
    )
    db.session.commit()
    deadline_check.check_deadlines(start + dt.timedelta(hours=2) + MINUTE)
    db.session.expire_all()
    assert pickup.arrival_state == "breached"
    assert ("arrival", "breached", 0) in alerts(db, "pickup", pickup.id)


def test_followup_goes_overdue_and_escalates(db):
    visit = FollowUpFactory()
    assert visit.risk_at is not None and visit.risk_at < visit.due_at
    deadline_check.check_deadlines(visit.risk_at + MINUTE)
    db.session.expire_all()
    assert (visit.due_state, visit.status) == ("at_risk", "planned")
    deadline_check.check_deadlines(visit.due_at + MINUTE)
    db.session.expire_all()
    assert (visit.due_state, visit.status) == ("breached", "overdue")
    deadline_check.check_deadlines(visit.due_at + GRACE + MINUTE)
    found = alerts(db, "followup", visit.id)
    assert found[("due", "breached", 0)] == {"cs"}
    assert "manager" in found[("due", "management", 0)]


def test_improvement_action_due(db):
    action = ImprovementActionFactory()
    deadline_check.check_deadlines(action.due_at + MINUTE)
    db.session.expire_all()
    assert action.due_state == "breached"
    assert ("due", "breached", 0) in alerts(db, "action", action.id)


def due_now(db: Any, moment: dt.datetime) -> list[tuple[int, int]]:
    """What an idle check would read: (kind, id) of the rows whose look came."""
    rows = db.session.execute(
        deadline_check._due_query(),
        {"moment": moment, "policies": deadline_check._immediate_policies()},
    ).all()
    db.session.rollback()
    return [tuple(r) for r in rows]


def test_each_check_moves_the_next_look_to_when_something_can_happen(db):
    visit = FollowUpFactory()
    look = lambda: db.session.scalar(  # noqa: E731
        select(FollowUp.next_check_at).where(FollowUp.id == visit.id)
    )
    assert look() == visit.risk_at  # set by the trigger at insert
    deadline_check.check_deadlines(visit.risk_at + MINUTE)
    assert look() == visit.due_at  # at risk: next is the breach
    assert due_now(db, visit.due_at - MINUTE) == []  # idle until then
    deadline_check.check_deadlines(visit.due_at + MINUTE)
    assert look() == visit.due_at + GRACE  # breached: next is Management
    assert due_now(db, visit.due_at + GRACE - MINUTE) == []
    deadline_check.check_deadlines(visit.due_at + GRACE + MINUTE)
    assert look() is None  # nothing more can happen to this visit
    assert due_now(db, visit.due_at + 100 * GRACE) == []


def test_a_change_by_any_path_brings_the_look_back(db):
    visit = FollowUpFactory()
    deadline_check.check_deadlines(visit.due_at + GRACE + MINUTE)
    assert count(db) == 3
    # Bare SQL (no ORM, no service) gives the visit a new, later deadline:
    # the trigger brings its look back to the new risk instant.
    later = visit.due_at + dt.timedelta(days=10)
    db.session.execute(
        update(FollowUp)
        .where(FollowUp.id == visit.id)
        .values(due_state="running", status="planned", risk_at=later, due_at=later)
    )
    db.session.commit()
    assert due_now(db, later + MINUTE) == [(2, visit.id)]
    deadline_check.check_deadlines(later + MINUTE)
    db.session.expire_all()
    assert (visit.due_state, visit.status) == ("breached", "overdue")
    # A closed visit is never looked at again.
    db.session.execute(
        update(FollowUp).where(FollowUp.id == visit.id).values(status="done")
    )
    db.session.commit()
    assert due_now(db, later + 100 * GRACE) == []


def test_a_shorter_grace_reaches_breached_records_already_waiting(db):
    visit = FollowUpFactory()
    deadline_check.check_deadlines(visit.due_at + MINUTE)
    setting = db.session.scalars(
        select(Setting).filter_by(key="escalation.grace_hours")
    ).one()
    # Proposed by the admin, in force once Management approves it.
    values = standards.values_of(standards.SUBJECTS["setting"], setting)
    values["value"] = "1"
    change = standards.propose(
        "setting", setting, values, now().date(), "提前升级", user("admin")
    )
    standards.approve(change, user("manager"))
    deadline_check.check_deadlines(visit.due_at + dt.timedelta(hours=1, minutes=1))
    assert "manager" in alerts(db, "followup", visit.id)[("due", "management", 0)]


def test_small_batches_cover_everything(db):
    cases = [CaseFactory() for _ in range(7)]
    moment = max(c.response_due_at for c in cases) + MINUTE
    result = deadline_check.check_deadlines(moment, batch=3)
    assert result.marked["case"] == 7
    assert count(db) == 7 * 2  # breached + escalated


def test_two_sweeps_at_once_raise_nothing_twice(app, db):
    """Two sweeps in two threads, each with its own session and connection."""
    cases = [CaseFactory() for _ in range(12)]
    visits = [FollowUpFactory() for _ in range(5)]
    moment = (
        max([c.response_due_at for c in cases] + [v.due_at for v in visits])
        + GRACE
        + MINUTE
    )
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            with app.app_context():
                start.wait()
                deadline_check.check_deadlines(moment, batch=4)
                from app.extensions import db as _db

                _db.session.remove()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    # breached + escalated + management per case and per visit, once each.
    assert count(db) == (12 + 5) * 3
    pairs = db.session.execute(
        select(NotificationRecipient.notification_id, NotificationRecipient.user_id)
    ).all()
    assert len(pairs) == len(set(pairs))
    assert (
        db.session.execute(
            select(func.count())
            .select_from(FollowUp)
            .where(FollowUp.status == "overdue")
        ).scalar_one()
        == 5
    )
    assert (
        db.session.execute(
            select(func.count()).select_from(ImprovementAction)
        ).scalar_one()
        == 0
    )


def test_check_reads_the_next_looks_without_bitmap_scans(db):
    """PostgreSQL: the check's read walks the next-look index entry by entry
    (marking the entries of looks it moved, dead until VACUUM, so the next
    idle check skips them); the setting ends with the read's transaction."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("planner settings are PostgreSQL's")

    def bitmap_scans() -> str:
        return db.session.execute(text("SHOW enable_bitmapscan")).scalar()

    assert bitmap_scans() == "on"
    db.session.rollback()
    deadline_check._immediate_policies()
    assert bitmap_scans() == "off"
    db.session.rollback()
    assert bitmap_scans() == "on"
    db.session.rollback()
    deadline_check.check_deadlines()
    assert bitmap_scans() == "on"  # the pooled connection is as it was


@pytest.mark.parametrize("brought", ["none", "wrong", "right"])
def test_an_insert_by_bare_sql_gets_its_next_look_whatever_it_brings(db, brought):
    """The insert trigger calls its function only when the row's next look
    is not the right one (set-based inserts bring it): a row inserted with
    none, or a wrong one, still gets its risk instant."""
    visit = FollowUpFactory()
    table = FollowUp.__table__
    row = {
        c.name: getattr(visit, c.key)
        for c in table.columns
        if c.name not in ("id", "number", "source_key", "next_check_at")
    }
    row["number"] = "HF-2026-999999"
    row["next_check_at"] = {
        "none": None,
        "wrong": visit.risk_at + dt.timedelta(days=30),
        "right": visit.risk_at,
    }[brought]
    new_id = db.session.execute(table.insert().values(**row).returning(table.c.id))
    new_id = new_id.scalar_one()
    db.session.commit()
    look = db.session.scalar(
        select(FollowUp.next_check_at).where(FollowUp.id == new_id)
    )
    assert look == visit.risk_at
    assert (2, new_id) in due_now(db, visit.risk_at + MINUTE)


def test_the_migration_installs_the_next_look_triggers_the_module_writes():
    """The latest trigger migration holds a copy of the SQL at its revision."""
    import importlib.util
    from pathlib import Path

    versions = Path(__file__).resolve().parents[2] / "migrations" / "versions"
    path = next(versions.glob("a7c9e1f3b5d8_*.py"))
    spec = importlib.util.spec_from_file_location("next_look_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    written = deadline_check.trigger_sql("postgresql")
    assert [s for s in written if s.startswith("CREATE TRIGGER")] == migration.TRIGGERS
