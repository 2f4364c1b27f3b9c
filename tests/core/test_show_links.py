"""Show pages: the related records (customer, pickup, case...) are links to
their own show pages, only when the viewer may open them; otherwise the
record is named in plain text."""

from __future__ import annotations

import re

from tests.factories import (
    CaseFactory,
    CustomerFactory,
    PickupFactory,
    SettlementFactory,
    user,
)


def _links(page: str) -> dict[str, str]:
    return {
        text.strip(): href
        for href, text in re.findall(
            r'<a class="record-link" href="([^"]+)">([^<]+)', page
        )
    }


def test_a_case_links_its_records_and_names_those_out_of_scope(db, login):
    customer = CustomerFactory(name="华新再生资源有限公司", _as="sales")
    pickup = PickupFactory(customer=customer, _as="ops")
    settlement = SettlementFactory(customer=customer, _as="finance")
    case = CaseFactory(
        customer=customer, pickup=pickup, settlement=settlement, owner=user("ops2")
    )
    generated = CaseFactory(customer=customer, parent_case=case)

    page = login("cs").get(f"/cases/show/{generated.id}").get_data(as_text=True)
    links = _links(page)
    assert links["华新再生资源有限公司"] == f"/customers/show/{customer.id}"
    assert links[case.number] == f"/cases/show/{case.id}"

    page = login("cs").get(f"/cases/show/{case.id}").get_data(as_text=True)
    assert _links(page)[settlement.number] == f"/settlements/show/{settlement.id}"

    # The case's owner in Operations sees its pickup, not Finance's settlement:
    # the settlement is named, but not offered as a link to a 404.
    page = login("ops2").get(f"/cases/show/{case.id}").get_data(as_text=True)
    links = _links(page)
    assert links[pickup.number] == f"/pickups/show/{pickup.id}"
    assert links["华新再生资源有限公司"] == f"/customers/show/{customer.id}"
    assert settlement.number in page
    assert settlement.number not in links
