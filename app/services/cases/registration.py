"""Case registration rules: number, routing, first-ask owner, kind and severity."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect as sa_inspect

from app.extensions import db
from app.models import (
    AppUser,
    Case,
    CaseAttachment,
    CaseCategory,
    CaseLog,
    Customer,
    now,
)
from app.models.codes import CASE_KINDS, KIND_SEVERITIES, SEVERITIES, label
from app.security.access import acting_as
from app.services.cases import classification, review, routing
from app.services.clocks import record_clocks
from app.services.core import events, records
from app.services.core.errors import Conflict, InvalidInput
from app.services.core.numbering import next_number
from app.services.core.records import RecordRules, register
from app.services.emergencies import plans
from app.services.notify import customer_notices
from app.services.training import clearance


def check_kind_severity(kind: str | None, severity: str | None) -> None:
    if kind not in CASE_KINDS:
        raise InvalidInput(_l("Choose the kind of case."), field="kind")
    allowed = KIND_SEVERITIES[kind]
    if severity not in allowed:
        raise InvalidInput(
            _l(
                "%(kind)s cases have the severities: %(allowed)s.",
                kind=label(CASE_KINDS, kind),
                allowed="、".join(label(SEVERITIES, s) for s in allowed),
            ),
            field="severity",
        )


def add_log(
    case: Case,
    user: Any,
    content: str,
    kind: str = "internal",
    action: str | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    channel_id: int | None = None,
) -> CaseLog:
    """Append a communication-log entry to a case (saved with the case)."""
    entry = CaseLog(
        user_id=user.id,
        kind=kind,
        action=action,
        from_status=from_status,
        to_status=to_status,
        content=content,
        channel_id=channel_id,
        at=now(),
    )
    case.logs.append(entry)
    return entry


def open_case(case: Case, user: Any) -> Case:
    """Register a case as `user` through the same rules as the case screen."""
    with acting_as(user):
        records.before_create(case)
        db.session.add(case)
        db.session.commit()
        records.after_create(case)
    return case


def _owner(item: Case) -> AppUser | None:
    if item.owner is not None:
        return item.owner
    return db.session.get(AppUser, item.owner_id) if item.owner_id else None


def _owner_changed(item: Case) -> bool:
    state = sa_inspect(item)
    return any(state.attrs[n].history.added for n in ("owner", "owner_id"))


def _set_owner(item: Case, user: Any) -> None:
    """The owner named (never one not cleared for duty), else the clerk who
    registers it (首问负责制) — unless they are not cleared for duty yet: then
    the case waits for its department to assign it."""
    named = _owner(item)
    if named is not None:
        clearance.check_assignable(named)
        return
    if clearance.is_cleared(user):
        item.owner_id = user.id


@register
class CaseRules(RecordRules):
    model = Case

    def before_create(self, item: Case, user: Any) -> None:
        check_kind_severity(item.kind, item.severity)
        category = item.category or db.session.get(CaseCategory, item.category_id)
        if category is None:
            raise InvalidInput(_l("Choose a category."), field="category")
        received = item.received_at or now()
        if received > now():
            raise InvalidInput(
                _l("The receipt time cannot be in the future."), field="received_at"
            )
        item.received_at = received
        plans.check_incident(item, creating=True)
        item.number = next_number("case", received)
        # Routing is decided here, never by the clerk: a supervision channel's
        # department, else the category's (seed 001 §8(一), seed 000 §2).
        item.department = routing.department_for(category, routing.channel_of(item))
        if not item.stage:
            item.stage = category.default_stage
        item.first_ask_owner_id = user.id
        _set_owner(item, user)
        item.status = "new"
        item.reopen_count = 0
        record_clocks.start_case(item)
        customer = item.customer or db.session.get(Customer, item.customer_id)
        if customer is not None:
            customer_notices.queue("case_accepted", customer, user, case=item)
        add_log(
            item,
            user,
            str(_l("Case registered.")),
            kind="system",
            action="register",
            to_status="new",
            channel_id=item.channel_id,
        )

    def after_create(self, item: Case, user: Any) -> None:
        events.emit("case_opened", case_id=item.id)

    def before_update(self, item: Case, user: Any) -> None:
        check_kind_severity(item.kind, item.severity)
        if item.status in ("closed", "cancelled"):
            raise Conflict(
                _l("A closed or cancelled case cannot be edited; reopen it first.")
            )
        plans.check_incident(item, creating=False)
        if _owner_changed(item):
            clearance.check_assignable(_owner(item))
        # What the steps own (classification, approval) is not edited here.
        if classification.check_edit(item, user):
            record_clocks.recompute_case(item)
        review.check_edit(item)
        routing.check_channel_edit(item)


@register
class AttachmentRules(RecordRules):
    model = CaseAttachment

    def before_create(self, item: CaseAttachment, user: Any) -> None:
        if not item.file:
            raise InvalidInput(_l("Choose a file to upload."), field="file")

    def before_delete(self, item: CaseAttachment, user: Any) -> None:
        review.check_evidence_delete(item.case or db.session.get(Case, item.case_id))


@register
class CaseLogRules(RecordRules):
    model = CaseLog

    def before_create(self, item: CaseLog, user: Any) -> None:
        if item.kind not in ("contact", "internal"):
            raise InvalidInput(_l("Choose contact or internal note."), field="kind")
        if not (item.content or "").strip():
            raise InvalidInput(_l("Write what was said or done."), field="content")
        item.user_id = user.id
        item.at = now()
        case = item.case or db.session.get(Case, item.case_id)
        if item.kind == "contact" and item.channel_id is not None and case:
            # A logged contact on a customer channel answers the customer.
            record_clocks.contact_made(case, item.at)

    def before_update(self, item: CaseLog, user: Any) -> None:
        raise Conflict(_l("Log entries are never changed; add a new entry."))

    before_delete = before_update
