"""Follow-up visit screens."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterInFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.fields import screen_fields
from app.models import FollowUp, ServiceAcceptance
from app.services.visits.acceptance import SERVED_PICKUP
from app.services.visits.visit_steps import FOLLOWUP_FLOW
from app.ui.base import RecordView, RefusalKeepsForm


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


class ServiceAcceptanceView(RefusalKeepsForm, RecordView):
    """On-site acceptances (服务验收, seed 004 第十五条): the customer signs off
    a collected pickup or an after-sales service; the photo of the signed
    ticket is served only to who may see the acceptance."""

    record_name = _l("On-site acceptance")
    datamodel = SQLAInterface(ServiceAcceptance)
    class_permission_name = "ServiceAcceptance"
    route_base = "/acceptances"
    list_title = _l("On-site acceptances")
    add_columns = screen_fields("acceptance", "add")
    edit_columns = screen_fields("acceptance", "edit")
    list_columns = [
        "customer",
        "pickup",
        "case",
        "accepted_at",
        "signed",
        "signed_by",
        "rating",
    ]
    show_columns = [
        "customer",
        "pickup",
        "case",
        "department",
        "accepted_at",
        "signed",
        "signed_by",
        "rating",
        "comment",
        "photo",
        "created_by",
        "created_at",
    ]
    search_columns = ["customer", "accepted_at", "signed", "rating"]
    base_order = ("id", "desc")
    add_form_query_rel_fields = {
        "pickup": [["status", FilterInFunction, lambda: list(SERVED_PICKUP)]],
        "case": [["kind", FilterEqual, "aftersales"]],
    }
    description_columns = {
        "pickup": _l("A pickup whose materials were collected on site."),
        "case": _l("Or an after-sales service carried out on site."),
        "signed": _l(
            "Untick when the customer refused to sign or was absent, and say why."
        ),
        "rating": _l("The customer's rating of quality, attitude and timeliness."),
        "photo": _l("Photo or scan of the signed ticket."),
    }
    land_on_created = False
    formatters_columns = {"photo": lambda name: _photo_link(name)}


def _photo_link(name: str | None) -> Any:
    """The signed ticket's photo as a link to its (scoped) download."""
    if not name:
        return ""
    return Markup('<a href="{}"><i class="fa fa-download"></i> {}</a>').format(
        url_for("ServiceAcceptanceView.download", filename=name),
        _l("Photo of the signed ticket"),
    )
