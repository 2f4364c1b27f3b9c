"""Journey 2 in Chromium: an inquiry answered and closed at once; a complaint
waiting on the customer (its resolution clock stands still) and resumed.

Each step is taken by the role that owns it, typing and clicking; the
assertions read what the screen shows. The deadline after the wait is checked
against a computation written here (seed 003 working hours, Mon-Fri
08:30-17:30 Asia/Shanghai, with the calendar's days off and make-up days),
not against the clock service.
"""

from __future__ import annotations

import datetime as dt

from app.models import BUSINESS_TZ, Case, CasePause, now
from app.models.reference import CalendarDay

OPEN, CLOSE = dt.time(8, 30), dt.time(17, 30)


# ------------------------------------------------ working time, by hand
def _working_day(day: dt.date, exceptions: dict[dt.date, str]) -> bool:
    kind = exceptions.get(day)
    if kind == "holiday":
        return False
    return kind == "workday" or day.weekday() < 5


def _windows(start: dt.datetime, exceptions: dict[dt.date, str]):
    """The working windows (08:30-17:30 of each working day) from `start`'s day."""
    day = start.date()
    while True:
        if _working_day(day, exceptions):
            yield (
                dt.datetime.combine(day, OPEN, BUSINESS_TZ),
                dt.datetime.combine(day, CLOSE, BUSINESS_TZ),
            )
        day += dt.timedelta(days=1)


def _worked(a: dt.datetime, b: dt.datetime, exceptions) -> dt.timedelta:
    """Working time between two instants."""
    a, b = a.astimezone(BUSINESS_TZ), b.astimezone(BUSINESS_TZ)
    total = dt.timedelta(0)
    for begin, end in _windows(a, exceptions):
        if begin >= b:
            return total
        total += max(min(end, b) - max(begin, a), dt.timedelta(0))


def _add_working(at: dt.datetime, amount: dt.timedelta, exceptions) -> dt.datetime:
    """The instant `amount` of working time after `at`."""
    at = at.astimezone(BUSINESS_TZ)
    for begin, end in _windows(at, exceptions):
        begin = max(begin, at)
        if begin >= end:
            continue
        if begin + amount <= end:
            return begin + amount
        amount -= end - begin


def _hours_minutes(span: dt.timedelta) -> str:
    """Time left as the case screen writes it, in Chinese ("68小时05分")."""
    hours, rest = divmod(int(span.total_seconds()), 3600)
    return f"{hours}小时{rest // 60:02d}分" if hours else f"{rest // 60}分钟"


def _clock(who, title: str):
    """The clock panel of the case screen titled `title` (响应时限, 办结时限)."""
    return who.page.locator(".case-clocks .panel", has_text=title).first


def _minute(moment: dt.datetime) -> str:
    return moment.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")


# ------------------------------------------------------------ the journey
def test_inquiry_answered_at_once_and_a_case_waiting_on_the_customer(demo_db, person):
    # A customer calls to ask for this week's price: the clerk registers
    # the inquiry and answers it at once, which closes it.
    clerk = person("cs2")
    clerk.click("新建工单")
    clerk.pick("customer", "华新", "杭州华新纸业有限公司")
    clerk.choose("kind", "咨询")
    clerk.choose("severity", "普通")
    clerk.pick("category", None, "价格")
    clerk.type("title", "询问本周废铜回收价")
    clerk.type("description", "客户来电询问本周废铜（光亮铜）回收单价。")
    clerk.click_button("保存")
    inquiry = demo_db.session.query(Case).filter_by(title="询问本周废铜回收价").one()
    clerk.expect_text(f"{inquiry.number} 已创建")
    response = _clock(clerk, "响应时限")
    assert "已办结" not in clerk.text()

    clerk.click("答复并办结")
    clerk.choose("channel", "客服热线")
    clerk.type("answer", "本周光亮铜回收价每公斤62元，周五前有效。")
    clerk.click_button("答复并办结")
    clerk.expect_text("答复并办结：已完成", "本周光亮铜回收价每公斤62元")
    assert "按时完成" in response.inner_text()  # answered within its hour
    assert "完成时间" in response.inner_text()
    status = clerk.page.locator("th:has-text('状态') + td").first.inner_text()
    assert status.strip() == "已关闭"
    # Closed: no step is offered any more.
    assert clerk.page.locator(".record-steps a.btn-primary").count() == 0
    demo_db.session.expire_all()
    closed = demo_db.session.get(Case, inquiry.id)
    assert (closed.status, closed.response_state) == ("closed", "met")

    # A complaint QC is handling: QC asks the customer for photos of the
    # impurities; the resolution clock stands still while they wait.
    case = (
        demo_db.session.query(Case)
        .filter_by(title="质检扣杂比例有异议", status="in_progress")
        .one()
    )
    due_before = case.resolution_due_at
    qc = person("qc")
    qc.open(f"/cases/show/{case.id}")
    resolution = _clock(qc, "办结时限")
    assert _minute(due_before) in resolution.inner_text()
    assert "已暂停" not in resolution.inner_text()
    qc.click("待客户反馈")
    qc.type("reason", "请客户提供扣杂现场照片及其自检记录。")
    qc.click_button("待客户反馈")
    qc.expect_text("待客户反馈：已完成", "等待客户反馈")
    shown = resolution.inner_text()
    assert "已暂停" in shown and "暂停开始时间" in shown
    assert _minute(due_before) in shown  # the deadline does not move while paused

    # The customer takes days to send the photos (a browser test cannot wait:
    # the pause is dated back up to three days). The clock stood
    # still all that time: the screen shows the time left as it was then.
    demo_db.session.expire_all()
    case = demo_db.session.get(Case, case.id)
    pause = demo_db.session.query(CasePause).filter_by(case_id=case.id).one()
    began = case.resolution_started_at or case.received_at
    began = max(began, now() - dt.timedelta(days=3)) + dt.timedelta(minutes=1)
    pause.started_at = case.paused_since = began
    demo_db.session.commit()
    exceptions = {d.day: d.kind for d in demo_db.session.query(CalendarDay)}
    waited = _worked(began, now(), exceptions)
    assert waited > dt.timedelta(0), "the wait spans no working time"
    left_then = _worked(began, due_before, exceptions)
    qc.open(f"/cases/show/{case.id}")
    shown = resolution.inner_text()
    assert _hours_minutes(left_then) in shown, (left_then, shown)
    assert _minute(due_before) in shown
    assert f"暂停开始时间 {_minute(began)}" in shown

    # The photos arrive: QC records them and the clock runs again, its
    # deadline later by the working time spent waiting.
    qc.click("客户已反馈")
    qc.type("content", "客户已发来扣杂现场照片12张及自检记录。")
    qc.click_button("客户已反馈")
    qc.expect_text("客户已反馈：已完成")
    demo_db.session.expire_all()
    ended = demo_db.session.query(CasePause).filter_by(case_id=case.id).one().ended_at
    moved = _add_working(due_before, _worked(began, ended, exceptions), exceptions)
    shown = resolution.inner_text()
    assert "已暂停" not in shown and "暂停开始时间" not in shown
    assert _minute(moved) in shown, (moved, shown)
    assert moved > due_before
    status = qc.page.locator("th:has-text('状态') + td").first.inner_text()
    assert status.strip() == "处理中"
    qc.click("沟通记录")  # the wait and the answer, in the communication log
    qc.expect_text("请客户提供扣杂现场照片", "客户已发来扣杂现场照片12张")
