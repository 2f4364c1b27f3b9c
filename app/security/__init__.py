"""Security: the FAB security manager with department-carrying users."""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    request,
    url_for,
)
from flask_appbuilder.actions import action
from flask_appbuilder.api import expose, safe
from flask_appbuilder.fields import QuerySelectMultipleField
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, Select2ManyWidget
from flask_appbuilder.models.sqla.filters import FilterNotEqual
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.decorators import has_access, no_cache
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.sqla.manager import SecurityManager as _SqlaManager
from flask_appbuilder.security.views import (
    AuthDBView,
    RoleModelView,
    UserDBModelView,
    UserGroupModelView,
)
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_appbuilder.widgets import ListWidget, ShowWidget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_jwt_extended import JWTManager, get_jwt_identity, jwt_required
from flask_login import current_user as login_user_proxy
from markupsafe import Markup
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired

from app.extensions import db
from app.models import AppUser, now
from app.security import login_guard, passwords, sessions
from app.security.access import (
    SYSTEM_USERNAME,
    acting_as,
    actor_or_system,
    can,
    current_user,
    system_user,
)
from app.security.roles import role_label

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
_WORK_FIELDS = [
    "department",
    "is_department_head",
    "duty_cleared",
    "duty_cleared_at",
    "duty_cleared_how",
]


def _roles_text(roles: Any) -> str:
    return "、".join(sorted(role_label(role) for role in roles or ()))


def _yes_no(value: Any) -> str:
    return _("Yes") if value else _("No")


def _plain(value: Any) -> Any:
    return "" if value is None else value


def _identifier(value: Any) -> Any:
    """A sign-in name is an identifier, shown as it is."""
    return Markup('<span translate="no">{}</span>').format(_plain(value))


def _role_query() -> Any:
    return db.session.query(current_app.appbuilder.sm.role_model)


def _roles_field() -> QuerySelectMultipleField:
    """The roles of a user, named as the screens call them."""
    return QuerySelectMultipleField(
        _l("Role"),
        query_func=_role_query,
        get_pk_func=lambda role: role.id,
        get_label=role_label,
        widget=Select2ManyWidget(),
        validators=[DataRequired()],
        description=_l("What the user may do: each role grants its permissions."),
    )


class AppUserDBModelView(UserDBModelView):
    """User admin screen with the department that scopes each user.

    The internal system account (the actor of jobs and commands, which may do
    everything) is not a person: it is neither listed, shown, edited nor
    deleted here, so nobody can give it a password, a role or sign-in rights.
    """

    base_filters = [["username", FilterNotEqual, SYSTEM_USERNAME]]

    description_columns = {
        "username": _l("Used to sign in."),
        "active": _l("Untick to stop a user signing in; users are not deleted."),
        "email": _l("Alerts are also sent to this address."),
        "department": _l("Cases and pickups of this department are the user's."),
    }
    formatters_columns = {
        "username": _identifier,
        "roles": _roles_text,
        "active": _yes_no,
        "is_department_head": _yes_no,
        "duty_cleared": _yes_no,
        **{
            name: _plain
            for name in (
                "first_name",
                "last_name",
                "email",
                "phone",
                "department",
                "locked_at",
                "duty_cleared_at",
                "duty_cleared_how",
                "last_login",
                "login_count",
                "fail_login_count",
                "created_on",
                "created_by",
                "changed_on",
                "changed_by",
            )
        },
    }

    label_columns = {
        **UserDBModelView.label_columns,
        "department": _l("Department"),
        "is_department_head": _l("Department head"),
        "phone": _l("Phone"),
        "locked_at": _l("Locked at"),
        "duty_cleared": _l("Cleared for duty"),
        "duty_cleared_at": _l("Cleared for duty at"),
        "duty_cleared_how": _l("Cleared for duty by"),
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
        (
            _l("User info"),
            {"fields": ["username", "active", "locked_at", "roles", "login_count"]},
        ),
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
        "password": PasswordField(
            _l("Password"),
            description=_l("At least 8 characters, not the username, not common."),
            validators=[DataRequired(), PasswordComplexityValidator()],
            widget=BS3PasswordFieldWidget(),
        ),
        "is_department_head": BooleanField(_l("Department head"), default=False),
        "roles": _roles_field(),
    }
    edit_form_extra_fields = {
        **(UserDBModelView.edit_form_extra_fields or {}),
        "is_department_head": BooleanField(_l("Department head"), default=False),
        "roles": _roles_field(),
    }
    validators_columns: dict[str, Any] = {}

    def pre_add(self, item: Any) -> None:
        """New staff start not cleared for duty (seed 003 客服部规章 第十七条)."""
        from app.services.training.clearance import flag_new_staff

        super().pre_add(item)
        flag_new_staff(item)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk: Any) -> Any:
        """FAB's user page, offering the unlock action next to password reset."""
        actions = {
            name: self.actions[name]
            for name in ("resetpasswords", "unlock")
            if name in self.actions
        }
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        widgets = self._get_show_widget(pk, item, actions=actions)
        self.update_redirect()
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=widgets,
            appbuilder=self.appbuilder,
            related_views=self._related_views,
        )

    @action(
        "unlock",
        _l("Unlock"),
        _l("Unlock this account? Its failed sign-ins are forgotten."),
        "fa-unlock",
        multiple=False,
    )
    def unlock(self, item: AppUser) -> Any:
        """Admin clears a lockout (audited as a change of `locked_at`)."""
        self.appbuilder.sm.unlock_user(item)
        flash(_("Account unlocked."), "success")
        return redirect(url_for(f"{self.endpoint}.show", pk=item.id))


