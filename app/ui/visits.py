"""Follow-up visit screens."""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.fields import screen_fields
from app.models import FollowUp
from app.services.visits.visit_steps import FOLLOWUP_FLOW
from app.ui.base import RecordView


class FollowUpView(RecordView):
    record_name = _l("Follow-up visit")
    datamodel = SQLAInterface(FollowUp)
    class_permission_name = "FollowUp"
    route_base = "/followups"
    list_title = _l("Follow-up visits")
    add_columns = screen_fields("followup", "add")
    edit_columns = screen_fields("followup", "edit")
    list_columns = [
        "number",
        "customer",
        "source",
        "case",
        "due_at",
        "assignee",
        "status",
        "due_state",
        "satisfaction",
    ]
    search_columns = [
        "number",
        "customer",
        "source",
        "status",
        "due_state",
        "assignee",
        "department",
        "due_at",
        "satisfaction",
    ]
    order_columns = ["number", "due_at", "status", "satisfaction"]
    show_columns = [
        "number",
        "source",
        "rule",
        "customer",
        "case",
        "pickup",
        "settlement",
        "department",
        "assignee",
        "channel",
        "due_at",
        "due_state",
        "status",
        "done_at",
        "outcome",
        "satisfaction",
        "comment",
        "result_case",
        "created_at",
        "created_by",
    ]
    base_order = ("due_at", "asc")
    # The visits still to make first among the one-click filters.
    quick_filters = (
        (_l("Visits to do"), lambda user: {"_flt_3_status": "planned"}),
        (_l("Overdue"), lambda user: {"_flt_3_due_state": "breached"}),
        (_l("Done"), lambda user: {"_flt_3_status": "done"}),
    )
    workflow = FOLLOWUP_FLOW
