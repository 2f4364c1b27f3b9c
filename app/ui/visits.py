"""Follow-up visit screens; key-account visit plans, visits and their summary."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import BooleanField

from app.fields import screen_fields
from app.labels import LABELS
from app.models import FollowUp, ServiceAcceptance, Visit, VisitPlan, now
from app.security.access import current_user
from app.services.core.errors import DomainError
from app.services.reporting.kpi import month_key, month_of, parse_month
from app.services.visits import key_accounts
from app.services.visits.key_accounts import VISIT_FLOW
from app.services.visits.visit_steps import FOLLOWUP_FLOW
from app.ui.base import RecordView, RefusalKeepsForm
from app.ui.pickers import PickerField


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
    description_columns = {
        "pickup": _l("A pickup whose materials were collected on site."),
        "case": _l("Or an after-sales service carried out on site."),
        "signed": _l(
            "Tick when the customer signed the ticket; when they refused or "
            "were absent, leave it unticked and say why."
        ),
        "rating": _l("The customer's rating of quality, attitude and timeliness."),
        "photo": _l("Photo or scan of the signed ticket."),
    }
    land_on_created = False
    formatters_columns = {"photo": lambda name: _photo_link(name)}
    # The clerk ticks what the customer did; nothing is presumed signed.
    # Only what can be accepted, named so the clerk recognises it.
    add_form_extra_fields = {
        "pickup": PickerField(LABELS["pickup"], kind="served_pickup", required=False),
        "case": PickerField(LABELS["case"], kind="served_case", required=False),
        "signed": BooleanField(LABELS["signed"], default=False),
    }


def _photo_link(name: str | None) -> Any:
    """The signed ticket's photo as a link to its (scoped) download."""
    if not name:
        return ""
    return Markup('<a href="{}"><i class="fa fa-download"></i> {}</a>').format(
        url_for("ServiceAcceptanceView.download", filename=name),
        _l("Photo of the signed ticket"),
    )


class VisitView(RefusalKeepsForm, RecordView):
    """Visits of key accounts and their reports (巡访日报, 客户卡), seed 003 第九条."""

    record_name = _l("Key-account visit")
    datamodel = SQLAInterface(Visit)
    class_permission_name = "Visit"
    route_base = "/visits"
    list_title = _l("Key-account visits")
    add_columns = ["plan", "planned_on", "visitor"]
    edit_columns = ["planned_on", "visitor"]
    # Empty: the plan's designated visitor (the rules fill it in). Offered:
    # active staff who record visit reports (seed 003 第四条(2)).
    add_form_extra_fields = {
        "visitor": PickerField(LABELS["visitor"], kind="visitor", required=False)
    }
    edit_form_extra_fields = {
        "visitor": PickerField(LABELS["visitor"], kind="visitor", required=True)
    }
    list_columns = [
        "number",
        "customer",
        "plan",
        "planned_on",
        "visitor",
        "status",
        "visited_at",
        "urgent",
    ]
    search_columns = [
        "number",
        "customer",
        "plan",
        "visitor",
        "status",
        "planned_on",
        "urgent",
    ]
    order_columns = ["number", "planned_on", "visited_at"]
    show_fieldsets = [
        (
            _l("Visit"),
            {
                "fields": [
                    "number",
                    "plan",
                    "customer",
                    "visitor",
                    "department",
                    "planned_on",
                    "status",
                    "visited_at",
                    "cancel_reason",
                ]
            },
        ),
        (
            _l("Customer card"),
            {
                "fields": [
                    "opinions",
                    "needs",
                    "market_info",
                    "competitor_info",
                    "effect",
                    "issues_handled",
                    "other_matters",
                ]
            },
        ),
        (
            _l("Urgent report"),
            {"fields": ["urgent", "urgent_kind", "urgent_note", "urgent_at"]},
        ),
    ]
    description_columns = {
        "visitor": _l("Empty: the plan's designated visitor."),
        "planned_on": _l("A day inside the plan's period."),
    }
    base_order = ("planned_on", "desc")
    quick_filters = (
        (
            _l("My planned visits"),
            lambda user: {"_flt_0_visitor": user.id, "_flt_3_status": "planned"},
        ),
        (_l("Urgent reports"), lambda user: {"_flt_0_urgent": "y"}),
    )
    workflow = VISIT_FLOW


class VisitPlanView(RefusalKeepsForm, RecordView):
    """Yearly, quarterly and monthly visit plans of key accounts (seed 003 第五条)."""

    record_name = _l("Visit plan")
    datamodel = SQLAInterface(VisitPlan)
    label_columns = {**LABELS, "period": _l("Plan period")}
    class_permission_name = "VisitPlan"
    route_base = "/visitplans"
    list_title = _l("Visit plans")
    add_columns = [
        "customer",
        "period",
        "starts_on",
        "visitor",
        "exception_reason",
        "focus_materials",
        "survey_items",
        "special_items",
        "arrangements",
    ]
    edit_columns = add_columns[1:]
    add_form_extra_fields = {
        "customer": PickerField(LABELS["customer"], kind="key_account", required=True),
        "visitor": PickerField(LABELS["visitor"], kind="visitor", required=True),
    }
    edit_form_extra_fields = {
        "visitor": PickerField(LABELS["visitor"], kind="visitor", required=True)
    }
    list_columns = [
        "number",
        "customer",
        "period",
        "starts_on",
        "ends_on",
        "visitor",
        "department",
    ]
    search_columns = ["number", "customer", "period", "visitor", "starts_on"]
    order_columns = ["number", "starts_on"]
    show_columns = [
        "number",
        "customer",
        "period",
        "starts_on",
        "ends_on",
        "visitor",
        "exception_reason",
        "focus_materials",
        "survey_items",
        "special_items",
        "arrangements",
        "department",
        "created_at",
        "created_by",
    ]
    description_columns = {
        "starts_on": _l(
            "Any day of the year, quarter or month; the plan covers all of it."
        ),
        "visitor": _l("In principle not the account's own sales rep."),
        "exception_reason": _l("Only when the sales rep visits after all."),
    }
    base_order = ("starts_on", "desc")
    related_views = [VisitView]


class VisitSummaryView(BaseView):
    """每月巡访情况报告书 (seed 003 第十条): planned against done per visitor and
    account, in the viewer's scope."""

    route_base = "/visitsummary"
    default_view = "index"
    class_permission_name = "Visit"
    method_permission_name = {"index": "read"}

    @expose("/")
    @has_access
    def index(self) -> Any:
        typed = request.args.get("month", "")
        error = None
        try:
            month = parse_month(typed.strip() or None)
        except DomainError as refusal:
            error, month = str(refusal), month_of(now())
        summary = key_accounts.monthly_summary(month, current_user())
        return self.render_template(
            "visits/summary.html",
            summary=summary,
            month_text=typed if error else month_key(month),
            error=error,
            title=_l("Monthly visit summary"),
        ), (400 if error else 200)
