"""The follow-up visit recorded from its screen."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.factories import CaseFactory


def test_visit_is_recorded_from_its_screen(db, login):
    from app.models import Case, FollowUp
    from app.services.visits import generation

    case = CaseFactory()
    case.status, case.closed_at = "closed", dt.datetime.now(dt.UTC)
    db.session.commit()
    generation.for_case(case.id)
    visit = db.session.scalars(select(FollowUp)).one()
    browser = login("cs")
    show = browser.get(f"/followups/show/{visit.id}").get_data(as_text=True)
    assert f"/followups/step/complete/{visit.id}" in show
    assert browser.get(f"/followups/step/complete/{visit.id}").status_code == 200
    response = browser.post(
        f"/followups/step/complete/{visit.id}",
        data={"outcome": "客户表示满意", "satisfaction": "5", "comment": ""},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert visit.status == "done"
    assert db.session.get(Case, case.id).status == "closed"


def test_the_tile_and_the_menu_open_the_visits_still_to_make(db, login):
    import html
    import re

    from app.models import FollowUp
    from tests.factories import FollowUpFactory

    FollowUpFactory(customer__name="近期回访客户")
    FollowUpFactory(
        customer__name="稍后回访客户",
        due_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=9),
    )
    done = FollowUpFactory(customer__name="已回访客户")
    db.session.query(FollowUp).filter_by(id=done.id).update({"status": "done"})
    db.session.commit()
    browser = login("cs2")  # a clerk: lands on the workbench
    home = html.unescape(browser.get("/").get_data(as_text=True))
    tile = re.search(
        r'<a href="(/followups/list/[^"]*)"><span class="lead">(\d+)', home
    )
    assert tile, "no follow-up tile"
    assert tile.group(1) == "/followups/list/?_flt_3_status=planned"
    assert tile.group(2) == "2"
    assert f'href="{tile.group(1)}"' in home.replace(tile.group(0), "")  # the menu
    page = browser.get(tile.group(1)).get_data(as_text=True)
    assert "近期回访客户" in page and "稍后回访客户" in page
    assert "已回访客户" not in page
    assert page.index("近期回访客户") < page.index("稍后回访客户")  # due soonest first
