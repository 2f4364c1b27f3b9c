"""Job monitoring for admins: rq-dashboard at /admin/rq and periodic job runs."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, abort, current_app, redirect, request
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf

from app.models import JobRun
from app.security.access import can, current_user
from app.ui.base import RecordView

DASHBOARD_PREFIX = "/admin/rq"
# rq-dashboard's own script reads the form token from this cookie and sends it
# as the X-CSRFToken header on every button's POST.
DASHBOARD_TOKEN_COOKIE = "_csrf_token"  # noqa: S105 - a cookie name


class JobRunView(RecordView):
    """后台任务运行记录: one row per periodic job and slot."""

    datamodel = SQLAInterface(JobRun)
    class_permission_name = "JobMonitor"
    list_title = _l("Job runs")
    list_columns = [
        "job",
        "slot",
        "status",
        "started_at",
        "finished_at",
        "items",
        "message",
    ]
    search_columns = ["job", "slot", "status", "started_at"]
    show_columns = list_columns
    add_columns = edit_columns = []
    base_order = ("id", "desc")
    base_permissions = ["can_read"]
    label_columns = {
        **RecordView.label_columns,
        "job": _l("Job"),
        "slot": _l("Schedule slot"),
        "status": _l("Status"),
        "started_at": _l("Started at"),
        "finished_at": _l("Finished at"),
        "items": _l("Items"),
        "message": _l("Message"),
    }


def _guard() -> Any:
    """Only users with read on JobMonitor reach the dashboard (403 otherwise)."""
    if not request.path.startswith(DASHBOARD_PREFIX):
        return None
    user = current_user()
    if user is None:
        return redirect(current_app.appbuilder.get_url_for_login_with(request.path))
    if not can(user, "read", "JobMonitor"):
        abort(403)
    if request.method != "POST" and _changes_state(request.path):
        abort(405)  # rq-dashboard also answers GET on "requeue all"
    return None


def _changes_state(path: str) -> bool:
    """Requeue, delete, empty and compact: the dashboard's state changes."""
    tail = path[len(DASHBOARD_PREFIX) :]
    return tail.startswith(("/requeue/", "/job/", "/queue/")) and not tail.endswith(
        ".json"
    )


def _hand_out_token(response: Response) -> Response:
    """Give a dashboard page the session's form token for its buttons' POSTs."""
    if (
        request.path.startswith(DASHBOARD_PREFIX)
        and request.method == "GET"
        and response.mimetype == "text/html"
        and response.status_code == 200
    ):
        response.set_cookie(
            DASHBOARD_TOKEN_COOKIE,
            generate_csrf(),
            path=DASHBOARD_PREFIX,
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
            httponly=False,  # read by the dashboard's script
            samesite="Strict",
        )
    return response


def mount_dashboard(app: Flask) -> None:
    """rq-dashboard on the app itself, on the jobs' Redis, behind the guard."""
    import rq_dashboard
    from rq_dashboard.web import setup_rq_connection

    app.config.setdefault(
        "RQ_DASHBOARD_REDIS_URL",
        app.config.get("REDIS_URL") or "redis://127.0.0.1:6379",
    )
    setup_rq_connection(app)
    app.before_request(_guard)
    app.after_request(_hand_out_token)
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=DASHBOARD_PREFIX)
    # Its buttons post by XHR with the token of DASHBOARD_TOKEN_COOKIE in the
    # X-CSRFToken header, checked by CSRFProtect like every form (no exemption).
