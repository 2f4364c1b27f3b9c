"""The audit trail (操作日志): who changed what, when, old → new."""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models import AuditLog
from app.ui.base import RecordView


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
