"""Personal alerts and the audit trail."""

from __future__ import annotations

from flask import flash, redirect
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models import AuditLog, Notification
from app.services import notifications
from app.ui.base import RecordView


class NotificationView(RecordView):
    """我的待办 / 预警: the alerts addressed to the signed-in user."""

    record_name = _l("Alert")
    datamodel = SQLAInterface(Notification)
    class_permission_name = "Notification"
    list_title = _l("My alerts")
    list_columns = ["created_at", "level", "title", "department"]
    show_columns = ["created_at", "level", "title", "body", "record_type",
                    "record_id", "clock", "department"]
    search_columns = ["level", "title", "created_at", "record_type"]
    add_columns = edit_columns = []
    base_order = ("id", "desc")
    base_permissions = ["can_read", "can_edit"]

    @action("mark_read", _l("Mark as read"), icon="fa-check", single=False)
    def mark_read(self, items: list[Notification] | Notification) -> object:
        items = items if isinstance(items, list) else [items]
        count = notifications.mark_read([n.id for n in items])
        flash(_l("%(count)d alerts marked as read.", count=count), "success")
        return redirect(self.get_redirect())


class AuditLogView(RecordView):
    record_name = _l("Audit entry")
    datamodel = SQLAInterface(AuditLog)
    class_permission_name = "AuditLog"
    list_title = _l("Audit trail")
    list_columns = ["at", "user", "table_name", "row_id", "action", "changes"]
    search_columns = ["at", "user", "table_name", "row_id", "action"]
    add_columns = edit_columns = []
    base_order = ("id", "desc")
    base_permissions = ["can_read"]
