"""Spot checks of closed cases and site patrols (seed 001 §8(一), seed 002
§4(一)2): the scoring rule, who is scored, who may check, scope, and the
month's supervision score."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.extensions import db as _db
from app.models import CaseCategory, SitePatrol, SpotCheck
from app.security.access import acting_as
from app.services.core import records
from app.services.core.errors import InvalidInput, NotAllowed
from app.services.supervision import checks
from tests.factories import CaseFactory, PickupFactory, by_code, user

ITEMS = ("timeliness", "process", "solution", "satisfaction", "records")


def closed_case(owner: str, category: str = "delivery") -> object:
    case = CaseFactory(category=by_code(CaseCategory, category))
    case.owner_id = user(owner).id
    case.status = "closed"
    _db.session.commit()
    return case


def spot_check(by: str, case: object, scores: tuple[int, ...], **more: object):
    item = SpotCheck(
        case=case,
        findings=more.pop("findings", "受理及时，记录完整。"),
        **{f"{n}_score": s for n, s in zip(ITEMS, scores, strict=True)},
        **more,
    )
    with acting_as(user(by)):
        records.before_create(item)
        _db.session.add(item)
        _db.session.commit()
    return item


@pytest.mark.parametrize(
    "scores", [(20, 20, 20, 20, 20), (0, 0, 0, 0, 0), (18, 15, 12, 20, 9)]
)
def test_total_is_the_sum_of_the_five_items(db, scores):
    check = spot_check("cs2", closed_case("ops2"), scores)
    # Independent: add the five numbers.
    assert (
        check.total_score == scores[0] + scores[1] + scores[2] + scores[3] + scores[4]
    )
    assert (check.handler.username, check.department_id) == (
        "ops2",
        user("ops2").department_id,
    )
    assert check.checked_on == checks.today()


@pytest.mark.parametrize(("value", "bad"), [(21, True), (-1, True), (20, False)])
def test_an_item_is_scored_0_to_20(db, value, bad):
    case = closed_case("ops2")
    if bad:
        with pytest.raises(InvalidInput) as refused:
            spot_check("cs2", case, (value, 10, 10, 10, 10))
        assert refused.value.field == "timeliness_score"
        _db.session.rollback()
        assert _db.session.query(SpotCheck).count() == 0
    else:
        assert spot_check("cs2", case, (value, 10, 10, 10, 10)).total_score == 60


def test_only_closed_cases_and_never_ones_own(db):
    open_case = CaseFactory()
    with pytest.raises(InvalidInput) as refused:
        spot_check("cs2", open_case, (10,) * 5)
    assert refused.value.field == "case"
    _db.session.rollback()
    with pytest.raises(NotAllowed):
        spot_check("cs2", closed_case("cs2", "other"), (10,) * 5)
    _db.session.rollback()
    future = checks.today() + dt.timedelta(days=1)
    with pytest.raises(InvalidInput) as refused:
        spot_check("cs2", closed_case("ops2"), (10,) * 5, checked_on=future)
    assert refused.value.field == "checked_on"


def test_the_screen_refuses_bad_scores_at_the_field_and_keeps_the_input(db, login):
    case = closed_case("ops2")
    form = {
        "case": str(case.id),
        "checked_on": "",
        "timeliness_score": "25",
        "process_score": "15",
        "solution_score": "15",
        "satisfaction_score": "15",
        "records_score": "15",
        "findings": "回复客户较慢",
    }
    page = login("cs2").post("/spotchecks/add", form)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "回复客户较慢" in text
    assert "须在 0 到 20 之间（含）。" in text
    assert _db.session.query(SpotCheck).count() == 0
    form["timeliness_score"] = "5"
    assert login("cs2").post("/spotchecks/add", form).status_code == 302
    check = _db.session.query(SpotCheck).one()
    assert (check.total_score, check.handler_id) == (65, user("ops2").id)
    # A total typed into the edit form is the server's, not the clerk's.
    edit = dict(
        form,
        checked_on=check.checked_on.isoformat(),
        records_score="5",
        total_score="100",
        version=str(check.version),
    )
    edit.pop("case")
    assert login("cs2").post(f"/spotchecks/edit/{check.id}", edit).status_code == 302
    _db.session.expire_all()
    assert _db.session.get(SpotCheck, check.id).total_score == 55


def test_who_sees_a_spot_check(db, login):
    ops_check = spot_check("cs2", closed_case("ops2"), (10,) * 5)
    # Management and CustomerService see all; Operations its department's;
    # Sales none of Operations'.
    for username, seen in (
        ("manager", True),
        ("cs", True),
        ("ops", True),
        ("sales", False),
    ):
        answer = login(username).get(f"/spotchecks/show/{ops_check.id}")
        assert (answer.status_code == 200) is seen, username
    # Only CustomerService and Management check.
    assert login("ops").get("/spotchecks/add").status_code in (302, 403)


def test_patrols_are_made_by_the_head_or_management(db, login):
    pickup = PickupFactory(_as="ops")
    pickup.crew = "张师傅、李师傅"
    _db.session.commit()
    form = {
        "patrolled_on": "",
        "pickup": str(pickup.id),
        "crew": "",
        "leader": str(user("ops2").id),
        "score": "85",
        "findings": "现场分类规范，未佩戴工牌一人。",
    }
    assert login("ops2").post("/sitepatrols/add", form).status_code in (200, 403)
    assert _db.session.query(SitePatrol).count() == 0
    assert login("ops").post("/sitepatrols/add", form).status_code == 302
    patrol = _db.session.query(SitePatrol).one()
    assert (patrol.crew, patrol.department_id) == (
        "张师傅、李师傅",
        user("ops2").department_id,
    )
    form["score"] = "101"
    page = login("manager").post("/sitepatrols/add", form)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "现场分类规范" in text
    assert "须在 0 到 100 之间（含）。" in text
    assert _db.session.query(SitePatrol).count() == 1


def test_the_months_supervision_score_is_the_mean_of_checks_and_patrols(db):
    october = dt.date(2026, 10, 1)
    for day, scores in ((3, (20, 20, 20, 20, 19)), (30, (10, 10, 10, 10, 10))):
        spot_check(
            "cs2", closed_case("ops2"), scores, checked_on=dt.date(2026, 10, day)
        )
    spot_check("cs2", closed_case("ops2"), (0,) * 5, checked_on=dt.date(2026, 11, 1))
    patrol = SitePatrol(
        patrolled_on=dt.date(2026, 10, 31),
        leader=user("ops2"),
        score=88,
        findings="装车规范。",
    )
    with acting_as(user("ops")):
        records.before_create(patrol)
        _db.session.add(patrol)
        _db.session.commit()
    got = checks.supervision_scores(october)
    # Independent: (99 + 50 + 88) / 3 = 79.0
    assert got[user("ops2").id] == (99 + 50 + 88, 3)
    assert checks.mean(*got[user("ops2").id]) == Decimal("79.00")
    assert checks.mean(0, 0) is None
    assert user("cs").id not in got


def test_the_api_takes_the_same_rules(db, api):
    case = closed_case("ops2")
    client = api("cs2")
    body = {
        "case": case.id,
        "checked_on": checks.today().isoformat(),
        "timeliness_score": 20,
        "process_score": 20,
        "solution_score": 10,
        "satisfaction_score": 5,
        "records_score": 1,
        "findings": "解决方案欠妥",
    }
    refused = client.post("/api/v1/spotcheck/", json={**body, "total_score": 100})
    assert refused.status_code in (400, 422)
    created = client.post("/api/v1/spotcheck/", json=body)
    assert created.status_code == 201, created.get_json()
    check = _db.session.get(SpotCheck, created.get_json()["id"])
    assert (check.total_score, check.handler_id) == (56, user("ops2").id)
    too_high = client.put(f"/api/v1/spotcheck/{check.id}", json={"process_score": 30})
    assert too_high.status_code in (400, 422)
    # The handler's own check is refused on this path too.
    own = closed_case("cs2", "other")
    assert (
        client.post("/api/v1/spotcheck/", json={**body, "case": own.id}).status_code
        == 403
    )
    # Operations reads its department's checks, never writes them.
    assert api("ops").get(f"/api/v1/spotcheck/{check.id}").status_code == 200
    assert api("ops").post("/api/v1/spotcheck/", json=body).status_code == 403
    assert api("sales").get(f"/api/v1/spotcheck/{check.id}").status_code == 404
