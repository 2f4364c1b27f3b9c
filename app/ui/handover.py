"""Shift handover screens (交接班): handover notes with their open items,
taken over by the next shift (seed 003 客服运营方案 三.1). The rules are
app.services.handover's."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, session, url_for
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import case

from app.labels import LABELS
from app.models import BUSINESS_TZ, HandoverItem, HandoverNote
from app.models.codes import (
    CASE_STATUSES,
    CLOCK_STATES,
    HANDOVER_RECORD_TYPES,
    HANDOVER_STATUSES,
    PICKUP_STATUSES,
    SHIFTS,
    label,
)
from app.security.access import current_user
from app.security.scope import is_visible
from app.services.handover.notes import AUTHOR_ONLY, HANDOVER_FLOW, ITEM_LIMIT
from app.ui.base import RecordView, RefusalKeepsForm

# The shifts of a day in their order (as SHIFTS lists them: 早班, 白班, 晚班).
SHIFT_ORDER = case(
    {code: position for position, code in enumerate(SHIFTS)},
    value=HandoverNote.shift,
    else_=len(SHIFTS),
)


class HandoverInterface(SQLAInterface):
    """Ordered by date, the notes of one date in the order of their shifts
    (the newest first when the dates are), then by department: FAB breaks
    ties by id alone."""

    def apply_order_by(
        self,
        query: Any,
        order_column: str,
        order_direction: str,
        aliases_mapping: Any = None,
        bypass_many_to_many: bool = False,
        add_pk: bool = False,
    ) -> Any:
        by_date = self.obj is HandoverNote and order_column == "shift_date"
        query = super().apply_order_by(
            query,
            order_column,
            order_direction,
            aliases_mapping,
            bypass_many_to_many,
            add_pk and not by_date,
        )
        if not by_date:  # another order, or FAB's interface of a related model
            return query
        if order_direction == "desc":
            return query.order_by(
                SHIFT_ORDER.desc(), HandoverNote.department_id, HandoverNote.id.desc()
            )
        return query.order_by(SHIFT_ORDER, HandoverNote.department_id, HandoverNote.id)


HANDOVER_LABELS = {
    **LABELS,
    "notes": _l("Points to note"),
    "created_by": _l("Handed over by"),
    "created_at": _l("Written at"),
    "status": _l("Handover status"),
    "title": _l("Title or customer"),
    "remark": _l("Remark"),
    "note": _l("Handover note"),
    "record_state": _l("Record status"),
}


def _is_author(note: HandoverNote) -> bool:
    user = current_user()
    return user is not None and user.id == note.created_by_id


class HandoverItemView(RefusalKeepsForm, RecordView):
    """An open item of a handover note: the author adds a remark."""

    record_name = _l("Handover item")
    row_buttons_by_state = True
    datamodel = SQLAInterface(HandoverItem)
    class_permission_name = "HandoverItem"
    route_base = "/handoveritems"
    list_title = _l("Handover items")
    label_columns = HANDOVER_LABELS
    base_permissions = ["can_read", "can_edit"]
    edit_columns = ["remark"]
    add_columns = ["remark"]  # never offered: items are listed by the note
    list_columns = [
        "note",
        "record_type",
        "number",
        "title",
        "due_at",
        "record_state",
        "clock_state",
        "remark",
    ]
    show_columns = list_columns
    search_columns = ["record_type", "number"]
    base_order = ("id", "asc")
    description_columns = {
        "remark": _l("What the next shift should know about this item."),
    }

    def refused_before_form(self, item: Any | None) -> tuple[Any, str] | None:
        refusal = super().refused_before_form(item)
        if refusal is None and item is not None and not _is_author(item.note):
            return AUTHOR_ONLY, url_for("HandoverNoteView.show", pk=item.note_id)
        return refusal

    def post_update(self, item: Any) -> None:
        super().post_update(item)
        g.handover_note_id = item.note_id

    def post_edit_redirect(self) -> Any:
        note_id = g.pop("handover_note_id", None)
        if note_id is None:
            return super().post_edit_redirect()
        # FAB's own "Changed Row" gives way to the message naming the remark.
        changed = str(self.edit_row_message)
        session["_flashes"] = [
            (category, message)
            for category, message in session.get("_flashes", [])
            if message != changed
        ]
        flash(_l("Remark saved."), "success")
        return redirect(url_for("HandoverNoteView.show", pk=note_id))


class HandoverNoteView(RefusalKeepsForm, RecordView):
    """Handover notes (交班记录): written at the end of a shift, with the
    department's open items; the next shift takes over (确认接班)."""

    record_name = _l("Handover note")
    datamodel = HandoverInterface(HandoverNote)
    row_buttons_by_state = True
    class_permission_name = "HandoverNote"
    route_base = "/handovers"
    list_title = _l("Shift handover")
    label_columns = HANDOVER_LABELS
    header_template = "handover/header.html"
    workflow = HANDOVER_FLOW
    base_permissions = ["can_read", "can_add", "can_edit"]
    add_columns = ["shift_date", "shift", "notes"]
    edit_columns = ["notes"]
    list_columns = [
        "shift_date",
        "shift",
        "department",
        "created_by",
        "status",
        "acknowledged_by",
        "acknowledged_at",
    ]
    show_columns = [
        "shift_date",
        "shift",
        "department",
        "created_by",
        "created_at",
        "notes",
        "status",
        "acknowledged_by",
        "acknowledged_at",
        "acknowledgement_note",
    ]
    search_columns = ["status", "shift_date", "shift", "department"]
    order_columns = ["shift_date"]
    base_order = ("shift_date", "desc")
    # Empty: today (the rules fill it).
    filled_by_rules = ("shift_date",)
    description_columns = {
        "shift_date": _l("Empty: today."),
        "notes": _l("What the next shift must know or do."),
    }

    def refused_before_form(self, item: Any | None) -> tuple[Any, str] | None:
        refusal = super().refused_before_form(item)
        if refusal is None and item is not None and not _is_author(item):
            return AUTHOR_ONLY, url_for(f"{self.endpoint}.show", pk=item.id)
        return refusal

    def header_context(self, item: HandoverNote) -> dict[str, Any]:
        user = current_user()
        author = user is not None and user.id == item.created_by_id
        rows = []
        for row in item.items:
            model, endpoint, statuses = (
                (row.case, "CaseView.show", CASE_STATUSES)
                if row.record_type == "case"
                else (row.pickup, "PickupView.show", PICKUP_STATUSES)
            )
            pk = row.case_id if row.record_type == "case" else row.pickup_id
            visible = pk is not None and is_visible(type(model), pk, user)
            rows.append(
                {
                    "item": row,
                    "kind": label(HANDOVER_RECORD_TYPES, row.record_type),
                    "url": url_for(endpoint, pk=pk) if visible else None,
                    "status": label(statuses, row.record_status),
                    "clock": label(CLOCK_STATES, row.clock_state)
                    if row.clock_state
                    else "",
                    "due": row.due_at.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")
                    if row.due_at
                    else "",
                    "remark_url": url_for("HandoverItemView.edit", pk=row.id)
                    if author and item.status == "open"
                    else None,
                }
            )
        return {
            "rows": rows,
            "limit": ITEM_LIMIT,
            "status": label(HANDOVER_STATUSES, item.status),
            "shift": label(SHIFTS, item.shift),
            "acknowledged_at": item.acknowledged_at.astimezone(BUSINESS_TZ).strftime(
                "%Y-%m-%d %H:%M"
            )
            if item.acknowledged_at
            else "",
        }
