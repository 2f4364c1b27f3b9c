"""On-site acceptance in Chromium: the Operations dispatcher records the
customer's sign-off of a collected pickup with the photo of the signed ticket;
a missing signer is refused in words and what was typed stays (seed 004
第十五条)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from app.models import Pickup, ServiceAcceptance, now
from tests.browser import screenshot_dir


def test_operations_records_an_on_site_sign_off(demo_db, person, tmp_path):
    session = demo_db.session
    pickup = session.scalars(
        select(Pickup).where(Pickup.status == "requested").order_by(Pickup.id)
    ).first()
    collected = now() - dt.timedelta(hours=3)
    session.execute(
        update(Pickup)
        .where(Pickup.id == pickup.id)
        .values(status="collected", collected_at=collected)
    )
    session.commit()
    ticket = tmp_path / "签收单.jpg"
    ticket.write_bytes(b"\xff\xd8\xff\xe0signed-ticket\xff\xd9")

    ops = person("ops")
    ops.click(".dropdown-toggle:has-text('回收业务')")
    ops.click("[href='/acceptances/list/']")
    ops.click("a[href*='/acceptances/add']")
    ops.pick("pickup", pickup.number)
    chosen = "select[name='pickup'] + .select2-container .select2-selection__rendered"
    assert pickup.customer.name in ops.page.locator(chosen).inner_text()
    # Nothing is presumed: the clerk ticks that the customer signed.
    assert not ops.field("signed").is_checked()
    ops.tick("signed")
    ops.pick_date_time("accepted_at", now() - dt.timedelta(hours=1))
    ops.type("rating", "5")
    ops.type("comment", "回收品类、数量与现场核对一致")
    ops.click_button("保存")
    # Signed, but nobody named: refused at the field, the rest kept.
    ops.expect_text("请填写签字人。")
    assert ops.field("rating").input_value() == "5"
    assert ops.field("comment").input_value() == "回收品类、数量与现场核对一致"
    ops.type("signed_by", "林晓峰")
    ops.page.set_input_files("input[name=photo]", str(ticket))
    ops.click_button("保存")
    ops.expect_text("林晓峰")

    session.expire_all()
    item = session.scalars(
        select(ServiceAcceptance).where(ServiceAcceptance.pickup_id == pickup.id)
    ).one()
    assert (item.signed, item.signed_by, item.rating) == (True, "林晓峰", 5)
    assert item.customer_id == pickup.customer_id
    assert item.photo

    ops.open(f"/acceptances/show/{item.id}")
    ops.expect_text("现场验收", "林晓峰", pickup.number)
    ops.screenshot(screenshot_dir(), "acceptance-recorded")
    with ops.page.expect_download() as download:
        ops.click(f"a[href*='/acceptances/download/{item.photo}']")
    assert download.value.path().read_bytes() == ticket.read_bytes()
