"""Show pages offer each department exactly the steps it may take now."""

from __future__ import annotations

from app.models import Inspection
from tests.recycling.flow import collected, inspected, new_pickup, paid


def _page(browser, url: str) -> str:
    response = browser.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_each_department_sees_its_next_step(db, login):
    requested = new_pickup()
    page = _page(login("ops"), f"/pickups/show/{requested.id}")
    assert f"/pickups/step/schedule/{requested.id}" in page
    assert f"/pickups/step/cancel/{requested.id}" in page
    assert "/pickups/step/" not in _page(login("cs"), f"/pickups/show/{requested.id}")

    on_scale = collected(new_pickup())
    page = _page(login("warehouse"), f"/pickups/show/{on_scale.id}")
    assert f"/pickups/step/weigh/{on_scale.id}" not in page  # nothing weighed yet

    ready = inspected(new_pickup())
    page = _page(login("finance"), f"/pickups/show/{ready.id}")
    assert f"/pickups/step/settle/{ready.id}" in page
    inspection = db.session.query(Inspection).filter_by(pickup_id=ready.id).one()
    for username in ("qc", "cs"):
        page = _page(login(username), f"/inspections/show/{inspection.id}")
        assert f"/inspections/step/dispute/{inspection.id}" in page
    form = _page(login("finance"), f"/pickups/step/settle/{ready.id}")
    assert 'name="payment_method"' in form


def test_paid_settlement_offers_only_the_adjusting_entry(db, login):
    settlement = paid(new_pickup())
    page = _page(login("finance"), f"/settlements/show/{settlement.id}")
    assert f"/settlements/step/adjust/{settlement.id}" in page
    for name in ("confirm", "pay", "void", "add_lot"):
        assert f"/settlements/step/{name}/{settlement.id}" not in page
    assert f"/settlements/print/{settlement.id}" in page
    # The step page refuses before the form: back to the settlement, saying why.
    refused = login("finance").get(f"/settlements/step/void/{settlement.id}")
    assert refused.status_code == 302
    assert refused.location.endswith(f"/settlements/show/{settlement.id}")
    response = login("finance").post(
        f"/settlements/step/void/{settlement.id}", {"reason": "误操作"}
    )
    assert response.status_code == 409
    db.session.expire_all()
    assert settlement.status == "paid"
