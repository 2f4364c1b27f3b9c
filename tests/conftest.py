"""Test fixtures: one app per run, a fresh database per test.

The database runs on SQLite by default and on PostgreSQL when
TEST_DATABASE_URL names a server database (CI does both). A template database
is built once by the real path (`flask db upgrade`, role sync, reference
seed, demo users); each test gets a fresh copy of it.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from config import TestingConfig
from tests.browser import (  # noqa: F401 - browser journeys of every domain
    _chromium,
    _demo_template,
    demo_db,
    live_server,
    person,
    pytest_collection_modifyitems,
    pytest_terminal_summary,
)
from tests.jobqueue import (  # noqa: F401 - fixtures for every domain's job tests
    _app_loggers_enabled,
    queues,
    redis_conn,
    work,
)

PASSWORD = "Test-pass-2026"
ROLE_USERS = {
    "CustomerService": "cs",
    "Sales": "sales",
    "Operations": "ops",
    "Warehouse": "warehouse",
    "QualityControl": "qc",
    "Finance": "finance",
    "Management": "manager",
    "Admin": "admin",
}


class _Database:
    """Where the per-test database lives and how it is reset from the template."""

    def __init__(self, tmp: Path) -> None:
        server = os.environ.get("TEST_DATABASE_URL", "").strip()
        self.server = server
        self._saved: dict[str, _Saved] = {}
        if server:
            suffix = uuid.uuid4().hex[:8]
            self.template_name = f"tpl_{suffix}"
            self.work_name = f"work_{suffix}"
            base = sa.engine.make_url(server)
            self.admin_url = base
            self.template_url = base.set(database=self.template_name)
            self.url = base.set(database=self.work_name)
            self._admin(f"CREATE DATABASE {self.template_name}")
        else:
            self.template_path = tmp / "template.db"
            self.work_path = tmp / "work.db"
            self.template_url = f"sqlite:///{self.template_path}"
            self.url = f"sqlite:///{self.work_path}"

    def _admin(self, *statements: str) -> None:
        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
        engine.dispose()

    def reset(self, source: str | None = None) -> None:
        """Make the work database a fresh copy of the template (or a snapshot).

        On a server the work database is created from the template once; later
        resets put its rows back from a saved copy inside it (`snapshot`):
        every table emptied and refilled and every sequence set, in one
        transaction. Dropping a PostgreSQL database waits for a checkpoint
        that writes out the whole copy (about a second per test otherwise).
        """
        if not self.server:
            shutil.copyfile(source or self.template_path, self.work_path)
            return
        if not self._saved:
            self._admin(
                f"DROP DATABASE IF EXISTS {self.work_name} WITH (FORCE)",
                f"CREATE DATABASE {self.work_name} TEMPLATE {self.template_name}",
            )
            self._saved["template"] = self._save("template")
        self._restore(source or "template")

    def snapshot(self, name: str) -> str:
        """Keep the work database's rows as they are now; `reset(name)` goes back."""
        if self.server:
            self._saved[name] = self._save(name)
            return name
        copy_path = self.work_path.with_name(f"{name}.db")
        shutil.copyfile(self.work_path, copy_path)
        return str(copy_path)

    def _work(self) -> sa.engine.Engine:
        return sa.create_engine(self.url, poolclass=sa.pool.NullPool)

    def _save(self, name: str) -> _Saved:
        schema = f"_saved_{name}"
        engine = self._work()
        with engine.begin() as conn:
            tables = sorted(_public_tables(conn))
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            filled = []
            for table in tables:
                conn.execute(
                    sa.text(
                        f'CREATE TABLE "{schema}"."{table}" AS TABLE public."{table}"'
                    )
                )
                copy = sa.table(table, schema=schema)
                if conn.execute(sa.select(sa.literal(1)).select_from(copy)).first():
                    filled.append(table)
            sequences = [
                tuple(row)
                for row in conn.execute(
                    sa.text(
                        "SELECT sequencename, COALESCE(last_value, start_value), "
                        "last_value IS NOT NULL FROM pg_sequences "
                        "WHERE schemaname = 'public'"
                    )
                )
            ]
        engine.dispose()
        return _Saved(schema, tables, filled, sequences)

    def _restore(self, name: str) -> None:
        saved = self._saved[name]
        self._admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "  # noqa: S608
            f"WHERE datname = '{self.work_name}' AND pid <> pg_backend_pid()"
        )
        engine = self._work()
        with engine.begin() as conn:
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            current = _public_tables(conn)
            extra = sorted(current - set(saved.tables))
            for table in extra:  # made by the test itself
                conn.execute(sa.text(f'DROP TABLE public."{table}" CASCADE'))
            for table in saved.tables:  # small tables: no new files, unlike TRUNCATE
                if table in current:
                    conn.execute(sa.delete(sa.table(table)))
            for table in saved.filled:
                conn.execute(
                    sa.text(
                        f'INSERT INTO public."{table}" '  # noqa: S608
                        f'SELECT * FROM "{saved.schema}"."{table}"'
                    )
                )
            for sequence, value, called in saved.sequences:
                conn.execute(
                    sa.text("SELECT setval(:s, :v, :c)"),
                    {"s": f'public."{sequence}"', "v": value, "c": called},
                )
        engine.dispose()

    def drop(self) -> None:
        if self.server:
            self._admin(
                f"DROP DATABASE IF EXISTS {self.work_name} WITH (FORCE)",
                f"DROP DATABASE IF EXISTS {self.template_name} WITH (FORCE)",
            )


