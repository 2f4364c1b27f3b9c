"""The inspection add form: moisture, impurity and deduction start empty, so
what the inspector types is the whole value (no "0.001.6"); left empty they
count as 0; a negative deduction is refused with a message that allows 0."""

from __future__ import annotations

import re
from decimal import Decimal

from app.models import Inspection, WeighLine
from tests.recycling.flow import collected, new_pickup, step, weigh

DEDUCTIONS = ("moisture_pct", "impurity_pct", "deduction_kg")


def _value(page: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    assert tag, name
    found = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return found.group(1) if found else ""


def test_the_deductions_start_empty_and_empty_means_zero(db, login):
    pickup = collected(new_pickup())
    weigh(pickup)
    step(pickup, "weigh", "warehouse")
    line = db.session.query(WeighLine).one()
    qc = login("qc")
    page = qc.get("/inspections/add").get_data(as_text=True)
    for name in DEDUCTIONS:
        assert _value(page, name) == "", name

    form = {"weigh_line": line.id, "result": "pass", "deduction_kg": "-1"}
    page = qc.post("/inspections/add", form).get_data(as_text=True)
    assert "不能小于 0" in page
    assert "必须大于" not in page
    assert _value(page, "deduction_kg") == "-1"  # what was typed is kept
    assert db.session.query(Inspection).count() == 0

    form["deduction_kg"] = ""
    qc.post("/inspections/add", form)
    inspection = db.session.query(Inspection).one()
    assert inspection.moisture_pct == inspection.impurity_pct == 0
    assert inspection.deduction_kg == Decimal(0)
    assert inspection.accepted_net_kg == line.net_kg
