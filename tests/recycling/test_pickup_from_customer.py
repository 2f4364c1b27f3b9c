"""A new pickup takes contact, phone and address from its customer: shown
filled in when opened from the customer, and taken by the rules when left
empty, on the screen and through the API alike."""

from __future__ import annotations

import datetime as dt
import re

from app.models import Channel, Pickup, now
from tests.factories import CustomerFactory, by_code

CONTACT = "陈建国"
PHONE = "13805710001"
ADDRESS = "浙江省杭州市西湖区文一西路100号"


def _value(page: str, name: str) -> str:
    tag = re.search(rf'<(input|textarea)[^>]*\bname="{name}"[^>]*>([^<]*)', page)
    assert tag, name
    found = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return found.group(1) if found else tag.group(2).strip()


def _window() -> dict[str, str]:
    day = (now() + dt.timedelta(days=1)).strftime("%Y-%m-%d")
    return {"requested_start": f"{day} 09:00", "requested_end": f"{day} 12:00"}


def test_opened_from_the_customer_the_form_shows_their_contact(db, login):
    customer = CustomerFactory(contact_person=CONTACT, phone=PHONE, address=ADDRESS)
    page = login("cs").get(f"/pickups/add?_flt_0_customer={customer.id}")
    page = page.get_data(as_text=True)
    assert _value(page, "contact_name") == CONTACT
    assert _value(page, "contact_phone") == PHONE
    assert _value(page, "address") == ADDRESS


def test_left_empty_they_are_the_customers_on_every_path(db, login, api):
    customer = CustomerFactory(contact_person=CONTACT, phone=PHONE, address=ADDRESS)
    hotline = by_code(Channel, "hotline")
    response = login("cs").post(
        "/pickups/add",
        {"customer": customer.id, "channel": hotline.id, **_window()},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    pickup = db.session.query(Pickup).one()
    assert (pickup.contact_name, pickup.contact_phone, pickup.address) == (
        CONTACT,
        PHONE,
        ADDRESS,
    )

    # Typed values win over the customer's.
    response = api("cs").post(
        "/api/v1/pickup/",
        json={
            "customer": customer.id,
            "channel": hotline.id,
            "contact_name": "周建华",
            **{k: v.replace(" ", "T") + ":00+08:00" for k, v in _window().items()},
        },
    )
    assert response.status_code == 201, response.get_json()
    made = db.session.get(Pickup, response.get_json()["id"])
    assert (made.contact_name, made.contact_phone, made.address) == (
        "周建华",
        PHONE,
        ADDRESS,
    )