def _public_tables(conn: sa.Connection) -> set[str]:
    query = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    return {row[0] for row in conn.execute(sa.text(query))}


class _Saved(NamedTuple):
    """Rows of the work database kept in a schema of their own (`snapshot`)."""

    schema: str
    tables: list[str]
    filled: list[str]
    sequences: list[tuple[str, int, bool]]


def _config(url: Any) -> TestingConfig:
    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = (
        str(url)
        if not hasattr(url, "render_as_string")
        else url.render_as_string(hide_password=False)
    )
    config.DEMO_PASSWORD = PASSWORD
    config.REDIS_URL = ""
    return config


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Database]:
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.security.access import acting_as, system_user
    from app.seed.demo import seed_users
    from app.seed.reference import seed_reference
    from app.services.clocks.business_calendar import sync_year
    from app.services.core.setup import sync_roles

    def loaded_years() -> set[int]:
        from app.models import CalendarYear

        return {row.year for row in db.session.query(CalendarYear)}

    place = _Database(tmp_path_factory.mktemp("db"))
    builder = create_app(_config(place.template_url))
    with builder.app_context():
        upgrade()
        sync_roles()
        with acting_as(system_user()):
            seed_reference()
            for year in (2025, 2026):  # golden tests use real 2026 dates
                if year not in loaded_years():
                    sync_year(year)
            seed_users(PASSWORD)
        db.session.remove()
        db.engine.dispose()
    yield place
    place.drop()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production.

    Tests hold an app context open for direct database access; without this,
    requests would reuse it and share `g` (and the signed-in user) and the
    test's session. Afterwards the test's session forgets what it loaded, so
    the test reads what the request wrote.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        from flask import has_app_context

        from app.extensions import db

        outer = has_app_context()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if outer:
            db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def app(database: _Database) -> Flask:
    from app import create_app

    application = create_app(_config(database.url))
    application.test_client_class = IsolatedClient
    return application


@pytest.fixture
def db(app: Flask, database: _Database) -> Iterator[Any]:
    """A fresh copy of the template database, inside an app context."""
    from app.extensions import db as _db

    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()
    database.reset()
    with app.app_context():
        yield _db
        _db.session.remove()


@pytest.fixture
def client(app: Flask, db: Any) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask, db: Any) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def users(db: Any) -> dict[str, Any]:
    from app.models import AppUser

    return {u.username: u for u in db.session.query(AppUser)}


CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Browser:
    """A logged-in test client that posts forms with their CSRF token."""

    def __init__(self, client: FlaskClient, username: str) -> None:
        self.client = client
        self.username = username
        self.token = ""

    def login(self) -> Browser:
        page = self.client.get("/login/")
        token = CSRF.search(page.get_data(as_text=True))
        assert token, "login page has no CSRF token"
        response = self.client.post(
            "/login/",
            data={
                "username": self.username,
                "password": PASSWORD,
                "csrf_token": token.group(1),
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        home = self.client.get("/")
        found = CSRF.search(home.get_data(as_text=True))
        self.token = found.group(1) if found else token.group(1)
        return self

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        payload = {"csrf_token": self.token, **(data or {})}
        return self.client.post(url, data=payload, **kwargs)


@pytest.fixture
def login(app: Flask, db: Any) -> Any:
    """login("cs") -> a Browser signed in as that demo user (new client)."""

    def _login(username: str) -> Browser:
        return Browser(app.test_client(), username).login()

    return _login


@pytest.fixture
def api(app: Flask, db: Any) -> Any:
    """api("cs") -> a client whose requests carry that user's JWT."""

    def _api(username: str) -> Any:
        client = app.test_client()
        response = client.post(
            "/api/v1/security/login",
            json={
                "username": username,
                "password": PASSWORD,
                "provider": "db",
                "refresh": False,
            },
        )
        assert response.status_code == 200, response.get_json()
        token = response.get_json()["access_token"]
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client

    return _api
