"""`flask backup` / `flask restore` on SQLite and PostgreSQL: every table comes
back row by row; a restore over a database with tables needs --yes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import _config


def _url(url: Any) -> str:
    if hasattr(url, "render_as_string"):
        return url.render_as_string(hide_password=False)
    return str(url)


def every_row(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows in primary-key order."""
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    rows = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [
                tuple(row) for row in conn.execute(sa.select(table).order_by(*order))
            ]
    engine.dispose()
    return rows


@pytest.fixture
def empty_database(database, tmp_path) -> Iterator[str]:
    """A new, empty database on the same server (or a new SQLite file)."""
    if not database.server:
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"restored_{uuid.uuid4().hex[:8]}"
    database._admin(f"CREATE DATABASE {name}")
    yield _url(database.admin_url.set(database=name))
    database._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_backup_restores_every_table_row_by_row(
    app, demo_db, database, empty_database, tmp_path
):
    from app import create_app
    from app.models import Case

    assert demo_db.session.query(Case).count() > 0  # a populated database
    demo_db.session.remove()
    saved = tmp_path / "backup.dump"
    made = app.test_cli_runner().invoke(args=["backup", str(saved)])
    assert made.exit_code == 0, made.output
    assert saved.stat().st_size > 0

    target_app = create_app(_config(empty_database))

    def restore(*args: str) -> Any:
        # The command acts on the app whose context is current (the test holds
        # the source app's open): run it inside the target app's.
        with target_app.app_context():
            return target_app.test_cli_runner().invoke(args=["restore", *args])

    done = restore(str(saved))
    assert done.exit_code == 0, done.output

    source_rows = every_row(_url(database.url))
    restored_rows = every_row(empty_database)
    assert set(restored_rows) == set(source_rows)
    assert sum(map(len, source_rows.values())) > 1000
    for table, rows in source_rows.items():
        assert restored_rows[table] == rows, table

    # The restored database now holds tables: overwriting needs --yes.
    engine = sa.create_engine(empty_database)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM case_log"))
    refused = restore(str(saved))
    assert refused.exit_code != 0 and "--yes" in refused.output
    assert every_row(empty_database)["case_log"] == []  # nothing changed
    again = restore("--yes", str(saved))
    assert again.exit_code == 0, again.output
    assert every_row(empty_database) == source_rows
    engine.dispose()
    with target_app.app_context():
        from app.extensions import db

        db.engine.dispose()


def test_backup_never_overwrites_a_file(app, db, tmp_path):
    existing = tmp_path / "kept.dump"
    existing.write_bytes(b"yesterday")
    result = app.test_cli_runner().invoke(args=["backup", str(existing)])
    assert result.exit_code != 0 and "already exists" in result.output
    assert existing.read_bytes() == b"yesterday"
