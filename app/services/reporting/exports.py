"""Excel exports (.xlsx): the complaint register (streamed) and the KPI report.

An export is a BackgroundTask row owned by the user who asked for it and
built on their behalf (their scope, their right to see contact data, their
language). Small exports, and every export when no Redis is configured or
reachable, are built at once in the request; larger ones are enqueued for
the worker (`app.jobs.kpi.run_export`) and the task page polls the progress.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy import func, literal, select, tuple_, update
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import (
    AppUser,
    BackgroundTask,
    Case,
    CaseCategory,
    Channel,
    Customer,
    Department,
    now,
)
from app.models.codes import (
    BUSINESS_STAGES,
    CASE_STATUSES,
    CLOCK_STATES,
    SEVERITIES,
    TASK_STATUSES,
    label,
)
from app.security.access import acting_as, can
from app.security.scope import restrict
from app.services.core.errors import InvalidInput, NotAllowed, NotFound
from app.services.core.portable_sql import business_local_ms
from app.services.reporting import business, complaint_analysis, kpi, sheets
from app.services.reporting.sheets import BOLD, FLAG

logger = logging.getLogger(__name__)

PAGE = 2000
DEFAULT_SYNC_ROWS = 2000


@dataclass(frozen=True)
class Export:
    """One kind of export: how many rows, how to write it, its file name."""

    kind: str
    title: Any
    count: Callable[[dict[str, Any], Any], int]
    # Returns the workbook (openpyxl's, or a sheets.StreamedBook): `save(path)`.
    write: Callable[[dict[str, Any], Any, Callable[[int], None]], Any]
    filename: Callable[[dict[str, Any]], str]
    # The right to start it: (action, resource).
    permission: tuple[str, str] = ("export", "Kpi")
    # Checks and normalizes the request's parameters for the user (raising
    # DomainError); None: a month and a span of months.
    clean: Callable[[dict[str, Any], Any], dict[str, Any]] | None = None
    # Offered on the exports page; others start from their record's screen.
    listed: bool = True


def _window(params: dict[str, Any]) -> kpi.Window:
    return complaint_analysis.window_for(
        kpi.parse_month(params.get("month")), int(params.get("span") or 1)
    )


# ------------------------------------------------------ complaint register
REGISTER_COLUMNS = (
    _l("Number"),
    _l("Received at"),
    _l("Channel"),
    _l("Customer"),
    _l("Contact person"),
    _l("Phone"),
    _l("Region"),
    _l("Business stage"),
    _l("Category"),
    _l("Severity"),
    _l("Urgent"),
    _l("Title"),
    _l("Description"),
    _l("Customer's expected solution"),
    _l("Department"),
    _l("First-ask owner"),
    _l("Owner"),
    _l("Status"),
    _l("Response due"),
    _l("Responded at"),
    _l("Response clock"),
    _l("Resolution due"),
    _l("Closed at"),
    _l("Resolution clock"),
    _l("Reopened"),
    _l("Result"),
    _l("Compensation (CNY)"),
    _l("Satisfaction (1-5)"),
    _l("Customer's comment"),
)


def _register_keys(window: kpi.Window, user: Any) -> Any:
    """The complaints received in the window that `user` sees (cancelled ones
    included), as their keyset (received_at, id): ix_case_complaint_received."""
    stmt = select(Case.received_at, Case.id).where(
        Case.kind == "complaint", window.contains(Case.received_at)
    )
    return restrict(stmt, Case, user)


def _register_rows(page: Any) -> Any:
    """The sheet's rows of the complaints whose ids `page` (a subquery) holds,
    in keyset order: the keyset (received_at, id), then the sheet's columns'
    values, instants as the sheet shows them (business time, to the
    millisecond). One row per id: the inner joins follow NOT NULL foreign
    keys, so a page of ids gives as many rows and ends on the same key."""
    owner = aliased(AppUser)
    first = aliased(AppUser)
    stmt = (
        select(
            Case.received_at,
            Case.id,
            Case.number,
            business_local_ms(Case.received_at),
            Channel.name,
            Customer.name,
            Customer.contact_person,
            Customer.phone,
            Customer.region,
            Case.stage,
            CaseCategory.name,
            Case.severity,
            Case.urgent,
            Case.title,
            Case.description,
            Case.expected_solution,
            Department.name,
            first.last_name,
            first.first_name,
            owner.last_name,
            owner.first_name,
            Case.status,
            business_local_ms(Case.response_due_at),
            business_local_ms(Case.responded_at),
            Case.response_state,
            business_local_ms(Case.resolution_due_at),
            business_local_ms(Case.closed_at),
            Case.resolution_state,
            Case.reopen_count,
            Case.result,
            Case.compensation_amount,
            Case.satisfaction,
            Case.satisfaction_comment,
        )
        .select_from(Case)
        .join(Customer, Case.customer_id == Customer.id)
        .join(CaseCategory, Case.category_id == CaseCategory.id)
        .join(Channel, Case.channel_id == Channel.id)
        .join(Department, Case.department_id == Department.id)
        .join(first, Case.first_ask_owner_id == first.id)
        .outerjoin(owner, Case.owner_id == owner.id)
        .where(Case.id.in_(select(page.c.id)))
        .order_by(Case.received_at, Case.id)
    )
    return stmt


def _register_count(params: dict[str, Any], user: Any) -> int:
    inner = _register_keys(_window(params), user).subquery()
    return db.session.execute(select(func.count()).select_from(inner)).scalar_one()


def _register_pages(window: kpi.Window, user: Any) -> Iterator[list[Any]]:
    """Pages in (received_at, id) order by keyset on ix_case_complaint_received,
    so each page starts where the last ended and progress can be committed.

    The queries (the user's scope included) are built once: a page is one
    round trip to the database, nothing is reloaded after a progress commit.
    On PostgreSQL the pages are read one ahead, on a connection of their own
    (one snapshot for the whole register), while the sheet is written."""
    keys = _register_keys(window, user)
    if db.engine.dialect.name == "postgresql":
        yield from _read_ahead(keys, _register_rows)
    else:
        yield from _keyset_pages(db.session.execute, keys, _register_rows)


def _keyset_pages(
    execute: Callable[[Any], Any], keys: Any, rows_of: Callable[[Any], Any]
) -> Iterator[list[Any]]:
    """Pages of PAGE rows: `keys` (a select of Case.received_at, Case.id)
    gives the next page's ids in keyset order, `rows_of(page)` the rows of
    the ids in the subquery `page`, in the same order. The ids come first, by
    the index alone: an ordered scan that stops at the page's end, whatever
    the planner estimates of the rest of the window (joined in one statement,
    PostgreSQL hashed the whole rest of the window for every page)."""
    last: tuple[dt.datetime, int] | None = None
    while True:
        stmt = keys
        if last is not None:
            # Typed like the column: SQLite compares stored UTC text.
            after = tuple_(literal(last[0], Case.received_at.type), literal(last[1]))
            stmt = stmt.where(tuple_(Case.received_at, Case.id) > after)
        page = stmt.order_by(Case.received_at, Case.id).limit(PAGE).subquery("page")
        rows = execute(rows_of(page)).all()
        if not rows:
            return
        yield rows
        last = (rows[-1].received_at, rows[-1].id)


def _read_ahead(keys: Any, rows_of: Callable[[Any], Any]) -> Iterator[list[Any]]:
    """`_keyset_pages` read by a thread one page ahead of the caller: the
    database's work overlaps the writing (at most two pages in memory). The
    thread runs in a copy of this context (the job's database limits) and
    stops when the caller does, whether it finished or failed."""
    pages: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()
    app = current_app._get_current_object()
    engine = db.engine

    def hand_over(item: Any) -> bool:
        while not stop.is_set():
            try:
                pages.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            with app.app_context(), engine.connect() as connection:
                connection = connection.execution_options(
                    isolation_level="REPEATABLE READ"
                )
                for rows in _keyset_pages(connection.execute, keys, rows_of):
                    if not hand_over(rows):
                        return
        except Exception as error:  # handed to the caller, raised there
            hand_over(error)
            return
        hand_over(None)

    reader = threading.Thread(
        target=contextvars.copy_context().run, args=(read,), daemon=True
    )
    reader.start()
    try:
        while True:
            try:
                item = pages.get(timeout=1)
            except queue.Empty:
                if reader.is_alive():
                    continue
                raise RuntimeError("the register's reader stopped") from None
            if item is None:
                return
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        stop.set()
        reader.join(timeout=10)


def _name(family: str | None, given: str | None) -> str:
    return f"{family or ''}{given or ''}"


@dataclass(frozen=True)
class _Labels:
    """Labels in the export's language, looked up once per export, not per cell."""

    stages: dict[str, str]
    severities: dict[str, str]
    statuses: dict[str, str]
    clocks: dict[str, str]
    yes: str

    @classmethod
    def now(cls) -> _Labels:
        def table(codes: dict[str, Any]) -> dict[str, str]:
            return {code: str(text) for code, text in codes.items()}

        return cls(
            table(BUSINESS_STAGES),
            table(SEVERITIES),
            table(CASE_STATUSES),
            table(CLOCK_STATES),
            str(_l("Yes")),
        )


def _label(labels: dict[str, str], code: str | None) -> str:
    """As `codes.label`: unknown codes are shown as they are."""
    return "" if code is None else labels.get(code, code)


def _register_row(row: Any, see_contact: bool, labels: _Labels) -> list[Any]:
    from app.ui.base import mask_phone  # the screens' masking rule, kept in one place

    (
        _received_at,
        _id,
        number,
        received,
        channel,
        customer,
        contact,
        phone,
        region,
        stage,
        category,
        severity,
        urgent,
        title,
        description,
        expected,
        department,
        first_family,
        first_given,
        owner_family,
        owner_given,
        status,
        response_due,
        responded,
        response_state,
        resolution_due,
        closed,
        resolution_state,
        reopens,
        result,
        compensation,
        satisfaction,
        comment,
    ) = row
    return [
        number,
        received,
        channel,
        customer,
        contact,
        phone if see_contact else mask_phone(phone),
        region,
        _label(labels.stages, stage),
        category,
        _label(labels.severities, severity),
        labels.yes if urgent else "",
        title,
        description,
        expected,
        department,
        _name(first_family, first_given),
        _name(owner_family, owner_given),
        _label(labels.statuses, status),
        response_due,
        responded,
        _label(labels.clocks, response_state),
        resolution_due,
        closed,
        _label(labels.clocks, resolution_state),
        reopens,
        result,
        compensation,
        satisfaction,
        comment,
    ]


def _register_write(
    params: dict[str, Any], user: Any, progress: Callable[[int], None]
) -> sheets.StreamedBook:
    window = _window(params)
    see_contact = can(user, "see_contact", "Confidential")
    book = sheets.StreamedBook(folder())
    sheet = book.create_sheet(str(_l("Complaint register")))
    for letter, width in (
        ("A", 16),
        ("B", 17),
        ("D", 28),
        ("L", 30),
        ("M", 40),
        ("N", 30),
        ("Z", 30),
    ):
        sheet.width(letter, width)
    sheets.append(sheet, [str(title) for title in REGISTER_COLUMNS], font=BOLD)
    done = 0
    labels = _Labels.now()
    try:
        for rows in _register_pages(window, user):
            sheets.append_rows(
                sheet, [_register_row(r, see_contact, labels) for r in rows]
            )
            done += len(rows)
            progress(done)
    except BaseException:
        book.discard()  # no half-written file left in the export folder
        raise
    return book


# -------------------------------------------------------------- KPI report
FIGURE_COLUMNS = (
    _l("KPI"),
    _l("Numerator"),
    _l("Denominator"),
    _l("Value"),
    _l("Unit"),
    _l("Target (in the KPI's unit: %; complaint rates per 100)"),
    _l("Lower is better"),
    _l("Worse than target"),
)
UNITS = {"percent": "%", "score": _l("score 1-5"), "per100": _l("per 100")}


def _figure_cells(figure: kpi.Figure) -> list[Any]:
    target = figure.target
    return [
        figure.kpi.label,
        figure.numerator,
        figure.denominator,
        figure.value,
        str(UNITS[figure.kpi.unit]),
        target.percent if target else None,
        (str(_l("Yes")) if target.lower_is_better else "") if target else "",
        str(_l("Yes")) if figure.flagged else "",
    ]


def _append(sheet: Any, cells: list[Any], flagged: bool = False) -> None:
    sheets.append(sheet, cells, fill=FLAG if flagged else None)


def _kpi_write(
    params: dict[str, Any], user: Any, progress: Callable[[int], None]
) -> Workbook:
    period = kpi.parse_period(params.get("month"))
    month = period.start
    report = kpi.compute_period(period, user)
    book = Workbook()
    summary = book.active
    summary.title = str(_l("KPIs"))
    _append(summary, [str(_l("KPI report")), period.key])
    _append(summary, [str(_l("Computed at")), now()])
    _append(summary, [])
    _append(
        summary,
        [
            str(t)
            for t in (
                *FIGURE_COLUMNS,
                _l("Numerator counts"),
                _l("Denominator counts"),
                _l("Attribution"),
                _l("Policy"),
            )
        ],
    )
    for measure in kpi.KPIS:
        figure = report.figure(measure.code, month)
        _append(
            summary,
            [
                *_figure_cells(figure),
                str(measure.numerator),
                str(measure.denominator),
                str(measure.attribution),
                str(measure.seed),
            ],
            figure.flagged,
        )

    departments = dict(db.session.execute(select(Department.id, Department.name)).all())
    by_department = book.create_sheet(str(_l("By department")))
    _append(by_department, [str(_l("Department")), *[str(t) for t in FIGURE_COLUMNS]])
    for department_id in report.departments(month):
        for measure in kpi.KPIS:
            figure = report.figure(measure.code, month, department_id=department_id)
            if figure.denominator:
                _append(
                    by_department,
                    [departments.get(department_id, ""), *_figure_cells(figure)],
                    figure.flagged,
                )

    staff_ids = report.staff(month)
    people = (
        {
            u.id: u
            for u in db.session.scalars(
                select(AppUser).where(AppUser.id.in_(staff_ids))
            )
        }
        if staff_ids
        else {}
    )
    by_staff = book.create_sheet(str(_l("By staff member")))
    _append(
        by_staff,
        [
            str(_l("Staff member")),
            str(_l("Department")),
            *[str(t) for t in FIGURE_COLUMNS],
        ],
    )
    for user_id in staff_ids:
        person = people.get(user_id)
        for measure in kpi.KPIS:
            figure = report.figure(measure.code, month, user_id=user_id)
            if figure.denominator:
                _append(
                    by_staff,
                    [
                        str(person) if person else user_id,
                        departments.get(person.department_id, "") if person else "",
                        *_figure_cells(figure),
                    ],
                    figure.flagged,
                )

    window = kpi.Window(period.months)
    complaints = book.create_sheet(str(_l("Complaints")))
    for dimension, title in (
        ("category", _l("By category")),
        ("stage", _l("By business stage")),
        ("region", _l("By region")),
        ("customer", _l("Top customers")),
    ):
        _append(complaints, [str(title), str(_l("Complaints"))])
        for item in complaint_analysis.complaint_counts(
            dimension, window, user, 10 if dimension == "customer" else None
        ):
            _append(complaints, [item.label, item.count])
        _append(complaints, [])
    business.write_sheet(book, month, user, window, period.key)
    for sheet in book.worksheets:
        sheet.column_dimensions["A"].width = 34
    progress(1)
    return book


# Modules registering exports of other domains (loaded on first use).
EXPORT_MODULES = ("app.services.finance.workbooks",)

EXPORTS: dict[str, Export] = {
    "complaint_register": Export(
        "complaint_register",
        _l("Complaint register"),
        _register_count,
        _register_write,
        lambda p: (
            f"complaint-register-{kpi.month_key(_window(p).months[0])}"
            f"-{kpi.month_key(_window(p).months[-1])}.xlsx"
        ),
    ),
    "kpi_report": Export(
        "kpi_report",
        _l("Monthly KPI report"),
        lambda p, u: 1,
        _kpi_write,
        lambda p: f"kpi-report-{kpi.parse_period(p.get('month')).key}.xlsx",
    ),
}


def register(export: Export) -> Export:
    """Add an export kind of another domain."""
    EXPORTS[export.kind] = export
    return export


def exports() -> dict[str, Export]:
    """Every export kind, those of other domains included."""
    import importlib

    for module in EXPORT_MODULES:
        importlib.import_module(module)
    return EXPORTS


def listed() -> dict[str, Export]:
    """The exports offered on the exports page."""
    return {kind: export for kind, export in exports().items() if export.listed}


# ------------------------------------------------------------------ tasks
def folder() -> Path:
    path = Path(
        current_app.config.get("EXPORT_FOLDER")
        or Path(current_app.instance_path) / "exports"
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_of(task: BackgroundTask) -> Path | None:
    if not task.result_path:
        return None
    return folder() / task.result_path


def download_name(task: BackgroundTask) -> str:
    export = exports()[task.kind]
    return export.filename(json.loads(task.params or "{}"))


def _queue() -> Any | None:
    """The RQ queue of exports, or None when no Redis is configured."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    from redis import Redis
    from rq import Queue

    return Queue("exports", connection=Redis.from_url(url))


def request_export(kind: str, params: dict[str, Any], user: Any) -> BackgroundTask:
    """Create the task; build it now when small or when no worker can take it."""
    export = exports().get(kind)
    if export is None:
        raise NotFound(_l("Unknown export."))
    if not can(user, *export.permission):
        raise NotAllowed(_l("You may not export."))
    with acting_as(user):
        if export.clean is not None:
            clean = export.clean(params, user)
        else:
            try:
                span = max(1, min(int(params.get("span") or 1), 36))
            except ValueError:
                raise InvalidInput(
                    _l("Give the number of months."), field="span"
                ) from None
            clean = {
                "month": kpi.month_key(kpi.parse_month(params.get("month"))),
                "span": span,
            }
        clean["locale"] = str(get_locale() or "zh")
        total = export.count(clean, user)
    task = BackgroundTask(
        kind=kind,
        params=json.dumps(clean),
        status="queued",
        total=total,
        created_by_id=user.id,
        message=str(export.title),
    )
    db.session.add(task)
    db.session.commit()
    limit = int(current_app.config.get("EXPORT_SYNC_ROWS", DEFAULT_SYNC_ROWS))
    queue = _queue() if total > limit else None
    if queue is not None:
        try:
            job = queue.enqueue(
                "app.jobs.kpi.run_export",
                task.id,
                job_id=f"export-{task.id}",
                job_timeout=1800,
            )
        except Exception:  # Redis down: the user still gets the file.
            logger.warning(
                "Export %s: Redis unreachable, building in the request",
                task.id,
                exc_info=True,
            )
        else:
            task.rq_job_id = job.id
            db.session.commit()
            return task
    run_task(task.id)
    db.session.refresh(task)
    return task


def run_task(task_id: int) -> None:
    """Build a task's workbook on behalf of its owner; safe to run twice."""
    task = db.session.get(BackgroundTask, task_id)
    if task is None or task.status == "done":
        return
    export = exports()[task.kind]
    params = json.loads(task.params or "{}")
    user = db.session.get(AppUser, task.created_by_id)
    task.status, task.progress, task.message = "running", 0, None
    db.session.commit()

    def progress(done: int) -> None:
        # One statement: the task row is not reloaded for each page.
        db.session.execute(
            update(BackgroundTask)
            .where(BackgroundTask.id == task_id)
            .values(progress=done)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()

    book = None
    try:
        with acting_as(user), force_locale(params.get("locale") or "zh"):
            book = export.write(params, user, progress)
            name = f"{task.id}-{task.kind}.xlsx"
            book.save(folder() / name)
    except Exception as error:
        if hasattr(book, "discard"):
            book.discard()
        db.session.rollback()
        task = db.session.get(BackgroundTask, task_id)
        task.status, task.message = "failed", str(error)[:500]
        task.finished_at = now()
        db.session.commit()
        logger.exception("Export %s failed", task_id)
        raise
    task.status, task.result_path, task.finished_at = "done", name, now()
    task.progress = max(task.progress, task.total)
    db.session.commit()


def task_for(task_id: int, user: Any) -> BackgroundTask:
    """A task of the user's own (exports are personal)."""
    task = db.session.get(BackgroundTask, task_id)
    if task is None or task.created_by_id != user.id:
        raise NotFound(_l("No such export."))
    return task


def status(task: BackgroundTask) -> dict[str, Any]:
    percent = (
        100
        if task.status == "done"
        else (int(task.progress * 100 / task.total) if task.total else 0)
    )
    return {
        "id": task.id,
        "status": task.status,
        "progress": task.progress,
        "total": task.total,
        "percent": min(percent, 100),
        "message": task.message or "",
        "status_label": label(TASK_STATUSES, task.status),
    }


def recent(user: Any, limit: int = 20) -> list[BackgroundTask]:
    return list(
        db.session.scalars(
            select(BackgroundTask)
            .where(
                BackgroundTask.created_by_id == user.id,
                BackgroundTask.kind.in_(exports()),
            )
            .order_by(BackgroundTask.id.desc())
            .limit(limit)
        )
    )
