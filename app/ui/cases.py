"""Service case screens: the case, its communication log and evidence."""

from __future__ import annotations

import json
from typing import Any

from flask import redirect, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import SelectField
from wtforms.validators import InputRequired

from app.fields import screen_fields
from app.labels import LABELS
from app.models import Case, CaseAttachment, CaseLog
from app.models.codes import (
    CASE_STATUSES,
    KIND_SEVERITIES,
    LOG_KINDS,
    SEVERITIES,
    label,
)
from app.services.cases import approvals
from app.services.cases.case_steps import CASE_FLOW
from app.services.clocks import record_clocks
from app.ui.base import RecordView, RefusalKeepsForm

MANUAL_LOG_KINDS = {k: v for k, v in LOG_KINDS.items() if k in ("contact", "internal")}


# Log actions that are not steps of the case workflow.
LOG_ACTIONS = {
    "register": _l("Registered"),
    "approval_void": _l("Approval void"),
}


def log_action(value: str | None) -> Any:
    """A log entry's action as the clerk calls it: the step's name."""
    if not value:
        return ""
    step = CASE_FLOW.get(value)
    return step.label if step is not None else LOG_ACTIONS.get(value, value)


def case_status(value: str | None) -> str:
    return label(CASE_STATUSES, value)


class CaseLogView(RecordView):
    """Communication log (沟通记录): contacts with the customer and internal steps."""

    record_name = _l("Log entry")
    datamodel = SQLAInterface(CaseLog)
    class_permission_name = "CaseLog"
    list_title = _l("Communication log")
    list_columns = ["at", "user", "kind", "channel", "content"]
    show_columns = [
        "case",
        "at",
        "user",
        "kind",
        "channel",
        "action",
        "from_status",
        "to_status",
        "content",
    ]
    add_columns = ["case", "kind", "channel", "content"]
    edit_columns = []
    land_on_created = False
    formatters_columns = {
        "action": log_action,
        "from_status": case_status,
        "to_status": case_status,
    }
    base_order = ("id", "desc")
    add_form_extra_fields = {
        "kind": SelectField(
            LABELS["kind"],
            choices=list(MANUAL_LOG_KINDS.items()),
            validators=[InputRequired()],
        )
    }


class CaseAttachmentView(RecordView):
    record_name = _l("Evidence file")
    datamodel = SQLAInterface(CaseAttachment)
    class_permission_name = "CaseAttachment"
    list_title = _l("Evidence")
    list_columns = ["file_name", "description", "created_at", "created_by"]
    show_columns = ["case", "file", "description", "created_at", "created_by"]
    add_columns = ["case", "file", "description"]
    land_on_created = False
    edit_columns = ["description"]
    base_order = ("id", "desc")

    # Evidence of a closed case is kept (seed 004 §16): no delete button.
    row_buttons_by_state = True


def _severity_field() -> Any:
    """Severity, offering only the severities of the chosen kind."""
    return SelectField(
        LABELS["severity"],
        choices=list(SEVERITIES.items()),
        validators=[InputRequired()],
        render_kw={
            "data-follows": "kind",
            "data-choices": json.dumps(KIND_SEVERITIES),
        },
    )


def urgent_badge(value: Any) -> Any:
    """The urgent flag (紧急标识) as a red label; nothing when not urgent."""
    if not value:
        return ""
    return Markup('<span class="label label-danger">{}</span>').format(_l("Urgent"))


