"""A complaint taken on the phone, registered from the screens in Chromium.

The date-time field of the case form accepts what it shows, typed or picked,
to the minute; left blank it means now, as its help text says.
"""

from __future__ import annotations

import datetime as dt

from app.models import Case, now


def _registered(db, title: str) -> Case:
    return db.session.query(Case).filter_by(title=title).one()


def _fill_complaint(clerk, title: str) -> None:
    clerk.pick("customer", "华新", "杭州华新纸业有限公司")
    clerk.choose("kind", "投诉")
    clerk.choose("severity", "一般")
    clerk.pick("category", "计量", "计量")
    clerk.type("title", title)
    clerk.type("description", "客户来电：过磅单净重比现场估重少约80公斤，要求复核。")


def test_complaint_registered_with_typed_received_time(demo_db, person):
    clerk = person("cs2")
    called = (now() - dt.timedelta(minutes=47)).replace(second=0, microsecond=0)
    clerk.open("/cases/add")
    _fill_complaint(clerk, "过磅重量与估重不符")
    clerk.type("received_at", called.strftime("%Y-%m-%d %H:%M"), clear=True)
    clerk.click_button("保存")

    case = _registered(demo_db, "过磅重量与估重不符")
    assert case.received_at == called
    assert case.kind == "complaint"
    assert case.customer.name == "杭州华新纸业有限公司"
    clerk.expect_text(case.number)


def test_complaint_registered_with_picked_and_blank_received_time(demo_db, person):
    clerk = person("cs2")
    called = (now() - dt.timedelta(days=1)).replace(
        hour=9, minute=41, second=0, microsecond=0
    )
    clerk.open("/cases/add")
    _fill_complaint(clerk, "昨日来电：计量争议")
    assert clerk.field("received_at").input_value() == ""
    clerk.pick_date_time("received_at", called)
    shown = clerk.field("received_at").input_value()
    assert shown == called.strftime("%Y-%m-%d %H:%M")
    clerk.click_button("保存")
    assert _registered(demo_db, "昨日来电：计量争议").received_at == called

    before = now().replace(second=0, microsecond=0)
    clerk.open("/cases/add")
    _fill_complaint(clerk, "刚刚来电：计量争议")
    assert clerk.field("received_at").input_value() == ""
    clerk.click_button("保存")
    received = _registered(demo_db, "刚刚来电：计量争议").received_at
    assert before <= received <= now()
