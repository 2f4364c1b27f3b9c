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
