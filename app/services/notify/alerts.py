"""Raising alerts: each (record, clock, level, cycle) once, to its recipients.

A notification row is unique per (record_type, record_id, clock, level,
cycle); raising it again, from a second sweep or a concurrent one, is a
no-op. Recipients get one delivery row each (read in the app, e-mailed once).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import AppUser, Notification, NotificationRecipient, now
from app.models.system import LIVE_ALERT
from app.security.access import can

logger = logging.getLogger(__name__)


def _insert(table: Any) -> Any:
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def raise_alert(
    *,
    record_type: str,
    record_id: int,
    clock: str,
    level: str,
    title: str,
    recipients: Iterable[int] | Callable[[], Iterable[int]],
    cycle: int = 0,
    body: str | None = None,
    link: str | None = None,
    department_id: int | None = None,
) -> int | None:
    """Insert the notification once; returns its id when new, None if it existed.

    `recipients` may be a function: it is then asked only for a new
    notification (a repeated alert costs one statement). Runs in the caller's
    transaction; the caller commits.
    """
    stmt = (
        _insert(Notification.__table__)
        .values(
            record_type=record_type,
            record_id=record_id,
            clock=clock,
            level=level,
            cycle=cycle,
            title=title,
            body=body,
            link=link,
            department_id=department_id,
            created_at=now(),
        )
        .on_conflict_do_nothing(
            index_elements=["record_type", "record_id", "clock", "level", "cycle"],
            index_where=LIVE_ALERT,
        )
        .returning(Notification.__table__.c.id)
    )
    notification_id = db.session.execute(stmt).scalar_one_or_none()
    if notification_id is None:
        return None
    users = sorted(set(recipients() if callable(recipients) else recipients))
    if users:
        db.session.execute(
            _insert(NotificationRecipient.__table__)
            .values([{"notification_id": notification_id, "user_id": u} for u in users])
            .on_conflict_do_nothing(index_elements=["notification_id", "user_id"])
        )
    return notification_id


def admins() -> list[int]:
    """Active users who maintain reference data (they fix the calendar)."""
    users = db.session.scalars(select(AppUser).where(AppUser.active.is_(True)))
    return [u.id for u in users if can(u, "edit", "ReferenceData")]


def calendar_missing(year: int) -> int | None:
    """Tell admins that a deadline needs a calendar year that is not loaded."""
    return raise_alert(
        record_type="calendar",
        record_id=year,
        clock="calendar",
        level="calendar_missing",
        title=f"{year} 年工作日历缺失：涉及该年的时限无法计算",
        body=(
            f"有工单或预约的截止时间落在 {year} 年，但系统中没有该年的节假日与调休"
            "安排。请执行 `flask calendar sync --year "
            f"{year}` 或在“工作日历”中逐日录入；补齐后时限将自动重新计算。"
        ),
        link="/calendardayview/list/",
        recipients=admins,
    )


DELIVERY_CHUNK = 1000


def _insert_deliveries(deliveries: list[dict[str, int]]) -> None:
    """Insert (notification, user) pairs, skipping existing ones, in few statements.

    An executemany without RETURNING would send one statement per row: on
    PostgreSQL the pairs travel as two arrays (one statement), elsewhere as
    multi-row VALUES chunks.
    """
    if not deliveries:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text(
                "INSERT INTO notification_recipient (notification_id, user_id) "
                "SELECT * FROM unnest(CAST(:notifications AS integer[]), "
                "CAST(:users AS integer[])) "
                "ON CONFLICT (notification_id, user_id) DO NOTHING"
            ),
            {
                "notifications": [d["notification_id"] for d in deliveries],
                "users": [d["user_id"] for d in deliveries],
            },
        )
        return
    for start in range(0, len(deliveries), DELIVERY_CHUNK):
        db.session.execute(
            _insert(NotificationRecipient.__table__)
            .values(deliveries[start : start + DELIVERY_CHUNK])
            .on_conflict_do_nothing(index_elements=["notification_id", "user_id"])
        )


def raise_many(alerts: list[dict[str, Any]]) -> list[int]:
    """Insert many notifications at once, each only once; returns the new ids.

    Each alert is a dict of raise_alert's keyword arguments. Set-based, for the
    deadline check: one executemany INSERT ... ON CONFLICT DO NOTHING RETURNING
    (batched into multi-row statements by SQLAlchemy) for the notifications,
    one for the deliveries of those actually inserted.
    """
    if not alerts:
        return []
    table = Notification.__table__
    keys = ("record_type", "record_id", "clock", "level", "cycle")
    stamp = now()
    rows = [
        {
            "record_type": a["record_type"],
            "record_id": a["record_id"],
            "clock": a["clock"],
            "level": a["level"],
            "cycle": a.get("cycle", 0),
            "title": a["title"],
            "body": a.get("body"),
            "link": a.get("link"),
            "department_id": a.get("department_id"),
            "created_at": stamp,
        }
        for a in alerts
    ]
    stmt = (
        _insert(table)
        .on_conflict_do_nothing(index_elements=list(keys), index_where=LIVE_ALERT)
        .returning(table.c.id, *(table.c[k] for k in keys))
    )
    inserted = db.session.execute(stmt, rows).all()
    if not inserted:
        return []
    by_key = {
        tuple(row[k] for k in keys): alert
        for row, alert in zip(rows, alerts, strict=True)
    }
    deliveries = [
        {"notification_id": row[0], "user_id": user}
        for row in inserted
        for user in sorted(set(by_key[tuple(row[1:])].get("recipients", ())))
    ]
    _insert_deliveries(deliveries)
    return [row[0] for row in inserted]
