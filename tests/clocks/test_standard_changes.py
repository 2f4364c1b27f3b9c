"""Service-standard changes (seed 000 §2(六)1): an admin proposes, a
Management user other than the proposer approves, the change holds from its
effective date.

The deadlines are checked against a count of working days written out here
(SPEC §2 counting rules: "N working days" end at the close, 17:30, of the
N-th working day after the day of receipt); March 2026 has no holiday and no
make-up day, which the tests check first.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from app.jobs import tasks
from app.models import (
    BUSINESS_TZ,
    CalendarDay,
    Case,
    KpiTarget,
    Setting,
    SlaPolicy,
    StandardChange,
    now,
)
from app.models.base import clock_at
from app.services.clocks import record_clocks
from app.services.core.errors import Conflict, InvalidInput, NotAllowed
from app.services.reference import standards
from tests.conftest import PASSWORD
from tests.factories import CaseFactory, user


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BUSINESS_TZ)


def close_of_nth_working_day(received: dt.datetime, n: int) -> dt.datetime:
    """Mon-Fri, no holidays: the close of the n-th working day after receipt."""
    day, counted = received.date(), 0
    while counted < n:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            counted += 1
    return dt.datetime.combine(day, dt.time(17, 30), BUSINESS_TZ)


@pytest.fixture
def quiet_march(db):
    """March 2026 has no entry that changes Mon-Fri working days
    (weekends may be listed as days off)."""
    days = db.session.scalars(
        select(CalendarDay).where(
            CalendarDay.day >= dt.date(2026, 3, 1),
            CalendarDay.day <= dt.date(2026, 3, 31),
        )
    ).all()
    assert all(d.kind == "holiday" and d.day.weekday() >= 5 for d in days)


def general_complaints(db) -> SlaPolicy:
    return db.session.scalars(
        select(SlaPolicy).where(
            SlaPolicy.kind == "complaint",
            SlaPolicy.severity == "general",
            SlaPolicy.customer_type_id.is_(None),
            SlaPolicy.customer_grade_id.is_(None),
            SlaPolicy.valid_to.is_(None),
        )
    ).one()


def propose_five_days(db, effective_on: dt.date, applies_to_open: bool = False):
    policy = general_complaints(db)
    values = standards.values_of(standards.SUBJECTS["sla_policy"], policy)
    assert values["resolution_amount"] == 7
    values["resolution_amount"] = 5
    return standards.propose(
        "sla_policy",
        policy,
        values,
        effective_on,
        "2026年服务承诺：一般投诉5个工作日办结",
        user("admin"),
        applies_to_open=applies_to_open,
    )


def complaint(received: dt.datetime) -> Case:
    with clock_at(received):
        return CaseFactory(kind="complaint", severity="general", received_at=received)


def test_a_change_approved_for_a_later_date_holds_for_cases_received_after_it(
    db, runner, quiet_march
):
    before = complaint(at("2026-03-09 10:00"))
    assert before.resolution_due_at == close_of_nth_working_day(before.received_at, 7)
    with clock_at(at("2026-03-10 09:00")):
        change = propose_five_days(db, dt.date(2026, 3, 16))
        # Proposed only: nothing is in force yet.
        assert change.status == "pending"
        assert record_clocks.due_times(
            "complaint", "general", at("2026-03-18 10:00")
        ).resolution.due == close_of_nth_working_day(at("2026-03-18 10:00"), 7)
        standards.approve(change, user("manager"), "同意")
    assert change.status == "approved"
    assert change.in_force_from == at("2026-03-16 00:00")
    version = db.session.get(SlaPolicy, change.version_id)
    monday = at("2026-03-16 00:00")
    assert (version.resolution_amount, version.valid_from) == (5, monday)
    assert db.session.get(SlaPolicy, change.record_id).valid_to == monday

    # Cases received before the date keep 7 working days, also when their
    # clocks are recomputed later; those received from it get 5.
    late_registered = complaint(at("2026-03-13 16:00"))
    after = complaint(at("2026-03-18 10:00"))
    with clock_at(at("2026-03-17 09:00")):
        record_clocks.recompute_case(before)
        db.session.commit()
    for case, days in ((before, 7), (late_registered, 7), (after, 5)):
        db.session.expire_all()
        saved = db.session.get(Case, case.id)
        assert saved.resolution_due_at == close_of_nth_working_day(
            saved.received_at, days
        ), (case.received_at, days)
    assert db.session.get(Case, after.id).sla_policy_id == version.id
    assert db.session.get(Case, before.id).sla_policy_id == change.record_id

    # `flask sla due` answers by the instant of receipt.
    for received, days in (("2026-03-13T10:00", 7), ("2026-03-18T10:00", 5)):
        result = runner.invoke(args=["sla", "due", "complaint", "general", received])
        assert result.exit_code == 0, result.output
        due = close_of_nth_working_day(at(received.replace("T", " ")), days)
        assert result.output.splitlines()[-1] == f"resolution: {due.isoformat()}"


def test_a_change_for_open_cases_too_moves_them_when_it_takes_effect(db, quiet_march):
    open_case = complaint(at("2026-03-09 10:00"))
    closed = complaint(at("2026-03-09 11:00"))
    with clock_at(at("2026-03-11 12:00")):
        record_clocks.resolve(closed)
        closed.status = "closed"
        db.session.commit()
    with clock_at(at("2026-03-12 09:00")):
        change = propose_five_days(db, dt.date(2026, 3, 16), applies_to_open=True)
        standards.approve(change, user("manager"))
    db.session.expire_all()
    # Not yet: the date has not come.
    assert db.session.get(Case, open_case.id).resolution_due_at == (
        close_of_nth_working_day(at("2026-03-09 10:00"), 7)
    )
    with clock_at(at("2026-03-16 00:05")):
        tasks.check_deadlines()
    db.session.expire_all()
    assert db.session.get(StandardChange, change.id).status == "effective"
    assert db.session.get(Case, open_case.id).resolution_due_at == (
        close_of_nth_working_day(at("2026-03-09 10:00"), 5)
    )
    assert db.session.get(Case, closed.id).resolution_due_at == (
        close_of_nth_working_day(at("2026-03-09 11:00"), 7)
    )


@pytest.fixture
def chief(db):
    """A manager who also administers the standards (both roles)."""
    sm = current_app.appbuilder.sm
    roles = [sm.find_role("Admin"), sm.find_role("Management")]
    made = sm.add_user(
        "wangzong", "总", "王", "wangzong@example.cn", roles, password=PASSWORD
    )
    assert made
    db.session.commit()
    return made


def test_nobody_approves_their_own_proposal_and_only_management_decides(db, chief):
    with force_locale("zh"):
        _refusals(db, chief)


def _refusals(db, chief) -> None:
    policy = general_complaints(db)
    values = standards.values_of(standards.SUBJECTS["sla_policy"], policy)
    values["response_amount"] = 12
    today = now().date()
    change = standards.propose(
        "sla_policy", policy, values, today, "缩短响应时限", chief
    )
    with pytest.raises(NotAllowed, match="自己"):
        standards.approve(change, chief)
    with pytest.raises(NotAllowed, match="管理层"):
        standards.approve(change, user("admin"))
    with pytest.raises(NotAllowed, match="管理层"):
        standards.reject(change, user("cs"), "不同意")
    with pytest.raises(InvalidInput):
        standards.reject(change, user("manager"), " ")
    db.session.rollback()
    assert db.session.get(StandardChange, change.id).status == "pending"
    assert general_complaints(db).response_amount == 24
    standards.reject(change, user("manager"), "响应时限暂不调整")
    with pytest.raises(Conflict):
        standards.approve(change, user("manager"))
    db.session.rollback()
    assert general_complaints(db).id == policy.id  # no new version
    assert general_complaints(db).response_amount == 24
    # A manager does not propose; nor does anyone with nothing changed or
    # with a date in the past.
    with pytest.raises(NotAllowed):
        standards.propose("sla_policy", policy, values, today, "x", user("manager"))
    unchanged = standards.values_of(standards.SUBJECTS["sla_policy"], policy)
    with pytest.raises(InvalidInput, match="改动"):
        standards.propose("sla_policy", policy, unchanged, today, "x", user("admin"))
    with pytest.raises(InvalidInput, match="今天"):
        standards.propose(
            "sla_policy",
            policy,
            values,
            today - dt.timedelta(days=1),
            "x",
            user("admin"),
        )


def test_the_decision_screen_refuses_the_proposer_and_the_admin(db, chief, login):
    policy = general_complaints(db)
    values = standards.values_of(standards.SUBJECTS["sla_policy"], policy)
    values["resolution_amount"] = 3
    change = standards.propose(
        "sla_policy", policy, values, now().date(), "缩短办结时限", chief
    )
    for who in ("wangzong", "admin"):
        reply = login(who).post(
            f"/standardchanges/step/approve/{change.id}", data={"note": "同意"}
        )
        assert reply.status_code == 403
    db.session.expire_all()
    assert db.session.get(StandardChange, change.id).status == "pending"
    assert general_complaints(db).resolution_amount == 7
    reply = login("manager").post(
        f"/standardchanges/step/approve/{change.id}", data={"note": "同意"}
    )
    assert reply.status_code == 302
    db.session.expire_all()
    assert db.session.get(StandardChange, change.id).status == "effective"
    assert general_complaints(db).resolution_amount == 3


def test_kpi_target_and_escalation_setting_change_on_their_date(db):
    target = db.session.scalars(
        select(KpiTarget).where(KpiTarget.department_id.is_(None))
    ).first()
    grace = db.session.scalars(
        select(Setting).where(Setting.key == "escalation.grace_hours")
    ).one()
    old_percent, old_grace = target.target_percent, grace.value
    with clock_at(at("2026-03-10 09:00")):
        kpi_values = standards.values_of(standards.SUBJECTS["kpi_target"], target)
        kpi_values["target_percent"] = "97.5"
        kpi = standards.propose(
            "kpi_target",
            target,
            kpi_values,
            dt.date(2026, 4, 1),
            "二季度起提高目标",
            user("admin"),
        )
        setting_values = standards.values_of(standards.SUBJECTS["setting"], grace)
        setting_values["value"] = "2"
        setting = standards.propose(
            "setting",
            grace,
            setting_values,
            dt.date(2026, 4, 1),
            "超时2小时即升级管理层",
            user("admin"),
        )
        for change in (kpi, setting):
            standards.approve(change, user("manager"))
    db.session.expire_all()
    assert db.session.get(KpiTarget, target.id).target_percent == old_percent
    assert db.session.get(Setting, grace.id).value == old_grace
    with clock_at(at("2026-04-01 00:05")):
        tasks.check_deadlines()
        tasks.check_deadlines()  # twice: nothing more happens
    db.session.expire_all()
    assert db.session.get(KpiTarget, target.id).target_percent == Decimal("97.5")
    assert db.session.get(Setting, grace.id).value == "2"
    history = db.session.get(StandardChange, kpi.id)
    assert history.status == "effective"
    assert Decimal(history.previous["target_percent"]) == old_percent
    assert standards.changed_fields(history) == ["target_percent"]
    assert history.proposed_by_id == user("admin").id
    assert history.decided_by_id == user("manager").id


def test_direct_edits_of_standards_change_nothing_in_force(db, login, api):
    """The generic edit, add and delete screens and the API, as an admin: no
    standard changes without approval."""
    policy = general_complaints(db)
    grace = db.session.scalars(
        select(Setting).where(Setting.key == "escalation.grace_hours")
    ).one()
    admin = login("admin")
    tomorrow = (now().date() + dt.timedelta(days=1)).isoformat()
    admin.post(
        f"/slapolicyview/edit/{policy.id}",
        data={
            "name": "一般投诉",
            "kind": "complaint",
            "severity": "general",
            "response_amount": "24",
            "response_unit": "calendar_hours",
            "resolution_amount": "3",
            "resolution_unit": "working_days",
            "active": "y",
            "effective_on": tomorrow,
            "change_reason": "缩短办结时限",
        },
    )
    admin.post(f"/slapolicyview/delete/{policy.id}")
    admin.post(
        f"/settingview/edit/{grace.id}",
        data={
            "key": grace.key,
            "value": "1",
            "description": grace.description,
            "effective_on": tomorrow,
            "change_reason": "提前升级",
        },
    )
    admin.post(f"/settingview/delete/{grace.id}")
    # No REST resource writes the standards.
    client = api("admin")
    assert client.put(f"/api/v1/slapolicy/{policy.id}", json={}).status_code == 404
    db.session.expire_all()
    versions = db.session.scalars(
        select(SlaPolicy).where(
            SlaPolicy.kind == "complaint", SlaPolicy.severity == "general"
        )
    ).all()
    assert [(v.id, v.resolution_amount, v.active) for v in versions] == [
        (policy.id, 7, True)
    ]
    assert db.session.get(Setting, grace.id).value == "4"
    # The edits became proposals waiting for Management.
    pending = db.session.scalars(
        select(StandardChange).where(StandardChange.status == "pending")
    ).all()
    assert sorted((c.subject, c.record_id) for c in pending) == [
        ("setting", grace.id),
        ("sla_policy", policy.id),
    ]
    assert record_clocks.due_times(
        "complaint", "general", at("2026-03-09 10:00")
    ).resolution.due == close_of_nth_working_day(at("2026-03-09 10:00"), 7)
