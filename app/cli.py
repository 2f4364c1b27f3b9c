"""Project commands: `flask roles sync`, `flask reference seed`, `flask demo seed`,
`flask backup` and `flask restore`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.extensions import db

roles_cli = AppGroup("roles", help="Roles and permissions.")
calendar_cli = AppGroup("calendar", help="Business calendar.")
sla_cli = AppGroup("sla", help="Service-level deadlines.")
reference_cli = AppGroup("reference", help="Reference data.")
demo_cli = AppGroup("demo", help="Demo users and data.")
appraisal_cli = AppGroup("appraisal", help="Monthly appraisal sheets.")


@roles_cli.command("sync")
def roles_sync() -> None:
    """Create the roles, permissions and system user (idempotent)."""
    from app.services.core.setup import sync_roles

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
    click.echo(f"Demo users (password: {password}):")
    click.echo("  " + ", ".join(result["users"]))
    if result["records_created"]:
        click.echo(f"Demo records created ({result['customers']} customers).")
    else:
        click.echo("The database already has records; demo records left as they are.")


def _instant(value: str) -> dt.datetime:
    """ISO 8601; without an offset the time is business time (Asia/Shanghai)."""
    from app.models import BUSINESS_TZ

    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=BUSINESS_TZ)
    return parsed


@calendar_cli.command("sync")
@click.option(
    "--year",
    "years",
    type=int,
    multiple=True,
    help="Year to load (repeatable); default: this year and next.",
)
@click.option(
    "--provisional",
    is_flag=True,
    help="Allow statutory holidays of an unpublished year (make-up days unknown).",
)
def calendar_sync(years: tuple[int, ...], provisional: bool) -> None:
    """Load China's holidays and make-up working days into the calendar."""
    from app.models import now
    from app.security.access import acting_as, system_user
    from app.services.clocks import recompute
    from app.services.clocks.business_calendar import sync_year
    from app.services.core.errors import DomainError

    targets = years or (now().year, now().year + 1)
    failed = False
    with acting_as(system_user()):
        for year in targets:
            try:
                result = sync_year(year, provisional=provisional)
            except DomainError as error:
                click.echo(f"{year}: {error}", err=True)
                failed = True
                continue
            click.echo(
                f"{year}: {result.status}, {result.added} days added, "
                f"{result.updated} updated, {len(result.kept_manual)} manual "
                f"edits kept"
            )
            for item in result.disagreements:
                click.echo(f"  cross-check: {item}", err=True)
        # Each year's commit moved the open clocks its days touch.
        done = recompute.recomputed_by_commits()
    if done.changed or done.withdrawn:
        click.echo(
            f"Open clocks recomputed: {done.changed} changed, "
            f"{done.withdrawn} stale alerts withdrawn."
        )
    if failed and years:
        raise SystemExit(1)


