"""Security: the FAB security manager with department-carrying users."""

from __future__ import annotations

from flask_appbuilder.security.sqla.manager import SecurityManager as _SqlaManager
from flask_appbuilder.security.views import UserDBModelView
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField

from app.models import AppUser
from app.security.access import (
    SYSTEM_USERNAME,
    acting_as,
    actor_or_system,
    can,
    current_user,
    system_user,
)

__all__ = [
    "SYSTEM_USERNAME",
    "SecurityManager",
    "acting_as",
    "actor_or_system",
    "can",
    "current_user",
    "system_user",
]

_USER_FIELDS = ["first_name", "last_name", "email", "phone"]
_WORK_FIELDS = ["department", "is_department_head"]


class AppUserDBModelView(UserDBModelView):
    """User admin screen with the department that scopes each user."""

    label_columns = {
        **UserDBModelView.label_columns,
        "department": _l("Department"),
        "is_department_head": _l("Department head"),
        "phone": _l("Phone"),
    }
    list_columns = [
        "first_name",
        "last_name",
        "username",
        "department",
        "roles",
        "active",
    ]
    search_columns = [
        "username",
        "first_name",
        "last_name",
        "email",
        "department",
        "roles",
        "active",
    ]
    show_fieldsets = [
        (_l("User info"), {"fields": ["username", "active", "roles", "login_count"]}),
        (_l("Work"), {"fields": _WORK_FIELDS}),
        (_l("Personal Info"), {"fields": _USER_FIELDS, "expanded": True}),
        (
            _l("Audit Info"),
            {
                "fields": [
                    "last_login",
                    "fail_login_count",
                    "created_on",
                    "created_by",
                    "changed_on",
                    "changed_by",
                ],
                "expanded": False,
            },
        ),
    ]
    user_show_fieldsets = [
        (_l("User info"), {"fields": ["username", "active", "roles"]}),
        (_l("Work"), {"fields": _WORK_FIELDS}),
        (_l("Personal Info"), {"fields": _USER_FIELDS, "expanded": True}),
    ]
    add_columns = [
        "first_name",
        "last_name",
        "username",
        "active",
        "email",
        "phone",
        "department",
        "is_department_head",
        "roles",
        "password",
        "conf_password",
    ]
    edit_columns = [
        "first_name",
        "last_name",
        "username",
        "active",
        "email",
        "phone",
        "department",
        "is_department_head",
        "roles",
    ]
    # A NOT NULL checkbox would otherwise be required (must be ticked).
    add_form_extra_fields = {
        **UserDBModelView.add_form_extra_fields,
        "is_department_head": BooleanField(_l("Department head"), default=False),
    }
    edit_form_extra_fields = {
        **(UserDBModelView.edit_form_extra_fields or {}),
        "is_department_head": BooleanField(_l("Department head"), default=False),
    }


class SecurityManager(_SqlaManager):
    """FAB security manager whose users carry a department."""

    user_model = AppUser
    userdbmodelview = AppUserDBModelView
