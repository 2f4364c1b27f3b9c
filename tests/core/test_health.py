"""GET /health: database, Redis, job processes and calendar coverage, as JSON."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select

from app.models import BUSINESS_TZ, CalendarYear


def test_health_reports_each_part_and_the_missing_calendar_year(client, db):
    today = dt.datetime.now(BUSINESS_TZ).date()
    next_year = today.year + 1
    db.session.execute(delete(CalendarYear).where(CalendarYear.year == next_year))
    this_year = select(CalendarYear.id).where(CalendarYear.year == today.year)
    if db.session.scalar(this_year) is None:
        db.session.add(CalendarYear(year=today.year, status="manual"))
    db.session.commit()

    response = client.get("/health")  # no sign-in needed
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    report = response.get_json()
    assert report["database"] == {"ok": True}
    assert report["redis"] == {"ok": False, "configured": False}  # none in tests
    assert report["calendar"]["this_year"] is True
    assert report["calendar"]["next_year"] is False
    assert report["calendar"]["missing"] == [next_year]
    assert report["status"] == "degraded"

    db.session.add(CalendarYear(year=next_year, status="manual"))
    db.session.commit()
    calendar = client.get("/health").get_json()["calendar"]
    assert calendar["ok"] is True and calendar["missing"] == []
