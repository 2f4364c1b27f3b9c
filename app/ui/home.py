"""Landing page: what needs the signed-in user's attention."""

from __future__ import annotations

from flask import redirect, url_for
from flask_appbuilder import IndexView, expose

from app.security.access import current_user
from app.services import worklist
from app.ui.menu import MENU


class HomeView(IndexView):
    """我的工作台: open work in the user's scope, due soon, unread alerts."""

    route_base = ""
    index_template = "home.html"

    @expose("/")
    def index(self) -> object:
        user = current_user()
        if user is None:
            return redirect(url_for(self.appbuilder.sm.auth_view.endpoint + ".login"))
        return self.render_template(
            self.index_template,
            summary=worklist.summary(user),
            tile_labels={item.resource: item.label for c in MENU for item in c.items},
        )
