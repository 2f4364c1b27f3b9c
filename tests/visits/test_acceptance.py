"""On-site acceptance (服务验收, seed 004 第十五条): the rules on every path, the
signed-ticket photo served in scope, and the ratings in the satisfaction KPI
checked against a plain count that leaves out unsigned acceptances."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.models import (
    BUSINESS_TZ,
    Case,
    CaseCategory,
    CaseRating,
    FollowUp,
    Pickup,
    ServiceAcceptance,
)
from app.services.core import records
from app.services.core.errors import InvalidInput
from app.services.reporting import kpi
from tests.factories import (
    CaseFactory,
    FollowUpFactory,
    PickupFactory,
    by_code,
    user,
)

MONTH = dt.date(2026, 10, 1)
AS_OF = dt.datetime(2026, 11, 5, 9, tzinfo=BUSINESS_TZ)
PHOTO = "5c6d7e8f-9a0b-1c2d-3e4f-5a6b7c8d9e0f_sep_签收单.jpg"


def at(day: int, hour: int = 10, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=BUSINESS_TZ)


def collected_pickup(db, when: dt.datetime | None = None) -> Pickup:
    pickup = PickupFactory(_as="ops")
    db.session.execute(
        update(Pickup)
        .where(Pickup.id == pickup.id)
        .values(status="collected", collected_at=when or at(1, 9))
    )
    db.session.commit()
    db.session.refresh(pickup)
    return pickup


def aftersales_case(db, status: str = "in_progress") -> Case:
    case = CaseFactory(
        kind="aftersales",
        severity="normal",
        category=by_code(CaseCategory, "aftersales"),
        received_at=at(1, 8),
    )
    db.session.execute(update(Case).where(Case.id == case.id).values(status=status))
    db.session.commit()
    db.session.refresh(case)
    return case


def accept(who: str = "ops", **values) -> ServiceAcceptance:
    values.setdefault("accepted_at", at(2))
    values.setdefault("signed", True)
    item = ServiceAcceptance(**values)
    records.add(item, user(who))
    from app.extensions import db

    db.session.commit()
    return item


def test_a_signed_acceptance_takes_customer_and_department_from_the_pickup(db):
    pickup = collected_pickup(db)
    item = accept(pickup=pickup, signed_by="林晓峰", rating=5)
    assert (item.customer_id, item.department_id) == (
        pickup.customer_id,
        pickup.department_id,
    )


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"signed_by": "林晓峰"}, "rating", "1 到 5"),
        ({"rating": 4}, "signed_by", "签字"),
        ({"signed": False, "rating": 3, "comment": "拒签"}, "rating", "评分"),
        ({"signed": False}, "comment", "原因"),
        (
            {"signed_by": "林晓峰", "rating": 4, "accepted_at": at(20, month=12)},
            "accepted_at",
            "晚于当前时间",
        ),
        (
            {"signed_by": "林晓峰", "rating": 4, "accepted_at": at(1, 7)},
            "accepted_at",
            "不能早于服务时间（上门回收完成于 2026-10-01 09:00）",
        ),
    ],
)
def test_bad_acceptances_are_refused_in_words(db, values, field, words):
    pickup = collected_pickup(db)
    with pytest.raises(InvalidInput) as refused:
        accept(pickup=pickup, **values)
    db.session.rollback()
    assert refused.value.field == field
    assert words in str(refused.value)
    assert db.session.scalars(select(ServiceAcceptance)).first() is None


def test_only_served_pickups_and_after_sales_cases_are_accepted(db):
    waiting = PickupFactory(_as="ops")
    with pytest.raises(InvalidInput) as refused:
        accept(pickup=waiting, signed_by="甲", rating=4)
    db.session.rollback()
    assert "收运" in str(refused.value) or "回收" in str(refused.value)
    complaint = CaseFactory()
    with pytest.raises(InvalidInput) as refused:
        accept("cs", case=complaint, signed_by="甲", rating=4)
    assert "售后" in str(refused.value)
    db.session.rollback()
    with pytest.raises(InvalidInput):
        accept(case=aftersales_case(db, "new"), signed_by="甲", rating=4)
    db.session.rollback()
    with pytest.raises(InvalidInput):
        accept(
            pickup=collected_pickup(db),
            case=aftersales_case(db),
            signed_by="甲",
            rating=4,
        )
    db.session.rollback()
    assert accept(case=aftersales_case(db), signed_by="周师傅", rating=4).id


def test_the_edit_screen_cannot_bypass_the_rules(db, login):
    item = accept(pickup=collected_pickup(db), signed_by="林晓峰", rating=5)
    answer = login("ops").post(
        f"/acceptances/edit/{item.id}",
        data={
            "accepted_at": "2026-10-02 10:00",
            "signed": "",  # unticked, yet a rating and no reason
            "signed_by": "林晓峰",
            "rating": "5",
            "comment": "",
        },
    )
    assert answer.status_code == 200
    assert "没有客户签字" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ServiceAcceptance, item.id).signed is True


def test_the_signed_ticket_photo_is_served_only_in_scope(app, db, login):
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PHOTO).write_bytes(b"signed-ticket")
    accept(pickup=collected_pickup(db), signed_by="林晓峰", rating=5, photo=PHOTO)
    for who in ("ops", "cs", "manager"):
        answer = login(who).get(f"/acceptances/download/{PHOTO}")
        assert answer.status_code == 200, who
        assert answer.data == b"signed-ticket"
    for who in ("sales", "qc", "warehouse"):
        answer = login(who).get(f"/acceptances/download/{PHOTO}")
        assert answer.status_code in (403, 404), who


def test_the_photo_is_uploaded_on_the_add_form(db, login):
    pickup = collected_pickup(db)
    answer = login("ops").post(
        "/acceptances/add",
        data={
            "pickup": str(pickup.id),
            "accepted_at": "2026-10-02 10:00",
            "signed": "y",
            "signed_by": "林晓峰",
            "rating": "4",
            "photo": (io.BytesIO(b"jpeg-bytes"), "签收单.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    item = db.session.scalars(select(ServiceAcceptance)).one()
    assert item.photo.endswith(".jpg")
    fetched = login("ops").get(f"/acceptances/download/{item.photo}")
    assert fetched.data == b"jpeg-bytes"


# ------------------------------------------------------------- the KPI
def plain_satisfaction(db) -> tuple[int, int, int]:
    """(sum, count, count >= 4) of every score given in October, counted row
    by row: case ratings, done visits, signed acceptances."""
    start = dt.datetime(2026, 10, 1, tzinfo=BUSINESS_TZ)
    end = dt.datetime(2026, 11, 1, tzinfo=BUSINESS_TZ)
    scores = [
        r.score
        for r in db.session.scalars(select(CaseRating))
        if start <= r.given_at < end
    ]
    scores += [
        f.satisfaction
        for f in db.session.scalars(select(FollowUp))
        if f.status == "done"
        and f.satisfaction is not None
        and f.done_at is not None
        and start <= f.done_at < end
    ]
    # An acceptance of a case counts while the case is an after-sales service.
    scores += [
        a.rating
        for a in db.session.scalars(select(ServiceAcceptance))
        if a.signed
        and a.rating is not None
        and start <= a.accepted_at < end
        and (a.case_id is None or db.session.get(Case, a.case_id).kind == "aftersales")
    ]
    return sum(scores), len(scores), sum(1 for s in scores if s >= 4)


def kpi_satisfaction() -> tuple[int, int, int]:
    report = kpi.compute([MONTH], user("manager"), as_of=AS_OF)
    mean = report.figure("satisfaction_mean", MONTH)
    share = report.figure("satisfaction_share", MONTH)
    assert mean.denominator == share.denominator
    return mean.numerator, mean.denominator, share.numerator


def test_a_reclassified_after_sales_case_stops_counting_its_acceptance(db, login):
    accept(pickup=collected_pickup(db), signed_by="林晓峰", rating=5)
    case = aftersales_case(db)
    accept(case=case, signed_by="周师傅", rating=2, accepted_at=at(20))
    assert plain_satisfaction(db) == (7, 2, 1)
    assert kpi_satisfaction() == plain_satisfaction(db)

    # Customer service finds it was a complaint about the repair, not a service.
    other = by_code(CaseCategory, "other")
    done = login("cs").post(
        f"/cases/step/reclassify/{case.id}",
        data={
            "kind": "complaint",
            "severity": "general",
            "category": str(other.id),
            "reason": "客户投诉维修质量，不是售后服务",
        },
    )
    assert done.status_code == 302, done.get_data(as_text=True)[-600:]
    db.session.expire_all()
    assert db.session.get(Case, case.id).kind == "complaint"
    assert plain_satisfaction(db) == (5, 1, 1)
    assert kpi_satisfaction() == plain_satisfaction(db)
    log = db.session.get(Case, case.id).logs[-1]
    assert "服务验收" in log.content and "不再计入" in log.content

    # Back to an after-sales service: the signed rating counts again.
    aftersales = by_code(CaseCategory, "aftersales")
    login("cs").post(
        f"/cases/step/reclassify/{case.id}",
        data={
            "kind": "aftersales",
            "severity": "normal",
            "category": str(aftersales.id),
            "reason": "复核后确认仍是售后维修",
        },
    )
    db.session.expire_all()
    assert db.session.get(Case, case.id).kind == "aftersales"
    assert kpi_satisfaction() == plain_satisfaction(db) == (7, 2, 1)


def test_signed_acceptances_count_in_satisfaction_unsigned_ones_do_not(db):
    rated = CaseFactory()
    db.session.add(CaseRating(case_id=rated.id, score=2, given_at=at(10)))
    visit = FollowUpFactory()
    db.session.execute(
        update(FollowUp)
        .where(FollowUp.id == visit.id)
        .values(status="done", done_at=at(11), satisfaction=3)
    )
    db.session.commit()
    accept(pickup=collected_pickup(db), signed_by="林晓峰", rating=5)
    accept(case=aftersales_case(db), signed_by="周师傅", rating=4, accepted_at=at(20))
    # Refused to sign, absent: recorded, counted nowhere.
    accept(pickup=collected_pickup(db), signed=False, comment="客户拒绝签字")
    accept(pickup=collected_pickup(db), signed=False, comment="客户不在现场")
    # Signed in November: another month.
    accept(
        pickup=collected_pickup(db),
        signed_by="陈建国",
        rating=1,
        accepted_at=at(2, month=11),
    )
    total, count, high = plain_satisfaction(db)
    assert (total, count, high) == (14, 4, 2)  # 2 + 3 + 5 + 4

    report = kpi.compute([MONTH], user("manager"), as_of=AS_OF)
    mean = report.figure("satisfaction_mean", MONTH)
    share = report.figure("satisfaction_share", MONTH)
    assert (mean.numerator, mean.denominator) == (total, count)
    assert mean.value == (Decimal(total) / count).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )
    assert (share.numerator, share.denominator) == (high, count)
    # Operations recorded the pickups: their acceptances count for them.
    ops = report.figure(
        "satisfaction_mean", MONTH, department_id=user("ops").department_id
    )
    assert ops.numerator >= 5


# ------------------------------------------------------------- the pickers
def test_the_pickers_offer_only_what_can_be_accepted_named_in_scope(db, login):
    served = collected_pickup(db)
    waiting = PickupFactory(_as="ops")  # requested: not collected yet
    dropped = collected_pickup(db)
    db.session.execute(
        update(Pickup).where(Pickup.id == dropped.id).values(status="cancelled")
    )
    case = aftersales_case(db)
    fresh_case = aftersales_case(db, status="new")
    db.session.commit()

    def offered(who: str, kind: str, text: str) -> dict[int, str]:
        found = login(who).get(f"/pick/{kind}?q={text}").get_json()["results"]
        return {row["id"]: row["text"] for row in found}

    ops = offered("ops", "served_pickup", "")
    assert served.id in ops and waiting.id not in ops and dropped.id not in ops
    name = served.customer.name
    assert ops[served.id] == f"{served.number} {name} 2026-10-01"
    # By the customer's name too; and only in the clerk's scope.
    assert served.id in offered("ops", "served_pickup", name)
    assert offered("sales", "served_pickup", served.number) == {}

    cases = offered("cs", "served_case", "")
    assert case.id in cases and fresh_case.id not in cases
    assert cases[case.id] == f"{case.number} {case.customer.name} 2026-10-01"


def test_the_signed_box_starts_unticked(db, login):
    page = login("ops").get("/acceptances/add").get_data(as_text=True)
    box = re.search(r"<input[^>]*name=\"signed\"[^>]*>", page).group(0)
    assert "checked" not in box
