"""Management is told of a new major complaint and of a solution waiting for its
approval, on every path that saves a case, and has a queue of approvals
(seed 001 §5)."""

from __future__ import annotations

from sqlalchemy import select

from app.models import Case, Notification, NotificationRecipient
from app.services.cases import approvals
from tests.cases.test_classification import in_progress, put, reload, run, step
from tests.factories import CaseFactory, user


def management_alerts(db, case: Case, clock: str) -> list[Notification]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Notification)
            .where(
                Notification.record_type == "case",
                Notification.record_id == case.id,
                Notification.clock == clock,
            )
            .order_by(Notification.id)
        )
    )


def management() -> set[str]:
    """Holders of the escalation right: Management (and the Admin, who holds all)."""
    return {"manager", "admin"}


def recipients(db, alert: Notification) -> set[str]:
    rows = db.session.scalars(
        select(NotificationRecipient).where(
            NotificationRecipient.notification_id == alert.id
        )
    )
    return {row.user.username for row in rows}


def queue(db) -> list[int]:
    return list(db.session.scalars(select(Case.id).where(approvals.waiting_clause())))


def test_a_new_major_complaint_alerts_management_once(db, api):
    general = CaseFactory(severity="general")
    major = CaseFactory(severity="major")
    assert management_alerts(db, general, "major") == []
    [alert] = management_alerts(db, major, "major")
    assert alert.level == "management" and major.number in alert.title
    assert recipients(db, alert) == management()
    # Further saves of the case raise nothing more.
    assert put(api("cs"), major, description="客户补充了照片。").status_code == 200
    assert len(management_alerts(db, major, "major")) == 1


def test_a_complaint_raised_to_major_by_the_api_alerts_management(db, api):
    case = CaseFactory(severity="general")
    answer = put(api("cs"), case, severity="major")  # before acknowledgement
    assert answer.status_code == 200, answer.get_json()
    [alert] = management_alerts(db, case, "major")
    assert recipients(db, alert) == management()


def test_a_solution_waiting_for_approval_alerts_and_queues_until_approved(db, api):
    case = in_progress("major")
    assert management_alerts(db, case, "approval") == []
    assert queue(db) == []
    # The handler writes the solution through the API (the edit form's path).
    answer = put(api("ops"), case, solution="更换批次并赔偿停机损失")
    assert answer.status_code == 200, answer.get_json()
    [first] = management_alerts(db, case, "approval")
    assert recipients(db, first) == management()
    assert queue(db) == [case.id]
    # Rewording it while it waits raises nothing new.
    put(api("ops"), reload(db, case), solution="更换批次，赔偿停机损失两天")
    assert len(management_alerts(db, case, "approval")) == 1

    answer = step(api("manager"), reload(db, case), "approve", note="同意")
    assert answer.status_code == 200, answer.get_json()
    assert queue(db) == []
    # A solution changed after approval voids it: waiting again, told again.
    put(api("ops"), reload(db, case), solution="改为退货并赔偿")
    assert reload(db, case).solution_approved_at is None
    alerts = management_alerts(db, case, "approval")
    assert [a.cycle for a in alerts] == [0, 1]
    assert queue(db) == [case.id]


def test_general_complaints_and_unwritten_solutions_are_not_queued(db):
    general = in_progress("general")
    general.solution = "补发"
    major = in_progress("major")  # no solution yet
    db.session.commit()
    assert queue(db) == []
    assert management_alerts(db, general, "approval") == []
    assert management_alerts(db, major, "approval") == []


def test_the_queue_screen_is_management_s_and_opens_the_case(db, login):
    case = in_progress("major")
    case.solution = "更换批次并赔偿停机损失"
    db.session.commit()
    other = in_progress("major")  # still without a solution
    manager = login("manager")
    page = manager.get("/approvals/list/").get_data(as_text=True)
    assert case.number in page and other.number not in page
    opened = manager.get(f"/approvals/show/{case.id}")
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/cases/show/{case.id}")
    clerk = login("cs").get("/approvals/list/")
    assert clerk.status_code in (302, 403)
    assert case.number not in clerk.get_data(as_text=True)


def test_approving_from_the_step_keeps_the_rule(db):
    """The queue only lists; the approval itself stays the workflow step."""
    case = in_progress("major")
    case.solution = "更换批次并赔偿停机损失"
    db.session.commit()
    run(case, "approve", "manager", note="同意")
    assert reload(db, case).solution_approved_by_id == user("manager").id
    assert queue(db) == []
