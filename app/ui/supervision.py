"""Supervision screens: spot checks of closed cases and site patrols of
pickup crews (seed 001 §8(一), seed 002 §4(一)2). The rules and the total are
app.services.supervision.checks'."""

from __future__ import annotations

from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.fields import screen_fields
from app.labels import LABELS
from app.models import SitePatrol, SpotCheck
from app.ui.base import RecordView, RefusalKeepsForm

ITEM_HELP = _l("0 to 20 points.")
# What was found on a check, not a case investigation's findings.
SUPERVISION_LABELS = {**LABELS, "findings": _l("Findings")}


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
    description_columns = {
        "pickup": _l("The pickup the crew was working on."),
        "crew": _l("Empty: the crew recorded on the pickup."),
        "leader": _l("The crew leader, the person scored."),
        "score": _l("0 to 100 points."),
        "patrolled_on": _l("Empty: today."),
    }
