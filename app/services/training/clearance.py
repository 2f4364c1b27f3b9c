"""Clearance for duty (上岗资格) of new staff.

Seed 003 客服部规章 第十七条: new customer-service staff are trained and pass
an assessment before they take up duty (经培训考核合格后方可上岗). While the
setting `training.duty_clearance` is on (default), a person not yet cleared
(未获上岗资格) is never made the owner of a case — by the assign step, the
case's rules (generic edit, API, import), or the automatic owner of a new or
started case. They are cleared by passing an assessment (score at or above
`training.pass_score`, default 60) or by their department head or
Management (`clear_for_duty`).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import AppUser, Setting, now
from app.security.access import can
from app.services.core.errors import Conflict, InvalidInput, NotAllowed

DEFAULT_PASS_SCORE = Decimal(60)
OFF = ("0", "false", "off", "no", "否", "关闭")


def _setting(key: str) -> str | None:
    # Read while a record is half-built (a new user): nothing is flushed.
    with db.session.no_autoflush:
        return db.session.execute(
            select(Setting.value).where(Setting.key == key)
        ).scalar_one_or_none()


def required() -> bool:
    """Whether new staff must be cleared before cases are assigned to them."""
    value = _setting("training.duty_clearance")
    return value is None or value.strip().lower() not in OFF


def pass_score() -> Decimal:
    """The lowest passing assessment score (setting `training.pass_score`)."""
    value = _setting("training.pass_score")
    try:
        score = Decimal(value) if value not in (None, "") else DEFAULT_PASS_SCORE
    except InvalidOperation:
        return DEFAULT_PASS_SCORE
    return score if score.is_finite() else DEFAULT_PASS_SCORE


def is_cleared(person: AppUser | None) -> bool:
    if person is None or not required():
        return True
    return bool(person.duty_cleared)


def not_cleared_message(person: AppUser) -> Any:
    return _l(
        "%(name)s is not yet cleared for duty: cases are assigned to them once "
        "they pass a training assessment or are cleared by their department "
        "head or Management.",
        name=str(person),
    )


def check_assignable(person: AppUser | None, field: str = "owner") -> None:
    """Refuse making `person` a case owner while they are not cleared."""
    if not is_cleared(person):
        raise InvalidInput(not_cleared_message(person), field=field)


def uncleared_ids() -> set[int]:
    """Ids of the people not to be offered as case owners."""
    if not required():
        return set()
    return set(
        db.session.scalars(select(AppUser.id).where(AppUser.duty_cleared.is_(False)))
    )


def may_manage(user: Any, department_id: int | None) -> bool:
    """Management, or the head of the department (the system user too)."""
    if user is None:
        return False
    if getattr(user, "is_system", False) or can(user, "manage", "Training"):
        return True
    return bool(getattr(user, "is_department_head", False)) and (
        department_id is not None and user.department_id == department_id
    )


def mark_cleared(person: AppUser, how: str) -> None:
    """Record the clearance (the caller commits)."""
    if person.duty_cleared:
        return
    person.duty_cleared = True
    person.duty_cleared_at = now()
    person.duty_cleared_how = how[:200]


def clear_for_duty(person: AppUser, user: Any, reason: str) -> AppUser:
    """A department head (of the person's department) or Management clears a
    new member of staff for duty; reason required. Commits."""
    if not may_manage(user, person.department_id):
        raise NotAllowed(
            _l("Only the person's department head or Management clears them for duty.")
        )
    if person.duty_cleared:
        raise Conflict(_l("%(name)s is already cleared for duty.", name=str(person)))
    if not (reason or "").strip():
        raise InvalidInput(_l("Say why they are cleared for duty."), field="reason")
    mark_cleared(person, f"{user}：{reason.strip()}")
    db.session.commit()
    return person


def flag_new_staff(person: AppUser) -> None:
    """A newly created member of staff starts not cleared (while required)."""
    person.duty_cleared = not required()
    person.duty_cleared_at = None
    person.duty_cleared_how = None
