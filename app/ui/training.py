"""Training screens: yearly plans, sessions with attendance, assessment results.

Seed 003 客服部规章 第十七–十九条, 客服运营方案 三.1; the rules are in
app.services.training.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.labels import LABELS
from app.models import (
    AppUser,
    TrainingAssessment,
    TrainingAttendance,
    TrainingPlan,
    TrainingSession,
)
from app.security.access import current_user
from app.services.training.training_rules import refusal_to_record
from app.ui.base import RecordView, RefusalKeepsForm
from app.ui.pickers import picker_field


class HeadsRecord:
    """Mixin of a training screen: only a department head or Management
    records training (`refusal_to_record`). Others see no add or edit
    buttons, and an edit form typed by address is refused before it opens."""

    row_buttons_by_state = True

    def refused_to_add(self) -> Any | None:
        return refusal_to_record(current_user())

    def refused_before_form(self, item: Any | None) -> Any:
        reason = refusal_to_record(current_user()) if item is not None else None
        if reason is not None:
            return reason, url_for(f"{self.endpoint}.show", pk=item.id)  # type: ignore[attr-defined]
        return super().refused_before_form(item)  # type: ignore[misc]


def _yes_no(value: bool | None) -> str:
    return str(_l("Yes") if value else _l("No"))


class TrainingAttendanceView(HeadsRecord, RefusalKeepsForm, RecordView):
    """Who attended a training session (考勤)."""

    record_name = _l("Attendance")
    datamodel = SQLAInterface(TrainingAttendance)
    class_permission_name = "TrainingAttendance"
    route_base = "/trainingattendance"
    list_title = _l("Attendance")
    add_columns = ["training_session", "person", "attended", "note"]
    edit_columns = ["attended", "note"]
    add_form_extra_fields = {
        "person": picker_field(AppUser, LABELS["person"], required=True)
    }
    list_columns = ["training_session", "person", "department", "attended", "note"]
    show_columns = [
        "training_session",
        "person",
        "department",
        "attended",
        "note",
        "created_by",
        "created_at",
    ]
    search_columns = ["training_session", "person", "department", "attended"]
    formatters_columns = {"attended": _yes_no}
    base_order = ("id", "desc")
    land_on_created = False


class TrainingAssessmentView(HeadsRecord, RefusalKeepsForm, RecordView):
    """Assessment results (考核成绩); a pass clears new staff for duty."""

    record_name = _l("Assessment result")
    datamodel = SQLAInterface(TrainingAssessment)
    class_permission_name = "TrainingAssessment"
    route_base = "/trainingassessments"
    list_title = _l("Assessment results")
    add_columns = ["person", "training_session", "assessed_on", "score", "note"]
    edit_columns = ["training_session", "assessed_on", "score", "note"]
    add_form_extra_fields = {
        "person": picker_field(AppUser, LABELS["person"], required=True)
    }
    list_columns = [
        "person",
        "department",
        "training_session",
        "assessed_on",
        "score",
        "passed",
    ]
    show_columns = [
        "person",
        "department",
        "training_session",
        "assessed_on",
        "score",
        "passed",
        "note",
        "created_by",
        "created_at",
    ]
    search_columns = ["person", "department", "training_session", "passed"]
    order_columns = ["assessed_on", "score"]
    formatters_columns = {"passed": _yes_no}
    description_columns = {
        "score": _l("0 to 100; passing clears a new member of staff for duty."),
    }
    base_order = ("assessed_on", "desc")
    land_on_created = False


class TrainingSessionView(HeadsRecord, RefusalKeepsForm, RecordView):
    """Training held (培训记录): internal, on-site, case study or external."""

    record_name = _l("Training session")
    datamodel = SQLAInterface(TrainingSession)
    class_permission_name = "TrainingSession"
    route_base = "/trainingsessions"
    list_title = _l("Training sessions")
    add_columns = [
        "kind",
        "held_on",
        "trainer",
        "topic",
        "training_plan",
        "department",
        "notes",
    ]
    edit_columns = add_columns
    list_columns = ["held_on", "kind", "topic", "trainer", "department"]
    show_columns = [*add_columns, "created_by", "created_at"]
    search_columns = ["held_on", "kind", "topic", "trainer", "department"]
    order_columns = ["held_on"]
    description_columns = {
        "department": _l("Empty = your own department."),
        "training_plan": _l("The yearly plan the session belongs to, if any."),
    }
    base_order = ("held_on", "desc")
    filled_by_rules = ("department",)
    related_views = [TrainingAttendanceView, TrainingAssessmentView]


class TrainingPlanView(HeadsRecord, RefusalKeepsForm, RecordView):
    """A department's yearly training plan (年度培训计划)."""

    record_name = _l("Training plan")
    datamodel = SQLAInterface(TrainingPlan)
    class_permission_name = "TrainingPlan"
    route_base = "/trainingplans"
    list_title = _l("Training plans")
    add_columns = ["year", "department", "goals", "content", "method", "schedule"]
    edit_columns = add_columns
    list_columns = ["year", "department", "goals"]
    show_columns = [*add_columns, "created_by", "created_at"]
    search_columns = ["year", "department"]
    order_columns = ["year"]
    description_columns = {
        "department": _l("Empty = your own department."),
        "method": _l("Internal, on-site, case study, external training."),
        "schedule": _l("When each part of the training is held."),
    }
    base_order = ("year", "desc")
    filled_by_rules = ("department",)
    related_views = [TrainingSessionView]
