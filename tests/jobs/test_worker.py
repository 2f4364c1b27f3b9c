"""Jobs run by a real RQ worker in burst mode (fakeredis, or real Redis in CI)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from rq import Queue
from sqlalchemy import func, select

from app.jobs import SLA_QUEUE
from app.models import FollowUp, JobRun, Notification
from app.security.access import SYSTEM_USERNAME, acting_as
from app.services.cases.case_steps import CASE_FLOW
from app.services.clocks import deadline_check
from tests.factories import CaseFactory, user


def test_deadline_job_runs_in_a_worker_and_records_its_slot(
    db, queues, work, monkeypatch
):
    due = CaseFactory().response_due_at
    real = deadline_check.check_deadlines
    monkeypatch.setattr(
        deadline_check, "check_deadlines", lambda: real(due + dt.timedelta(minutes=1))
    )
    job = queues.enqueue(
        "app.jobs.tasks.check_deadlines", "20261124T0900", queue=SLA_QUEUE
    )
    work()
    assert job.get_status(refresh=True) == "finished"
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 2
    run = db.session.scalars(select(JobRun)).one()
    assert (run.job, run.slot, run.status, run.items) == (
        "deadlines",
        "20261124T0900",
        "done",
        2,
    )
    # The same slot again (a second cron process, a requeue) does nothing.
    queues.enqueue("app.jobs.tasks.check_deadlines", "20261124T0900", queue=SLA_QUEUE)
    work()
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 1


def test_failing_job_is_in_the_failed_registry_and_the_log(
    db, queues, work, monkeypatch, caplog, redis_conn
):
    def broken() -> None:
        raise RuntimeError("database exploded")

    monkeypatch.setattr(deadline_check, "check_deadlines", broken)
    job = queues.enqueue(
        "app.jobs.tasks.check_deadlines", "20261124T0905", queue=SLA_QUEUE
    )
    with caplog.at_level(logging.ERROR):
        work()
    assert job.id in Queue(SLA_QUEUE, connection=redis_conn).failed_job_registry
    assert any(
        "database exploded" in (r.exc_text or "")
        and "app.jobs.tasks.check_deadlines" in r.getMessage()
        for r in caplog.records
    )
    run = db.session.scalars(select(JobRun)).one()
    assert run.status == "failed" and "database exploded" in run.message


def test_closing_a_complaint_enqueues_its_follow_up(db, queues, work):
    case = CaseFactory()
    cs = user("cs")
    with acting_as(cs):
        for step, data in (
            ("acknowledge", {"content": "已联系客户"}),
            ("assign", {"department": str(case.department_id), "owner": str(cs.id)}),
            ("start", {}),
        ):
            CASE_FLOW.run(case, step, data, cs)
        case.solution = "补发货物并致歉"
        case.findings, case.root_cause = "核对发货记录", "漏发一件"
        case.responsibility = "company"
        CASE_FLOW.run(case, "submit", {"result": "已补发"}, cs)
        CASE_FLOW.run(case, "review", {}, cs)
        CASE_FLOW.run(case, "close", {"satisfaction": 4, "content": "已反馈"}, cs)
    queued = [
        job.func_name for job in Queue("default", connection=queues.connection).jobs
    ]
    # one follow-up job; the customer's notices of each step have their own
    assert queued.count("app.jobs.tasks.followups_for_case") == 1
    assert set(queued) <= {
        "app.jobs.tasks.followups_for_case",
        "app.jobs.notices.deliver_customer_notices",
    }
    work()
    visit = db.session.scalars(select(FollowUp)).one()
    assert visit.case_id == case.id and visit.source == "case"
    assert visit.created_by.username == SYSTEM_USERNAME  # never a NULL actor
    assert visit.assignee.username == "cs"  # the first-ask owner


@pytest.mark.parametrize("kind", ["incident"])
def test_incident_goes_to_management_when_opened(db, queues, work, kind):
    case = CaseFactory(kind=kind, severity="urgent")
    work()
    db.session.expire_all()
    assert case.escalation_level == 2
    alert = db.session.scalars(
        select(Notification).where(
            Notification.record_id == case.id, Notification.clock == "opened"
        )
    ).one()
    assert alert.level == "management"
    assert "manager" in {r.user.username for r in alert.recipients}
