"""Job monitoring (rq-dashboard) for admins only."""

from __future__ import annotations

import pytest


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
