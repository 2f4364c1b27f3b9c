"""An import run: read the workbook, save every row by the rules, all or nothing.

The uploaded file becomes a BackgroundTask (kind "import") owned by the admin
who uploaded it; the job reads its sheets in order (customers, contacts,
prices, calendar), saves each row in a savepoint as that admin, and collects
every refusal with its sheet, row and column. One refusal and nothing is
kept: the transaction is rolled back and an error report (.xlsx: a summary,
then each sheet with an error column, refused rows in red) is kept for
download. Otherwise everything is committed at once; calendar days then move
the open clocks. Progress (rows done / rows) is reported as the rows go.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.extensions import db
from app.models import AppUser, BackgroundTask, now
from app.security.access import acting_as, can
from app.services.core.errors import DomainError, InvalidInput, NotAllowed, NotFound
from app.services.core.transactions import open_for_savepoints
from app.services.imports.sheets import SHEETS, Context, Row, Sheet, finish_calendar
from app.services.reporting import sheets

logger = logging.getLogger(__name__)

KIND = "import"
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
RED = PatternFill("solid", fgColor="F4CCCC")
BOLD = Font(bold=True)


@dataclass(frozen=True)
class Problem:
    """A refused row (or header): where, and why."""

    sheet: str
    row: int
    column: str
    value: Any
    message: str


# ----------------------------------------------------------------- upload
def folder(name: str) -> Path:
    path = Path(current_app.instance_path) / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def accept(data: bytes, filename: str, user: Any) -> BackgroundTask:
    """Keep an uploaded workbook and create its import task (not run yet)."""
    if not can(user, "run", "DataImport"):
        raise NotAllowed(_l("You may not import data."))
    if not data:
        raise InvalidInput(_l("Choose the workbook to import."), field="file")
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            _l("The file is larger than %(size)d MB.", size=MAX_BYTES // 1024 // 1024),
            field="file",
        )
    if not data.startswith(b"PK\x03\x04"):
        raise InvalidInput(
            _l("This is not an Excel workbook (.xlsx); start from the template."),
            field="file",
        )
    stored = f"{uuid.uuid4().hex}.xlsx"
    (folder("imports") / stored).write_bytes(data)
    task = BackgroundTask(
        kind=KIND,
        params=json.dumps(
            {
                "file": stored,
                "name": Path(filename or "import.xlsx").name[:200],
                "locale": str(get_locale() or "zh"),
            },
            ensure_ascii=False,
        ),
        status="queued",
        total=0,
        created_by_id=user.id,
        message=str(_l("Import of %(name)s", name=Path(filename or "").name)),
    )
    db.session.add(task)
    db.session.commit()
    return task


def task_for(task_id: int, user: Any) -> BackgroundTask:
    task = db.session.get(BackgroundTask, task_id)
    if task is None or task.kind != KIND or task.created_by_id != user.id:
        raise NotFound(_l("No such import."))
    return task


def recent(user: Any, limit: int = 20) -> list[BackgroundTask]:
    return list(
        db.session.scalars(
            select(BackgroundTask)
            .where(BackgroundTask.kind == KIND, BackgroundTask.created_by_id == user.id)
            .order_by(BackgroundTask.id.desc())
            .limit(limit)
        )
    )


# ---------------------------------------------------------------- reading
def _title_of(value: Any) -> str:
    return str(value or "").strip().rstrip("*＊").strip()


def _names(thing: Any, code: str) -> set[str]:
    found = {code}
    for locale in ("zh", "en"):
        with force_locale(locale):
            found.add(str(thing))
    return found


def _find_sheet(book: Any, sheet: Sheet) -> Any:
    names = _names(sheet.title, sheet.kind)
    for worksheet in book.worksheets:
        if worksheet.title.strip() in names:
            return worksheet
    return None


@dataclass
class Loaded:
    """A sheet's header and data rows (cells by column key)."""

    sheet: Sheet
    name: str
    header: list[Any]
    keys: list[str | None]
    rows: list[tuple[int, list[Any]]]


def _load(book: Any, problems: list[Problem]) -> list[Loaded]:
    loaded = []
    for sheet in SHEETS:
        worksheet = _find_sheet(book, sheet)
        if worksheet is None:
            continue
        cells = list(worksheet.iter_rows(values_only=True))
        if not cells:
            continue
        header = list(cells[0])
        by_title = {
            name: column.key
            for column in sheet.columns
            for name in _names(column.title, column.key)
        }
        keys: list[str | None] = []
        for index, title in enumerate(header):
            name = _title_of(title)
            if not name:
                keys.append(None)
                continue
            key = by_title.get(name)
            if key is None:
                problems.append(
                    Problem(
                        worksheet.title,
                        1,
                        name,
                        title,
                        str(_l("Unknown column: use the template's headers.")),
                    )
                )
            keys.append(key)
            _ = index
        for column in sheet.columns:
            if column.required and column.key not in keys:
                problems.append(
                    Problem(
                        worksheet.title,
                        1,
                        str(column.title),
                        None,
                        str(_l("The required column is missing.")),
                    )
                )
        rows = [
            (number, list(values))
            for number, values in enumerate(cells[1:], start=2)
            if any(v not in (None, "") for v in values)
        ]
        loaded.append(Loaded(sheet, worksheet.title, header, keys, rows))
    return loaded


