"""Admin's screens take what a person types and refuse in words, changing
nothing: the work window times, a duplicate KPI target, the system account and
the pickup step log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.models import (
    AppUser,
    CustomerGrade,
    Department,
    KpiTarget,
    PickupLog,
    WorkWindow,
)
from app.security.access import SYSTEM_USERNAME
from tests.conftest import PASSWORD
from tests.factories import PickupFactory


def page(response) -> str:
    return response.get_data(as_text=True)


def windows(db, weekday: int) -> list[tuple[dt.time, dt.time]]:
    rows = db.session.query(WorkWindow).filter_by(weekday=weekday)
    return sorted((w.start_time, w.end_time) for w in rows)


# ------------------------------------------------------------ work windows
def test_work_window_takes_times_typed_as_hhmm_or_hh_mm(db, login):
    db.session.query(WorkWindow).filter_by(weekday=5).delete()
    db.session.commit()
    admin = login("admin")
    reply = admin.post(
        "/workwindowview/add",
        data={"weekday": "5", "start_time": "0830", "end_time": "12:00"},
    )
    assert reply.status_code == 302, page(reply)[:2000]
    reply = admin.post(
        "/workwindowview/add",
        data={"weekday": "5", "start_time": "13:00", "end_time": "1730"},
    )
    assert reply.status_code == 302
    db.session.expire_all()
    assert windows(db, 5) == [
        (dt.time(8, 30), dt.time(12, 0)),
        (dt.time(13, 0), dt.time(17, 30)),
    ]
    # The edit form shows them as HH:MM, with the hint in Chinese.
    window = db.session.query(WorkWindow).filter_by(weekday=5).first()
    text = page(admin.get(f"/workwindowview/edit/{window.id}"))
    assert 'value="08:30"' in text and "24 小时制" in text


def test_a_time_that_is_no_time_is_refused_in_words_and_kept(db, login):
    db.session.query(WorkWindow).filter_by(weekday=6).delete()
    db.session.commit()
    reply = login("admin").post(
        "/workwindowview/add",
        data={"weekday": "6", "start_time": "8点半", "end_time": "2400"},
    )
    text = page(reply)
    assert reply.status_code == 200
    assert "请输入时间，例如 08:30 或 0830。" in text
    assert 'value="8点半"' in text and 'value="2400"' in text
    db.session.expire_all()
    assert windows(db, 6) == []


# --------------------------------------------------------------- KPI targets
def _target_form(kpi: str, department: Department | None, percent: str) -> dict:
    return {
        "kpi": kpi,
        "department": str(department.id) if department else "",
        "target_percent": percent,
    }


def test_a_second_company_wide_target_of_a_kpi_is_a_field_message(db, login):
    existing = db.session.query(KpiTarget).filter_by(department_id=None).first()
    before = db.session.query(KpiTarget).count()
    reply = login("admin").post(
        "/kpitargetview/add", data=_target_form(existing.kpi, None, "77.5")
    )
    text = page(reply)
    assert reply.status_code == 200
    assert "该指标已有全公司目标值" in text
    assert 'value="77.5"' in text  # what was typed is kept
    assert db.session.query(KpiTarget).count() == before


def test_a_second_department_target_of_a_kpi_is_a_field_message(db, login):
    qc = db.session.query(Department).filter_by(code="qc").one()
    db.session.add(
        KpiTarget(kpi="complaint_timeliness", department=qc, target_percent=90)
    )
    db.session.commit()
    before = db.session.query(KpiTarget).count()
    admin = login("admin")
    reply = admin.post(
        "/kpitargetview/add",
        data=_target_form("complaint_timeliness", qc, "95"),
    )
    text = page(reply)
    assert reply.status_code == 200
    assert "该指标已有该部门的目标值" in text and "IntegrityError" not in text
    assert 'value="95"' in text
    assert db.session.query(KpiTarget).count() == before
    # Moving another department's target onto QC's is refused the same way.
    ops = db.session.query(Department).filter_by(code="ops").one()
    other = KpiTarget(kpi="complaint_timeliness", department=ops, target_percent=80)
    db.session.add(other)
    db.session.commit()
    reply = admin.post(
        f"/kpitargetview/edit/{other.id}",
        data=_target_form("complaint_timeliness", qc, "80"),
    )
    assert "该指标已有该部门的目标值" in page(reply)
    db.session.expire_all()
    assert db.session.get(KpiTarget, other.id).department_id == ops.id
    assert db.session.get(KpiTarget, other.id).target_percent == Decimal(80)


# ------------------------------------------------------------ system account
def test_the_system_account_is_not_on_the_user_screen(db, login):
    system = db.session.query(AppUser).filter_by(username=SYSTEM_USERNAME).one()
    admin = login("admin")
    listing = page(admin.get("/users/list/?psize_AppUserDBModelView=100"))
    assert ">admin<" in listing and f">{SYSTEM_USERNAME}<" not in listing
    for url in (f"/users/show/{system.id}", f"/users/edit/{system.id}"):
        assert admin.get(url).status_code == 404, url
    reply = admin.post(f"/users/edit/{system.id}", data={"first_name": "x"})
    assert reply.status_code == 404
    db.session.expire_all()
    assert db.session.get(AppUser, system.id).first_name == "系统"


def test_the_system_account_never_signs_in(app, db):
    sm = app.appbuilder.sm
    system = db.session.query(AppUser).filter_by(username=SYSTEM_USERNAME).one()
    sm.reset_password(system.id, PASSWORD)
    system.active = True
    db.session.commit()
    assert sm.auth_user_db(SYSTEM_USERNAME, PASSWORD) is None
    assert sm.auth_user_db("admin", PASSWORD) is not None


# ---------------------------------------------------------- pickup step log
def test_pickup_steps_are_read_only_and_named_by_their_pickup(db, login):
    pickup = PickupFactory()
    admin = login("admin")
    before = db.session.query(PickupLog).count()
    assert admin.get("/pickuplogview/add").status_code in (302, 403)
    reply = admin.post(
        "/pickuplogview/add",
        data={"pickup": str(pickup.id), "step": "schedule", "to_status": "requested"},
    )
    assert reply.status_code in (302, 403)
    assert db.session.query(PickupLog).count() == before
    log = PickupLog(
        pickup=pickup,
        user=db.session.query(AppUser).filter_by(username="admin").one(),
        step="schedule",
        to_status="scheduled",
    )
    assert repr(log) == f"{pickup.number} 排期并确认"


# ------------------------------------------------------------ unique values
def test_a_taken_value_is_told_once_and_kept(db, login):
    """FAB adds its unique check to the list a view gives; one shared list
    for the add and the edit form carried it twice."""
    before = db.session.query(CustomerGrade).count()
    reply = login("admin").post(
        "/customergradeview/add",
        data={"code": "Z", "name": "试用等级", "rank": "1", "active": "y"},
    )
    text = page(reply)
    assert reply.status_code == 200
    assert text.count("已经存在") == 1
    assert 'value="试用等级"' in text
    assert db.session.query(CustomerGrade).count() == before
