"""A customer-service clerk records in Chromium the date promised to a customer;
a date already past is refused with the form kept, the case shows the promise."""

from __future__ import annotations

import datetime as dt

from app.models import Case, now
from tests.factories import CaseFactory


def test_clerk_records_a_promised_date(demo_db, person):
    case = CaseFactory(title="过磅重量与现场估重不符")
    cs = person("cs")
    cs.open(f"/cases/show/{case.id}")
    cs.click("记录承诺日期")
    # Both dates on today's calendar page: an hour ago, and in two hours.
    past = (now() - dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    cs.pick_date_time("promised_at", past)
    cs.type("note", "核实过磅记录后电话答复")
    cs.click_button("记录承诺日期")
    cs.expect_text("承诺日期必须晚于当前时间。")
    assert cs.field("note").input_value() == "核实过磅记录后电话答复"
    refused = [e for e in cs.problems.console_errors if "400" in e]
    assert len(refused) == 1 and "/cases/step/promise/" in refused[0]
    cs.problems.console_errors.remove(refused[0])
    demo_db.session.expire_all()
    assert demo_db.session.get(Case, case.id).promise_state == "none"

    promised = (now() + dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    cs.pick_date_time("promised_at", promised)
    cs.click(".panel-heading")  # close the picker, which covers the button
    cs.click_button("记录承诺日期")
    cs.expect_text(
        "记录承诺日期：已完成",
        "承诺客户日期",
        promised.strftime("%Y-%m-%d %H:%M"),
        "核实过磅记录后电话答复",
    )
    demo_db.session.expire_all()
    saved = demo_db.session.get(Case, case.id)
    assert (saved.promise_state, saved.promised_at) == ("running", promised)
