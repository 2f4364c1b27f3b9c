"""Spot checks of closed cases and site patrols of pickup crews (seed 001
§8(一) 内部监督机制: timeliness of acceptance, process compliance, soundness of
the solution, customer satisfaction; seed 002 §4(一)2 定期对服务现场进行巡查).

A spot check scores five items 0-20 each; its total is their sum (0-100), set
here and nowhere else. The case must be closed; its handler (owner, else the
first-ask owner) is the person scored, never the checker. A patrol is made by
a department head (Operations) or Management and scores the crew leader 0-100.
Both belong to the scored person's department. The month's supervision score
of a person is the mean of the totals and scores dated in that month.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, select, union_all

from app.extensions import db
from app.models import BUSINESS_TZ, AppUser, Case, SitePatrol, SpotCheck, now
from app.models.codes import SPOT_CHECK_ITEM_MAX, SPOT_CHECK_ITEMS
from app.models.supervision import SPOT_CHECK_COLUMNS
from app.security.scope import sees_all
from app.services.core.errors import InvalidInput, NotAllowed
from app.services.core.records import RecordRules, register

CENT = Decimal("0.01")


def today() -> dt.date:
    return now().astimezone(BUSINESS_TZ).date()


def spot_check_total(scores: dict[str, int]) -> int:
    """The total of a spot check: the sum of its five item scores (0-100)."""
    return sum(scores[item] for item in SPOT_CHECK_ITEMS)


def _score(item: Any, column: str, maximum: int) -> int:
    value = getattr(item, column)
    if value is None or isinstance(value, bool):
        raise InvalidInput(_l("Give a score."), field=column)
    if not 0 <= int(value) <= maximum:
        raise InvalidInput(
            _l("A score is between 0 and %(max)s.", max=maximum), field=column
        )
    return int(value)


def _date(item: Any, column: str) -> None:
    value = getattr(item, column)
    if value is None:
        setattr(item, column, today())
    elif value > today():
        raise InvalidInput(_l("The date is in the future."), field=column)


def _findings(item: Any) -> None:
    if not (item.findings or "").strip():
        raise InvalidInput(_l("Write down the findings."), field="findings")
    item.findings = item.findings.strip()


def _related(item: Any, name: str, model: Any) -> Any:
    value = getattr(item, name)
    if value is None and getattr(item, f"{name}_id") is not None:
        value = db.session.get(model, getattr(item, f"{name}_id"))
    return value


@register
class SpotCheckRules(RecordRules):
    model = SpotCheck

    def _check(self, item: SpotCheck, user: Any) -> None:
        case = _related(item, "case", Case)
        if case is None:
            raise InvalidInput(_l("Choose the case checked."), field="case")
        if case.status != "closed":
            raise InvalidInput(_l("Only a closed case is spot-checked."), field="case")
        handler_id = case.owner_id or case.first_ask_owner_id
        if handler_id == getattr(user, "id", None):
            raise NotAllowed(_l("You may not spot-check a case you handled."))
        handler = db.session.get(AppUser, handler_id)
        item.handler = handler
        if handler.department_id is None:
            raise InvalidInput(
                _l("The case's handler belongs to no department."), field="case"
            )
        item.department_id = handler.department_id
        scores = {
            name: _score(item, column, SPOT_CHECK_ITEM_MAX)
            for name, column in zip(SPOT_CHECK_ITEMS, SPOT_CHECK_COLUMNS, strict=True)
        }
        item.total_score = spot_check_total(scores)
        _date(item, "checked_on")
        _findings(item)

    def before_create(self, item: SpotCheck, user: Any) -> None:
        self._check(item, user)

    def before_update(self, item: SpotCheck, user: Any) -> None:
        self._check(item, user)


def may_patrol(user: Any) -> bool:
    """A department head (of Operations, by the permission) or Management."""
    return bool(getattr(user, "is_department_head", False)) or sees_all(user)


@register
class SitePatrolRules(RecordRules):
    model = SitePatrol

    def _check(self, item: SitePatrol, user: Any) -> None:
        if not (getattr(user, "is_system", False) or may_patrol(user)):
            raise NotAllowed(_l("Site patrols are made by the department head."))
        leader = _related(item, "leader", AppUser)
        if leader is None:
            raise InvalidInput(_l("Choose the crew leader."), field="leader")
        if leader.department_id is None:
            raise InvalidInput(
                _l("The crew leader belongs to no department."), field="leader"
            )
        item.department_id = leader.department_id
        pickup = item.pickup
        if not (item.crew or "").strip():
            item.crew = pickup.crew if pickup is not None else None
        _score(item, "score", 100)
        _date(item, "patrolled_on")
        _findings(item)

    def before_create(self, item: SitePatrol, user: Any) -> None:
        self._check(item, user)

    def before_update(self, item: SitePatrol, user: Any) -> None:
        self._check(item, user)


def supervision_scores(
    month: dt.date, user_ids: list[int] | None = None
) -> dict[int, tuple[int, int]]:
    """Per person: (sum of scores, number of checks) of the spot checks and
    patrols dated in `month` (first day), one aggregate query."""
    end = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    checks = select(
        SpotCheck.handler_id.label("user_id"),
        SpotCheck.total_score.label("score"),
    ).where(SpotCheck.checked_on >= month, SpotCheck.checked_on < end)
    patrols = select(
        SitePatrol.leader_id.label("user_id"),
        SitePatrol.score.label("score"),
    ).where(SitePatrol.patrolled_on >= month, SitePatrol.patrolled_on < end)
    rows = union_all(checks, patrols).subquery("supervision")
    stmt = select(
        rows.c.user_id, func.sum(rows.c.score), func.count(literal(1))
    ).group_by(rows.c.user_id)
    if user_ids is not None:
        stmt = stmt.where(rows.c.user_id.in_(user_ids))
    return {
        uid: (int(total), int(count)) for uid, total, count in db.session.execute(stmt)
    }


def mean(total: int, count: int) -> Decimal | None:
    """A mean score, rounded half up to two places (None without checks)."""
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(CENT, rounding=ROUND_HALF_UP)
