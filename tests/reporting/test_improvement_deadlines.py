"""Improvement-action deadlines raise notifications through the deadline check."""

from __future__ import annotations

import datetime as dt

import pytest

from app.models import Notification, NotificationRecipient
from app.security.access import acting_as
from app.services.clocks.deadline_check import check_deadlines
from app.services.core import records
from app.services.core.errors import InvalidInput
from tests.factories import ImprovementActionFactory

DAY = dt.timedelta(days=1)
MINUTE = dt.timedelta(minutes=1)


def check_improvement_actions(moment: dt.datetime) -> int:
    """The deadline check's alerts about improvement actions in one sweep."""
    return check_deadlines(moment).raised["action"]


def _alerts(db, action):
    rows = (
        db.session.query(Notification)
        .filter_by(record_type="action", record_id=action.id)
        .order_by(Notification.id)
        .all()
    )
    return [(n.clock, n.level, sorted(r.user_id for r in n.recipients)) for n in rows]


@pytest.fixture
def action(db, users):
    """Due in 10 days, owned by ops2 in Operations (head: ops)."""
    return ImprovementActionFactory(
        _as="manager",
        department=users["ops"].department,
        owner=users["ops2"],
        due_at=dt.datetime.now(dt.UTC) + 10 * DAY,
    )


def test_risk_instant_is_80_percent_of_the_time_given(action):
    # created + 0.8 x (due - created): 8 of the 10 days.
    assert (
        action.risk_at
        == action.created_at + (action.due_at - action.created_at) * 8 / 10
    )
    assert action.due_state == "running"


def test_at_risk_then_breached_each_alerted_once(db, users, action):
    owner, head = [users["ops2"].id], [users["ops"].id]
    created = action.created_at

    assert check_improvement_actions(created + 7 * DAY) == 0
    db.session.refresh(action)
    assert action.due_state == "running" and _alerts(db, action) == []

    assert check_improvement_actions(action.risk_at + MINUTE) == 1
    db.session.refresh(action)
    assert action.due_state == "at_risk"
    # At risk: the owner is warned.
    assert _alerts(db, action) == [("due", "at_risk", owner)]

    # A second run (or a concurrent one) raises nothing new.
    assert check_improvement_actions(action.risk_at + 2 * MINUTE) == 0
    assert len(_alerts(db, action)) == 1

    # Breached: the owner again, and the department head (escalation level 1).
    assert check_improvement_actions(action.due_at + MINUTE) == 2
    db.session.refresh(action)
    assert action.due_state == "breached"
    assert _alerts(db, action) == [
        ("due", "at_risk", owner),
        ("due", "breached", owner),
        ("due", "escalated", head),
    ]
    assert check_improvement_actions(action.due_at + 2 * MINUTE) == 0


def test_an_action_found_overdue_is_alerted_as_breached_only(db, users, action):
    # Found a day late: breached, escalated, and past the grace to Management.
    check_improvement_actions(action.due_at + DAY)
    assert [level for _, level, _ in _alerts(db, action)] == [
        "breached",
        "escalated",
        "management",
    ]


def test_finished_and_cancelled_actions_are_not_alerted(db, users, action):
    action.status = "done"
    db.session.commit()
    assert check_improvement_actions(action.due_at + DAY) == 0
    assert _alerts(db, action) == []


def test_a_new_due_date_moves_the_risk_instant(db, users, action):
    later = action.due_at + 10 * DAY
    action.due_at = later
    with acting_as(users["manager"]):
        records.before_update(action)
    db.session.commit()
    assert action.risk_at == action.created_at + (later - action.created_at) * 8 / 10
    action.due_at = action.created_at - DAY
    with acting_as(users["manager"]), pytest.raises(InvalidInput):
        records.before_update(action)
    db.session.rollback()


def test_the_alert_reaches_the_owners_inbox(db, users, action, login):
    check_improvement_actions(action.risk_at + MINUTE)
    page = login("ops2").get("/notificationview/list/").get_data(as_text=True)
    assert action.number in page
    assert (
        db.session.query(NotificationRecipient)
        .filter_by(user_id=users["cs"].id)
        .count()
        == 0
    )


def test_the_owner_works_in_the_responsible_department(db, users):
    with pytest.raises(InvalidInput):
        ImprovementActionFactory(
            _as="manager", department=users["ops"].department, owner=users["cs2"]
        )
