"""Project commands: `flask roles sync`, `flask reference seed`, `flask demo seed`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.extensions import db

roles_cli = AppGroup("roles", help="Roles and permissions.")
reference_cli = AppGroup("reference", help="Reference data.")
demo_cli = AppGroup("demo", help="Demo users and data.")


@roles_cli.command("sync")
def roles_sync() -> None:
    """Create the roles, permissions and system user (idempotent)."""
    from app.services.setup import sync_roles

    counts = sync_roles()
    for role, count in sorted(counts.items()):
        click.echo(f"{role}: {count} permissions")


@reference_cli.command("seed")
def reference_seed() -> None:
    """Insert the company's default reference data that is missing."""
    from app.security.access import acting_as, system_user
    from app.seed.reference import seed_reference

    with acting_as(system_user()):
        seed_reference()
    click.echo("Reference data is in place.")


@demo_cli.command("seed")
def demo_seed() -> None:
    """Create the demo users, and demo records when the database has none."""
    from app.security.access import acting_as, system_user
    from app.seed.demo import seed_demo
    from app.seed.reference import seed_reference

    password = current_app.config["DEMO_PASSWORD"]
    with acting_as(system_user()):
        seed_reference()
        result = seed_demo(password)
    click.echo("Demo users (password: %s):" % password)
    click.echo("  " + ", ".join(result["users"]))
    if result["records_created"]:
        click.echo(f"Demo records created ({result['customers']} customers).")
    else:
        click.echo("The database already has records; demo records left as they are.")


def register(app: Flask) -> None:
    for group in (roles_cli, reference_cli, demo_cli):
        app.cli.add_command(group)
    app.shell_context_processor(lambda: {"db": db})
