"""Follow-up visit and improvement action screens."""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.fields import screen_fields
from app.models import FollowUp, ImprovementAction
from app.services.followup_flow import FOLLOWUP_FLOW
from app.services.improvements import IMPROVEMENT_FLOW
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
    workflow = FOLLOWUP_FLOW


class ImprovementActionView(RecordView):
    record_name = _l("Improvement action")
    datamodel = SQLAInterface(ImprovementAction)
    class_permission_name = "ImprovementAction"
    list_title = _l("Improvement actions")
    list_columns = [
        "number",
        "problem",
        "department",
        "owner",
        "due_at",
        "status",
        "due_state",
        "effective",
    ]
    search_columns = [
        "number",
        "problem",
        "category",
        "kpi",
        "department",
        "owner",
        "status",
        "due_state",
        "due_at",
    ]
    add_columns = [
        "problem",
        "measure",
        "category",
        "kpi",
        "source_case",
        "department",
        "owner",
        "due_at",
    ]
    edit_columns = ["problem", "measure", "owner", "due_at"]
    show_columns = [
        "number",
        "problem",
        "measure",
        "category",
        "kpi",
        "source_case",
        "department",
        "owner",
        "due_at",
        "due_state",
        "status",
        "done_at",
        "outcome",
        "effectiveness",
        "effective",
        "checked_at",
        "checked_by",
        "created_at",
        "created_by",
    ]
    base_order = ("due_at", "asc")
    workflow = IMPROVEMENT_FLOW
