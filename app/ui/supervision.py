"""Supervision screens: spot checks of closed cases and site patrols of
pickup crews (seed 001 §8(一), seed 002 §4(一)2), monthly appraisal sheets and
their quarter and year view (seed 002 §4(三)(四)). The rules are
app.services.supervision's."""

from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.fields import screen_fields
from app.labels import LABELS
from app.models import BUSINESS_TZ, Appraisal, SitePatrol, SpotCheck, now
from app.models.codes import ADJUSTMENT_KINDS, APPRAISAL_STATUSES, label
from app.security.access import current_user
from app.security.scope import restrict
from app.services.core.errors import DomainError
from app.services.reporting import kpi
from app.services.supervision import appraisal
from app.services.supervision.appraisal import APPRAISAL_FLOW
from app.ui.base import RecordView, RefusalKeepsForm
from app.ui.pickers import PickerField
from app.ui.widgets import month_text

ITEM_HELP = _l("0 to 20 points.")
# What was found on a check, not a case investigation's findings.
SUPERVISION_LABELS = {
    **LABELS,
    "findings": _l("Findings"),
    "score": _l("Patrol score"),
}


class SpotCheckView(RefusalKeepsForm, RecordView):
    record_name = _l("Spot check")
    datamodel = SQLAInterface(SpotCheck)
    class_permission_name = "SpotCheck"
    route_base = "/spotchecks"
    label_columns = SUPERVISION_LABELS
    list_title = _l("Spot checks")
    add_columns = screen_fields("spot_check", "add")
    edit_columns = screen_fields("spot_check", "edit")
    list_columns = [
        "checked_on",
        "case",
        "handler",
        "department",
        "total_score",
        "created_by",
    ]
    show_columns = [
        "case",
        "checked_on",
        "handler",
        "department",
        "timeliness_score",
        "process_score",
        "solution_score",
        "satisfaction_score",
        "records_score",
        "total_score",
        "findings",
        "created_by",
        "created_at",
    ]
    search_columns = ["checked_on", "case", "handler", "department", "total_score"]
    base_order = ("checked_on", "desc")
    add_form_query_rel_fields = {"case": [["status", FilterEqual, "closed"]]}
    filled_by_rules = ("checked_on",)
    description_columns = {
        "case": _l("A closed case; its handler is the person scored."),
        "checked_on": _l("Empty: today."),
        "timeliness_score": ITEM_HELP,
        "process_score": ITEM_HELP,
        "solution_score": ITEM_HELP,
        "satisfaction_score": ITEM_HELP,
        "records_score": ITEM_HELP,
        "total_score": _l("The sum of the five items (0 to 100)."),
    }


class SitePatrolView(RefusalKeepsForm, RecordView):
    record_name = _l("Site patrol")
    datamodel = SQLAInterface(SitePatrol)
    class_permission_name = "SitePatrol"
    route_base = "/sitepatrols"
    label_columns = SUPERVISION_LABELS
    list_title = _l("Site patrols")
    add_columns = screen_fields("site_patrol", "add")
    edit_columns = screen_fields("site_patrol", "edit")
    list_columns = ["patrolled_on", "pickup", "crew", "leader", "score", "created_by"]
    show_columns = [
        "patrolled_on",
        "pickup",
        "crew",
        "leader",
        "department",
        "score",
        "findings",
        "created_by",
        "created_at",
    ]
    search_columns = ["patrolled_on", "pickup", "leader", "department", "score"]
    base_order = ("patrolled_on", "desc")
    filled_by_rules = ("patrolled_on",)
    add_form_extra_fields = {
        "leader": PickerField(LABELS["leader"], kind="staff", required=True)
    }
    edit_form_extra_fields = add_form_extra_fields
    description_columns = {
        "pickup": _l("The pickup the crew was working on."),
        "crew": _l("Empty: the crew recorded on the pickup."),
        "leader": _l("The crew leader, the person scored."),
        "score": _l("0 to 100 points."),
        "patrolled_on": _l("Empty: today."),
    }


class AppraisalView(RefusalKeepsForm, RecordView):
    """Monthly appraisal sheets (seed 002 §4(三)(四)): generated each month,
    reviewed by the head, approved and locked by Management."""

    record_name = _l("Appraisal sheet")
    datamodel = SQLAInterface(Appraisal)
    class_permission_name = "Appraisal"
    route_base = "/appraisals"
    list_title = _l("Monthly appraisal")
    header_template = "appraisal/header.html"
    label_columns = {**SUPERVISION_LABELS, "user": _l("Staff member")}
    workflow = APPRAISAL_FLOW
    add_columns = ["remarks"]  # never offered: sheets are generated
    edit_columns = screen_fields("appraisal", "edit")
    list_columns = [
        "month",
        "user",
        "department",
        "supervision_score",
        "status",
        "reviewed_by",
        "approved_by",
    ]
    show_columns = [
        "month",
        "user",
        "department",
        "status",
        "remarks",
        "reviewed_by",
        "reviewed_at",
        "review_note",
        "approved_by",
        "approved_at",
        "approval_note",
        "generated_at",
    ]
    search_columns = ["month", "user", "department", "status"]
    base_order = ("month", "desc")
    base_permissions = ["can_read", "can_edit"]
    formatters_columns = {"month": month_text}
    description_columns = {
        "remarks": _l("Notes on the month's work (not once the sheet is locked).")
    }

    def header_context(self, item: Appraisal) -> dict[str, Any]:
        return {
            "figures": appraisal.figures_of(item),
            "points": appraisal.points_of(item),
            "kinds": {k: str(v) for k, v in ADJUSTMENT_KINDS.items()},
            "status": label(APPRAISAL_STATUSES, item.status),
            "business_tz": BUSINESS_TZ,
        }


class AppraisalPeriodView(BaseView):
    """A quarter or a year of monthly sheets per person, in the viewer's scope."""

    route_base = "/appraisalperiods"
    default_view = "index"
    class_permission_name = "Appraisal"
    method_permission_name = {"index": "read"}

    @expose("/")
    @has_access
    def index(self) -> Any:
        text = request.args.get("period")
        try:
            period = kpi.parse_period(
                text, kpi.Period.holding("quarter", kpi.previous_month())
            )
        except DomainError:
            abort(400)
        if period.kind == "month":
            period = kpi.Period.holding("quarter", period.start)
        query = restrict(select(Appraisal), Appraisal, current_user())
        latest = period.latest_month(kpi.month_of(now()))
        return self.render_template(
            "appraisal/periods.html",
            period=period,
            rows=appraisal.period_rows(period, query),
            statuses={k: str(v) for k, v in APPRAISAL_STATUSES.items()},
            views=[
                (kind, label_, kpi.Period.holding(kind, latest).key)
                for kind, (_size, label_) in kpi.PERIOD_KINDS.items()
                if kind != "month"
            ],
            previous=period.shift(-1).key,
            following=period.shift(1).key,
        )
