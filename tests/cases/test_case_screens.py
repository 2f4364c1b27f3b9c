"""Case screens show the clocks at a glance and filter by them."""

from __future__ import annotations

import datetime as dt
import json

from app.models import Case, now
from tests.factories import CaseFactory, user


def test_show_page_has_both_clocks_and_the_steps(db, login):
    case = CaseFactory()
    page = login("cs").get(f"/cases/show/{case.id}").get_data(as_text=True)
    assert "响应时限" in page and "办结时限" in page
    assert case.resolution_due_at.strftime("%Y-%m-%d %H:%M") in page
    assert "剩余时间" in page or "剩余" in page
    assert f"/cases/step/acknowledge/{case.id}" in page
    assert f"/cases/step/assign/{case.id}" in page
    # CustomerService may not take the department's steps on a new case.
    assert f"/cases/step/start/{case.id}" not in page


def test_paused_case_shows_paused_state(db, login):
    from app.security.access import acting_as
    from app.services.cases.case_steps import CASE_FLOW

    case = CaseFactory()
    cs = user("cs")
    with acting_as(cs):
        for step, data in (
            ("acknowledge", {"content": "已回复"}),
            ("assign", {"department": str(case.department_id), "owner": str(cs.id)}),
            ("start", {}),
            ("pend", {"reason": "等待客户提供照片"}),
        ):
            CASE_FLOW.run(case, step, data, cs)
    page = login("cs").get(f"/cases/show/{case.id}").get_data(as_text=True)
    assert "已暂停" in page or "暂停" in page


def test_quick_filters_and_state_search(db, login):
    late = CaseFactory(received_at=now() - dt.timedelta(days=20))
    fresh = CaseFactory()
    db.session.expire_all()
    assert db.session.get(Case, late.id).resolution_state == "breached"
    browser = login("cs")
    listing = browser.get("/cases/list/").get_data(as_text=True)
    assert "已超时" in listing  # badge of the breached clock
    assert "_flt_3_resolution_state=breached" in listing  # the quick filter link
    filtered = browser.get("/cases/list/?_flt_3_resolution_state=breached")
    text = filtered.get_data(as_text=True)
    assert f'/cases/show/{late.id}"' in text
    assert f'/cases/show/{fresh.id}"' not in text
    ordered = browser.get(
        "/cases/list/?_oc_CaseView=resolution_due_at&_od_CaseView=asc"
    )
    body = ordered.get_data(as_text=True)
    assert body.index(f'/cases/show/{late.id}"') < body.index(
        f'/cases/show/{fresh.id}"'
    )


def test_search_form_offers_labels_not_codes(db, login):
    page = login("cs").get("/cases/list/").get_data(as_text=True)
    # FAB embeds the search form as JSON-escaped HTML.
    option = json.dumps('<option value="breached">已超时</option>')[1:-1]
    assert option.replace("<", "\\u003c").replace(">", "\\u003e") in page
