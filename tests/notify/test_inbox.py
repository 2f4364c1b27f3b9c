"""The alert inbox (我的待办 / 预警): unread first, opens the record, own only."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.models import Notification, NotificationRecipient
from app.services.clocks import deadline_check
from tests.factories import CaseFactory, user


def test_inbox_lists_unread_first_and_opens_the_record(db, login):
    first, second = CaseFactory(), CaseFactory()
    deadline_check.check_deadlines(
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
    deadline_check.check_deadlines(case.response_due_at + dt.timedelta(minutes=1))
    alert = db.session.scalars(select(Notification)).first()
    response = login("finance").get(f"/notificationview/open/{alert.id}")
    assert response.headers["Location"].endswith("/notificationview/list/")


def test_the_unread_badge_leaves_out_withdrawn_alerts(db):
    from sqlalchemy import update

    from app.services.notify import inbox

    case = CaseFactory()
    deadline_check.check_deadlines(case.response_due_at + dt.timedelta(minutes=1))
    cs = user("cs")
    standing = inbox.unread_count(cs.id)
    assert standing >= 1
    # The deadline is recomputed later (a day off entered): the alert is history.
    db.session.execute(
        update(Notification)
        .where(Notification.record_id == case.id)
        .values(withdrawn_at=dt.datetime.now(dt.UTC))
    )
    db.session.commit()
    assert inbox.unread_count(cs.id) == 0
