"""Numbers are checked against the column's precision before the database sees
them, and money rounds half up on every path (screens, API)."""

from __future__ import annotations

from decimal import Decimal

from app.models import Case
from tests.factories import CaseFactory


def _case(db, case):
    db.session.expire_all()
    return db.session.get(Case, case.id)


def test_api_money_rounds_half_up(db, api):
    case = CaseFactory()
    reply = api("cs").put(
        f"/api/v1/case/{case.id}", json={"compensation_amount": 0.125}
    )
    assert reply.status_code == 200, reply.get_json()
    assert _case(db, case).compensation_amount == Decimal("0.13")


def test_api_number_beyond_the_column_is_400_without_sql(db, api):
    case = CaseFactory()
    reply = api("cs").put(f"/api/v1/case/{case.id}", json={"compensation_amount": 1e15})
    assert reply.status_code == 400, reply.get_json()
    body = reply.get_json()
    assert body["field"] == "compensation_amount"
    assert "UPDATE" not in str(body) and "service_case" not in str(body)
    assert _case(db, case).compensation_amount is None
