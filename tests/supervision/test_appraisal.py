"""The monthly appraisal (seed 002 §4(三)(四), 001 §8(二)): sheets generated
from the KPI report's figures, matched figure by figure against the KPI page
and against the hand-worked figures of tests/reporting; the supervision
score; generation run twice; review, approval and lock on every path."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db as _db
from app.jobs import DEFAULT_QUEUE
from app.models import Appraisal, AppraisalAdjustment, SpotCheck
from app.security.access import acting_as
from app.services.core import records
from app.services.core.errors import Conflict, NotAllowed
from app.services.reporting import kpi
from app.services.supervision import appraisal
from app.services.supervision.appraisal import APPRAISAL_FLOW
from tests.factories import user
from tests.reporting.kpi_month import OCTOBER, build_october
from tests.reporting.test_kpi import STAFF
from tests.supervision.test_checks import closed_case, spot_check

D = Decimal


def _kpi_page_figures(page: str, user_id: int) -> dict[str, tuple[str, str, str]]:
    """(value as shown, numerator, denominator) of one staff row of the KPI
    page, by KPI code; a figure without records shows "—"."""
    figures = {}
    for measure in kpi.KPIS:
        base = f"/kpis/records/{measure.code}?month=2026-10&amp;user={user_id}"
        value = re.search(re.escape(f'<a href="{base}">') + r"([^<]+)</a>", page)
        if value is None:
            figures[measure.code] = ("—", "0", "0")
            continue
        num = re.search(re.escape(base + '&amp;part=numerator">') + r"(\d+)<", page)
        den = re.search(re.escape(base + '&amp;part=denominator">') + r"(\d+)<", page)
        figures[measure.code] = (
            html.unescape(value.group(1)).strip(),
            num.group(1),
            den.group(1),
        )
    return figures


def _sheet_figures(page: str) -> dict[str, tuple[str, str, str]]:
    figures = {}
    for code, row in re.findall(
        r'<tr class="[^"]*" data-kpi="([a-z_]+)">(.*?)</tr>', page, re.S
    ):
        value = re.search(r'figure-value">([^<]*)<', row).group(1).strip()
        num = re.search(r'figure-num">(\d+)<', row)
        den = re.search(r'figure-den">(\d+)<', row)
        figures[code] = (
            html.unescape(value),
            num.group(1) if num else "0",
            den.group(1) if den else "0",
        )
    return figures


@pytest.fixture
def october(db):
    made = build_october()
    # Supervision of October: ops2's two checked cases and one patrol.
    for day, scores in ((10, (20, 18, 16, 14, 12)), (28, (10, 10, 10, 10, 9))):
        spot_check("cs", closed_case("ops2"), scores, checked_on=dt.date(2026, 10, day))
    return made


def test_a_sheet_matches_the_kpi_page_figure_by_figure(october, login, users):
    result = appraisal.generate(OCTOBER)
    assert result.created == len(appraisal.staff()) and result.refreshed == 0
    manager = login("manager")
    kpi_page = manager.get("/kpis/?month=2026-10").get_data(as_text=True)
    for username in ("ops", "ops2", "warehouse", "cs", "cs2", "sales", "qc"):
        person = users[username]
        sheet = _db.session.scalars(
            select(Appraisal).where(
                Appraisal.user_id == person.id, Appraisal.month == OCTOBER
            )
        ).one()
        page = manager.get(f"/appraisals/show/{sheet.id}").get_data(as_text=True)
        shown = _sheet_figures(page)
        expected = _kpi_page_figures(kpi_page, person.id)
        for code, figure in expected.items():
            assert shown[code] == figure, (username, code)
        # And against the figures worked out by hand (tests/reporting).
        for code, (num, den, value) in STAFF.get(username, {}).items():
            assert shown[code][1:] == (str(num), str(den)), (username, code)
            if value is not None:
                assert shown[code][0].split(" ")[0] == str(value), (username, code)
    # ops2's supervision: (20+18+16+14+12 + 10+10+10+10+9) / 2 = 129 / 2 = 64.50
    ops2 = _db.session.scalars(
        select(Appraisal).where(Appraisal.user_id == users["ops2"].id)
    ).one()
    assert (ops2.supervision_total, ops2.supervision_count) == (80 + 49, 2)
    assert ops2.supervision_score == D("64.50")
    page = manager.get(f"/appraisals/show/{ops2.id}").get_data(as_text=True)
    assert _sheet_figures(page)["supervision"] == ("64.50", "129", "2")


def test_generation_is_safe_to_run_twice(october, users, queues, work):
    job = queues.enqueue(
        "app.jobs.tasks.generate_appraisals", "202611", queue=DEFAULT_QUEUE
    )
    work()
    assert job.get_status(refresh=True) == "finished", job.exc_info
    count = _db.session.scalar(select(func.count()).select_from(Appraisal))
    assert count == len(appraisal.staff())
    sheet = _db.session.scalars(
        select(Appraisal).where(Appraisal.user_id == users["ops2"].id)
    ).one()
    ops = users["ops"]
    APPRAISAL_FLOW.run(sheet, "review", {"note": "同意"}, ops)
    # A spot check after the review: a rerun refreshes drafts only.
    spot_check("cs", closed_case("ops2"), (0,) * 5, checked_on=dt.date(2026, 10, 30))
    spot_check("cs", closed_case("ops"), (5,) * 5, checked_on=dt.date(2026, 10, 30))
    again = appraisal.generate(OCTOBER)
    assert (again.created, again.kept) == (0, 1)
    assert _db.session.scalar(select(func.count()).select_from(Appraisal)) == count
    _db.session.expire_all()
    assert _db.session.get(Appraisal, sheet.id).supervision_count == 2
    mine = _db.session.scalars(
        select(Appraisal).where(Appraisal.user_id == ops.id)
    ).one()
    assert (mine.supervision_count, mine.supervision_score) == (1, D("25.00"))


def _sheet(username: str) -> Appraisal:
    return _db.session.scalars(
        select(Appraisal).where(
            Appraisal.user_id == user(username).id, Appraisal.month == OCTOBER
        )
    ).one()


def test_nobody_reviews_or_approves_their_own_sheet(db, users):
    appraisal.generate(OCTOBER)
    ops, manager = users["ops"], users["manager"]
    with pytest.raises(NotAllowed):
        APPRAISAL_FLOW.run(_sheet("ops"), "review", {}, ops)
    _db.session.rollback()
    # A clerk holds the review permission but is no head.
    with pytest.raises(NotAllowed):
        APPRAISAL_FLOW.run(_sheet("ops2"), "review", {}, users["ops2"])
    _db.session.rollback()
    # A head's sheet is reviewed by Management; the manager's own by nobody.
    APPRAISAL_FLOW.run(_sheet("ops"), "review", {}, manager)
    with pytest.raises(NotAllowed):
        APPRAISAL_FLOW.run(_sheet("ops"), "approve", {}, ops)
    _db.session.rollback()
    with pytest.raises(NotAllowed):
        APPRAISAL_FLOW.run(_sheet("manager"), "review", {}, manager)
    _db.session.rollback()
    with pytest.raises(NotAllowed):
        APPRAISAL_FLOW.run(
            _sheet("ops"),
            "adjust",
            {"kind": "bonus", "points": 5, "reason": "自评"},
            ops,
        )
    _db.session.rollback()
    APPRAISAL_FLOW.run(_sheet("ops"), "approve", {"note": "批准"}, manager)
    assert _sheet("ops").status == "approved"
    # The steps offered follow the same rule.
    assert [s.name for s in APPRAISAL_FLOW.available(_sheet("ops2"), ops)] == [
        "review",
        "adjust",
    ]
    assert APPRAISAL_FLOW.available(_sheet("ops2"), users["ops2"]) == []


def test_the_screens_and_api_refuse_own_steps(db, login, api, users):
    appraisal.generate(OCTOBER)
    own = _sheet("ops")
    page = login("ops").post(f"/appraisals/step/review/{own.id}", {"note": "自审"})
    assert "不能审核本人的考核表" in page.get_data(as_text=True)
    answer = api("ops").post(f"/api/v1/appraisal/{own.id}/step/review", json={})
    assert answer.status_code == 403
    _db.session.expire_all()
    assert _sheet("ops").status == "draft"
    # A clerk has no approval right at all.
    clerk = api("ops2").post(
        f"/api/v1/appraisal/{_sheet('ops2').id}/step/approve", json={}
    )
    assert clerk.status_code == 403


def test_a_locked_sheet_is_not_edited_on_any_path(db, login, api, users):
    appraisal.generate(OCTOBER)
    sheet = _sheet("ops2")
    api("ops2").put(f"/api/v1/appraisal/{sheet.id}", json={"remarks": "本月完成回访"})
    APPRAISAL_FLOW.run(
        sheet, "adjust", {"kind": "bonus", "points": 3, "reason": "表扬"}, users["ops"]
    )
    APPRAISAL_FLOW.run(sheet, "review", {}, users["ops"])
    APPRAISAL_FLOW.run(sheet, "approve", {}, users["manager"])
    _db.session.expire_all()
    sheet = _sheet("ops2")
    assert (sheet.status, sheet.remarks) == ("approved", "本月完成回访")
    version = sheet.version
    # Generic edit: the form is refused before anything is typed, and a post
    # is refused with the reason.
    posted = login("ops2").post(
        f"/appraisals/edit/{sheet.id}", {"remarks": "改写", "version": str(version)}
    )
    assert "考核表已经管理层批准并锁定" in posted.get_data(as_text=True)
    answer = api("manager").put(
        f"/api/v1/appraisal/{sheet.id}", json={"remarks": "改写"}
    )
    assert answer.status_code == 409, answer.get_json()
    step = api("manager").post(
        f"/api/v1/appraisal/{sheet.id}/step/adjust",
        json={"kind": "deduction", "points": 2, "reason": "迟到"},
    )
    assert step.status_code == 409
    # Whatever path: the database session refuses a change of a locked sheet.
    sheet.remarks = "改写"
    with pytest.raises(Conflict):
        _db.session.commit()
    _db.session.rollback()
    # Generation leaves it as it was.
    assert appraisal.generate(OCTOBER).kept == 1
    _db.session.expire_all()
    sheet = _sheet("ops2")
    assert (sheet.remarks, sheet.version) == ("本月完成回访", version)
    assert [a.signed_points for a in sheet.adjustments] == [3]


def test_rewards_and_penalties_need_a_reason_and_count_with_their_sign(db, users):
    appraisal.generate(OCTOBER)
    sheet = _sheet("cs2")
    cs = users["cs"]
    for kind, points in (("bonus", 5), ("deduction", 2), ("commendation", 0)):
        APPRAISAL_FLOW.run(
            sheet, "adjust", {"kind": kind, "points": points, "reason": "说明"}, cs
        )
    # Independent: +5 - 2 + 0 = 3
    assert appraisal.points_of(sheet) == 3
    from app.services.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        APPRAISAL_FLOW.run(
            sheet, "adjust", {"kind": "warning", "points": 4, "reason": "说明"}, cs
        )
    _db.session.rollback()
    with pytest.raises(InvalidInput):
        APPRAISAL_FLOW.run(sheet, "adjust", {"kind": "bonus", "points": 0}, cs)
    _db.session.rollback()
    # Never written directly (the API has no such resource; the rules refuse).
    item = AppraisalAdjustment(appraisal=sheet, kind="bonus", points=50, reason="x")
    with acting_as(users["manager"]), pytest.raises(NotAllowed):
        records.before_create(item)
    _db.session.rollback()
    assert len(_sheet("cs2").adjustments) == 3


def test_quarter_view_pools_the_months(october, login, users):
    appraisal.generate(OCTOBER)
    spot_check("cs", closed_case("ops2"), (20,) * 5, checked_on=dt.date(2026, 11, 2))
    appraisal.generate(dt.date(2026, 11, 1))
    page = login("manager").get("/appraisalperiods/?period=2026-Q4")
    text = page.get_data(as_text=True)
    row = re.search(
        rf'<tr data-user="{users["ops2"].id}">(.*?)</tr>', text, re.S
    ).group(1)
    # (80 + 49 + 100) / 3 = 76.33
    assert re.search(r'period-supervision">76.33<', row)
    assert _db.session.query(SpotCheck).count() == 3


def test_the_sheet_names_its_month_not_the_first_day(october, login, users):
    appraisal.generate(OCTOBER)
    manager = login("manager")
    listing = manager.get("/appraisals/list/").get_data(as_text=True)
    sheet = _db.session.scalars(
        select(Appraisal).where(Appraisal.user_id == users["ops"].id)
    ).one()
    shown = manager.get(f"/appraisals/show/{sheet.id}").get_data(as_text=True)
    for page in (listing, shown):
        assert "2026-10" in page
        assert "2026-10-01" not in page
