"""Reference-data screens (admins edit, everyone reads)."""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import InputRequired, Optional

from app.labels import LABELS
from app.models import (
    CalendarDay,
    CalendarYear,
    CaseCategory,
    Channel,
    CustomerGrade,
    CustomerType,
    Department,
    FollowUpRule,
    KpiTarget,
    Material,
    MaterialGrade,
    PriceListItem,
    Setting,
    SlaPolicy,
    WorkWindow,
)
from app.models.codes import WEEKDAYS, label
from app.ui.base import ReferenceView
from app.ui.standards import ProposedEdits


def _weekday_field(required: bool) -> SelectField:
    choices = [(int(k), v) for k, v in WEEKDAYS.items()]
    if not required:
        choices = [(None, "—"), *choices]
    return SelectField(
        LABELS["weekday"],
        choices=choices,
        coerce=lambda v: None if v in (None, "", "None") else int(v),
        validators=[InputRequired()] if required else [Optional()],
    )


def _weekday_label(value: int | None) -> str:
    return "" if value is None else label(WEEKDAYS, str(value))


class DepartmentView(ReferenceView):
    record_name = _l("Department")
    datamodel = SQLAInterface(Department)
    list_title = _l("Departments")
    list_columns = ["code", "name", "email", "active"]
    add_columns = edit_columns = ["code", "name", "email", "active"]
    search_columns = ["code", "name"]
    base_order = ("id", "asc")


class CustomerTypeView(ReferenceView):
    record_name = _l("Customer type")
    datamodel = SQLAInterface(CustomerType)
    list_title = _l("Customer types")
    list_columns = add_columns = edit_columns = ["code", "name"]
    base_order = ("id", "asc")


class CustomerGradeView(ReferenceView):
    """Customer grades (客户分级) and their criteria, seed 003 第四条(1)."""

    record_name = _l("Customer grade")
    datamodel = SQLAInterface(CustomerGrade)
    list_title = _l("Customer grades")
    list_columns = [
        "code",
        "name",
        "rank",
        "min_volume_kg",
        "max_complaints",
        "nature",
        "scale",
        "trend",
        "active",
    ]
    add_columns = edit_columns = [*list_columns, "notes"]
    show_columns = [*add_columns, "changed_at", "changed_by"]
    search_columns = ["code", "name", "active"]
    base_order = ("rank", "asc")
    description_columns = {
        "rank": _l("1 is the best grade; the proposal tries grades in this order."),
        "min_volume_kg": _l(
            "Weight received from and sold to the customer over the last 12 "
            "months, at least; empty: no minimum."
        ),
        "max_complaints": _l(
            "Complaints received over the last 12 months, at most; empty: no limit."
        ),
        "nature": _l("性质: e.g. long-term partner, producer, trader."),
        "scale": _l("规模: e.g. facilities, staff, yearly capacity."),
        "trend": _l("经营发展趋势: shown with the last 6 months against the 6 before."),
    }


class ChannelView(ReferenceView):
    record_name = _l("Channel")
    datamodel = SQLAInterface(Channel)
    list_title = _l("Channels")
    list_columns = add_columns = edit_columns = ["code", "name", "route_department"]
    base_order = ("id", "asc")
    description_columns = {
        "route_department": _l(
            "Supervision hotline or mailbox (监督电话/监督邮箱): every case "
            "received on this channel goes to this department, whatever its "
            "category. Empty: the category decides."
        )
    }


class CaseCategoryView(ReferenceView):
    record_name = _l("Case category")
    datamodel = SQLAInterface(CaseCategory)
    list_title = _l("Case categories")
    list_columns = ["code", "name", "default_department", "default_stage", "active"]
    add_columns = edit_columns = list_columns
    search_columns = ["code", "name", "default_department"]
    base_order = ("id", "asc")


class SlaPolicyView(ProposedEdits, ReferenceView):
    """SLA policies, one row per version; changes are proposed."""

    standard_subject = "sla_policy"
    record_name = _l("SLA policy")
    datamodel = SQLAInterface(SlaPolicy)
    list_title = _l("SLA policies")
    list_columns = [
        "name",
        "kind",
        "severity",
        "customer_type",
        "customer_grade",
        "response_amount",
        "response_unit",
        "resolution_amount",
        "resolution_unit",
        "active",
        "valid_from",
        "valid_to",
    ]
    _fields = [
        "name",
        "kind",
        "severity",
        "customer_type",
        "customer_grade",
        "response_amount",
        "response_unit",
        "offhours_response_amount",
        "offhours_response_unit",
        "resolve_at_response",
        "resolution_amount",
        "resolution_unit",
        "escalate_immediately",
        "at_risk_percent",
        "active",
        "source",
        "notes",
    ]
    add_columns = edit_columns = _fields
    show_columns = [
        *_fields,
        "valid_from",
        "valid_to",
        "covers_open",
        "changed_at",
        "changed_by",
    ]
    search_columns = [
        "name",
        "kind",
        "severity",
        "customer_type",
        "customer_grade",
        "active",
    ]
    base_order = ("id", "asc")
    description_columns = {
        "offhours_response_amount": _l(
            "Used instead of the response target when the case arrives outside "
            "working time (inquiries: 2 calendar hours)."
        ),
        "resolve_at_response": _l("The answer that responds also resolves."),
        "customer_grade": _l(
            "Only for customers of this grade (e.g. shorter targets for A); "
            "it wins over the general policy and the customer type's own."
        ),
        "at_risk_percent": _l(
            "Share of the target used before an at-risk alert; "
            "empty = the global setting."
        ),
    }


