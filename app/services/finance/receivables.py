"""Receivables and payables: ageing, and the follow-up of overdue settlements.

Seed 003 物流 第十八条 (每月配合财务部门与客户确认未收款，确保款项及时到账) and
seed 002 §3(四) (及时结算). A settlement is outstanding from its confirmation
until it is paid or voided. Ageing puts each outstanding settlement of a
direction (receive = receivable 应收, pay = payable 应付) into a bucket by the
days past its due date on a given day, per customer, all in one SQL GROUP BY
over the settlements the viewer may see.

An overdue settlement gets one follow-up task (逾期跟进), opened by the
periodic job `finance.overdue_task_days` days (default 0) after its due date:
a receivable goes to the customer's sales representative (else Finance), a
payable to Finance. Contacts and promised dates are logged on the task; it
settles itself when the settlement is paid or voided, and can be closed with
a reason.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (
    AppUser,
    Customer,
    Department,
    OverdueTask,
    Settlement,
    now,
)
from app.models.codes import OVERDUE_TASK_STATUSES, SETTLEMENT_DIRECTIONS, label
from app.security.access import system_user
from app.security.scope import restrict
from app.services.core import records
from app.services.core.errors import Conflict, InvalidInput
from app.services.core.numbering import next_number
from app.services.core.records import RecordRules, department, register
from app.services.core.transactions import open_for_savepoints
from app.services.core.workflow import Ask, Step, Workflow, channel_choices
from app.services.finance import ledger
from app.services.finance.terms import end_of, setting_int
from app.services.notify import alerts

logger = logging.getLogger(__name__)

BUCKETS: tuple[tuple[str, Any], ...] = (
    ("current", _l("Not yet due")),
    ("d30", _l("1-30 days overdue")),
    ("d60", _l("31-60 days overdue")),
    ("d90", _l("61-90 days overdue")),
    ("older", _l("Over 90 days overdue")),
)
# Upper bound (days overdue) of each overdue bucket but the last.
BOUNDS = (("d30", 30), ("d60", 60), ("d90", 90))


# ------------------------------------------------------------------ ageing
def today() -> dt.date:
    """The business date now."""
    return now().date()


def outstanding(as_of: dt.date) -> Any:
    """Settlements owed at the end of `as_of`: confirmed by then, and not paid
    or voided by then."""
    end = end_of(as_of)
    return and_(
        Settlement.confirmed_at.is_not(None),
        Settlement.confirmed_at < end,
        or_(Settlement.paid_at.is_(None), Settlement.paid_at >= end),
        or_(Settlement.voided_at.is_(None), Settlement.voided_at >= end),
    )


def bucket(as_of: dt.date) -> Any:
    """The ageing bucket of a settlement by its due date (SQL CASE)."""
    whens = [(Settlement.due_on >= as_of, literal("current"))]
    whens += [
        (Settlement.due_on >= as_of - dt.timedelta(days=days), literal(code))
        for code, days in BOUNDS
    ]
    return case(*whens, else_=literal("older"))


@dataclass
class AgeingRow:
    """One customer's outstanding amounts per bucket."""

    customer_id: int
    code: str = ""
    name: str = ""
    sales_rep: str = ""
    amounts: dict[str, Decimal] = field(default_factory=dict)
    count: int = 0
    oldest_due: dt.date | None = None

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), Decimal("0.00"))

    @property
    def overdue(self) -> Decimal:
        return self.total - self.amounts.get("current", Decimal("0.00"))


@dataclass
class Ageing:
    direction: str
    as_of: dt.date
    rows: list[AgeingRow]

    @property
    def title(self) -> str:
        return label(SETTLEMENT_DIRECTIONS, self.direction)

    @property
    def totals(self) -> dict[str, Decimal]:
        sums = {code: Decimal("0.00") for code, _ in BUCKETS}
        for row in self.rows:
            for code, amount in row.amounts.items():
                sums[code] += amount
        return sums

    @property
    def total(self) -> Decimal:
        return sum(self.totals.values(), Decimal("0.00"))