@sla_cli.command("due")
@click.argument("kind")
@click.argument("severity")
@click.argument("received_at", nargs=-1, required=True)
@click.option(
    "--pause",
    "pauses",
    nargs=2,
    multiple=True,
    metavar="FROM TO",
    help="A stretch waiting for the customer (repeatable).",
)
@click.option("--customer-type", default=None, help="Customer type code.")
@click.option("--grade", default=None, help="Customer grade code (A, B, C, D).")
def sla_due(
    kind: str,
    severity: str,
    received_at: tuple[str, ...],
    pauses: tuple[tuple[str, str], ...],
    customer_type: str | None,
    grade: str | None,
) -> None:
    """Print the response and resolution due times of a policy (ISO 8601).

    Several receipt times may be given: each gets a `received:` line and its
    two due times, all computed on one reading of the calendar and policies.
    """
    from app.models import CustomerType
    from app.models.codes import KIND_SEVERITIES, SLA_KINDS
    from app.services.clocks import record_clocks

    if kind not in SLA_KINDS:
        raise click.BadParameter(
            f"unknown kind {kind!r}; use one of {', '.join(SLA_KINDS)}",
            param_hint="KIND",
        )
    if severity not in KIND_SEVERITIES[kind]:
        raise click.BadParameter(
            f"{kind} knows the severities {', '.join(KIND_SEVERITIES[kind])}",
            param_hint="SEVERITY",
        )
    received = [_instant(text) for text in received_at]
    spans = [(_instant(a), _instant(b)) for a, b in pauses]
    for start, end in spans:
        if end < start:
            raise click.BadParameter(
                "a pause must end after it starts", param_hint="--pause"
            )
    type_id = None
    if customer_type:
        found = db.session.query(CustomerType).filter_by(code=customer_type).first()
        if found is None:
            raise click.BadParameter(f"unknown customer type {customer_type!r}")
        type_id = found.id
    grade_id = None
    if grade:
        from app.models import CustomerGrade

        graded = db.session.query(CustomerGrade).filter_by(code=grade).first()
        if graded is None:
            raise click.BadParameter(f"unknown customer grade {grade!r}")
        grade_id = graded.id
    rules = record_clocks.Rules.load()
    dues = [
        record_clocks.due_times(
            kind, severity, moment, spans, type_id, rules, grade_id=grade_id
        )
        for moment in received
    ]
    for year in sorted({y for due in dues for y in due.missing_years}):
        click.echo(
            f"The calendar has no data for {year}; run "
            f"`flask calendar sync --year {year}` or enter the days."
        )
    for moment, due in zip(received, dues, strict=True):
        if len(received) > 1:
            click.echo(f"received: {moment.isoformat()}")
        for name, times in (("response", due.response), ("resolution", due.resolution)):
            click.echo(f"{name}: {_times_text(times)}")
    if any(due.missing_years for due in dues):
        raise SystemExit(2)


def _times_text(times: Any) -> str:
    """A clock's due instant as `flask sla due` prints it."""
    if times.unknown:
        return "unknown"
    if not times.target or times.due is None:
        return "none"
    return str(times.due.isoformat())


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Write a full copy of the database to PATH (a new file).

    SQLite: the sqlite3 backup API; PostgreSQL: pg_dump, custom format.
    """
    from app.services.core import backup

    try:
        written = backup.backup(_database_url(), path)
    except backup.BackupError as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"Database backed up to {written} ({written.stat().st_size} bytes).")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--yes",
    is_flag=True,
    help="Overwrite a database that already holds tables.",
)
def restore_command(path: Path, yes: bool) -> None:
    """Replace the database's content with the backup in PATH.

    SQLite: the sqlite3 backup API; PostgreSQL: pg_restore. Refuses a
    database that holds any table unless --yes is given. Stop the web server
    and the workers first.
    """
    from app.services.core import backup

    db.session.remove()
    db.engine.dispose()
    try:
        backup.restore(_database_url(), path, overwrite=yes)
    except backup.BackupError as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"Database restored from {path}.")


@appraisal_cli.command("generate")
@click.option("--month", help="YYYY-MM (default: the previous month).")
def appraisal_generate(month: str | None) -> None:
    """Make the month's draft appraisal sheets of every active staff member
    (drafts already made are refreshed; safe to run again)."""
    from app.services.reporting import kpi
    from app.services.supervision import appraisal

    period = kpi.parse_month(month, kpi.previous_month())
    result = appraisal.generate(period)
    click.echo(
        f"{kpi.month_key(period)}: {result.created} sheets made, "
        f"{result.refreshed} drafts refreshed, {result.kept} reviewed or approved "
        "left as they are."
    )


def _database_url() -> str:
    return db.engine.url.render_as_string(hide_password=False)


def register(app: Flask) -> None:
    for group in (
        roles_cli,
        reference_cli,
        demo_cli,
        calendar_cli,
        sla_cli,
        appraisal_cli,
    ):
        app.cli.add_command(group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.shell_context_processor(lambda: {"db": db})
