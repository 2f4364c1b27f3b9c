"""The streamed workbook of the large exports, read back with openpyxl:
every kind of value the register holds, escapes, styles, several sheets,
rows on disk before the file is finished."""

from __future__ import annotations

import datetime as dt
import os
import threading
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from app.models import BUSINESS_TZ
from app.services.reporting import sheets

TEXTS = [
    "杭州再生资源回收有限公司",
    "A&B <废纸> 回收",
    "第一行\n第二行\t制表",
    "含控制字符\x01与\x1f",
    "回车\r之后",
    "_x0041_ 原样保留",
    "  前后空格  ",
]


def test_every_kind_of_value_reads_back_as_written(tmp_path):
    book = sheets.StreamedBook(tmp_path)
    sheet = book.create_sheet("投诉登记表")
    sheet.width("A", 16)
    sheet.width("C", 40)
    sheets.append(sheet, ["编号", "受理时间", "内容"], font=sheets.BOLD)
    received = dt.datetime(2026, 10, 1, 9, 30, 15, 250000, tzinfo=BUSINESS_TZ)
    rows = [
        [
            "TS-1",
            received,
            text,
            3,
            Decimal("1234.56"),
            4.5,
            True,
            None,
            dt.date(2026, 10, 8),
        ]
        for text in TEXTS
    ]
    sheets.append_rows(sheet, rows)
    book.save(tmp_path / "out.xlsx")

    read = load_workbook(tmp_path / "out.xlsx")
    (written,) = read.worksheets
    assert written.title == "投诉登记表"
    assert written.column_dimensions["A"].width == 16
    assert written.column_dimensions["C"].width == 40
    header = next(written.iter_rows(max_row=1))
    assert [c.value for c in header[:3]] == ["编号", "受理时间", "内容"]
    assert all(c.font.b for c in header[:3])
    body = list(written.iter_rows(min_row=2))
    assert len(body) == len(TEXTS)
    for cells, text in zip(body, TEXTS, strict=True):
        number, instant, content, count, amount, score, flag, empty, day = cells
        assert number.value == "TS-1" and not number.font.b
        # Business time, to Excel's millisecond, as a date cell.
        assert instant.value == dt.datetime(2026, 10, 1, 9, 30, 15, 250000)
        assert instant.number_format == "yyyy-mm-dd hh:mm:ss"
        assert unescape(content.value) == text and content.data_type == "s"
        assert not content.quotePrefix
        assert (count.value, amount.value, score.value) == (3, 1234.56, 4.5)
        assert count.data_type == amount.data_type == "n"
        assert flag.value is True and empty.value is None
        assert (
            day.value == dt.datetime(2026, 10, 8) and day.number_format == "yyyy-mm-dd"
        )


def test_formula_like_text_carries_the_quote_prefix(tmp_path):
    book = sheets.StreamedBook(tmp_path)
    sheet = book.create_sheet("登记")
    hostile = ["=1+1", "+1-1", "-2+3", "@SUM(A1)", "\t=1", "\r=2"]
    sheets.append(sheet, hostile, font=sheets.BOLD)
    sheets.append_rows(sheet, [hostile, ["普通文字", *hostile[1:]]])
    book.save(tmp_path / "out.xlsx")
    header, first, second = load_workbook(tmp_path / "out.xlsx").active.iter_rows()
    for cells in (header, first):
        for cell, value in zip(cells, hostile, strict=True):
            assert unescape(cell.value) == value and cell.data_type == "s"
            assert cell.quotePrefix, value
    assert all(c.font.b for c in header) and not any(c.font.b for c in first)
    assert not second[0].quotePrefix and all(c.quotePrefix for c in second[1:])


def test_sheets_follow_one_another_and_titles_are_made_acceptable(tmp_path):
    book = sheets.StreamedBook(tmp_path)
    first = book.create_sheet("按部门 [2026/10]")
    sheets.append_rows(first, [["客服部", 12]])
    second = book.create_sheet("按人员：" + "很长的标题" * 10)
    sheets.append_rows(second, [["李娜", 3]])
    with pytest.raises(ValueError, match="before the first row"):
        second.width("B", 20)
    with pytest.raises(ValueError, match="finished"):
        sheets.append_rows(first, [["财务部", 1]])  # the next one was created
    book.create_sheet("按部门 [2026/10]")  # the same name again
    book.save(tmp_path / "out.xlsx")
    read = load_workbook(tmp_path / "out.xlsx")
    assert read.sheetnames == [
        "按部门 _2026_10_",
        ("按人员：" + "很长的标题" * 10)[:31],
        "按部门 _2026_10_ (2)",
    ]
    assert [[c.value for c in row] for row in read.worksheets[0].iter_rows()] == [
        ["客服部", 12]
    ]
    assert [[c.value for c in row] for row in read.worksheets[1].iter_rows()] == [
        ["李娜", 3]
    ]