def ageing(direction: str, user: Any, as_of: dt.date | None = None) -> Ageing:
    """Outstanding settlements of one direction per customer and bucket."""
    if direction not in SETTLEMENT_DIRECTIONS:
        raise InvalidInput(_l("Choose the direction: payment or receipt."))
    as_of = as_of or today()
    slot = bucket(as_of).label("bucket")
    stmt = restrict(
        select(
            Settlement.customer_id,
            slot,
            func.sum(ledger.cents(Settlement.total)),
            func.count(),
            func.min(Settlement.due_on),
        )
        .where(Settlement.direction == direction, outstanding(as_of))
        .group_by(Settlement.customer_id, slot),
        Settlement,
        user,
    )
    rows: dict[int, AgeingRow] = {}
    for customer_id, code, amount, count, oldest in db.session.execute(stmt):
        row = rows.setdefault(customer_id, AgeingRow(customer_id))
        row.amounts[code] = ledger.to_money(amount)
        row.count += count
        if oldest is not None and (row.oldest_due is None or oldest < row.oldest_due):
            row.oldest_due = oldest
    if rows:
        for customer in db.session.scalars(
            select(Customer).where(Customer.id.in_(rows))
        ):
            row = rows[customer.id]
            row.code, row.name = customer.code, customer.name
            row.sales_rep = str(customer.sales_rep) if customer.sales_rep else ""
    ordered = sorted(rows.values(), key=lambda r: (-r.overdue, -r.total, r.name))
    return Ageing(direction, as_of, ordered)


# ------------------------------------------------------------ overdue tasks
def _assignee(settlement: Settlement) -> int | None:
    """Receivables: the customer's sales rep; otherwise Finance's head or clerk."""
    rep = settlement.customer.sales_rep if settlement.customer else None
    if settlement.direction == "receive" and rep is not None and rep.active:
        return rep.id
    finance = db.session.scalars(
        select(AppUser)
        .join(Department, AppUser.department_id == Department.id)
        .where(Department.code == "finance", AppUser.active.is_(True))
        .order_by(AppUser.is_department_head.desc(), AppUser.id)
    ).first()
    return finance.id if finance is not None else None


@register
class OverdueTaskRules(RecordRules):
    model = OverdueTask

    def before_create(self, item: OverdueTask, user: Any) -> None:
        settlement = item.settlement or (
            db.session.get(Settlement, item.settlement_id)
            if item.settlement_id
            else None
        )
        if settlement is None or settlement.status != "confirmed":
            raise InvalidInput(
                _l("Only a confirmed, unpaid settlement is followed up."),
                field="settlement",
            )
        if settlement.due_on is None or settlement.due_on >= now().date():
            raise InvalidInput(
                _l("Settlement %(number)s is not overdue.", number=settlement.number),
                field="settlement",
            )
        item.settlement = settlement
        item.customer_id = settlement.customer_id
        item.direction = settlement.direction
        item.amount = settlement.total
        item.due_on = settlement.due_on
        item.department = department("finance")
        item.status = "open"
        if item.assignee_id is None and item.assignee is None:
            item.assignee_id = _assignee(settlement)
        item.number = next_number("overdue")

    def before_update(self, item: OverdueTask, user: Any) -> None:
        if item.status != "open":
            raise Conflict(_l("A settled or closed follow-up task cannot change."))

    def before_delete(self, item: OverdueTask, user: Any) -> None:
        raise Conflict(_l("Follow-up tasks are kept; close it with a reason instead."))


def _task_alert(task: OverdueTask) -> None:
    who = [task.assignee_id] if task.assignee_id else []
    if not who:
        who = list(
            db.session.scalars(
                select(AppUser.id).where(
                    AppUser.department_id == task.department_id,
                    AppUser.active.is_(True),
                )
            )
        )
    kind = "应收" if task.direction == "receive" else "应付"
    customer = task.settlement.customer.name if task.settlement.customer else ""
    alerts.raise_alert(
        record_type="overdue_task",
        record_id=task.id,
        clock="opened",
        level="info",
        title=(
            f"【逾期{kind}】{customer} 结算 {task.settlement.number} "
            f"¥{Decimal(task.amount):,.2f} 已于 {task.due_on:%Y-%m-%d} 到期，请跟进"
        )[:200],
        body=f"逾期跟进任务 {task.number}",
        link=f"/overduetasks/show/{task.id}",
        department_id=task.department_id,
        recipients=who,
    )


