"""Landing page: what needs the signed-in user's attention."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask_appbuilder import IndexView, expose
from flask_babel import lazy_gettext as _l

from app.security.access import can, current_user
from app.services.reporting import dashboard, worklist
from app.ui.menu import MENU

# What a clerk starts from the workbench: a call, a pickup booking.
NEW_RECORDS = (
    ("Case", _l("New case"), "CaseView.add"),
    ("Pickup", _l("New pickup"), "PickupView.add"),
)


class HomeView(IndexView):
    """我的工作台: open work in the user's scope, due soon, unread alerts."""

    route_base = ""
    index_template = "home.html"

    @expose("/")
    def index(self) -> object:
        user = current_user()
        if user is None:
            return redirect(url_for(self.appbuilder.sm.auth_view.endpoint + ".login"))
        # Management and department heads land on the dashboard (?view=workbench
        # still opens their workbench).
        if dashboard.is_landing(user) and request.args.get("view") != "workbench":
            return self.render_template("dashboard/index.html", **dashboard.page(user))
        return self.render_template(
            self.index_template,
            summary=worklist.summary(user),
            new_records=[
                (label, url_for(endpoint))
                for resource, label, endpoint in NEW_RECORDS
                if can(user, "add", resource)
            ],
            tile_labels={item.resource: item.label for c in MENU for item in c.items},
        )