def test_rows_reach_the_disk_before_the_file_is_finished(tmp_path):
    """The sheet is deflated into the file as rows come: the unfinished file
    grows with them, and nothing waits in memory for `save`."""
    book = sheets.StreamedBook(tmp_path)
    sheet = book.create_sheet("登记")
    row = [f"说明文字{n}" for n in range(20)]
    sizes = []
    for page in range(4):
        sheets.append_rows(sheet, [[f"TS-{page}-{n}", *row] for n in range(2000)])
        sizes.append(book.path.stat().st_size)
    assert sizes[0] > 20_000 and sizes == sorted(sizes) and sizes[-1] > 3 * sizes[0]
    book.save(tmp_path / "out.xlsx")
    read = load_workbook(tmp_path / "out.xlsx", read_only=True).active
    assert sum(1 for _ in read.iter_rows(values_only=True)) == 8000


def test_a_discarded_book_leaves_no_file(tmp_path):
    book = sheets.StreamedBook(tmp_path)
    sheets.append_rows(book.create_sheet("登记"), [["TS-1"]])
    book.discard()
    assert list(tmp_path.iterdir()) == []


def test_text_longer_than_a_cell_is_refused(tmp_path):
    book = sheets.StreamedBook(tmp_path)
    sheet = book.create_sheet("登记")
    with pytest.raises(ValueError, match="32767"):
        sheets.append_rows(sheet, [["字" * 32768]])
    book.discard()


# ------------------------------------------------- register read ahead (PG)
postgresql_only = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="the register is read ahead on PostgreSQL only",
)


def _cases(db, count: int) -> None:
    from tests.factories import CaseFactory

    for _ in range(count):
        CaseFactory()
    db.session.commit()


def _keyset_query(*extra: Any) -> tuple[Any, Any]:
    """(keys, rows_of) of every case: `_read_ahead`'s arguments."""
    from sqlalchemy import select

    from app.models import Case

    def rows_of(page: Any) -> Any:
        return (
            select(Case.received_at, Case.id, *extra)
            .where(Case.id.in_(select(page.c.id)))
            .order_by(Case.received_at, Case.id)
        )

    return select(Case.received_at, Case.id), rows_of


@postgresql_only
def test_read_ahead_gives_every_page_once_under_the_jobs_limits(db, app, monkeypatch):
    from sqlalchemy import func, select

    from app.models import Case
    from app.services.core import db_limits
    from app.services.reporting import exports

    _cases(db, 7)
    monkeypatch.setattr(exports, "PAGE", 2)
    monkeypatch.setitem(app.config, "JOB_STATEMENT_TIMEOUT", 345)
    query = _keyset_query(func.current_setting("statement_timeout").label("limit"))
    with db_limits.for_jobs():
        pages = list(exports._read_ahead(*query))
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    ids = [row.id for page in pages for row in page]
    assert len(ids) == len(set(ids)) and set(ids) == set(
        db.session.scalars(select(Case.id))
    )
    assert {row.limit for page in pages for row in page} == {"345s"}


@postgresql_only
def test_read_ahead_stops_with_its_caller_and_hands_over_errors(db, monkeypatch):
    from sqlalchemy import literal_column
    from sqlalchemy.exc import DBAPIError

    from app.services.reporting import exports

    _cases(db, 6)
    monkeypatch.setattr(exports, "PAGE", 2)
    before = threading.active_count()
    pages = exports._read_ahead(*_keyset_query())
    assert len(next(pages)) == 2
    pages.close()  # the caller stops after one page: the reader stops too
    assert threading.active_count() == before

    failing = exports._read_ahead(*_keyset_query(literal_column("1 / 0").label("x")))
    with pytest.raises(DBAPIError, match="division by zero"):
        list(failing)
    assert threading.active_count() == before
