"""In-app notifications: reading and marking the signed-in user's alerts."""

from __future__ import annotations

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Notification, NotificationRecipient, now
from app.security.access import current_user


def mark_read(notification_ids: list[int]) -> int:
    """Mark the current user's copies of these notifications read; returns count."""
    user = current_user()
    if user is None or not notification_ids:
        return 0
    result = db.session.execute(
        update(NotificationRecipient)
        .where(
            NotificationRecipient.user_id == user.id,
            NotificationRecipient.notification_id.in_(notification_ids),
            NotificationRecipient.read_at.is_(None),
        )
        .values(read_at=now())
    )
    db.session.commit()
    return result.rowcount or 0


def unread_count(user_id: int) -> int:
    """The navbar's badge: unread alerts that still stand (an alert withdrawn
    because its deadline was recomputed is history, not work)."""
    stmt = (
        select(func.count())
        .select_from(NotificationRecipient)
        .join(Notification, Notification.id == NotificationRecipient.notification_id)
        .where(
            NotificationRecipient.user_id == user_id,
            NotificationRecipient.read_at.is_(None),
            Notification.withdrawn_at.is_(None),
        )
    )
    return db.session.execute(stmt).scalar_one()


def open_alert(notification_id: int) -> str | None:
    """Mark the current user's copy read; the alert's link, or None if not theirs."""
    user = current_user()
    if user is None:
        return None
    link = db.session.execute(
        select(Notification.link)
        .join(
            NotificationRecipient,
            NotificationRecipient.notification_id == Notification.id,
        )
        .where(
            Notification.id == notification_id, NotificationRecipient.user_id == user.id
        )
    ).first()
    if link is None:
        return None
    mark_read([notification_id])
    return link[0]