class AppRoleModelView(RoleModelView):
    """Roles are data (app.security.roles, synced by `flask roles sync`): the
    screen names them and lists their users; it does not edit them, since a
    sync would overwrite any edit."""

    base_permissions = ["can_list", "can_show"]
    list_title = _l("Roles")
    show_title = _l("Role")
    list_widget = ListWidget
    show_widget = ShowWidget
    list_columns = show_columns = ["name"]
    search_columns = ["name"]
    label_columns = {"name": _l("Role"), "user": _l("Users")}
    formatters_columns = {"name": role_label}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actions.pop("copyrole", None)


class AppGroupModelView(UserGroupModelView):
    """FAB's user groups: the product gives roles to users directly, so the
    screen only shows groups (none are created by the product)."""

    base_permissions = ["can_list", "can_show"]
    list_title = _l("User groups")
    show_title = _l("User group")
    label_columns = {
        "name": _l("Name"),
        "label": _l("Display name"),
        "description": _l("Description"),
        "users": _l("Users"),
        "roles": _l("Role"),
    }
    formatters_columns = {"roles": _roles_text, "description": _plain}


def _too_many_message() -> str:
    return _("Too many failed sign-ins; try again in a minute.")


def _locked_message() -> str:
    return _(
        "This account is locked after repeated failed sign-ins; "
        "ask an administrator to unlock it."
    )


class AppAuthDBView(AuthDBView):
    """Sign-in screen; signing out is a form post (CSRF-checked), never a link.

    Guessing is throttled per account and per address (app.security.login_guard)
    and a locked account is told so.
    """

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self) -> Any:
        if request.method == "POST":
            username = request.form.get("username", "")
            refusal = self.appbuilder.sm.login_refusal(username)
            if refusal is not None:
                status, message = refusal
                flash(message, "danger")
                page = self.render_template(
                    self.login_template,
                    title=self.title,
                    form=LoginForm_db(),
                    appbuilder=self.appbuilder,
                )
                return page, status
        response = super().login()
        if g.get("login_locked_now"):
            flash(_locked_message(), "danger")
        return response

    @expose("/logout/", methods=["POST"])
    def logout(self) -> Any:
        return super().logout()