class CaseView(RefusalKeepsForm, RecordView):
    record_name = _l("Service case")
    datamodel = SQLAInterface(Case)
    class_permission_name = "Case"
    route_base = "/cases"
    list_title = _l("Service cases")
    add_columns = screen_fields("case", "add")
    edit_columns = screen_fields("case", "edit")
    add_form_extra_fields = {"severity": _severity_field()}
    # A call comes in on the hotline, the first channel, unless the clerk
    # says otherwise; customer and category are never preselected.
    preselected_pickers = ("channel",)
    edit_form_extra_fields = {"severity": _severity_field()}
    list_columns = [
        "number",
        "urgent",
        "title",
        "customer",
        "kind",
        "severity",
        "department",
        "owner",
        "status",
        "response_due_at",
        "resolution_due_at",
        "resolution_state",
    ]
    search_columns = [
        "number",
        "title",
        "customer",
        "kind",
        "severity",
        "category",
        "channel",
        "stage",
        "urgent",
        "department",
        "owner",
        "first_ask_owner",
        "status",
        "response_state",
        "resolution_state",
        "received_at",
        "response_due_at",
        "resolution_due_at",
        "closed_at",
    ]
    order_columns = [
        "number",
        "urgent",
        "kind",
        "severity",
        "status",
        "response_due_at",
        "resolution_due_at",
        "resolution_state",
    ]
    show_fieldsets = [
        (
            _l("Case"),
            {
                "fields": [
                    "number",
                    "customer",
                    "kind",
                    "incident_type",
                    "severity",
                    "category",
                    "channel",
                    "stage",
                    "urgent",
                    "status",
                    "title",
                    "description",
                    "expected_solution",
                ]
            },
        ),
        (
            _l("Responsibility and deadlines"),
            {
                "fields": [
                    "department",
                    "first_ask_owner",
                    "owner",
                    "received_at",
                    "sla_policy",
                    "response_due_at",
                    "responded_at",
                    "response_state",
                    "resolution_due_at",
                    "resolved_at",
                    "resolution_state",
                    "paused_since",
                    "internal_due_at",
                    "escalation_level",
                    "reopen_count",
                    "closed_at",
                ]
            },
        ),
        (
            _l("Investigation and solution"),
            {
                "fields": [
                    "findings",
                    "root_cause",
                    "cause",
                    "responsibility",
                    "solution",
                    "solution_approved_by",
                    "solution_approved_at",
                    "compensation_amount",
                    "compensation_note",
                    "result",
                    "satisfaction",
                    "satisfaction_comment",
                ]
            },
        ),
        (
            _l("Related records"),
            {
                "fields": ["pickup", "inspection", "settlement", "parent_case"],
                "expanded": False,
            },
        ),
        (
            _l("Record"),
            {
                "fields": [
                    "created_at",
                    "created_by",
                    "changed_at",
                    "changed_by",
                    "cancel_reason",
                ],
                "expanded": False,
            },
        ),
    ]
    base_order = ("id", "desc")
    related_views = [CaseLogView, CaseAttachmentView]
    workflow = CASE_FLOW
    header_template = "case/header.html"
    # FAB filter parameters: _flt_<index>_<column>; 0 = relation equal,
    # 3 = text equal (see SQLAFilterConverter).
    quick_filters = (
        (
            _l("My open cases"),
            lambda user: {"_flt_0_owner": user.id, "_flt_7_status": "closed"},
        ),
        (_l("Urgent"), lambda user: {"_flt_0_urgent": "y"}),
        (_l("At risk"), lambda user: {"_flt_3_resolution_state": "at_risk"}),
        (_l("Breached"), lambda user: {"_flt_3_resolution_state": "breached"}),
        (_l("Response overdue"), lambda user: {"_flt_3_response_state": "breached"}),
        (
            _l("Waiting for customer"),
            lambda user: {"_flt_3_status": "pending_customer"},
        ),
        (_l("Under review"), lambda user: {"_flt_3_status": "review"}),
    )

    formatters_columns = {"urgent": urgent_badge}

    def header_context(self, item: Case) -> dict[str, Any]:
        from app.ui.emergencies import case_plan_panel

        return {
            "clocks": record_clocks.clock_panel(item),
            "incident": case_plan_panel(item),
        }

    description_columns = {
        "category": _l("Routes the case to the category's department."),
        "received_at": _l("When the customer contacted us; empty = now."),
        "incident_type": _l(
            "Incidents only (natural disaster, safety accident, escalated "
            "dispute): decides the emergency plan followed."
        ),
    }


class WaitingForApproval(BaseFilter):
    """FAB base filter: major complaints whose solution waits for approval."""

    name = "approval"
    arg_name = "approval"

    def apply(self, query: Any, value: Any) -> Any:
        return query.filter(approvals.waiting_clause())


class ApprovalQueueView(RecordView):
    """Management's approval queue (seed 001 §5): the major complaints whose
    written solution waits for approval, the one due soonest first. A row
    opens the case, where the solution is approved (批准方案) or sent back."""

    record_name = _l("Service case")
    datamodel = SQLAInterface(Case)
    class_permission_name = "SolutionApproval"
    route_base = "/approvals"
    list_title = _l("Solutions awaiting approval")
    base_permissions = ["can_read"]
    list_columns = [
        "number",
        "urgent",
        "title",
        "customer",
        "department",
        "owner",
        "status",
        "resolution_due_at",
        "resolution_state",
    ]
    search_columns = ["number", "title"]
    order_columns = ["number", "resolution_due_at"]
    base_order = ("resolution_due_at", "asc")
    base_filters = [["id", WaitingForApproval, lambda: None]]
    formatters_columns = {"urgent": urgent_badge}

    @expose("/show/<pk>")
    @has_access
    def show(self, pk: Any) -> Any:
        item = self._scoped_item(pk)
        return redirect(url_for("CaseView.show", pk=item.id))
