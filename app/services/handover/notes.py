"""Handover notes (交班记录) and their acknowledgement by the next shift.

Seed 003 客服运营方案 三.1: 客服部门的工作时间为每天8:30-17:30，工作人员要做好
值班交接; seed 003 首问负责: 需要交接办理的，做到交接清楚，明确责任.

The person handing over writes one note per department, day and shift. When
the note is made, the department's open items that need the next shift are
copied onto it: open cases whose response or resolution clock is at risk or
breached (the states the deadline check keeps, app.services.clocks) or falls
due before the close of the next working day, and open pickups at risk or
overdue or whose visit is today or tomorrow. One query per record type,
bounded by ITEM_LIMIT; the note says how many more there were. The author may
add a remark per item. A different person of the same department
acknowledges it (确认接班); from then on the note and its items never change,
whatever path tries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, event, func, or_, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import (
    BUSINESS_TZ,
    Case,
    Customer,
    Department,
    HandoverItem,
    HandoverNote,
    Pickup,
)
from app.models import now as current_time
from app.models.codes import (
    CASE_OPEN_STATUSES,
    HANDOVER_STATUSES,
    PICKUP_OPEN_STATUSES,
    SHIFTS,
)
from app.services.clocks.business_calendar import current_calendar
from app.services.clocks.working_time import CalendarError
from app.services.core.errors import Conflict, InvalidInput, NotAllowed
from app.services.core.records import RecordRules, register
from app.services.core.workflow import Ask, Step, Workflow

# Open items listed per record type; beyond it the note gives the count.
ITEM_LIMIT = 200
# Clock states that need the next shift's attention (app.services.clocks).
ATTENTION = ("at_risk", "breached")
_RANK = {"breached": 3, "at_risk": 2, "running": 1}

LOCKED = _l("The shift has been taken over: the handover note can no longer change.")
DUPLICATE = _l(
    "Your department already has a handover note for this day and shift; "
    "open it instead of writing a second one."
)
OWN_NOTE = _l(
    "You wrote this handover note: the colleague taking over the next shift "
    "acknowledges it."
)
OTHER_DEPARTMENT = _l("Only staff of the note's department take over its shift.")
AUTHOR_ONLY = _l("Only the person handing over changes the handover note.")


def today() -> dt.date:
    return current_time().astimezone(BUSINESS_TZ).date()


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=BUSINESS_TZ)


def attention_horizon(moment: dt.datetime) -> dt.datetime:
    """The close of the next working day after `moment` (the calendar's);
    a day later when the calendar does not know that far."""
    try:
        return current_calendar().end_of_nth_working_day_after(moment, 1)
    except CalendarError:
        return moment + dt.timedelta(days=1)


def _worst(*states: str | None) -> str | None:
    known = [s for s in states if s in _RANK]
    return max(known, key=_RANK.__getitem__) if known else None


@dataclass
class Snapshot:
    items: list[HandoverItem]
    more: int


def _case_items(department_id: int, moment: dt.datetime) -> tuple[list, int]:
    horizon = attention_horizon(moment)
    condition = and_(
        Case.department_id == department_id,
        Case.status.in_(CASE_OPEN_STATUSES),
        or_(
            Case.response_state.in_(ATTENTION),
            Case.resolution_state.in_(ATTENTION),
            and_(Case.response_state == "running", Case.response_due_at <= horizon),
            and_(Case.resolution_state == "running", Case.resolution_due_at <= horizon),
        ),
    )
    rows = db.session.execute(
        select(
            Case.id,
            Case.number,
            Case.title,
            Case.status,
            Case.response_state,
            Case.response_due_at,
            Case.resolution_state,
            Case.resolution_due_at,
        )
        .where(condition)
        .order_by(Case.resolution_due_at.asc().nulls_last(), Case.id)
        .limit(ITEM_LIMIT + 1)
    ).all()
    more = 0
    if len(rows) > ITEM_LIMIT:
        total = db.session.execute(
            select(func.count()).select_from(Case).where(condition)
        ).scalar_one()
        more = total - ITEM_LIMIT
    items = []
    for row in rows[:ITEM_LIMIT]:
        # The response is still owed while its clock runs: it is due first.
        pending_response = row.response_state in ("running", *ATTENTION)
        items.append(
            HandoverItem(
                record_type="case",
                case_id=row.id,
                number=row.number,
                title=row.title[:200],
                due_at=row.response_due_at
                if pending_response and row.response_due_at
                else row.resolution_due_at,
                record_status=row.status,
                clock_state=_worst(row.response_state, row.resolution_state),
            )
        )
    return items, more


def _pickup_items(department_id: int, moment: dt.datetime) -> tuple[list, int]:
    day = moment.astimezone(BUSINESS_TZ).date()
    start, end = _day_start(day), _day_start(day + dt.timedelta(days=2))
    visit = func.coalesce(Pickup.window_start, Pickup.requested_start)
    condition = and_(
        Pickup.department_id == department_id,
        Pickup.status.in_(PICKUP_OPEN_STATUSES),
        or_(
            Pickup.confirm_state.in_(ATTENTION),
            Pickup.arrival_state.in_(ATTENTION),
            and_(visit >= start, visit < end),
        ),
    )
    rows = db.session.execute(
        select(
            Pickup.id,
            Pickup.number,
            Customer.name,
            Pickup.status,
            Pickup.confirm_state,
            Pickup.confirm_due_at,
            Pickup.arrival_state,
            Pickup.window_start,
            Pickup.requested_start,
        )
        .join(Customer, Customer.id == Pickup.customer_id)
        .where(condition)
        .order_by(Pickup.window_end.asc().nulls_last(), Pickup.id)
        .limit(ITEM_LIMIT + 1)
    ).all()
    more = 0
    if len(rows) > ITEM_LIMIT:
        total = db.session.execute(
            select(func.count()).select_from(Pickup).where(condition)
        ).scalar_one()
        more = total - ITEM_LIMIT
    items = []
    for row in rows[:ITEM_LIMIT]:
        unconfirmed = row.status == "requested"
        items.append(
            HandoverItem(
                record_type="pickup",
                pickup_id=row.id,
                number=row.number,
                title=row.name[:200],
                due_at=row.confirm_due_at
                if unconfirmed
                else (row.window_start or row.requested_start),
                record_status=row.status,
                clock_state=_worst(row.confirm_state, row.arrival_state),
            )
        )
    return items, more


def open_items(department_id: int, moment: dt.datetime | None = None) -> Snapshot:
    """The department's open cases and pickups the next shift must see."""
    moment = moment or current_time()
    cases, more_cases = _case_items(department_id, moment)
    pickups, more_pickups = _pickup_items(department_id, moment)
    return Snapshot([*cases, *pickups], more_cases + more_pickups)


def _stored(column: Any, pk: int) -> Any:
    return db.session.execute(
        select(column).where(HandoverNote.id == pk)
    ).scalar_one_or_none()


def _author_id(note: HandoverNote) -> int | None:
    return note.created_by_id


# ------------------------------------------------------------------- rules
@register
class HandoverNoteRules(RecordRules):
    model = HandoverNote

    def before_create(self, item: HandoverNote, user: Any) -> None:
        if not getattr(user, "is_system", False) or item.department_id is None:
            if getattr(user, "department_id", None) is None:
                raise NotAllowed(
                    _l("Handover notes are written by staff of a department.")
                )
            item.department_id = user.department_id
            # The author's department, whatever a form or payload named.
            item.department = db.session.get(Department, user.department_id)
        if item.shift not in SHIFTS:
            raise InvalidInput(_l("Choose the shift."), field="shift")
        if item.shift_date is None:
            item.shift_date = today()
        elif item.shift_date > today():
            raise InvalidInput(_l("The date is in the future."), field="shift_date")
        elif item.shift_date < today() - dt.timedelta(days=1):
            # The open items are those of the moment the note is written.
            raise InvalidInput(
                _l(
                    "A handover note is written for today's shift or last night's: "
                    "its open items are those of now."
                ),
                field="shift_date",
            )
        taken = db.session.execute(
            select(HandoverNote.id).where(
                HandoverNote.department_id == item.department_id,
                HandoverNote.shift_date == item.shift_date,
                HandoverNote.shift == item.shift,
            )
        ).first()
        if taken is not None:
            raise Conflict(DUPLICATE, field="shift")
        item.notes = (item.notes or "").strip() or None
        item.status = "open"
        item.acknowledged_by_id = None
        item.acknowledged_at = None
        item.acknowledgement_note = None
        snapshot = open_items(item.department_id)
        item.items = snapshot.items
        item.more_items = snapshot.more

    def before_update(self, item: HandoverNote, user: Any) -> None:
        # The stored state: an acknowledged note stays as it is whatever is posted.
        if _stored(HandoverNote.status, item.id) != "open":
            raise Conflict(LOCKED)
        if item.status != "open":
            raise NotAllowed(_l("The next shift acknowledges the note with its step."))
        if user.id != _author_id(item) and not getattr(user, "is_system", False):
            raise NotAllowed(AUTHOR_ONLY)
        item.notes = (item.notes or "").strip() or None

    def before_delete(self, item: HandoverNote, user: Any) -> None:
        if _stored(HandoverNote.status, item.id) != "open":
            raise Conflict(LOCKED)
        if user.id != _author_id(item):
            raise NotAllowed(AUTHOR_ONLY)


@register
class HandoverItemRules(RecordRules):
    model = HandoverItem

    def before_create(self, item: HandoverItem, user: Any) -> None:
        raise NotAllowed(_l("The open items are listed when the note is written."))

    def before_update(self, item: HandoverItem, user: Any) -> None:
        note = item.note
        if _stored(HandoverNote.status, note.id) != "open":
            raise Conflict(LOCKED)
        if user.id != _author_id(note):
            raise NotAllowed(AUTHOR_ONLY)
        item.remark = (item.remark or "").strip() or None

    def before_delete(self, item: HandoverItem, user: Any) -> None:
        raise NotAllowed(_l("The open items of a handover note are kept."))


def _was_locked(note: HandoverNote) -> bool:
    history = sa_inspect(note).attrs["status"].history
    before = history.deleted[0] if history.deleted else note.status
    return before == "acknowledged"


def _taken_over_is_final(session: Session, flush_context: Any, instances: Any) -> None:
    """An acknowledged note and its items never change (rule on flush)."""
    for obj in (*session.dirty, *session.new, *session.deleted):
        if isinstance(obj, HandoverNote):
            note = obj
        elif isinstance(obj, HandoverItem):
            note = obj.note
        else:
            continue
        if note is None or sa_inspect(note).transient or not _was_locked(note):
            continue
        if obj not in session.deleted:
            state = sa_inspect(obj)
            if not any(
                state.attrs[a.key].history.has_changes()
                for a in state.mapper.column_attrs
            ):
                continue
        raise Conflict(LOCKED)


if not event.contains(Session, "before_flush", _taken_over_is_final):
    event.listen(Session, "before_flush", _taken_over_is_final)


# ---------------------------------------------------------- acknowledgement
def why_not_acknowledge(note: HandoverNote, user: Any) -> Any:
    """Why `user` may not take over the note's shift (None: they may)."""
    if user.id == _author_id(note):
        return OWN_NOTE
    if user.department_id != note.department_id:
        return OTHER_DEPARTMENT
    return None


def _acknowledge(note: HandoverNote, data: dict[str, Any], user: Any) -> None:
    reason = why_not_acknowledge(note, user)
    if reason is not None:
        raise NotAllowed(reason)
    note.acknowledged_by_id = user.id
    note.acknowledged_at = current_time()
    note.acknowledgement_note = (data.get("note") or "").strip() or None


ACKNOWLEDGE = Step(
    "acknowledge",
    _l("Take over the shift"),
    ("open",),
    "acknowledged",
    asks=(Ask("note", _l("Note on taking over"), "textarea", max_length=2000),),
    apply=_acknowledge,
    icon="fa-check-square-o",
    style="success",
    help=_l("Confirms you have read the note; it can no longer change."),
)


class HandoverWorkflow(Workflow):
    """The acknowledgement is offered to the next shift only; the author and
    other departments see why not."""

    def available(self, record: Any, user: Any) -> list[Step]:
        return [
            step
            for step in super().available(record, user)
            if why_not_acknowledge(record, user) is None
        ]

    def waiting(self, record: Any, user: Any) -> list[tuple[Step, Any]]:
        waiting = super().waiting(record, user)
        if record.status == "open" and self.allowed(ACKNOWLEDGE, user):
            reason = why_not_acknowledge(record, user)
            if reason is not None:
                waiting.append((ACKNOWLEDGE, reason))
        return waiting


HANDOVER_FLOW = HandoverWorkflow(
    model=HandoverNote,
    resource="HandoverWorkflow",
    statuses=HANDOVER_STATUSES,
    steps=(ACKNOWLEDGE,),
)


def waiting_for(user: Any) -> Any:
    """Condition: notes of the user's department, not theirs, not yet taken over."""
    return and_(
        HandoverNote.status == "open",
        HandoverNote.department_id == user.department_id,
        HandoverNote.created_by_id != user.id,
    )