# ----------------------------------------------------------------- running
@dataclass
class Outcome:
    imported: dict[str, int]
    problems: list[Problem]
    ctx: Context | None = None
    rows: int = 0


def _message(error: Exception) -> tuple[str, str | None]:
    """What to tell about a refused row, and the column it is about."""
    if isinstance(error, DomainError):
        return str(error), error.field
    if isinstance(error, IntegrityError):
        detail = str(error.orig).lower()
        if "credit_code" in detail:
            return (
                str(_l("This unified social credit code is already recorded.")),
                "credit_code",
            )
        return str(_l("This row repeats a record that exists already.")), None
    return (
        str(_l("The row could not be saved: %(error)s", error=str(error)[:200])),
        None,
    )


def import_workbook(
    path: Path, user: Any, progress: Callable[[int, int], None] | None = None
) -> Outcome:
    """Import a workbook as `user`: everything or nothing; returns what happened.

    Commits when every row passed, rolls back otherwise. Raises InvalidInput
    when the file cannot be read as a workbook.
    """
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
        raise InvalidInput(
            _l("The workbook cannot be read: %(error)s", error=str(error)[:200]),
            field="file",
        ) from None
    problems: list[Problem] = []
    try:
        loaded = _load(book, problems)
    finally:
        book.close()
    if not loaded and not problems:
        raise InvalidInput(
            _l("The workbook has none of the template's sheets."), field="file"
        )
    total = sum(len(item.rows) for item in loaded)
    if total > MAX_ROWS:
        raise InvalidInput(
            _l("At most %(count)d rows per import.", count=MAX_ROWS), field="file"
        )
    ctx = Context(user=user)
    imported: dict[str, int] = {}
    done = 0
    open_for_savepoints()
    with acting_as(user):
        for item in loaded:
            for number, values in item.rows:
                cells = {
                    key: value
                    for key, value in zip(item.keys, values, strict=False)
                    if key is not None
                }
                row = Row(number, cells)
                try:
                    with db.session.begin_nested():
                        item.sheet.build(row, ctx)
                        db.session.flush()
                except (DomainError, SQLAlchemyError) as error:
                    message, key = _message(error)
                    column = (
                        item.sheet.column(key)
                        if key in {c.key for c in item.sheet.columns}
                        else None
                    )
                    problems.append(
                        Problem(
                            item.name,
                            number,
                            str(column.title) if column else "",
                            cells.get(column.key) if column else None,
                            message,
                        )
                    )
                else:
                    imported[item.sheet.kind] = imported.get(item.sheet.kind, 0) + 1
                done += 1
                if progress is not None and (done % 50 == 0 or done == total):
                    progress(done, total)
        if not problems:
            try:
                with db.session.begin_nested():
                    finish_calendar(ctx)
                    db.session.flush()
            except (DomainError, SQLAlchemyError) as error:
                problems.append(Problem("", 0, "", None, _message(error)[0]))
    if problems:
        db.session.rollback()
        return Outcome({}, problems, rows=total)
    db.session.commit()
    if ctx.calendar_days:
        calendar_changed(ctx.calendar_days)
    return Outcome(imported, [], ctx, rows=total)


def calendar_changed(days: list[dt.date]) -> int:
    """Open clocks follow the calendar days just imported, like any calendar edit.

    The import's commit already recomputed them (the clocks watch every
    calendar write); this makes sure of it and returns how many moved.
    """
    from app.services.clocks import recompute

    done = recompute.calendar_changed(days)
    db.session.commit()
    return done.changed


# ------------------------------------------------------------------ report
def error_report(path: Path, problems: list[Problem]) -> Workbook:
    """A summary of the refusals, then every sheet with an error column."""
    by_row: dict[tuple[str, int], list[str]] = {}
    for problem in problems:
        by_row.setdefault((problem.sheet, problem.row), []).append(
            f"{problem.column}: {problem.message}"
            if problem.column
            else problem.message
        )
    report = Workbook()
    summary = report.active
    summary.title = str(_l("Errors"))
    summary.append(
        [
            str(t)
            for t in (
                _l("Sheet"),
                _l("Row number"),
                _l("Column"),
                _l("Cell value"),
                _l("Error"),
            )
        ]
    )
    for cell in summary[1]:
        cell.font = BOLD
    for problem in problems:
        sheets.append(
            summary,
            [
                problem.sheet,
                problem.row,
                problem.column,
                problem.value
                if not isinstance(problem.value, dt.date)
                else str(problem.value),
                problem.message,
            ],
        )
    summary.column_dimensions["E"].width = 80
    source = load_workbook(path, read_only=True, data_only=True)
    try:
        for worksheet in source.worksheets:
            copy = report.create_sheet(worksheet.title[:31])
            for number, values in enumerate(
                worksheet.iter_rows(values_only=True), start=1
            ):
                errors = by_row.get((worksheet.title, number), [])
                extra = str(_l("Error")) if number == 1 else "；".join(errors)
                sheets.append(copy, [*values, extra], fill=RED if errors else None)
    finally:
        source.close()
    return report


