"""Who-stamps and the audit trail (操作日志), written by session hooks on every flush.

Every insert, update and delete of an audited model leaves one `audit_log` row
with the user, the time and the changed fields as old -> new. Rows written by
jobs and commands carry the system user, never NULL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from flask import g, has_app_context
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from app.models import (
    AppUser,
    AuditLog,
    BackgroundTask,
    CaseLog,
    JobRun,
    KpiSnapshot,
    Notification,
    NotificationRecipient,
    NumberSequence,
    Stamped,
    now,
)
from app.security.access import SYSTEM_USERNAME, current_user

NOT_AUDITED = (
    AuditLog,
    BackgroundTask,
    CaseLog,  # the communication log is itself a record of who did what
    JobRun,
    KpiSnapshot,
    Notification,
    NotificationRecipient,
    NumberSequence,
)
SECRET_COLUMNS = {
    "password",
    "last_login",
    "login_count",
    "fail_login_count",
    "changed_on",
    "changed_at",
    "changed_by_id",
    "changed_by_fk",
}


def _actor_id(session: Session) -> int | None:
    user = current_user()
    if user is not None:
        return user.id
    cached = g.get("_system_user_id") if has_app_context() else None
    if cached:
        return cached
    with session.no_autoflush:
        user_id = session.query(AppUser.id).filter_by(username=SYSTEM_USERNAME).scalar()
    if has_app_context() and user_id:
        g._system_user_id = user_id
    return user_id


# An audit value longer than this keeps its beginning, its length and its
# SHA-256 (enough to tell whether two versions were the same text).
AUDIT_TEXT = 300


def _bounded(text: str) -> str:
    if len(text) <= AUDIT_TEXT:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"{text[:AUDIT_TEXT]}… [{len(text)} chars, sha256 {digest}]"


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return _bounded(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _audited(obj: Any) -> bool:
    return not isinstance(obj, NOT_AUDITED)


def _changes(obj: Any) -> dict[str, list[Any]]:
    state = inspect(obj)
    diff: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        if attr.key in SECRET_COLUMNS:
            continue
        history = state.attrs[attr.key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old != new:
                diff[attr.key] = [_plain(old), _plain(new)]
    return diff


def _snapshot(obj: Any) -> dict[str, list[Any]]:
    state = inspect(obj)
    return {
        attr.key: [None, _plain(getattr(obj, attr.key))]
        for attr in state.mapper.column_attrs
        if attr.key not in SECRET_COLUMNS and getattr(obj, attr.key) is not None
    }


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    actor = None
    pending: list[dict[str, Any]] = session.info.setdefault("audit_pending", [])
    for obj in session.new:
        if isinstance(obj, Stamped):
            actor = actor or _actor_id(session)
            if obj.created_by_id is None:
                obj.created_by_id = actor
            if obj.changed_by_id is None:
                obj.changed_by_id = obj.created_by_id
    for obj in session.dirty:
        if not session.is_modified(obj, include_collections=False):
            continue
        if isinstance(obj, Stamped):
            actor = actor or _actor_id(session)
            obj.changed_by_id = actor
            obj.changed_at = now()
        if _audited(obj):
            diff = _changes(obj)
            if diff:
                pending.append(_row(obj, "update", diff))
    for obj in session.deleted:
        if _audited(obj):
            pending.append(_row(obj, "delete", _snapshot(obj)))
    session.info["audit_new"] = [o for o in session.new if _audited(o)]


def _row(obj: Any, action: str, diff: dict[str, list[Any]]) -> dict[str, Any]:
    return {
        "obj": obj,
        "table_name": obj.__tablename__,
        "row_id": None,
        "action": action,
        "changes": diff,
    }


def _pk(obj: Any) -> Any:
    return inspect(obj).mapper.primary_key_from_instance(obj)[0]


def _after_flush(session: Session, flush_context: Any) -> None:
    rows = session.info.pop("audit_pending", [])
    rows += [
        _row(obj, "insert", _snapshot(obj)) for obj in session.info.pop("audit_new", [])
    ]
    if not rows:
        return
    actor = _actor_id(session)
    stamp = now()
    values = [
        {
            "at": stamp,
            "user_id": actor,
            "table_name": row["table_name"],
            "row_id": _pk(row["obj"]),
            "action": row["action"],
            "changes": json.dumps(row["changes"], ensure_ascii=False),
        }
        for row in rows
    ]
    session.connection().execute(insert(AuditLog.__table__), values)


def _after_rollback(session: Session, previous_transaction: Any) -> None:
    session.info.pop("audit_pending", None)
    session.info.pop("audit_new", None)


def install() -> None:
    """Attach the hooks to every SQLAlchemy session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_soft_rollback", _after_rollback)
