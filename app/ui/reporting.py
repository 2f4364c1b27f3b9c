"""Dashboard, KPI report, complaint analysis and export screens.

Thin views: each reads its parameters, calls one service and renders. Every
figure, chart and file is computed by the services over the rows the signed-in
user may see.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.extensions import db
from app.labels import LABELS
from app.models import BUSINESS_TZ, ComplaintReport, ImprovementAction, now
from app.models.codes import KPI_CODES, REPORT_STATUSES, label
from app.security.access import can, current_user
from app.security.scope import is_visible, sees_all
from app.services.core.errors import DomainError
from app.services.core.workflow import as_datetime
from app.services.reporting import (
    business,
    business_facts,
    complaint_analysis,
    complaint_facts,
    complaint_reports,
    dashboard,
    exports,
    improvements,
    kpi,
    kpi_facts,
)
from app.services.reporting.complaint_reports import REPORT_FLOW
from app.services.reporting.improvements import IMPROVEMENT_FLOW
from app.ui.base import RecordView, RefusalKeepsForm
from app.ui.widgets import BusinessDateTimeField

# Where each kind of record behind a figure opens.
RECORD_ENDPOINTS = {
    "case": "CaseView.show",
    "followup": "FollowUpView.show",
    "pickup": "PickupView.show",
    "weigh_line": "WeighLineView.show",
    "inspection": "InspectionView.show",
    "customer": "CustomerView.show",
}


def _not_a_month(error: DomainError, shown: str) -> None:
    """A page asked for a month it cannot read: say so, with what was typed,
    and show `shown` instead."""
    flash(
        str(
            _l(
                "“%(typed)s” is not a month we can read (%(reason)s); "
                "showing %(shown)s.",
                typed=request.values.get("month"),
                reason=error,
                shown=shown,
            )
        ),
        "danger",
    )


def _month(default: dt.date | None = None, on_page: bool = True) -> dt.date:
    """The month asked for ("month": YYYY-MM). A page given one it cannot
    read shows the default month and says why; a chart's data answers 400."""
    try:
        return kpi.parse_month(request.values.get("month"), default)
    except DomainError as error:
        if not on_page:
            abort(400)
        shown = default or kpi.month_of(now())
        _not_a_month(error, kpi.month_key(shown))
        return shown


def _period() -> kpi.Period:
    """The month, quarter or year asked for ("month" parameter: YYYY-MM,
    YYYY-Qn or YYYY); one the page cannot read: this month, saying why."""
    try:
        return kpi.parse_period(request.values.get("month"))
    except DomainError as error:
        shown = kpi.Period("month", kpi.month_of(now()))
        _not_a_month(error, shown.key)
        return shown


def _span() -> int:
    """The number of months asked for ("span", 1-36); one the page cannot
    read: one month, saying so (as a month it cannot read)."""
    typed = request.values.get("span")
    try:
        return max(1, min(int(typed or 1), 36))
    except ValueError:
        flash(
            str(
                _l(
                    "“%(typed)s” is not a number of months; showing one month.",
                    typed=typed,
                )
            ),
            "danger",
        )
        return 1


def _optional_int(name: str) -> int | None:
    value = request.values.get(name)
    try:
        return int(value) if value not in (None, "", "None") else None
    except ValueError:
        abort(400)


class DashboardView(BaseView):
    """KPIs vs target, trends and the complaint mix, as charts (landing page of
    Management and department heads)."""

    route_base = "/dashboard"
    default_view = "index"
    class_permission_name = "Dashboard"
    method_permission_name = {"index": "read", "data": "read"}

    @expose("/")
    @has_access
    def index(self) -> Any:
        return self.render_template(
            "dashboard/index.html", **dashboard.page(current_user(), _month())
        )

    @expose("/data/<string:name>")
    @has_access
    def data(self, name: str) -> Any:
        payload = dashboard.chart(name, current_user(), _month(on_page=False))
        if payload is None:
            abort(404)
        return jsonify(payload)


STAFF_PAGE = 30  # staff members per page of the KPI report