# -------------------------------------------------------------------- task
def run_task(task_id: int, progress: Callable[[int, int], None] | None = None) -> None:
    """Run an import task on behalf of its owner; a finished task is left alone."""
    task = db.session.get(BackgroundTask, task_id)
    if task is None or task.kind != KIND or task.status in ("done", "failed"):
        return
    params = json.loads(task.params or "{}")
    user = db.session.get(AppUser, task.created_by_id)
    path = folder("imports") / params["file"]
    task.status, task.progress = "running", 0
    db.session.commit()
    with force_locale(params.get("locale") or "zh"):
        try:
            outcome = import_workbook(path, user, progress)
        except DomainError as error:
            db.session.rollback()
            _finish(task_id, "failed", str(error))
            return
        except Exception as error:
            db.session.rollback()
            _finish(task_id, "failed", str(error)[:500])
            logger.exception("Import %s failed", task_id)
            raise
        if outcome.problems:
            name = f"{task_id}-import-errors.xlsx"
            error_report(path, outcome.problems).save(folder("imports") / name)
            _finish(
                task_id,
                "failed",
                str(
                    _l(
                        "%(count)d rows refused: nothing was imported. Download "
                        "the error report, correct the rows and import again.",
                        count=len({(p.sheet, p.row) for p in outcome.problems}),
                    )
                ),
                name,
                outcome.rows,
            )
            return
        _finish(task_id, "done", summary(outcome), rows=outcome.rows)


def summary(outcome: Outcome) -> str:
    parts = []
    labels = {sheet.kind: sheet.title for sheet in SHEETS}
    for kind, count in outcome.imported.items():
        parts.append(f"{labels[kind]} {count}")
    text_ = str(_l("Imported: %(parts)s.", parts="，".join(parts) or "0"))
    ctx = outcome.ctx
    if ctx is not None and ctx.prices_ended:
        text_ += " " + str(
            _l("%(count)d earlier prices ended.", count=ctx.prices_ended)
        )
    if ctx is not None and ctx.years_added:
        text_ += " " + str(
            _l(
                "Calendar years entered by hand: %(years)s.",
                years="、".join(str(y) for y in ctx.years_added),
            )
        )
    return text_


def _finish(
    task_id: int,
    status: str,
    message: str,
    report: str | None = None,
    rows: int = 0,
) -> None:
    task = db.session.get(BackgroundTask, task_id)
    task.status, task.message, task.finished_at = status, message[:500], now()
    task.result_path = report
    task.total = max(task.total, rows)
    task.progress = task.total
    db.session.commit()


def start(task: BackgroundTask) -> BackgroundTask:
    """Run the import in a worker when Redis is there, else at once."""
    from app.jobs import jobs

    queues = jobs()
    if queues.enabled:
        job = queues.enqueue_safely(
            "app.jobs.imports.run_import",
            task.id,
            job_id=f"import-{task.id}",
            job_timeout=3600,
        )
        if job is not None:
            task.rq_job_id = job.id
            db.session.commit()
            return task
    run_task(task.id)
    db.session.refresh(task)
    return task


def status(task: BackgroundTask) -> dict[str, Any]:
    """The task's state for the progress bar; while running, from the job."""
    done, total = task.progress, task.total
    if task.status in ("queued", "running") and task.rq_job_id:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        from app.jobs import jobs

        try:
            job = Job.fetch(task.rq_job_id, connection=jobs().connection)
            done, total = job.meta.get("progress", [done, total])
        except (NoSuchJobError, OSError):
            pass
        except Exception:  # Redis unreachable: the page keeps polling
            logger.warning("Import %s: progress unavailable", task.id, exc_info=True)
    finished = task.status in ("done", "failed")
    percent = 100 if finished else (int(done * 100 / total) if total else 0)
    from app.models.codes import TASK_STATUSES, label

    return {
        "id": task.id,
        "status": task.status,
        "status_label": label(TASK_STATUSES, task.status),
        "progress": done,
        "total": total,
        "percent": min(percent, 100),
        "message": task.message or "",
        "report": bool(task.result_path),
    }


def report_path(task: BackgroundTask) -> Path | None:
    if not task.result_path:
        return None
    return folder("imports") / task.result_path
