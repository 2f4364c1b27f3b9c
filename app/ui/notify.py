"""Personal alerts: the inbox of the signed-in user."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect
from flask_appbuilder.actions import action
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import case

from app.models import NotificationRecipient
from app.models.codes import NOTIFICATION_LEVELS, label
from app.services.notify import inbox
from app.ui.base import RecordView, format_datetime


class InboxInterface(SQLAInterface):
    """Unless the user sorts by a column: unread first, newest first."""

    def apply_order_by(
        self,
        query: Any,
        order_column: str,
        order_direction: str,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if order_column:
            return super().apply_order_by(
                query, order_column, order_direction, *args, **kwargs
            )
        model = self.obj
        return query.order_by(
            case((model.read_at.is_(None), 0), else_=1), model.id.desc()
        )


LEVEL_STYLES = {
    "at_risk": "warning",
    "breached": "danger",
    "escalated": "danger",
    "management": "danger",
    "calendar_missing": "danger",
    "info": "info",
}


class NotificationView(RecordView):
    """我的待办 / 预警: the signed-in user's alerts, unread first, each linking to
    its record (opening it marks it read)."""

    record_name = _l("Alert")
    datamodel = InboxInterface(NotificationRecipient)
    class_permission_name = "Notification"
    list_title = _l("My alerts")
    list_columns = [
        "notification",
        "notification.level",
        "notification.created_at",
        "notification.withdrawn_at",
        "read_at",
    ]
    show_columns = [
        "notification",
        "notification.level",
        "notification.created_at",
        "notification.withdrawn_at",
        "notification.body",
        "read_at",
        "emailed_at",
        "email_error",
    ]
    search_columns = ["read_at"]
    add_columns = edit_columns = []
    base_permissions = ["can_read", "can_edit"]
    # "edit" here is marking read; an alert has no edit form (no button, no page).
    method_permission_name = {**RecordView.method_permission_name, "edit": "edit_form"}
    label_columns = {
        **RecordView.label_columns,
        "notification": _l("Alert"),
        "notification.level": _l("Level"),
        "notification.created_at": _l("Raised at"),
        "notification.withdrawn_at": _l("Withdrawn (deadline recomputed)"),
        "notification.body": _l("Details"),
        "read_at": _l("Read at"),
        "emailed_at": _l("E-mailed at"),
        "email_error": _l("E-mail error"),
    }
    formatters_columns = {
        "notification.level": lambda code: Markup(
            '<span class="label label-{}">{}</span>'
        ).format(LEVEL_STYLES.get(code, "default"), label(NOTIFICATION_LEVELS, code)),
        "notification.created_at": format_datetime,
        "notification.withdrawn_at": format_datetime,
        "notification.body": lambda text: Markup("<br>").join(
            escape(text or "").split("\n")
        ),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.formatters_columns["notification"] = self._title_link

    def _title_link(self, notification: Any) -> Markup:
        return Markup('<a href="{}">{}</a>').format(
            f"{self.route_base}/open/{notification.id}", notification.title
        )

    @expose("/open/<int:notification_id>")
    @has_access
    def open(self, notification_id: int) -> Any:
        """Mark the alert read and go to its record."""
        link = inbox.open_alert(notification_id)
        # Links are paths the system wrote; anything else stays on this screen.
        if not link or not link.startswith("/") or link.startswith("//"):
            link = f"{self.route_base}/list/"
        return redirect(link)

    @action("mark_read", _l("Mark as read"), icon="fa-check", single=False)
    def mark_read(self, items: list[Any] | Any) -> object:
        items = items if isinstance(items, list) else [items]
        count = inbox.mark_read([n.notification_id for n in items])
        flash(_l("%(count)d alerts marked as read.", count=count), "success")
        return redirect(self.get_redirect())
