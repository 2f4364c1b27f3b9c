"""Finance screens: statements of account, ageing, overdue tasks, payment terms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from wtforms import MonthField
from wtforms.validators import InputRequired
from wtforms.widgets import TextInput

from app.extensions import db
from app.labels import LABELS
from app.models import OverdueTask, PaymentTerm, Statement, now
from app.security.access import can, current_user
from app.services.core.errors import DomainError
from app.services.finance import receivables, statements
from app.services.finance.receivables import OVERDUE_FLOW
from app.services.finance.statements import STATEMENT_FLOW
from app.services.reporting import exports
from app.services.reporting.kpi import month_key, month_of, parse_month
from app.ui.base import RecordView, ReferenceView, RefusalKeepsForm
from app.ui.base import format_money as yuan


def start_export(kind: str, params: dict[str, Any], back: str) -> Any:
    """Start an export task and go to its file (or its progress page)."""
    try:
        task = exports.request_export(kind, params, current_user())
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(back)
    if task.status == "done":
        return redirect(url_for("ExportView.download", task_id=task.id))
    return redirect(url_for("ExportView.task", task_id=task.id))


class PaymentTermView(ReferenceView):
    record_name = _l("Payment term")
    datamodel = SQLAInterface(PaymentTerm)
    list_title = _l("Payment terms")
    list_columns = ["code", "name", "days", "basis", "active"]
    add_columns = edit_columns = [*list_columns, "notes"]
    search_columns = ["code", "name", "basis", "active"]
    base_order = ("days", "asc")
    description_columns = {
        "days": _l("Calendar days; payment on the last day is on time."),
    }


class StatementView(RefusalKeepsForm, RecordView):
    record_name = _l("Statement of account")
    datamodel = SQLAInterface(Statement)
    class_permission_name = "Statement"
    route_base = "/statements"
    list_title = _l("Statements of account")
    method_permission_name = {
        **RecordView.method_permission_name,
        "export": "read",
        "prepare_month": "add",
    }
    list_columns = [
        "number",
        "customer",
        "month",
        "status",
        "opening",
        "debit",
        "credit",
        "closing",
        "sent_at",
        "confirmed_at",
    ]
    search_columns = ["number", "customer", "month", "status", "confirmed_at"]
    add_columns = ["customer", "month"]
    edit_columns = ["notes"]
    show_columns = [
        "number",
        "customer",
        "month",
        "status",
        "prepared_at",
        "sent_at",
        "sent_channel",
        "confirmed_at",
        "confirmed_by_name",
        "confirmation_note",
        "recorded_by",
        "dispute_case",
        "department",
        "notes",
        "created_at",
        "created_by",
    ]
    base_order = ("id", "desc")
    # Statements are prepared for any active customer with settlements.
    add_form_query_rel_fields = {"customer": [["status", FilterEqual, "active"]]}
    add_form_extra_fields = {
        # A text box taking YYYY-MM (the browser's month widget is not localized).
        "month": MonthField(
            LABELS["month"],
            validators=[InputRequired()],
            default=lambda: month_of(now()),
            widget=TextInput(),
            render_kw={"placeholder": "2026-03", "autocomplete": "off"},
        )
    }
    formatters_columns = {
        "month": lambda value: month_key(value) if value else "",
        **{name: yuan for name in ("opening", "debit", "credit", "closing")},
    }
    description_columns = {
        "month": _l("The calendar month the statement covers."),
    }
    quick_filters = (
        (_l("Waiting for the customer"), lambda user: {"_flt_3_status": "sent"}),
        (_l("Disputed"), lambda user: {"_flt_3_status": "disputed"}),
        (_l("Confirmed"), lambda user: {"_flt_3_status": "confirmed"}),
    )
    workflow = STATEMENT_FLOW
    header_template = "finance/statement_header.html"
    list_template = "finance/statement_list.html"
    print_template = "finance/statement_print.html"
    print_context = staticmethod(statements.sheet)

    def header_context(self, item: Statement) -> dict[str, Any]:
        return {
            "sheet": statements.sheet(item),
            "can_export": can(current_user(), "read", "Statement"),
        }

    @expose("/export/<int:pk>", methods=["POST"])
    @has_access
    def export(self, pk: int) -> Any:
        """The statement as a workbook (.xlsx), through the user's exports."""
        item = self._scoped_item(pk)
        return start_export(
            "statement",
            {"statement": item.id},
            url_for("StatementView.show", pk=item.id),
        )

    @expose("/prepare_month", methods=["POST"])
    @has_access
    def prepare_month(self) -> Any:
        """Statements of a month for every customer with entries or a balance."""
        try:
            month = parse_month(request.form.get("month"))
            done = statements.prepare_month(month, current_user())
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            flash(
                _l(
                    "Statements of %(month)s: %(created)d prepared, %(refreshed)d "
                    "updated.",
                    month=month_key(month),
                    created=done.created,
                    refreshed=done.refreshed,
                ),
                "success",
            )
        return redirect(url_for("StatementView.list"))


