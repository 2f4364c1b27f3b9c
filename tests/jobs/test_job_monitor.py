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
    from app.ui.errors import FORBIDDEN_MESSAGE

    browser = login(username)
    page = browser.get("/admin/rq/")
    assert page.status_code == 403
    assert "无权操作" in page.get_data(as_text=True)  # in words, in the layout
    data = browser.get("/admin/rq/0/data/queues.json")
    assert data.status_code == 403
    assert data.get_json() == {"message": str(FORBIDDEN_MESSAGE)}


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


def _failed_ids(fake):
    from rq import Queue

    return Queue("sla", connection=fake).failed_job_registry.get_job_ids()


def test_dashboard_changes_need_a_post_with_the_form_token(login, dashboard_redis):
    browser = login("admin")
    client = browser.client
    # Without the token: refused, nothing requeued or deleted.
    for url in (
        "/admin/rq/job/deadlines-broken/requeue",
        "/admin/rq/job/deadlines-broken/delete",
        "/admin/rq/requeue/sla",
        "/admin/rq/queue/sla/failed/empty",
    ):
        assert client.post(url).status_code == 400, url
    # "Requeue all" by GET (a link, an <img>): refused.
    assert client.get("/admin/rq/requeue/sla").status_code == 405
    assert _failed_ids(dashboard_redis) == ["deadlines-broken"]

    # The dashboard page hands its script the token; its POST is accepted.
    assert client.get("/admin/rq/0/view/jobs/sla/failed/8/asc/1").status_code == 200
    cookie = client.get_cookie("_csrf_token", path="/admin/rq")
    assert cookie is not None and not cookie.http_only
    done = client.post(
        "/admin/rq/job/deadlines-broken/requeue",
        headers={"X-CSRFToken": cookie.value},
    )
    assert done.status_code == 200 and done.get_json() == {"status": "OK"}
    assert _failed_ids(dashboard_redis) == []


def test_sign_out_is_post_only(login):
    browser = login("cs")
    assert browser.get("/logout/").status_code in (404, 405)
    assert browser.get("/").status_code == 200  # still signed in
    assert browser.post("/logout/").status_code == 302
    assert browser.get("/").status_code == 302  # signed out


@pytest.mark.browser
def test_admin_requeues_a_failed_job_from_the_dashboard(
    demo_db, person, dashboard_redis
):
    admin = person("admin")
    admin.open("/admin/rq/0/view/jobs/sla/failed/8/asc/1")
    admin.page.locator("tr[data-job-id='deadlines-broken']").wait_for()
    admin.click("Requeue All")
    admin.click("#confirmation-modal-yes")
    for _ in range(50):
        if not _failed_ids(dashboard_redis):
            break
        admin.page.wait_for_timeout(100)
    assert _failed_ids(dashboard_redis) == []
