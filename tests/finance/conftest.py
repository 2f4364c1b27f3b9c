"""Finance tests write their months in 2026: the seeded prices must cover them."""

from __future__ import annotations

import pytest

from tests.finance.money import prices_from_2026


@pytest.fixture(autouse=True)
def _prices_from_2026(request: pytest.FixtureRequest) -> None:
    if "db" in request.fixturenames:
        request.getfixturevalue("db")
        prices_from_2026()