class AppSecurityApi(SecurityApi):
    """FAB's token login and refresh, plus signing out; guessing is throttled."""

    @expose("/login", methods=["POST"])
    def login(self) -> Any:
        """Sign in for an access (and refresh) token; see FAB's SecurityApi.
        ---
        post:
          description: >-
            Authenticate and get a JWT access and refresh token. 429 after too
            many failed sign-ins for the account or from the address, 403 for a
            locked account.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [username, password, provider]
                  properties:
                    username:
                      type: string
                    password:
                      type: string
                    provider:
                      type: string
                      enum:
                      - db
                    refresh:
                      type: boolean
          responses:
            200:
              description: Authentication Successful
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              description: Account locked
            429:
              description: Too many failed sign-ins
        """
        payload = request.get_json(silent=True)
        if isinstance(payload, dict) and "provider" not in payload:
            # FAB reads it unchecked (a 500 without it).
            return self.response_400(
                message={"provider": ["Missing data for required field."]}
            )
        username = payload.get("username") if isinstance(payload, dict) else None
        refusal = self.appbuilder.sm.login_refusal(
            username if isinstance(username, str) else ""
        )
        if refusal is not None:
            status, message = refusal
            return self.response(status, message=message)
        return super().login()

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
    rolemodelview = AppRoleModelView
    groupmodelview = AppGroupModelView
    # FAB's login statistics chart loads Google Charts from the internet; the
    # user list shows the same counts.
    userstatschartview = None
    authdbview = AppAuthDBView
    security_api = AppSecurityApi

    def __init__(self, appbuilder: Any) -> None:
        # The password policy on FAB's password fields (new user, resets).
        current_app.config["FAB_PASSWORD_COMPLEXITY_VALIDATOR"] = (
            passwords.form_validator
        )
        super().__init__(appbuilder)

    def add_user(self, username: str, *args: Any, **kwargs: Any) -> Any:
        """FAB's add_user, refusing a password the policy refuses."""
        password = kwargs.get("password", args[4] if len(args) > 4 else "")
        if not kwargs.get("hashed_password"):
            passwords.check(password, username)
        return super().add_user(username, *args, **kwargs)

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

    def login_refusal(self, username: str) -> tuple[int, str] | None:
        """(status, message) when this sign-in attempt must not even be tried."""
        if login_guard.refused(username, request.remote_addr or ""):
            return 429, _too_many_message()
        user = self.find_user(username=username) if username else None
        if user is not None and user.locked_at is not None:
            return 403, _locked_message()
        return None

    def auth_user_db(self, username: Any, password: Any) -> Any:
        """FAB's check, refusing locked accounts; failures counted and locking."""
        user = self.find_user(username=username) if username else None
        if user is not None and (user.locked_at is not None or user.is_system):
            return None  # the system account never signs in
        found = super().auth_user_db(username, password)
        if found is None and has_request_context():
            login_guard.failed(str(username or ""), request.remote_addr or "")
        limit = current_app.config.get("LOGIN_LOCKOUT_FAILURES")
        if (
            found is None
            and user is not None
            and user.is_active
            and limit
            and (user.fail_login_count or 0) >= int(limit)
        ):
            user.locked_at = now()
            db.session.commit()
            g.login_locked_now = True
        return found

    def unlock_user(self, user: AppUser) -> None:
        """Clear a lockout and the failures that led to it."""
        user.locked_at = None
        user.fail_login_count = 0
        db.session.commit()

    def on_user_logout(self, user: Any) -> None:
        sessions.bump(user)
        db.session.commit()

    def reset_password(self, userid: int, password: str) -> None:
        """Every other session ends; the user changing their own keeps this one.

        The password policy holds here too (commands, seeds).
        """
        user = self.get_user_by_id(userid)
        passwords.check(password, user.username if user else None)
        super().reset_password(userid, password)
        if (
            has_request_context()
            and login_user_proxy.is_authenticated
            and login_user_proxy.id == userid
        ):
            sessions.remember_in_session(self.get_user_by_id(userid))