class OverdueTaskView(RecordView):
    record_name = _l("Overdue follow-up task")
    datamodel = SQLAInterface(OverdueTask)
    class_permission_name = "OverdueTask"
    route_base = "/overduetasks"
    # Tasks are opened by the periodic job, one per overdue settlement; on
    # screen they are reassigned and worked through their steps.
    base_permissions = ["can_read", "can_edit"]
    list_title = _l("Overdue follow-up tasks")
    list_columns = [
        "number",
        "customer",
        "settlement",
        "direction",
        "amount",
        "due_on",
        "assignee",
        "status",
        "promised_on",
        "last_contact_at",
    ]
    search_columns = [
        "number",
        "customer",
        "direction",
        "status",
        "assignee",
        "due_on",
        "promised_on",
    ]
    edit_columns = ["assignee"]
    show_columns = [
        "number",
        "customer",
        "settlement",
        "direction",
        "amount",
        "due_on",
        "status",
        "assignee",
        "department",
        "promised_on",
        "last_contact_at",
        "log",
        "closed_at",
        "close_reason",
        "created_at",
    ]
    base_order = ("due_on", "asc")
    edit_form_query_rel_fields = {"assignee": [["active", FilterEqual, True]]}
    formatters_columns = {"amount": yuan}
    quick_filters = (
        (
            _l("My open tasks"),
            lambda user: {"_flt_0_assignee": user.id, "_flt_3_status": "open"},
        ),
        (
            _l("Receivables"),
            lambda user: {"_flt_3_direction": "receive", "_flt_3_status": "open"},
        ),
        (
            _l("Payables"),
            lambda user: {"_flt_3_direction": "pay", "_flt_3_status": "open"},
        ),
    )
    workflow = OVERDUE_FLOW


class ReceivablesView(BaseView):
    """Receivables and payables ageing per customer, in the viewer's scope."""

    route_base = "/receivables"
    default_view = "index"
    class_permission_name = "Receivables"
    method_permission_name = {"index": "read", "export": "export"}

    @staticmethod
    def _params() -> tuple[str, dt.date]:
        direction = request.values.get("direction") or "receive"
        if direction not in ("receive", "pay"):
            abort(400)
        text = request.values.get("as_of") or ""
        try:
            day = dt.date.fromisoformat(text) if text else receivables.today()
        except ValueError:
            abort(400)
        return direction, day

    @expose("/")
    @has_access
    def index(self) -> Any:
        direction, day = self._params()
        user = current_user()
        return self.render_template(
            "finance/receivables.html",
            report=receivables.ageing(direction, user, day),
            buckets=receivables.BUCKETS,
            direction=direction,
            as_of=day.isoformat(),
            yuan=yuan,
            can_export=can(user, "export", "Receivables"),
            title=_l("Receivables and payables"),
        )

    @expose("/export", methods=["POST"])
    @has_access
    def export(self) -> Any:
        direction, day = self._params()
        return start_export(
            "ageing",
            {"direction": direction, "as_of": day.isoformat()},
            url_for("ReceivablesView.index", direction=direction),
        )
