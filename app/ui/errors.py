"""What the user is told when the database stops a request that ran too long.

The limits themselves are set in `app.services.core.db_limits`. A screen gets
a page saying what happened and what to do (in the user's language), the
REST API a JSON `{"message": ...}`; both with status 503, nothing saved.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.services.core import db_limits

logger = logging.getLogger(__name__)

TIMEOUT_MESSAGE = _l(
    "The database took too long to answer and the request was stopped; nothing "
    "was changed. Narrow the search (filters, period) and try again, or use an "
    "export for large lists."
)
STATUS = 503


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
    appbuilder = current_app.appbuilder
    page = render_template(
        "errors/refused.html",
        base_template=appbuilder.base_template,
        appbuilder=appbuilder,
        message=str(refusal),
    )
    return page, refusal.status


def _database_error(error: SQLAlchemyError) -> Any:
    if not db_limits.is_timeout(error):
        return _refused(error)
    stopped(error)
    if request.path.startswith("/api/"):
        return api_answer()
    appbuilder = current_app.appbuilder
    page = render_template(
        "errors/timeout.html",
        base_template=appbuilder.base_template,
        appbuilder=appbuilder,
        message=str(TIMEOUT_MESSAGE),
    )
    return page, STATUS


def register(app: Flask) -> None:
    app.register_error_handler(SQLAlchemyError, _database_error)
