"""Journey 5: an administrator, in Chromium, typing and clicking in Chinese,
adds a holiday and a make-up working day, changes an SLA policy (approved by
Management), adds Saturday
working hours (times typed as 0830 and 12:00), a price and a user with a
department; each takes effect where it is used (`flask sla due`, the price in
force for a settlement, the new user's sign-in, menu and department's records).

The deadlines are checked against a straightforward count of working days
written out here (seed 000 §3, SPEC §2 counting rules: "N working days" end at
the close, 17:30, of the N-th working day after the day of receipt).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import select

from app.models import (
    AppUser,
    CalendarDay,
    CustomerType,
    Material,
    MaterialGrade,
    now,
)
from app.services.recycling.pricing import price_in_force
from tests.conftest import PASSWORD


def _quiet_wednesday(db) -> dt.date:
    """A Wednesday at least two weeks ahead with no calendar entry in the
    three weeks from it (so the count below needs no statutory holidays)."""
    day = now().date() + dt.timedelta(days=14)
    day += dt.timedelta(days=(2 - day.weekday()) % 7)
    while db.session.scalar(
        select(CalendarDay.id).where(
            CalendarDay.day >= day, CalendarDay.day <= day + dt.timedelta(days=21)
        )
    ):
        day += dt.timedelta(days=7)
    return day


def _close_of_nth_working_day(
    received: dt.date, n: int, off: set[dt.date], on: set[dt.date]
) -> str:
    """Mon-Fri are working days, but `off`; `on` days work too (make-up)."""
    day, counted = received, 0
    while counted < n:
        day += dt.timedelta(days=1)
        if (day.weekday() < 5 and day not in off) or day in on:
            counted += 1
    return f"resolution: {day.isoformat()}T17:30:00+08:00"


def _resolution_due(app, received: dt.date) -> str:
    result = app.test_cli_runner().invoke(
        args=["sla", "due", "complaint", "general", f"{received.isoformat()}T10:00"]
    )
    assert result.exit_code == 0, result.output
    return result.output.splitlines()[-1]


def _open_menu(admin, category: str, item: str) -> None:
    admin.click(category)
    admin.click(item)


def _menu(someone) -> list[str]:
    """The menu a person can open: categories and their items (not the
    user's own menu on the right)."""
    return someone.page.eval_on_selector_all(
        ".navbar-nav:not(.navbar-right) .dropdown-toggle, "
        ".navbar-nav:not(.navbar-right) .dropdown-menu a",
        "els => els.map(e => e.textContent.trim()).filter(Boolean)",
    )


def _numbers(someone) -> list[str]:
    """The record numbers of the list page shown."""
    return re.findall(r"[A-Z]{2}-\d{4}-\d{6}", someone.text())


def _add_calendar_day(admin, day: dt.date, kind: str, name: str) -> None:
    _open_menu(admin, "基础资料", "工作日历")
    admin.click("a[href*='/calendardayview/add']")
    admin.type("day", day.isoformat())
    admin.press("Escape")  # the calendar that opened with the typing
    admin.choose("kind", kind)
    admin.type("name", name)
    admin.click_button("保存")
    admin.expect_text(name, day.isoformat())


def test_admin_sets_calendar_price_sla_and_a_user(app, demo_db, person):
    wednesday = _quiet_wednesday(demo_db)
    holiday = wednesday + dt.timedelta(days=1)  # Thursday
    make_up = wednesday + dt.timedelta(days=3)  # Saturday
    assert _resolution_due(app, wednesday) == _close_of_nth_working_day(
        wednesday, 7, set(), set()
    )

    admin = person("admin")
    # A holiday: the complaint's seventh working day moves a day later.
    _add_calendar_day(admin, holiday, "休息日", "公司周年庆放假")
    assert _resolution_due(app, wednesday) == _close_of_nth_working_day(
        wednesday, 7, {holiday}, set()
    )
    # A make-up Saturday working Monday's hours: it counts again.
    _add_calendar_day(admin, make_up, "调休补班日", "周年庆调休补班")
    saved = demo_db.session.scalar(select(CalendarDay).filter_by(day=make_up))
    assert (saved.kind, saved.follows_weekday) == ("workday", 0)
    assert _resolution_due(app, wednesday) == _close_of_nth_working_day(
        wednesday, 7, {holiday}, {make_up}
    )

    # An SLA change: general complaints resolved within 5 working days,
    # proposed by the admin on the policy's own form, in force from today
    # once Management approves it (seed 000 §2(六)1).
    _open_menu(admin, "基础资料", "服务时限标准")
    admin.click("tr:has(td:text-is('一般投诉')) a[href*='/slapolicyview/edit/']")
    assert admin.field("name").input_value() == "一般投诉"
    assert admin.field("effective_on").input_value() == now().date().isoformat()
    admin.type("resolution_amount", "5", clear=True)
    admin.type("notes", "2026年服务承诺：一般投诉5个工作日办结", clear=True)
    admin.type("change_reason", "落实2026年服务承诺，缩短一般投诉办结时限")
    admin.click_button("保存")
    admin.expect_text("服务标准变更申请已提交", "待审批", "办结时限: 7 → 5")
    assert _resolution_due(app, wednesday) == _close_of_nth_working_day(
        wednesday, 7, {holiday}, {make_up}
    )
    manager = person("manager")
    _open_menu(manager, "基础资料", "服务标准变更")
    manager.click("待审批")
    manager.click("tr:has(td:text-is('一般投诉')) a[href*='/standardchanges/show/']")
    manager.expect_text("落实2026年服务承诺，缩短一般投诉办结时限")
    manager.click("批准变更")
    manager.type("note", "同意，自即日起执行。")
    manager.click_button("批准变更")
    manager.expect_text("批准变更：已完成。", "已生效")
    assert _resolution_due(app, wednesday) == _close_of_nth_working_day(
        wednesday, 5, {holiday}, {make_up}
    )

    # Saturday mornings worked from now on, typed as a person types times:
    # a Saturday becomes a working day of the count.
    _open_menu(admin, "基础资料", "作息时间")
    admin.click("a[href*='/workwindowview/add']")
    admin.choose("weekday", "星期六")
    admin.type("start_time", "0830")
    admin.type("end_time", "12:00")
    admin.click_button("保存")
    admin.expect_text("星期六", "08:30", "12:00")
    friday = wednesday + dt.timedelta(days=9)
    saturdays = {friday + dt.timedelta(days=1 + 7 * n) for n in range(3)}
    assert _resolution_due(app, friday) == _close_of_nth_working_day(
        friday, 5, {holiday}, {make_up, *saturdays}
    )

    # A price for long-term partners: settlements with them use it, others
    # keep the general price.
    _open_menu(admin, "基础资料", "价格表")
    admin.click("a[href*='/pricelistview/add']")
    admin.pick("material", "黄板", "黄板纸")
    admin.pick("grade", None, "一级")
    admin.choose("direction", "收购")
    admin.pick("customer_type", "长期", "长期合作伙伴")
    admin.type("unit_price", "1.75")
    today = now().date()
    admin.type("valid_from", today.isoformat())
    admin.press("Escape")
    admin.type("notes", "长期合作伙伴协议价")
    admin.click_button("保存")
    admin.expect_text("长期合作伙伴协议价")
    demo_db.session.expire_all()
    paper = demo_db.session.scalar(select(Material).filter_by(code="paper-cardboard"))
    first = demo_db.session.scalar(
        select(MaterialGrade).filter_by(material_id=paper.id, name="一级")
    )
    partner = demo_db.session.scalar(select(CustomerType).filter_by(code="partner"))
    supplier = demo_db.session.scalar(select(CustomerType).filter_by(code="supplier"))
    assert price_in_force(paper, first, "purchase", partner, today).unit_price == (
        Decimal("1.75")
    )
    assert price_in_force(paper, first, "purchase", supplier, today).unit_price == (
        Decimal("1.60")
    )

    # A warehouse keeper of the warehouse department.
    _open_menu(admin, "用户权限", "a[href='/users/list/']")
    admin.click("a[href*='/users/add']")
    admin.type("first_name", "建国")
    admin.type("last_name", "赵")
    admin.type("username", "zhaojianguo")
    admin.type("email", "zhaojianguo@example.cn")
    admin.pick("department", "仓储", "仓储部")
    admin.pick("roles", "仓管", "仓管员")
    admin.type("password", PASSWORD)
    admin.type("conf_password", PASSWORD)
    admin.click_button("保存")
    admin.expect_text("zhaojianguo")
    user = demo_db.session.scalar(select(AppUser).filter_by(username="zhaojianguo"))
    assert user.department.name == "仓储部"

    # The new keeper signs in (the login form) and finds the warehouse's
    # menu, and the weigh tickets the warehouse keeper of the demo sees.
    keeper = person("zhaojianguo")
    colleague = person("warehouse")
    assert _menu(keeper) == _menu(colleague)
    assert "过磅单" in _menu(keeper) and "用户权限" not in _menu(keeper)
    for someone in (keeper, colleague):
        _open_menu(someone, "回收业务", "过磅单")
    assert _numbers(keeper) == _numbers(colleague) != []
