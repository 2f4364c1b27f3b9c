"""Fixtures of the follow-up tests."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["one statement", "in parts"])
def written(request, app, db) -> str:
    """How a run writes its visits: one statement, or (PostgreSQL) two
    connections at once on one snapshot, as a run of FOLLOWUP_PARTS_FROM
    sources or more does."""
    if request.param == "in parts":
        if db.engine.dialect.name != "postgresql":
            pytest.skip("visits are written in parts on PostgreSQL only")
        app.config.update(FOLLOWUP_PARTS=2, FOLLOWUP_PARTS_FROM=1)
    return request.param
