"""What the user is told when a request cannot be answered.

- The database stopped a request that ran too long (the limits are set in
  `app.services.core.db_limits`): status 503, nothing saved.
- The database refused a write: its reason in words (400 or 409).
- The address leads nowhere, or to a record or step the user may not see
  (a hand-typed address, an old link): 404; a step their role does not take:
  403.

A screen gets a page in the user's language saying what happened and what
to do, inside the application's layout; the REST API a JSON `{"message": ...}`.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import Forbidden, HTTPException, NotFound

from app.extensions import db
from app.services.core import db_limits

logger = logging.getLogger(__name__)

TIMEOUT_MESSAGE = _l(
    "The database took too long to answer and the request was stopped; nothing "
    "was changed. Narrow the search (filters, period) and try again, or use an "
    "export for large lists."
)
STATUS = 503
FORBIDDEN_MESSAGE = _l(
    "This page or step is not open to your role. Open the record to see what "
    "you may do, or ask the department responsible."
)
NOT_FOUND_MESSAGE = _l(
    "There is no such page, or it shows a record or a step that is not yours "
    "to see. Check the address, or go back and open it from the menu."
)


def _page(status: int, title: Any, message: Any, alert: str = "warning") -> Any:
    """A screen's answer: the page `errors/message.html` in the layout, with
    `title` and `message` (text or lazy strings) in a Bootstrap `alert` style,
    a way back and home; returned with the HTTP `status`."""
    appbuilder = current_app.appbuilder
    page = render_template(
        "errors/message.html",
        base_template=appbuilder.base_template,
        appbuilder=appbuilder,
        title=str(title),
        message=str(message),
        alert=alert,
    )
    return page, status


def stopped(error: BaseException) -> None:
    """Log a request the time limit stopped and end its failed transaction."""
    logger.warning(
        "Request %s %s stopped by the database time limit: %s",
        request.method,
        request.path,
        getattr(error, "orig", error),
    )
    db.session.rollback()


def api_answer() -> Any:
    """The REST API's answer: 503 and the message as JSON."""
    return jsonify(message=str(TIMEOUT_MESSAGE)), STATUS


def _refused(error: SQLAlchemyError) -> Any:
    """A write the database refused: its reason in words (400 or 409)."""
    from app.services.core.errors import database_refusal

    refusal = database_refusal(error)
    if refusal is None:
        raise error
    logger.warning(
        "Request %s %s refused by the database", request.method, request.path
    )
    db.session.rollback()
    if request.path.startswith("/api/"):
        return jsonify(message=str(refusal)), refusal.status
    return _page(refusal.status, _l("Not saved"), refusal, alert="danger")


def _database_error(error: SQLAlchemyError) -> Any:
    if not db_limits.is_timeout(error):
        return _refused(error)
    stopped(error)
    if request.path.startswith("/api/"):
        return api_answer()
    return _page(STATUS, _l("The request took too long"), TIMEOUT_MESSAGE)


def _wants_json() -> bool:
    """The REST API, the pickers' search and the dashboards' data answer JSON."""
    path = request.path
    return (
        path.startswith(("/api/", "/pick/"))
        or path.endswith(".json")
        or request.accept_mimetypes.best == "application/json"
    )


def _http_error(error: HTTPException) -> Any:
    """404 and 403 in words: JSON for the API, a page for a screen."""
    if isinstance(error, Forbidden):
        title, message = _l("Not allowed"), FORBIDDEN_MESSAGE
    else:
        title, message = _l("Page not found"), NOT_FOUND_MESSAGE
    if _wants_json():
        return jsonify(message=str(message)), error.code
    if request.path.startswith("/static/"):
        return error  # a missing file: no page around it
    return _page(error.code or 404, title, message)


def register(app: Flask) -> None:
    app.register_error_handler(SQLAlchemyError, _database_error)
    app.register_error_handler(NotFound, _http_error)
    app.register_error_handler(Forbidden, _http_error)
