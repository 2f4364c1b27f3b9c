"""Excel import by the admin: template, all or nothing, per-row errors, clocks."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from app.models import (
    BackgroundTask,
    CalendarDay,
    CalendarYear,
    Case,
    CaseCategory,
    Customer,
    CustomerContact,
    Material,
    PriceListItem,
)
from app.models.base import BUSINESS_TZ, clock_at
from app.services.imports import importer
from app.services.imports.template import template
from tests.factories import CaseFactory, CustomerFactory, by_code, user

CREDIT_CODE = "91330106MA2CDEF12L"  # a valid code (GB 32100 check digit)


def sheet_rows(book: Workbook, title: str, rows: list[list[Any]]) -> None:
    for row in rows:
        book[title].append(row)


def workbook_bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def good_book() -> Workbook:
    """The template, filled in by an admin."""
    book = template()
    sheet_rows(
        book,
        "客户档案",
        [
            [
                "湖州绿环再生资源有限公司",
                "供货客户",
                None,
                "沈志强",
                "13905720001",
                "shen@lvhuan.example.com",
                "浙江省湖州市吴兴区织里镇工业园8号",
                "湖州市吴兴区",
                None,
                None,
                None,
                "sales",
                "月结30天",
                None,
                "2027年起合作",
            ],
            ["嘉兴市秀洲区个体回收户王建", "临时客户", None, "王建", 13588880002],
        ],
    )
    sheet_rows(
        book,
        "联系人",
        [
            ["湖州绿环再生资源有限公司", "沈志强", "总经理", "13905720001", None, "是"],
            ["湖州绿环再生资源有限公司", "钱会计", "财务", "0572-2233445", None, "否"],
        ],
    )
    sheet_rows(
        book,
        "价格表",
        [["paper-cardboard", "A", "收购", None, 1.75, dt.date(2026, 12, 1), None]],
    )
    sheet_rows(
        book,
        "工作日历",
        [
            ["2027-01-01", "休息日", None, None, "元旦"],
            ["2027-02-06", "休息日", None, None, "春节"],
            ["2027-02-07", "调休补班日", "周五", None, "春节调休"],
        ],
    )
    return book


def upload(browser: Any, data: bytes, name: str = "导入.xlsx") -> Any:
    return browser.post(
        "/imports/upload",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_the_template_has_a_sheet_per_kind_with_drop_downs(db, login):
    admin = login("admin")
    response = admin.get("/imports/template")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[:5] == ["说明", "客户档案", "联系人", "价格表", "工作日历"]
    headers = [c.value for c in book["客户档案"][1]]
    assert headers[:2] == ["客户名称*", "客户类型*"]
    lists = {str(v.sqref) for v in book["客户档案"].data_validations.dataValidation}
    assert "B2:B5000" in lists  # customer types from the reference data
    for username in ("cs", "finance", "manager"):
        assert login(username).get("/imports/").status_code == 403
        assert login(username).get("/imports/template").status_code == 403


def test_admin_imports_customers_contacts_prices_and_calendar(db, login):
    customers = db.session.query(Customer).count()
    old = (
        db.session.query(PriceListItem)
        .filter_by(
            material_id=by_code(Material, "paper-cardboard").id,
            direction="purchase",
            valid_to=None,
        )
        .filter(PriceListItem.grade.has(code="A"))
        .one()
    )
    admin = login("admin")
    response = upload(admin, workbook_bytes(good_book()))
    assert response.status_code == 302
    task = db.session.query(BackgroundTask).filter_by(kind="import").one()
    assert task.status == "done", task.message
    page = admin.get(f"/imports/task/{task.id}").get_data(as_text=True)
    assert "客户档案 2" in page and "联系人 2" in page and "工作日历 3" in page
    assert db.session.query(Customer).count() == customers + 2
    lvhuan = db.session.query(Customer).filter_by(name="湖州绿环再生资源有限公司").one()
    assert lvhuan.code.startswith("KH-")
    assert (lvhuan.sales_rep.username, lvhuan.payment_term.code) == ("sales", "month30")
    walk_in = (
        db.session.query(Customer).filter_by(name="嘉兴市秀洲区个体回收户王建").one()
    )
    assert walk_in.phone == "13588880002" and walk_in.status == "active"
    contacts = db.session.query(CustomerContact).filter_by(customer_id=lvhuan.id)
    assert {(c.name, c.is_primary) for c in contacts} == {
        ("沈志强", True),
        ("钱会计", False),
    }
    db.session.refresh(old)
    assert old.valid_to == dt.date(2026, 11, 30)  # the old price ends the day before
    new = (
        db.session.query(PriceListItem).filter_by(valid_from=dt.date(2026, 12, 1)).one()
    )
    assert new.unit_price == D("1.7500") and new.grade.code == "A"
    days = {
        d.day: d
        for d in db.session.query(CalendarDay).filter(
            CalendarDay.day >= dt.date(2027, 1, 1)
        )
    }
    assert days[dt.date(2027, 2, 7)].kind == "workday"
    assert days[dt.date(2027, 2, 7)].follows_weekday == 4
    assert days[dt.date(2027, 1, 1)].source == "import"
    year = db.session.query(CalendarYear).filter_by(year=2027).one()
    assert year.status == "manual"


def test_one_bad_row_refuses_the_file_with_a_report_of_every_row(db, login):
    book = good_book()
    sheet_rows(
        book,
        "客户档案",
        [
            ["杭州错码回收站", "供货客户", "91330100MA2H3G4B5X"],  # bad check digit
            ["杭州某公司", "外星客户"],  # unknown customer type
            ["湖州绿环再生资源有限公司", "供货客户"],  # twice in the file
        ],
    )
    sheet_rows(book, "联系人", [["不存在的客户", "张三"]])
    sheet_rows(
        book,
        "价格表",
        [["paper-office", "A", "销售", None, -2, "2026-12-01"]],
    )
    sheet_rows(book, "工作日历", [["2027-03-01", "特殊作息", None, None, "无时段"]])
    customers = db.session.query(Customer).count()
    days = db.session.query(CalendarDay).count()
    admin = login("admin")
    upload(admin, workbook_bytes(book))
    task = db.session.query(BackgroundTask).filter_by(kind="import").one()
    assert task.status == "failed"
    assert "6" in task.message and "未导入任何数据" in task.message
    assert db.session.query(Customer).count() == customers
    assert db.session.query(CalendarDay).count() == days
    assert db.session.query(CalendarYear).filter_by(year=2027).count() == 0
    report = admin.get(f"/imports/report/{task.id}")
    assert report.status_code == 200
    errors = load_workbook(io.BytesIO(report.data))
    summary = list(errors["错误"].iter_rows(min_row=2, values_only=True))
    where = {(sheet, row, column) for sheet, row, column, _, _ in summary}
    assert where == {
        ("客户档案", 4, "统一社会信用代码"),
        ("客户档案", 5, "客户类型"),
        ("客户档案", 6, "客户名称"),
        ("联系人", 4, "客户"),
        ("价格表", 3, "单价（元/kg）"),
        ("工作日历", 5, "工作时段"),
    }
    messages = {(s, r): m for s, r, _, _, m in summary}
    assert "出现两次" in messages[("客户档案", 6)]
    # The sheets come back with an error column on the refused rows.
    copy = list(errors["客户档案"].iter_rows(values_only=True))
    assert copy[0][-1] == "错误" and copy[3][-1] and not copy[1][-1]
    # Another admin's task and report stay out of reach.
    assert login("cs").get(f"/imports/report/{task.id}").status_code == 403


def test_what_is_not_a_workbook_is_refused_at_once(db, login):
    admin = login("admin")
    response = upload(admin, b"name,type\nx,y\n", "customers.csv")
    assert response.status_code == 302
    page = admin.get("/imports/").get_data(as_text=True)
    assert "不是 Excel 工作簿" in page
    assert db.session.query(BackgroundTask).filter_by(kind="import").count() == 0


def test_the_import_uses_the_record_rules_of_the_screens(db):
    CustomerFactory(name="已存在的客户", credit_code=CREDIT_CODE)
    book = template()
    sheet_rows(
        book,
        "客户档案",
        [
            ["新客户甲", "供货客户", CREDIT_CODE],  # the credit code is taken
            ["新客户乙", "供货客户", None, None, "call me"],  # not a phone
            ["已存在的客户", "供货客户"],
        ],
    )
    path = importer.folder("imports") / "rules.xlsx"
    book.save(path)
    outcome = importer.import_workbook(path, user("admin"))
    found = {(p.row, p.column): p.message for p in outcome.problems}
    assert set(found) == {(2, "统一社会信用代码"), (3, "电话"), (4, "客户名称")}
    assert "已" in found[(2, "统一社会信用代码")]
    assert db.session.query(Customer).filter(Customer.name.like("新客户%")).count() == 0


def test_imported_calendar_days_move_the_open_clocks(db):
    """A complaint waiting for 2027's calendar gets its deadline from the import."""
    received = dt.datetime(2026, 12, 28, 10, 0, tzinfo=BUSINESS_TZ)  # Monday
    with clock_at(received):
        case = CaseFactory(category=by_code(CaseCategory, "quality"))
    assert case.resolution_state == "unknown" and case.resolution_due_at is None
    path = importer.folder("imports") / "calendar.xlsx"
    good_book().save(path)
    importer.import_workbook(path, user("admin"))
    case = db.session.get(Case, case.id)
    # 7 working days after Dec 28: Dec 29, 30, 31, (Jan 1 off, imported),
    # Jan 4, 5, 6, 7 -> the close of Thursday Jan 7.
    assert case.resolution_due_at == dt.datetime(2027, 1, 7, 17, 30, tzinfo=BUSINESS_TZ)
    assert case.resolution_state == "running"


@pytest.mark.parametrize("broken", [b"PK\x03\x04not really a zip", b""])
def test_a_broken_upload_changes_nothing(db, login, broken):
    admin = login("admin")
    upload(admin, broken)
    tasks = db.session.query(BackgroundTask).filter_by(kind="import").all()
    assert all(t.status == "failed" for t in tasks)
    assert db.session.query(Customer).filter(Customer.name.like("湖州%")).count() == 0