class KpiView(BaseView):
    """Monthly KPIs for the company, each department and each staff member."""

    route_base = "/kpis"
    default_view = "index"
    class_permission_name = "Kpi"
    method_permission_name = {
        "index": "read",
        "records": "read",
        "recompute": "recompute",
    }

    @expose("/")
    @has_access
    def index(self) -> Any:
        user = current_user()
        period = _period()
        month = period.start
        report = kpi_facts.compute_period(period, user)
        # Staff by department, a page at a time: the page's weight does not
        # grow with the number of staff.
        staff = sorted(
            report.staff(month),
            key=lambda pk: (report.user_departments.get(pk) or 0, pk),
        )
        pages = max(1, -(-len(staff) // STAFF_PAGE))
        staff_page = min(max(_optional_int("staff_page") or 1, 1), pages)
        shown = staff[(staff_page - 1) * STAFF_PAGE : staff_page * STAFF_PAGE]
        names = kpi.names(report.departments(month), shown)
        frozen = kpi.snapshots(period, company_only=True) if sees_all(user) else {}
        latest = period.latest_month(kpi.month_of(now()))
        return self.render_template(
            "kpi/index.html",
            report=report,
            month=month,
            month_text=period.key,
            period=period,
            views=[
                (kind, label, kpi.Period.holding(kind, latest).key)
                for kind, (_size, label) in kpi.PERIOD_KINDS.items()
            ],
            kpis=kpi.KPIS,
            names=names,
            staff_shown=shown,
            staff_page=staff_page,
            staff_pages=pages,
            staff_total=len(staff),
            staff_first=(staff_page - 1) * STAFF_PAGE + 1,
            frozen=frozen,
            computed_at=report.computed_at,
            refreshed_often=kpi_facts.is_recent(period),
            business_tz=BUSINESS_TZ,
            refresh_minutes=kpi_facts.REFRESH_MINUTES,
            frozen_at=max((s.computed_at for s in frozen.values()), default=None),
            can_recompute=can(user, "recompute", "Kpi"),
            can_export=can(user, "export", "Kpi"),
            previous=period.shift(-1).key,
            following=period.shift(1).key,
        )

    @expose("/records/<string:code>")
    @has_access
    def records(self, code: str) -> Any:
        try:
            measure = kpi.get_kpi(code)
        except DomainError:
            abort(404)
        period = _period()
        department_id, user_id = _optional_int("department"), _optional_int("user")
        part = request.args.get("part")
        if part not in ("numerator", "denominator"):
            part = None
        refs = kpi.records(
            measure, period, current_user(), department_id, user_id, part
        )
        rows = [
            (ref, number, url_for(RECORD_ENDPOINTS[kind], pk=pk))
            for ref, number, (kind, pk) in kpi.describe(refs)
        ]
        names = kpi.names(
            [department_id] if department_id else [], [user_id] if user_id else []
        )
        return self.render_template(
            "kpi/records.html",
            measure=measure,
            month_text=period.key,
            rows=rows,
            part=part,
            business_tz=BUSINESS_TZ,
            department=names["departments"].get(department_id),
            person=names["staff"].get(user_id),
        )

    @expose("/recompute", methods=["POST"])
    @has_access
    def recompute(self) -> Any:
        period = _period()
        count = kpi.snapshot_period(period)
        flash(
            _l(
                "KPIs of %(month)s frozen again: %(count)d figures.",
                month=period.key,
                count=count,
            ),
            "success",
        )
        return redirect(url_for("KpiView.index", month=period.key))


class ImprovementForm(FlaskForm):
    problem = TextAreaField(
        _l("Problem"), validators=[DataRequired(), Length(max=2000)]
    )
    measure = TextAreaField(
        _l("Measure"), validators=[DataRequired(), Length(max=2000)]
    )
    category = SelectField(_l("Category"), validators=[Optional()], choices=[])
    kpi = SelectField(
        _l("KPI"),
        validators=[Optional()],
        choices=[("", "—"), *[(k, str(v)) for k, v in KPI_CODES.items()]],
    )
    department = SelectField(_l("Department"), validators=[DataRequired()], choices=[])
    owner = SelectField(_l("Owner"), validators=[Optional()], choices=[])
    due_at = BusinessDateTimeField(_l("Due"), validators=[DataRequired()])


class ComplaintAnalysisView(BaseView):
    """Complaints by category (with KPI figures vs target), stage, region and
    customer; improvement actions started from a category that misses target."""

    route_base = "/analysis"
    default_view = "index"
    class_permission_name = "Kpi"
    method_permission_name = {"index": "read", "improve": "read"}

    @expose("/")
    @has_access
    def index(self) -> Any:
        user = current_user()
        month, span = _month(), _span()
        window = complaint_analysis.window_for(month, span)
        breakdowns = {
            dimension: complaint_analysis.complaint_counts(
                dimension, window, user, 10 if dimension == "customer" else None
            )
            for dimension in (
                "stage",
                "region",
                "customer",
                "department",
                "month",
                "cause",
                "responsibility",
            )
        }
        report = complaint_reports.for_month(kpi.month_key(month))
        if report is not None and not is_visible(ComplaintReport, report.id):
            report = None
        return self.render_template(
            "analysis/index.html",
            month_text=kpi.month_key(month),
            span=span,
            period=complaint_analysis.period_label(window),
            categories=complaint_analysis.by_category(window, user),
            breakdowns=breakdowns,
            # The breakdowns, the customer ranking (of the spans offered,
            # complaint_facts.TOP_SPANS) and the category figures from facts.
            computed_at=complaint_facts.as_of(window, user),
            refreshed_often=all(
                kpi_facts.is_recent(kpi.Period("month", m)) for m in window.months
            ),
            business_tz=BUSINESS_TZ,
            refresh_minutes=kpi_facts.REFRESH_MINUTES,
            can_improve=can(user, "add", "ImprovementAction"),
            trends=complaint_analysis.month_on_month(month, user),
            report=report,
            report_status=label(REPORT_STATUSES, report.status) if report else "",
            report_sent=f"{report.sent_at.astimezone(BUSINESS_TZ):%Y-%m-%d %H:%M}"
            if report and report.sent_at
            else "",
            can_write=can(user, "add", "ComplaintReport"),
        )

    @expose("/improve", methods=["GET", "POST"])
    @has_access
    def improve(self) -> Any:
        user = current_user()
        if not can(user, "add", "ImprovementAction"):
            abort(403)
        month, span = _month(), _span()
        category_id = _optional_int("category")
        code = request.values.get("kpi") or None
        form = ImprovementForm()
        form.category.choices = [("", "—"), *complaint_analysis.category_choices()]
        form.department.choices = improvements.department_choices()
        form.owner.choices = [("", "—"), *improvements.staff_choices()]
        if request.method == "GET":
            window = complaint_analysis.window_for(month, span)
            draft = improvements.draft(
                category_id,
                code,
                complaint_analysis.period_label(window),
                complaint_analysis.category_figure(category_id, code, window, user),
            )
            form.problem.data = draft.problem
            form.category.data = str(draft.category_id or "")
            form.kpi.data = draft.kpi or ""
            form.department.data = str(draft.department_id or "")
        elif form.validate_on_submit():
            try:
                action = improvements.create_action(
                    user,
                    problem=form.problem.data,
                    measure=form.measure.data,
                    due_at=as_datetime(form.due_at.data),
                    department_id=int(form.department.data),
                    owner_id=int(form.owner.data) if form.owner.data else None,
                    category_id=int(form.category.data) if form.category.data else None,
                    kpi=form.kpi.data or None,
                )
            except DomainError as error:
                db.session.rollback()
                flash(str(error), "danger")
            else:
                flash(
                    _l("Improvement action %(number)s created.", number=action.number),
                    "success",
                )
                return redirect(url_for("ImprovementActionView.show", pk=action.id))
        return self.render_template(
            "analysis/improve.html", form=form, title=_l("New improvement action")
        )


class ExportView(BaseView):
    """The signed-in user's exports: start, follow progress, download."""

    route_base = "/exports"
    default_view = "index"
    class_permission_name = "Kpi"
    method_permission_name = {
        "index": "export",
        "start": "export",
        "task": "export",
        "status": "export",
        "download": "export",
    }

    @expose("/")
    @has_access
    def index(self) -> Any:
        return self.render_template(
            "exports/index.html",
            tasks=exports.recent(current_user()),
            exports=exports.listed(),
            every_export=exports.exports(),
            month_text=kpi.month_key(_month()),
            status=exports.status,
        )

    @expose("/start/<string:kind>", methods=["POST"])
    @has_access
    def start(self, kind: str) -> Any:
        try:
            task = exports.request_export(kind, request.form.to_dict(), current_user())
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
            return redirect(url_for("ExportView.index"))
        if task.status == "done":
            return redirect(url_for("ExportView.download", task_id=task.id))
        return redirect(url_for("ExportView.task", task_id=task.id))

    @expose("/task/<int:task_id>")
    @has_access
    def task(self, task_id: int) -> Any:
        task = self._task(task_id)
        return self.render_template(
            "exports/task.html", task=task, state=exports.status(task)
        )

    @expose("/task/<int:task_id>/status")
    @has_access
    def status(self, task_id: int) -> Any:
        return jsonify(exports.status(self._task(task_id)))

    @expose("/download/<int:task_id>")
    @has_access
    def download(self, task_id: int) -> Any:
        task = self._task(task_id)
        path = exports.file_of(task)
        if task.status != "done" or path is None or not path.exists():
            abort(404)
        return send_file(
            path, as_attachment=True, download_name=exports.download_name(task)
        )

    @staticmethod
    def _task(task_id: int) -> Any:
        try:
            return exports.task_for(task_id, current_user())
        except DomainError:
            abort(404)


class ImprovementActionView(RefusalKeepsForm, RecordView):
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
    # An action's outcome is what was done, not a visit's outcome.
    label_columns = {**LABELS, "outcome": _l("What was done")}
    base_order = ("due_at", "asc")
    workflow = IMPROVEMENT_FLOW


class ComplaintReportView(RefusalKeepsForm, RecordView):
    """The monthly complaint analysis report: CustomerService writes the
    analysis and impact of a month and sends it; Management and the department
    heads read it, with the month's breakdowns, from their alerts."""

    record_name = _l("Monthly complaint report")
    datamodel = SQLAInterface(ComplaintReport)
    class_permission_name = "ComplaintReport"
    route_base = "/complaint-reports"
    list_title = _l("Monthly complaint reports")
    list_columns = ["month", "status", "sent_at", "sent_by", "changed_at"]
    search_columns = ["month", "status", "sent_at"]
    order_columns = ["month", "sent_at"]
    add_columns = ["month", "analysis", "impact"]
    edit_columns = ["analysis", "impact"]
    # The report is written for the month just analysed: this one by default.
    add_form_extra_fields = {
        "month": StringField(
            LABELS["month"],
            default=lambda: f"{now().astimezone(BUSINESS_TZ):%Y-%m}",
            validators=[InputRequired()],
        )
    }
    show_columns = [
        "month",
        "status",
        "analysis",
        "impact",
        "sent_at",
        "sent_by",
        "sent_to",
        "created_by",
        "changed_at",
    ]
    base_order = ("month", "desc")
    workflow = REPORT_FLOW
    header_template = "analysis/report_header.html"
    description_columns = {
        "month": _l("YYYY-MM, e.g. 2026-10: the month the figures above cover."),
        "analysis": _l(
            "问题原因剖析: what the breakdowns by cause, responsibility and "
            "category say, and why."
        ),
        "impact": _l("对公司业务的影响评估: what the complaints cost the business."),
    }

    def header_context(self, item: ComplaintReport) -> dict[str, Any]:
        user = current_user()
        month = kpi.parse_month(item.month)
        window = complaint_analysis.window_for(month, 1)
        return {
            "trends": complaint_analysis.month_on_month(month, user),
            "causes": complaint_analysis.complaint_counts("cause", window, user),
            "responsibilities": complaint_analysis.complaint_counts(
                "responsibility", window, user
            ),
        }


class BusinessView(BaseView):
    """Volumes received and sold, prices against the list, settlement amounts
    (seed 002 §7(二)), over the rows the signed-in user may see."""

    route_base = "/business"
    default_view = "index"
    class_permission_name = "BusinessStatistics"
    method_permission_name = {"index": "read"}

    @expose("/")
    @has_access
    def index(self) -> Any:
        user = current_user()
        month, span = _month(), _span()
        window = complaint_analysis.window_for(month, span)
        trend = kpi.Window.ending(month, max(span, 12))
        return self.render_template(
            "business/index.html",
            month_text=kpi.month_key(month),
            span=span,
            period=complaint_analysis.period_label(window),
            breakdowns={
                name: business.volumes(name, window, user)
                for name in ("material", "grade", "region")
            },
            months=business.volumes("month", trend, user),
            prices=business.prices(window, user),
            amounts=business.amounts(trend, user),
            dimensions=business.DIMENSIONS,
            can_export=can(user, "export", "Kpi"),
            # Set when the window's figures come from the business facts.
            computed_at=business_facts.as_of(window, user),
            refreshed_often=all(
                kpi_facts.is_recent(kpi.Period("month", m)) for m in window.months
            ),
            business_tz=BUSINESS_TZ,
            refresh_minutes=kpi_facts.REFRESH_MINUTES,
        )
