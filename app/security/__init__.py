"""Security: the FAB security manager with department-carrying users."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.sqla.manager import SecurityManager as _SqlaManager
from flask_appbuilder.security.views import AuthDBView, UserDBModelView
from flask_babel import lazy_gettext as _l
from flask_jwt_extended import JWTManager, get_jwt_identity, jwt_required
from flask_login import current_user as login_user_proxy
from wtforms import BooleanField

from app.extensions import db
from app.models import AppUser
from app.security import sessions
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


class AppAuthDBView(AuthDBView):
    """Sign-in screen; signing out is a form post (CSRF-checked), never a link."""

    @expose("/logout/", methods=["POST"])
    def logout(self) -> Any:
        return super().logout()


class AppSecurityApi(SecurityApi):
    """FAB's token login and refresh, plus signing out."""

    @expose("/logout", methods=["POST"])
    @jwt_required(verify_type=False)
    @safe
    def logout(self) -> Any:
        """End every session and token of the signed-in user.
        ---
        post:
          description: >-
            Sign out: the access and refresh tokens and the browser sessions of
            this user are refused from now on
          responses:
            200:
              description: Signed out
            401:
              $ref: '#/components/responses/401'
          security:
            - jwt: []
        """
        user = self.appbuilder.sm.get_user_by_id(int(get_jwt_identity()))
        if user is not None:
            self.appbuilder.sm.on_user_logout(user)
        return self.response(200, message="signed out")


class SecurityManager(_SqlaManager):
    """FAB security manager whose users carry a department.

    Sessions and API tokens are tied to the user's session version
    (app.security.sessions): signing out, deactivation and a password change
    end them server-side.
    """

    user_model = AppUser
    userdbmodelview = AppUserDBModelView
    authdbview = AppAuthDBView
    security_api = AppSecurityApi

    def create_login_manager(self, app: Any) -> Any:
        manager = super().create_login_manager(app)
        sessions.install()
        return manager

    def create_jwt_manager(self, app: Any) -> JWTManager:
        manager = super().create_jwt_manager(app)
        manager.additional_claims_loader(self._token_claims)
        return manager

    def _token_claims(self, identity: Any) -> dict[str, Any]:
        user = self.get_user_by_id(int(identity))
        return {sessions.CLAIM: user.session_version or 0} if user else {}

    def load_user(self, pk: int) -> Any | None:
        """The user of a browser session, if the session is still current."""
        user = super().load_user(pk)
        if user is not None and sessions.session_is_current(user):
            return user
        return None

    def load_user_jwt(self, _jwt_header: Any, jwt_data: dict[str, Any]) -> Any:
        """The user of an access or refresh token, if the token is still current."""
        user = self.get_user_by_id(int(jwt_data["sub"]))
        if user and user.is_active and sessions.token_is_current(user, jwt_data):
            g.user = user
            return user
        return None

    def on_user_logout(self, user: Any) -> None:
        sessions.bump(user)
        db.session.commit()

    def reset_password(self, userid: int, password: str) -> None:
        """Every other session ends; the user changing their own keeps this one."""
        super().reset_password(userid, password)
        if (
            has_request_context()
            and login_user_proxy.is_authenticated
            and login_user_proxy.id == userid
        ):
            sessions.remember_in_session(self.get_user_by_id(userid))
