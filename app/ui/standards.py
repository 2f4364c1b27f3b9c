"""Service-standard changes on screen (seed 000 §2(六)1): the admin's add or
edit of an SLA policy, KPI target, follow-up rule or escalation setting is a
proposal; Management approves or rejects it on the change's page; the list
of changes is the standards' version history."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import flash, g, session, url_for
from flask_appbuilder.fieldwidgets import DatePickerWidget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import BooleanField, DateField, TextAreaField
from wtforms.validators import Optional

from app.extensions import db
from app.labels import LABELS
from app.models import StandardChange, now
from app.models.codes import STANDARD_CHANGE_STATUSES
from app.security.access import current_user
from app.services.core.errors import Conflict, DomainError
from app.services.core.workflow import Ask, Step, Workflow
from app.services.reference import standards
from app.ui.audit import format_changes
from app.ui.base import RecordView


class Proposed(Exception):
    """The save was recorded as a proposal; nothing else is written."""


def _proposal_fields(subject: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "effective_on": DateField(
            LABELS["effective_on"],
            widget=DatePickerWidget(),
            default=lambda: now().date(),
            validators=[Optional()],
            description=_l(
                "Service standards change through Management's approval and "
                "hold from this date (from the approval when approved later)."
            ),
        ),
        "change_reason": TextAreaField(
            LABELS["change_reason"],
            validators=[Optional()],
            description=_l("Why the standard changes; Management reads it."),
        ),
    }
    if subject == "sla_policy":
        fields["applies_to_open"] = BooleanField(
            LABELS["applies_to_open"],
            description=_l(
                "Unticked: cases received before the date keep their deadlines. "
                "Ticked: open cases are recomputed by the new targets too."
            ),
        )
    return fields


class ProposedEdits:
    """Mixin of a reference screen whose rows are service standards: its add
    and edit forms record a proposal (`standards.propose`) instead of
    writing; deleting is refused with the way to retire a standard."""

    standard_subject: str = ""

    def __init__(self, **kwargs: Any) -> None:
        extra = _proposal_fields(self.standard_subject)
        for name in ("add_form_extra_fields", "edit_form_extra_fields"):
            setattr(self, name, {**(getattr(self, name, None) or {}), **extra})
        self.add_columns = [*self.add_columns, *extra]
        self.edit_columns = [*self.edit_columns, *extra]
        super().__init__(**kwargs)  # type: ignore[call-arg]

    def refused_before_form(self, item: Any | None) -> Any:
        """Saving proposes (the standard's rules check the proposed values);
        an SLA policy's earlier version is not changed any more."""
        if item is None or standards.subject_of(item) is None:
            return super().refused_before_form(item)  # type: ignore[misc]
        if getattr(item, "valid_to", None) is not None:
            return (
                _l("A later version of this standard exists: change that one."),
                url_for(f"{self.endpoint}.show", pk=item.id),  # type: ignore[attr-defined]
            )
        return None

    def _propose(self, item: Any, record: Any | None) -> None:
        subject = standards.subject_of(item)
        values = standards.values_of(subject, item)
        effective_on = getattr(item, "effective_on", None)
        reason = getattr(item, "change_reason", None)
        applies = bool(getattr(item, "applies_to_open", False))
        # The row itself stays as it is: only the proposal is written.
        db.session.rollback()
        if record is not None:
            record = db.session.get(type(item), record)
        g.proposal = standards.propose(
            subject.code, record, values, effective_on, reason, current_user(), applies
        )
        raise Proposed(str(_l("Proposal recorded.")))

    def pre_add(self, item: Any) -> None:
        if standards.subject_of(item) is None:
            super().pre_add(item)  # type: ignore[misc]
            return
        try:
            self._propose(item, None)
        except DomainError as error:
            g.refused = error
            raise

    def pre_update(self, item: Any) -> None:
        if standards.subject_of(item) is None:
            super().pre_update(item)  # type: ignore[misc]
            return
        try:
            self._propose(item, item.id)
        except DomainError as error:
            g.refused = error
            raise

    def pre_delete(self, item: Any) -> None:
        if standards.subject_of(item) is not None:
            raise Conflict(
                _l(
                    "A service standard is not deleted: to retire it, edit it, "
                    "untick “Active” and propose that change."
                )
            )
        super().pre_delete(item)  # type: ignore[misc]

    def _landed(self) -> None:
        """After a proposal: FAB's own messages give way to one saying what
        happens next, and the admin lands on the proposal."""
        change = g.pop("proposal", None)
        if change is None:
            return
        session["_flashes"] = [
            (category, message)
            for category, message in session.get("_flashes", [])
            if category not in ("danger", "success")
        ]
        flash(
            _l(
                "Standard change proposed: it takes effect once Management approves it."
            ),
            "success",
        )
        g.refused_to = url_for("StandardChangeView.show", pk=change.id)

    def _add(self) -> Any:
        widgets = super()._add()  # type: ignore[misc]
        self._landed()
        return widgets

    def _edit(self, pk: Any) -> Any:
        widgets = super()._edit(pk)  # type: ignore[misc]
        self._landed()
        return widgets


def _approve(change: StandardChange, data: dict[str, Any], user: Any) -> None:
    standards.approve(change, user, data.get("note"))


def _reject(change: StandardChange, data: dict[str, Any], user: Any) -> None:
    standards.reject(change, user, data.get("note"))


class DecisionFlow(Workflow):
    """Management's decision: offered to those who may decide, shown
    disabled with the reason to the proposer (never their own)."""

    def allowed(self, step: Step, user: Any) -> bool:
        return standards.may_decide(user)

    def _own(self, record: Any, user: Any) -> bool:
        return user is not None and record.proposed_by_id == user.id

    def available(self, record: Any, user: Any) -> list[Step]:
        if self._own(record, user):
            return []
        return super().available(record, user)

    def waiting(self, record: Any, user: Any) -> list[tuple[Step, Any]]:
        if not self._own(record, user) or record.status != "pending":
            return super().waiting(record, user)
        if not self.allowed(self.steps[0], user):
            return []
        reason = _l("Nobody decides on their own proposal: another manager decides it.")
        return [(step, reason) for step in self.steps]


STANDARD_FLOW = DecisionFlow(
    model=StandardChange,
    resource=standards.APPROVAL,
    statuses=STANDARD_CHANGE_STATUSES,
    steps=(
        Step(
            "approve",
            _l("Approve the change"),
            ("pending",),
            None,
            asks=(Ask("note", _l("Note"), "textarea", max_length=2000),),
            apply=_approve,
            style="success",
            icon="fa-check",
            help=_l("The new values hold from the effective date."),
        ),
        Step(
            "reject",
            _l("Reject the change"),
            ("pending",),
            None,
            asks=(
                Ask("note", _l("Reason"), "textarea", required=True, max_length=2000),
            ),
            apply=_reject,
            style="warning",
            icon="fa-times",
            help=_l("The standard stays as it is."),
        ),
    ),
)


def _what_changed(pairs: dict[str, list[Any]]) -> Any:
    return format_changes(json.dumps(_named(pairs))) or Markup("—")


def _named(pairs: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Related records by their names, not their ids."""
    from app.models import CustomerGrade, CustomerType, Department

    models = {
        "customer_type_id": CustomerType,
        "customer_grade_id": CustomerGrade,
        "department_id": Department,
    }
    named = {}
    for key, pair in pairs.items():
        model = models.get(key)
        if model is not None:
            pair = [
                str(db.session.get(model, v)) if v is not None else None for v in pair
            ]
            key = key.removesuffix("_id")
        named[key] = pair
    return named


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


class StandardChangeView(RecordView):
    """Service-standard changes: the version history of the standards, and
    Management's approval of the proposed ones (seed 000 §2(六)1)."""

    record_name = _l("Standard change")
    datamodel = SQLAInterface(StandardChange)
    class_permission_name = "StandardChange"
    route_base = "/standardchanges"
    base_permissions = ["can_read"]
    list_title = _l("Standard changes")
    list_columns = [
        "id",
        "subject",
        "title",
        "action",
        "effective_on",
        "status",
        "proposed_by",
        "decided_by",
        "in_force_from",
    ]
    show_columns = [
        "subject",
        "title",
        "action",
        "what_changed",
        "reason",
        "effective_on",
        "applies_to_open",
        "status",
        "proposed_by",
        "proposed_at",
        "decided_by",
        "decided_at",
        "decision_note",
        "in_force_from",
    ]
    search_columns = ["subject", "title", "status", "effective_on"]
    base_order = ("id", "desc")
    label_columns = {
        **LABELS,
        "id": _l("No."),
        "action": _l("Kind of change"),
        "reason": LABELS["change_reason"],
    }
    formatters_columns = {"effective_on": _day, "what_changed": _what_changed}
    quick_filters = (
        (_l("Awaiting approval"), lambda user: {"_flt_0_status": "pending"}),
    )
    workflow = STANDARD_FLOW
