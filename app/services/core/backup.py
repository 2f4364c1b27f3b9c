"""Backing up and restoring the database (seed 002 §7: business data is backed up).

SQLite is copied page by page with the sqlite3 online-backup API (consistent
while the app keeps running). PostgreSQL goes through `pg_dump` in its custom
format and comes back with `pg_restore`; the password travels in PGPASSWORD,
never on a command line. A restore replaces everything in the target
database, so it refuses a database that holds any table unless told to
overwrite it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url


class BackupError(RuntimeError):
    """A backup or restore that cannot be done, with the reason in words."""


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The URL libpq tools understand (no driver, no password) and their env."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed (Debian: apt-get install postgresql-client)."
        )
    return path


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(  # noqa: S603 - fixed tool, arguments not from a shell
        command, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()}")


def backup(database_url: str, target: Path) -> Path:
    """Write a full copy of the database to `target` (a new file)."""
    url = make_url(database_url)
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_file(url))
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
    elif url.get_backend_name() == "postgresql":
        dsn, env = _libpq(url)
        _run(
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={target}",
                f"--dbname={dsn}",
            ],
            env,
        )
    else:
        raise BackupError(f"No backup for {url.get_backend_name()} databases.")
    return target


def table_names(database_url: str) -> list[str]:
    """The tables the database holds now (empty for a new database)."""
    engine = sa.create_engine(database_url)
    try:
        return sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def restore(database_url: str, source: Path, overwrite: bool = False) -> None:
    """Replace the database's content with the backup in `source`.

    Refuses when the database holds any table and `overwrite` is not given.
    """
    url = make_url(database_url)
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    existing = table_names(database_url)
    if existing and not overwrite:
        raise BackupError(
            f"The database already holds {len(existing)} tables; restoring "
            "replaces all of it. Run again with --yes to overwrite it."
        )
    if url.get_backend_name() == "sqlite":
        check = sqlite3.connect(source)
        try:
            intact = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError:
            intact = False
        finally:
            check.close()
        if not intact:
            raise BackupError(f"{source} is not an intact SQLite database.")
        backup_db = sqlite3.connect(source)
        target = sqlite3.connect(_sqlite_file(url))
        try:
            backup_db.backup(target)
        finally:
            target.close()
            backup_db.close()
    elif url.get_backend_name() == "postgresql":
        dsn, env = _libpq(url)
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={dsn}",
                str(source),
            ],
            env,
        )
    else:
        raise BackupError(f"No restore for {url.get_backend_name()} databases.")
