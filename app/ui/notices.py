"""Customer notices: the messages sent to customers, the clerk's call tasks, and
the templates admins edit."""

from __future__ import annotations

from typing import Any

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import ValidationError

from app.labels import LABELS
from app.models import CustomerNotice, NoticeTemplate
from app.services.notify.customer_notices import NOTICE_FLOW, template_error
from app.ui.base import (
    RecordView,
    ReferenceView,
    format_datetime,
    format_identifier,
)

NOTICE_LABELS = {
    **LABELS,
    "event": _l("Occasion"),
    "channel": _l("Sent by"),
    "to_address": _l("E-mail address"),
    "subject": _l("Subject"),
    "body": _l("Message"),
    "sent_at": _l("Sent at"),
    "error": _l("Delivery error"),
    "called_at": _l("Called at"),
    "call_note": _l("What the customer said"),
    "case": _l("Case"),
    "pickup": _l("Pickup"),
    "settlement": _l("Settlement"),
}


class CustomerNoticeView(RecordView):
    """客户通知: every message to a customer; those without e-mail are call tasks."""

    record_name = _l("Customer notice")
    datamodel = SQLAInterface(CustomerNotice)
    class_permission_name = "CustomerNotice"
    route_base = "/notices"
    list_title = _l("Customer notices")
    label_columns = NOTICE_LABELS
    list_columns = [
        "created_at",
        "customer",
        "event",
        "subject",
        "channel",
        "status",
        "assignee",
    ]
    search_columns = [
        "customer",
        "event",
        "channel",
        "status",
        "assignee",
        "case",
        "pickup",
        "created_at",
    ]
    show_columns = [
        "customer",
        "event",
        "case",
        "pickup",
        "settlement",
        "channel",
        "to_address",
        "subject",
        "body",
        "status",
        "sent_at",
        "error",
        "assignee",
        "department",
        "called_at",
        "call_note",
        "created_at",
    ]
    add_columns = edit_columns = []
    base_permissions = ["can_read"]
    base_order = ("id", "desc")
    workflow = NOTICE_FLOW
    formatters_columns = {"created_at": format_datetime, "sent_at": format_datetime}
    quick_filters = (
        (
            _l("My calls to make"),
            lambda user: {"_flt_0_assignee": user.id, "_flt_3_status": "to_call"},
        ),
    )


def _renders(_form: Any, field: Any) -> None:
    """On the form itself, so a refused template stays on screen as typed."""
    reason = template_error(field.data)
    if reason is not None:
        raise ValidationError(reason)


class NoticeTemplateView(ReferenceView):
    """The text sent at each occasion; Jinja placeholders, checked on save."""

    record_name = _l("Notice template")
    datamodel = SQLAInterface(NoticeTemplate)
    list_title = _l("Notice templates")
    label_columns = NOTICE_LABELS
    list_columns = ["event", "subject", "active"]
    add_columns = edit_columns = ["event", "subject", "body", "active"]
    show_columns = [*add_columns, "changed_at", "changed_by"]
    base_order = ("id", "asc")
    validators_columns = {"subject": [_renders], "body": [_renders]}
    # Jinja placeholders are names, shown as typed.
    formatters_columns = {"subject": format_identifier, "body": format_identifier}
    description_columns = {
        "body": _l(
            "Placeholders: {{ customer.name }}, {{ case.number }}, {{ case.title }}, "
            "{{ case.result }}, {{ pickup.number }}, {{ pickup.window_start }}, "
            "{{ settlement.total }}, {{ company.phone }} …"
        ),
    }
