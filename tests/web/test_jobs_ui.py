"""Job monitoring for admins only, and the alert inbox (我的待办 / 预警)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.models import Notification, NotificationRecipient
from app.services import deadlines
from tests.factories import CaseFactory, user


@pytest.fixture
def dashboard_redis(app, monkeypatch):
    """Point rq-dashboard at an in-memory Redis holding one failed job."""
    import fakeredis
    import rq_dashboard.web
    from rq import Queue

    fake = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    monkeypatch.setattr(rq_dashboard.web, "from_url", lambda *a, **k: (None, fake))
    monkeypatch.setattr(app, "redis_conn", fake, raising=False)
    job = Queue("sla", connection=fake).enqueue(
        "app.jobs.tasks.check_deadlines", job_id="deadlines-broken"
    )
    job.set_status("failed")
    Queue("sla", connection=fake).failed_job_registry.add(
        job, exc_string="RuntimeError: database exploded"
    )
    return fake


@pytest.mark.parametrize("username", ["cs", "manager", "ops"])
def test_dashboard_is_forbidden_without_the_admin_permission(
    login, username, dashboard_redis
):
    browser = login(username)
    assert browser.get("/admin/rq/").status_code == 403
    assert browser.get("/admin/rq/0/data/queues.json").status_code == 403


def test_dashboard_needs_a_login(client, dashboard_redis):
    response = client.get("/admin/rq/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_sees_queues_and_the_failed_job(login, dashboard_redis):
    browser = login("admin")
    assert browser.get("/admin/rq/").status_code == 200
    failed = browser.get("/admin/rq/0/data/jobs/sla/failed/8/asc/1.json")
    assert failed.status_code == 200
    assert "deadlines-broken" in failed.get_data(as_text=True)
    home = browser.get("/").get_data(as_text=True)
    assert "/admin/rq/" in home and "/jobrunview/list/" in home


def test_clerks_have_no_job_menu(login):
    home = login("cs").get("/").get_data(as_text=True)
    assert "/admin/rq/" not in home and "/jobrunview/list/" not in home


def test_inbox_lists_unread_first_and_opens_the_record(db, login):
    first, second = CaseFactory(), CaseFactory()
    deadlines.check_deadlines(
        max(first.response_due_at, second.response_due_at) + dt.timedelta(minutes=1)
    )
    cs = user("cs")
    older = db.session.scalars(
        select(Notification).where(
            Notification.record_id == first.id, Notification.level == "breached"
        )
    ).one()
    browser = login("cs")
    page = browser.get("/notificationview/list/").get_data(as_text=True)
    assert older.title in page and f"/notificationview/open/{older.id}" in page
    response = browser.get(f"/notificationview/open/{older.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/show/{first.id}")
    db.session.expire_all()
    delivery = db.session.scalars(
        select(NotificationRecipient).where(
            NotificationRecipient.notification_id == older.id,
            NotificationRecipient.user_id == cs.id,
        )
    ).one()
    assert delivery.read_at is not None
    page = browser.get("/notificationview/list/").get_data(as_text=True)
    unread = [
        n.title
        for n in db.session.scalars(
            select(Notification).where(Notification.id != older.id)
        )
    ]
    assert all(page.index(t) < page.index(older.title) for t in unread if t in page)
    assert browser.get(f"/cases/show/{first.id}").status_code == 200


def test_someone_elses_alert_does_not_open(db, login):
    case = CaseFactory()
    deadlines.check_deadlines(case.response_due_at + dt.timedelta(minutes=1))
    alert = db.session.scalars(select(Notification)).first()
    response = login("finance").get(f"/notificationview/open/{alert.id}")
    assert response.headers["Location"].endswith("/notificationview/list/")


def test_visit_is_recorded_from_its_screen(db, login):
    from app.models import Case, FollowUp
    from app.services import visits

    case = CaseFactory()
    case.status, case.closed_at = "closed", dt.datetime.now(dt.UTC)
    db.session.commit()
    visits.for_case(case.id)
    visit = db.session.scalars(select(FollowUp)).one()
    browser = login("cs")
    show = browser.get(f"/followups/show/{visit.id}").get_data(as_text=True)
    assert f"/followups/step/complete/{visit.id}" in show
    assert browser.get(f"/followups/step/complete/{visit.id}").status_code == 200
    response = browser.post(
        f"/followups/step/complete/{visit.id}",
        data={"outcome": "客户表示满意", "satisfaction": "5", "comment": ""},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert visit.status == "done"
    assert db.session.get(Case, case.id).status == "closed"
