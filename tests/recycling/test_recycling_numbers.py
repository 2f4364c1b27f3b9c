"""Ticket, settlement and voucher numbers stay unique and gap-free under concurrency.

Many sessions create tickets and settlements at the same moment on PostgreSQL,
some of them rolling back; afterwards the committed numbers are 1..n with no
duplicate and no hole. SQLite serialises writers, so the race needs a server.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from app.extensions import db as _db
from app.models import AppUser, Settlement, WeighTicket
from app.security.access import acting_as
from app.services.core import records
from app.services.core.numbering import next_number
from tests.factories import CustomerFactory
from tests.recycling.flow import settle_step

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="concurrent numbering needs PostgreSQL: set TEST_DATABASE_URL "
    "(SQLite serialises writers, so there is no race to test)",
)

WORKERS = 10


def _run_at_once(app: Any, work: Callable[[int], None]) -> list[BaseException]:
    """Run work(i) in WORKERS threads, each with its own app context and session."""
    barrier = threading.Barrier(WORKERS, timeout=30)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                work(index)
            except BaseException as error:  # reported to the test below
                errors.append(error)
                _db.session.rollback()
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def _sequence(numbers: list[str]) -> list[int]:
    return sorted(int(number.rsplit("-", 1)[1]) for number in numbers)


def _user(username: str) -> AppUser:
    return _db.session.query(AppUser).filter_by(username=username).one()


def test_ticket_and_settlement_numbers_are_gap_free_under_concurrency(app, db):
    customer_id = CustomerFactory().id
    rolled_back = {i for i in range(WORKERS) if i % 3 == 1}
    rng = random.Random(5)
    pauses = [rng.uniform(0, 0.05) for _ in range(WORKERS)]

    def work(index: int) -> None:
        for username, build in (
            (
                "warehouse",
                lambda: WeighTicket(customer_id=customer_id, vehicle=f"浙A{index:05d}"),
            ),
            (
                "finance",
                lambda: Settlement(
                    direction="pay", customer_id=customer_id, payment_method="cash"
                ),
            ),
        ):
            with acting_as(_user(username)):
                item = build()
                records.before_create(item)
                _db.session.add(item)
                _db.session.flush()
                time.sleep(pauses[index])  # hold the counter while others wait
                if index in rolled_back:
                    _db.session.rollback()
                else:
                    _db.session.commit()

    assert _run_at_once(app, work) == []
    committed = WORKERS - len(rolled_back)
    tickets = [t.number for t in db.session.query(WeighTicket)]
    settlements = [s.number for s in db.session.query(Settlement)]
    assert _sequence(tickets) == list(range(1, committed + 1))
    assert _sequence(settlements) == list(range(1, committed + 1))


def test_voucher_numbers_are_gap_free_under_concurrency(app, db):
    customer_id = CustomerFactory().id
    finance = _user("finance")
    ids = []
    with acting_as(finance):
        for _ in range(WORKERS):
            settlement = Settlement(
                direction="pay", customer_id=customer_id, payment_method="cash"
            )
            records.before_create(settlement)
            db.session.add(settlement)
            db.session.commit()
            ids.append(settlement.id)
    failed = {i for i in range(WORKERS) if i % 4 == 2}

    def work(index: int) -> None:
        settlement = _db.session.get(Settlement, ids[index])
        user = _user("finance")
        with acting_as(user):
            if index in failed:
                # A payment that takes its number and then fails gives it back.
                next_number("voucher")
                time.sleep(0.02)
                _db.session.rollback()
            else:
                settlement.status = "confirmed"
                _db.session.commit()
                settle_step(settlement, "pay")

    assert _run_at_once(app, work) == []
    db.session.expire_all()  # the threads changed the rows this session holds
    vouchers = [
        s.voucher_no
        for s in db.session.query(Settlement).filter(Settlement.voucher_no.is_not(None))
    ]
    assert _sequence(vouchers) == list(range(1, WORKERS - len(failed) + 1))