class WorkWindowView(ReferenceView):
    record_name = _l("Work window")
    datamodel = SQLAInterface(WorkWindow)
    list_title = _l("Work windows")
    list_columns = add_columns = edit_columns = ["weekday", "start_time", "end_time"]
    search_columns = ["weekday"]
    base_order = ("weekday", "asc")
    formatters_columns = {"weekday": _weekday_label}
    add_form_extra_fields = edit_form_extra_fields = {
        "weekday": _weekday_field(required=True)
    }


class CalendarDayView(ReferenceView):
    record_name = _l("Calendar day")
    datamodel = SQLAInterface(CalendarDay)
    list_title = _l("Business calendar")
    list_columns = ["day", "kind", "follows_weekday", "hours", "name", "source"]
    add_columns = edit_columns = ["day", "kind", "follows_weekday", "hours", "name"]
    search_columns = ["day", "kind", "name", "source"]
    base_order = ("day", "asc")
    formatters_columns = {"follows_weekday": _weekday_label}
    add_form_extra_fields = edit_form_extra_fields = {
        "follows_weekday": _weekday_field(required=False)
    }
    description_columns = {
        "hours": _l("Only for custom hours, e.g. 08:30-12:00,13:00-16:00."),
        "follows_weekday": _l("A make-up working day works this weekday's hours."),
    }


class CalendarYearView(ReferenceView):
    record_name = _l("Calendar year")
    datamodel = SQLAInterface(CalendarYear)
    list_title = _l("Calendar years")
    list_columns = ["year", "status", "source", "changed_at"]
    add_columns = edit_columns = ["year", "status", "source", "notes"]
    base_order = ("year", "asc")


class MaterialView(ReferenceView):
    record_name = _l("Material")
    datamodel = SQLAInterface(Material)
    list_title = _l("Materials")
    list_columns = ["code", "name", "parent", "unit", "active"]
    add_columns = edit_columns = list_columns
    search_columns = ["code", "name", "parent", "active"]
    base_order = ("code", "asc")


class MaterialGradeView(ReferenceView):
    record_name = _l("Material grade")
    datamodel = SQLAInterface(MaterialGrade)
    list_title = _l("Material grades")
    list_columns = ["material", "code", "name", "rank"]
    add_columns = edit_columns = list_columns
    search_columns = ["material", "code", "name"]
    base_order = ("material_id", "asc")


class PriceListView(ReferenceView):
    record_name = _l("Price")
    datamodel = SQLAInterface(PriceListItem)
    list_title = _l("Price list")
    list_columns = [
        "material",
        "grade",
        "direction",
        "customer_type",
        "unit_price",
        "valid_from",
        "valid_to",
    ]
    add_columns = edit_columns = [*list_columns, "notes"]
    search_columns = [
        "material",
        "grade",
        "direction",
        "customer_type",
        "valid_from",
        "valid_to",
    ]
    base_order = ("valid_from", "desc")


class FollowUpRuleView(ProposedEdits, ReferenceView):
    standard_subject = "followup_rule"
    record_name = _l("Follow-up rule")
    datamodel = SQLAInterface(FollowUpRule)
    list_title = _l("Follow-up rules")
    list_columns = [
        "code",
        "name",
        "trigger",
        "case_kind",
        "delay_amount",
        "delay_unit",
        "interval_days",
        "department",
        "active",
    ]
    add_columns = edit_columns = [*list_columns, "customer_type", "customer_grade"]
    base_order = ("id", "asc")
    description_columns = {
        "customer_grade": _l(
            "Only for customers of this grade; for them it replaces the rule of "
            "the same trigger and case kind naming no grade (e.g. A customers "
            "visited every 15 days instead of 30)."
        ),
    }


class KpiTargetView(ProposedEdits, ReferenceView):
    standard_subject = "kpi_target"
    record_name = _l("KPI target")
    datamodel = SQLAInterface(KpiTarget)
    list_title = _l("KPI targets")
    list_columns = ["kpi", "department", "target_percent", "lower_is_better"]
    add_columns = edit_columns = list_columns
    base_order = ("kpi", "asc")


class SettingView(ProposedEdits, ReferenceView):
    """Settings; the escalation settings among them are service standards."""

    standard_subject = "setting"
    record_name = _l("Setting")
    datamodel = SQLAInterface(Setting)
    list_title = _l("Settings")
    list_columns = ["key", "value", "description"]
    add_columns = edit_columns = list_columns
    base_order = ("key", "asc")
