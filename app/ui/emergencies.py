"""Emergency handling screens (应急处理, seed 002 §6): incident types (reference
data), the versioned emergency plans with their responsible people, and the
post-incident reviews of closed incident cases. The rules are
app.services.emergencies'."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.fields import screen_fields
from app.labels import LABELS
from app.models import (
    AppUser,
    Case,
    EmergencyPlan,
    IncidentReview,
    IncidentType,
    PlanResponsible,
)
from app.models.codes import PLAN_STATUSES, label
from app.security.access import can, current_user
from app.security.scope import is_visible
from app.services.emergencies.plans import PLAN_FLOW
from app.ui.base import RecordView, ReferenceView, RefusalKeepsForm
from app.ui.pickers import picker_field

EMERGENCY_LABELS = {
    **LABELS,
    "description": _l("Description"),
    "plan": _l("Emergency plan"),
    "person": _l("Responsible person"),
}


class IncidentTypeView(ReferenceView):
    """Incident types (突发事件类型, seed 002 §6(一)), admin-edited."""

    record_name = _l("Incident type")
    datamodel = SQLAInterface(IncidentType)
    route_base = "/incidenttypes"
    list_title = _l("Incident types")
    label_columns = EMERGENCY_LABELS
    list_columns = ["code", "name", "description", "active"]
    add_columns = edit_columns = list_columns
    search_columns = ["code", "name", "active"]
    base_order = ("id", "asc")


class PlanResponsibleView(RefusalKeepsForm, RecordView):
    """The responsible people of a plan version (负责人), changed on drafts."""

    record_name = _l("Responsible person")
    row_buttons_by_state = True
    datamodel = SQLAInterface(PlanResponsible)
    class_permission_name = "PlanResponsible"
    route_base = "/planresponsibles"
    list_title = _l("Responsible people")
    label_columns = EMERGENCY_LABELS
    add_columns = screen_fields("plan_responsible", "add")
    edit_columns = screen_fields("plan_responsible", "edit")
    add_form_extra_fields = {
        "person": picker_field(AppUser, EMERGENCY_LABELS["person"], required=True)
    }
    list_columns = ["person", "duty"]
    show_columns = ["plan", "person", "duty"]
    search_columns = ["plan", "person"]
    base_order = ("id", "asc")
    land_on_created = False
    description_columns = {"duty": _l("e.g. on-site command, reporting, rescue.")}


class EmergencyPlanView(RefusalKeepsForm, RecordView):
    """Emergency plans (应急预案): one version in force per incident type;
    drafts are edited, a version in force or superseded is kept."""

    record_name = _l("Emergency plan")
    row_buttons_by_state = True
    datamodel = SQLAInterface(EmergencyPlan)
    class_permission_name = "EmergencyPlan"
    route_base = "/emergencyplans"
    list_title = _l("Emergency plans")
    label_columns = EMERGENCY_LABELS
    workflow = PLAN_FLOW
    header_template = "emergency/plan_header.html"
    add_columns = screen_fields("emergency_plan", "add")
    edit_columns = screen_fields("emergency_plan", "edit")
    add_form_query_rel_fields = {"incident_type": [["active", FilterEqual, True]]}
    list_columns = [
        "incident_type",
        "version_no",
        "title",
        "status",
        "effective_on",
        "put_in_force_by",
    ]
    show_columns = [
        "incident_type",
        "version_no",
        "title",
        "status",
        "effective_on",
        "procedure",
        "in_force_at",
        "put_in_force_by",
        "superseded_at",
        "created_by",
        "created_at",
    ]
    search_columns = ["incident_type", "status", "title", "effective_on"]
    base_order = ("id", "desc")
    related_views = [PlanResponsibleView]
    quick_filters = ((_l("In force"), lambda user: {"_flt_0_status": "in_force"}),)
    description_columns = {
        "procedure": _l(
            "应急处置流程: report to the superior, start the plan, protective "
            "and rescue measures, communication, recovery of the business."
        ),
        "effective_on": _l("Set when the version is put in force (empty: that day)."),
        "version_no": _l("Numbered by the system, per incident type."),
    }

    def header_context(self, item: EmergencyPlan) -> dict[str, Any]:
        return {"status": label(PLAN_STATUSES, item.status)}


class IncidentReviewView(RefusalKeepsForm, RecordView):
    """Post-incident reviews (事后总结) of closed incident cases."""

    record_name = _l("Post-incident review")
    datamodel = SQLAInterface(IncidentReview)
    class_permission_name = "IncidentReview"
    route_base = "/incidentreviews"
    list_title = _l("Post-incident reviews")
    label_columns = EMERGENCY_LABELS
    add_columns = screen_fields("incident_review", "add")
    edit_columns = screen_fields("incident_review", "edit")
    add_form_query_rel_fields = {
        "case": [["kind", FilterEqual, "incident"], ["status", FilterEqual, "closed"]]
    }
    list_columns = ["case", "department", "needs_revision", "revision", "created_by"]
    show_columns = [
        "case",
        "department",
        "plan",
        "causes",
        "lessons",
        "needs_revision",
        "proposed_changes",
        "revision",
        "created_by",
        "created_at",
    ]
    search_columns = ["case", "department", "needs_revision"]
    base_order = ("id", "desc")
    description_columns = {
        "case": _l("A closed incident case."),
        "needs_revision": _l(
            "Ticked: a draft next version of the plan is opened with the "
            "changes proposed, for Management to put in force."
        ),
        "proposed_changes": _l("What should change in the emergency plan."),
    }


def case_plan_panel(case: Case) -> dict[str, Any] | None:
    """The emergency plan an incident case follows, for its detail page: the
    version in force when it was received, with its responsible people, and
    the post-incident review (or the way to write it once closed)."""
    if case.kind != "incident":
        return None
    user = current_user()
    plan = case.emergency_plan
    review = db.session.scalars(
        select(IncidentReview).where(IncidentReview.case_id == case.id)
    ).first()
    return {
        "incident_type": case.incident_type,
        "plan": plan,
        "plan_url": url_for("EmergencyPlanView.show", pk=plan.id)
        if plan is not None
        and can(user, "read", "EmergencyPlan")
        and is_visible(EmergencyPlan, plan.id, user)
        else None,
        "review": review,
        "review_url": url_for("IncidentReviewView.show", pk=review.id)
        if review is not None and can(user, "read", "IncidentReview")
        else None,
        "review_add_url": url_for("IncidentReviewView.add", _flt_0_case=case.id)
        if review is None
        and case.status == "closed"
        and can(user, "add", "IncidentReview")
        else None,
    }
