"""Reference-data rules: consistent SLA policies, calendar days, windows, prices."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy import inspect as sa_inspect

from app.extensions import db
from app.models import (
    CalendarDay,
    FollowUpRule,
    KpiTarget,
    MaterialGrade,
    PriceListItem,
    SlaPolicy,
    WorkWindow,
)
from app.models.codes import KIND_SEVERITIES, SEVERITIES, SLA_KINDS, label
from app.services.core.errors import InvalidInput
from app.services.core.records import RecordRules, register
from app.services.reference.standards import refuse_direct

HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def _same_grade(item: Any) -> Any:
    """The policies limited to the same customer grade as `item` (or none)."""
    grade_id = item.customer_grade_id or (
        item.customer_grade.id if item.customer_grade is not None else None
    )
    if grade_id is None:
        return SlaPolicy.customer_grade_id.is_(None)
    return SlaPolicy.customer_grade_id == grade_id


def parse_hours(text: str | None) -> list[tuple[dt.time, dt.time]]:
    """Parse "08:30-12:00,13:00-17:30" into sorted, non-overlapping windows."""
    if text is None or not text.strip():
        return []
    windows = []
    for part in text.replace("，", ",").split(","):
        match = HOURS.match(part)
        if not match:
            raise InvalidInput(
                _l("Working hours must look like 08:30-12:00,13:00-17:30."),
                field="hours",
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        try:
            start = dt.time(h1, m1)
            # 24:00 ends the day (the calendar counts up to midnight).
            end = dt.time.max if (h2, m2) == (24, 0) else dt.time(h2, m2)
        except ValueError:
            raise InvalidInput(
                _l("%(text)s is not a valid time range.", text=part), field="hours"
            ) from None
        if start >= end:
            raise InvalidInput(
                _l("%(text)s ends before it starts.", text=part), field="hours"
            )
        windows.append((start, end))
    windows.sort()
    for (_, end), (start, _) in itertools.pairwise(windows):
        if start < end:
            raise InvalidInput(_l("Working hours overlap."), field="hours")
    return windows


@register
class SlaPolicyRules(RecordRules):
    """A consistent policy; changed only through an approved standard change."""

    model = SlaPolicy

    def before_create(self, item: SlaPolicy, user: Any) -> None:
        if item.kind not in SLA_KINDS:
            raise InvalidInput(_l("Unknown case kind."), field="kind")
        allowed = KIND_SEVERITIES.get(item.kind, ())
        if item.severity not in allowed:
            raise InvalidInput(
                _l(
                    "%(kind)s cases have the severities: %(allowed)s.",
                    kind=label(SLA_KINDS, item.kind),
                    allowed="、".join(label(SEVERITIES, s) for s in allowed),
                ),
                field="severity",
            )
        for prefix in ("response", "offhours_response", "resolution"):
            amount = getattr(item, f"{prefix}_amount")
            unit = getattr(item, f"{prefix}_unit")
            if (amount is None) != (unit is None):
                raise InvalidInput(
                    _l("Give both the amount and the unit of a target, or neither."),
                    field=f"{prefix}_amount",
                )
            if amount is not None and amount < 0:
                raise InvalidInput(
                    _l("A target cannot be negative."), field=f"{prefix}_amount"
                )
        if item.resolve_at_response and item.resolution_amount is not None:
            raise InvalidInput(
                _l(
                    "A policy resolved at response has no resolution target of its own."
                ),
                field="resolution_amount",
            )
        duplicate = db.session.execute(
            select(SlaPolicy.id).where(
                SlaPolicy.kind == item.kind,
                SlaPolicy.severity == item.severity,
                SlaPolicy.customer_type_id.is_(None)
                if item.customer_type_id is None and item.customer_type is None
                else SlaPolicy.customer_type_id
                == (item.customer_type_id or item.customer_type.id),
                _same_grade(item),
                SlaPolicy.id != (item.id or 0),
                # Earlier versions of the same policy are no duplicates.
                SlaPolicy.valid_to.is_(None),
            )
        ).first()
        if duplicate:
            raise InvalidInput(
                _l("A policy for this kind, severity, customer type and grade exists."),
                field="severity",
            )
        refuse_direct(item)

    before_update = before_create

    def before_delete(self, item: Any, user: Any) -> None:
        refuse_direct(item)


@register
class WorkWindowRules(RecordRules):
    model = WorkWindow

    def before_create(self, item: WorkWindow, user: Any) -> None:
        if item.weekday is None or not 0 <= int(item.weekday) <= 6:
            raise InvalidInput(
                _l("Weekday must be 0 (Monday) to 6 (Sunday)."), field="weekday"
            )
        if (
            item.start_time is None
            or item.end_time is None
            or (item.start_time >= item.end_time)
        ):
            raise InvalidInput(
                _l("A window must end after it starts."), field="end_time"
            )
        clash = db.session.execute(
            select(WorkWindow.id).where(
                WorkWindow.weekday == item.weekday,
                WorkWindow.id != (item.id or 0),
                WorkWindow.start_time < item.end_time,
                WorkWindow.end_time > item.start_time,
            )
        ).first()
        if clash:
            raise InvalidInput(
                _l("This window overlaps another on the same day."), field="start_time"
            )

    before_update = before_create


@register
class CalendarDayRules(RecordRules):
    model = CalendarDay

    def before_create(self, item: CalendarDay, user: Any) -> None:
        if item.kind == "custom":
            if not parse_hours(item.hours):
                raise InvalidInput(
                    _l("Custom hours need at least one window."), field="hours"
                )
        elif item.hours:
            parse_hours(item.hours)  # validate the format even if unused
            raise InvalidInput(
                _l("Only a custom-hours day has hours of its own."), field="hours"
            )
        if item.kind == "workday" and item.follows_weekday is None:
            item.follows_weekday = 0
        if item.kind != "workday":
            item.follows_weekday = None
        if not item.source:
            item.source = "manual"

    before_update = before_create


@register
class PriceRules(RecordRules):
    model = PriceListItem

    def before_create(self, item: PriceListItem, user: Any) -> None:
        if item.unit_price is None or item.unit_price < 0:
            raise InvalidInput(
                _l("The unit price cannot be negative."), field="unit_price"
            )
        if item.valid_to is not None and item.valid_to < item.valid_from:
            raise InvalidInput(
                _l("Valid to must not be before valid from."), field="valid_to"
            )
        material_id = item.material_id or (item.material and item.material.id)
        grade = item.grade or (
            db.session.get(MaterialGrade, item.grade_id) if item.grade_id else None
        )
        if grade is not None and grade.material_id != material_id:
            raise InvalidInput(
                _l("This grade belongs to another material."), field="grade"
            )
        grade_id = grade.id if grade is not None else None
        type_id = item.customer_type_id or (
            item.customer_type.id if item.customer_type else None
        )
        end = item.valid_to or dt.date.max
        overlap = db.session.execute(
            select(PriceListItem.id).where(
                PriceListItem.id != (item.id or 0),
                PriceListItem.material_id == material_id,
                PriceListItem.direction == item.direction,
                PriceListItem.grade_id.is_(None)
                if grade_id is None
                else PriceListItem.grade_id == grade_id,
                PriceListItem.customer_type_id.is_(None)
                if type_id is None
                else PriceListItem.customer_type_id == type_id,
                PriceListItem.valid_from <= end,
                or_(
                    PriceListItem.valid_to.is_(None),
                    and_(PriceListItem.valid_to >= item.valid_from),
                ),
            )
        ).first()
        if overlap:
            raise InvalidInput(
                _l(
                    "Another price for this material, grade and customer type is in "
                    "force in this period; end it first."
                ),
                field="valid_from",
            )

    before_update = before_create


@register
class FollowUpRuleRules(RecordRules):
    model = FollowUpRule

    def before_create(self, item: FollowUpRule, user: Any) -> None:
        if item.trigger == "partner_periodic" and not item.interval_days:
            raise InvalidInput(
                _l("A periodic rule needs an interval in days."), field="interval_days"
            )
        if item.delay_amount is None or item.delay_amount < 0:
            raise InvalidInput(
                _l("The delay cannot be negative."), field="delay_amount"
            )
        refuse_direct(item)

    before_update = before_create

    def before_delete(self, item: Any, user: Any) -> None:
        refuse_direct(item)


@register
class KpiTargetRules(RecordRules):
    """One target per KPI and department, and one company-wide target per KPI
    (seed 001 §8: each measure has its target). The database's unique
    constraint cannot see the company-wide duplicate on PostgreSQL (NULL
    departments are distinct there), and its refusal is no message to a
    person: the rule is checked first and names the field."""

    model = KpiTarget

    def before_create(self, item: KpiTarget, user: Any) -> None:
        # A form sets the relation, the API the column; the one changed counts.
        chosen = sa_inspect(item).attrs.department.history
        if chosen.has_changes():
            department = chosen.added[0] if chosen.added else None
            department_id = department.id if department is not None else None
        else:
            department_id = item.department_id
        with db.session.no_autoflush:  # the changed row itself is not written yet
            duplicate = db.session.execute(
                select(KpiTarget.id).where(
                    KpiTarget.kpi == item.kpi,
                    KpiTarget.department_id.is_(None)
                    if department_id is None
                    else KpiTarget.department_id == department_id,
                    KpiTarget.id != (item.id or 0),
                )
            ).first()
        if duplicate:
            raise InvalidInput(
                _l(
                    "This KPI already has a target for this department; "
                    "edit that target instead."
                )
                if department_id is not None
                else _l(
                    "This KPI already has a company-wide target; "
                    "edit that target instead."
                ),
                field="department",
            )
        refuse_direct(item)

    before_update = before_create

    def before_delete(self, item: Any, user: Any) -> None:
        refuse_direct(item)