def open_overdue_tasks(moment: dt.datetime | None = None) -> int:
    """One task per settlement past its due date (plus the grace days); safe to
    run twice or concurrently (the settlement is unique per task)."""
    moment = moment or now()
    grace = dt.timedelta(days=setting_int("finance.overdue_task_days", 0))
    cutoff = moment - grace
    taken = select(OverdueTask.settlement_id)
    candidates = db.session.scalars(
        select(Settlement)
        .where(
            Settlement.status == "confirmed",
            # The payment clock's partial index: at risk before it is due.
            Settlement.due_risk_at <= cutoff,
            Settlement.due_at <= cutoff,
            Settlement.id.not_in(taken),
        )
        .order_by(Settlement.id)
    ).all()
    actor = system_user()
    created = 0
    open_for_savepoints()
    for settlement in candidates:
        try:
            with db.session.begin_nested():
                task = records.add(OverdueTask(settlement=settlement), actor)
                db.session.flush()
        except IntegrityError:
            # A concurrent run opened it first; its number was given back.
            logger.info("Overdue task of %s exists already", settlement.number)
            continue
        _task_alert(task)
        created += 1
    db.session.commit()
    if created:
        logger.info("Overdue follow-up tasks opened: %d", created)
    return created


def settle_tasks(settlement: Settlement, reason: str) -> None:
    """The settlement was paid or voided: its open task is settled (no commit)."""
    for task in db.session.scalars(
        select(OverdueTask).where(
            OverdueTask.settlement_id == settlement.id, OverdueTask.status == "open"
        )
    ):
        task.status = "settled"
        task.closed_at = now()
        task.close_reason = reason[:300]


def _log(task: OverdueTask, data: dict[str, Any], user: Any) -> None:
    moment = now()
    promised = data.get("promised_on")
    if promised is not None and promised < moment.date():
        raise InvalidInput(
            _l("A promised date cannot be in the past."), field="promised_on"
        )
    channel = ""
    if data.get("channel"):
        from app.models import Channel

        found = db.session.get(Channel, int(data["channel"]))
        channel = f"（{found.name}）" if found else ""
    line = f"{moment:%Y-%m-%d %H:%M} {user}{channel}：{data['outcome'].strip()}"
    if promised is not None:
        line += f"；承诺 {promised:%Y-%m-%d} 付款"
        task.promised_on = promised
    task.log = f"{task.log}\n{line}" if task.log else line
    task.last_contact_at = moment


def _close(task: OverdueTask, data: dict[str, Any], user: Any) -> None:
    task.closed_at = now()
    task.close_reason = data["reason"].strip()[:300]


OVERDUE_FLOW = Workflow(
    model=OverdueTask,
    resource="OverdueTaskWorkflow",
    statuses=OVERDUE_TASK_STATUSES,
    steps=(
        Step(
            "log",
            _l("Record a contact"),
            ("open",),
            None,
            asks=(
                Ask("channel", _l("Channel"), "select", choices=channel_choices),
                Ask(
                    "outcome",
                    _l("What was said"),
                    "textarea",
                    required=True,
                    max_length=1000,
                ),
                Ask(
                    "promised_on",
                    _l("Promised payment date"),
                    "date",
                    description=_l("The date the payment was promised for, if any."),
                ),
            ),
            apply=_log,
            icon="fa-phone",
        ),
        Step(
            "close",
            _l("Close"),
            ("open",),
            "closed",
            asks=(
                Ask("reason", _l("Reason"), "textarea", required=True, max_length=300),
            ),
            apply=_close,
            style="warning",
            icon="fa-times",
            help=_l(
                "For a task that needs no more follow-up although the settlement "
                "is still open (e.g. handed to legal)."
            ),
        ),
    ),
)
