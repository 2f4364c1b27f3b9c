"""Application factory of the recycling customer-service back office."""

from __future__ import annotations

import logging
import os
import sqlite3
from typing import Any

from flask import Flask
from flask_appbuilder import AppBuilder
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.extensions import csrf, db, migrate

logger = logging.getLogger(__name__)


def create_app(config: Any = None) -> Flask:
    """Build the app: config, extensions, FAB screens and API, commands."""
    app = Flask(__name__)
    _load_config(app, config)
    _init_logging(app)
    _init_database(app)
    _init_appbuilder(app)
    _init_error_pages(app)
    _init_jobs(app)
    _init_csrf(app)
    _init_security_headers(app)
    _register_commands(app)
    return app


def _load_config(app: Flask, config: Any) -> None:
    from app.security.roles import fab_roles
    from app.ui.menu import menu_resources
    from config import get_config, secret_key_problem

    if config is None or isinstance(config, str):
        config = get_config(config)
    app.config.from_object(config)
    problem = secret_key_problem(app.config.get("SECRET_KEY"))
    if problem and not app.config.get("TESTING"):
        raise RuntimeError(problem)
    app.config["FAB_ROLES"] = fab_roles(menu_resources())
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)


def _init_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=app.config.get("LOG_LEVEL", "INFO"),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    # FAB logs a warning per column type it cannot search (times); not actionable.
    logging.getLogger("flask_appbuilder.models.filters").setLevel(logging.ERROR)


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    """SQLite checks foreign keys only when asked, per connection."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def _init_database(app: Flask) -> None:
    from app import models  # noqa: F401 - every model on the metadata
    from app.services.core import audit, db_limits

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(uri[len("sqlite:///") :]) or ".", exist_ok=True)
    db.init_app(app)
    migrate.init_app(
        app, db, directory=os.path.join(app.root_path, os.pardir, "migrations")
    )
    audit.install()
    with app.app_context():
        db_limits.install(app, db.engine)


def _init_appbuilder(app: Flask) -> None:
    from app import views

    with app.app_context():
        appbuilder = AppBuilder(update_perms=False, base_template="layout.html")
        appbuilder.init_app(app, db.session)
        views.register(appbuilder)


def _init_error_pages(app: Flask) -> None:
    """What the user is told when the database stops a request that ran too long;
    the health check (/health)."""
    from app.ui import errors, health, listing

    errors.register(app)
    listing.register(app)
    health.register(app)


def _init_jobs(app: Flask) -> None:
    """Queues on REDIS_URL, event handlers that enqueue, rq-dashboard for admins."""
    from app import jobs
    from app.ui.jobs import mount_dashboard

    jobs.init_app(app)
    mount_dashboard(app)


def _init_csrf(app: Flask) -> None:
    """Forms need a CSRF token; the JSON API authenticates with a JWT instead."""
    csrf.init_app(app)
    for name, blueprint in app.blueprints.items():
        prefix = blueprint.url_prefix or ""
        if prefix.startswith("/api/") or name in ("SecurityApi",):
            csrf.exempt(blueprint)


def _init_security_headers(app: Flask) -> None:
    """CSP, frame, sniffing, referrer and HSTS headers; Secure cookies on HTTPS."""
    from app.security import headers

    headers.install(app)
    headers.relax_for_job_monitor(app, "rq_dashboard")


def _register_commands(app: Flask) -> None:
    from app.cli import register

    register(app)
