"""Finance tests write their months in 2026: the seeded prices must cover them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.models import PriceListItem

YEAR_START = dt.date(2026, 1, 1)


@pytest.fixture(autouse=True)
def _prices_from_2026(request: pytest.FixtureRequest) -> None:
    """The seeded price list starts on Jan 1 of the year it was seeded."""
    if "db" not in request.fixturenames:
        return
    db: Any = request.getfixturevalue("db")
    db.session.query(PriceListItem).filter(
        PriceListItem.valid_from > YEAR_START
    ).update({"valid_from": YEAR_START})
    db.session.commit()
