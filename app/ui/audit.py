"""The audit trail (操作日志): who changed what, when, old → new.

Shown in the field's own terms: the record type's name, the action, and each
changed field by its label with old → new values (codes by their labels),
never table names or JSON.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from flask import current_app
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.labels import LABELS
from app.models import AuditLog
from app.models.codes import label
from app.ui.base import RecordView

ACTIONS = {"insert": _l("Created"), "update": _l("Changed"), "delete": _l("Deleted")}
# Bookkeeping columns every row has; the entry itself says who and when.
HIDDEN_KEYS = {"id", "version", "created_at", "changed_at", "created_by_id"}


@cache
def _record_types() -> dict[str, Any]:
    """Table name -> what one record is called, from the registered screens."""
    names: dict[str, Any] = {}
    for view in current_app.appbuilder.baseviews:
        model = getattr(getattr(view, "datamodel", None), "obj", None)
        name = getattr(view, "record_name", None)
        if model is not None and name and hasattr(model, "__tablename__"):
            names.setdefault(model.__tablename__, name)
    return names


@cache
def _codes_by_key() -> dict[str, list[dict[str, Any]]]:
    from app.extensions import db

    codes: dict[str, list[dict[str, Any]]] = {}
    for table in db.metadata.tables.values():
        for column in table.columns:
            if column.info.get("codes"):
                codes.setdefault(column.key, []).append(column.info["codes"])
    return codes


def _value(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    for codes in _codes_by_key().get(key, []):
        if value in codes:
            return str(label(codes, value))
    return str(value)


def format_record_type(table_name: str) -> Any:
    return _record_types().get(table_name, table_name)


def format_changes(changes: str) -> Any:
    """One line per changed field: label: old → new."""
    try:
        diff = json.loads(changes or "{}")
    except ValueError:
        return changes
    lines = []
    for key, pair in diff.items():
        if key in HIDDEN_KEYS or not isinstance(pair, list) or len(pair) != 2:
            continue
        name = LABELS.get(key.removesuffix("_id"), LABELS.get(key, key))
        old, new = (_value(key, v) for v in pair)
        text = new if old == "—" else f"{old} → {new}"
        lines.append(Markup("<strong>{}</strong>: {}").format(name, text))
    return Markup("<br>").join(lines)


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
    formatters_columns = {
        "table_name": format_record_type,
        "action": lambda code: ACTIONS.get(code, code),
        "changes": format_changes,
    }
