"""Key-account visits (巡访): plans, the designated visitor, reports, urgent reports.

Seed 003 公司客户服务办法:

- 第四条(2): each key account is visited by a designated person (指定专人), in
  principle not the account's own sales rep (原则上不能由本地区的负责业务员担任):
  naming the rep is refused unless the plan records why (the exception).
- 第五条: yearly, quarterly and monthly visit plans (年度、季度和月份巡回访问计划)
  per key account (the customer's key-account flag, 第四条(1)), with the focus
  materials, key and special survey items and the arrangements; one plan per
  account and period.
- 第九条: each visit is reported (巡访日报) with the customer card (客户卡): the
  customer's opinions and wishes, needs, market and competitor information,
  the effect of the visit, the issues handled and their result.
- 第十条: the monthly summary (每月巡访情况报告书): planned against done per
  visitor and account (`monthly_summary`).
- 第十一条: an urgent report (巡访紧急报告) of a visit alerts the heads of the
  plan's department, Management and the account's sales rep, once.

The visitor rule holds from both sides: a plan's new visitor takes over the
plan's open visits (`follow_plan_visitor`), and a customer's sales rep does
not change to the designated visitor of a running plan without the plan's
written reason (`check_new_sales_rep`, called by the customer's rules).

The rules are the record rules of `VisitPlan` and `Visit` (every path: screens,
API, imports, factories) and the steps of `VISIT_FLOW`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy import inspect as sa_inspect

from app.extensions import db
from app.models import BUSINESS_TZ, AppUser, Customer, Visit, VisitPlan, now
from app.models.codes import URGENT_REPORT_KINDS, VISIT_STATUSES, label
from app.security.access import can
from app.security.scope import restrict
from app.services.core.errors import Conflict, InvalidInput, NotAllowed
from app.services.core.numbering import next_number
from app.services.core.records import RecordRules, own_department, register
from app.services.core.workflow import (
    Ask,
    Step,
    Workflow,
    as_datetime,
    code_choices,
    not_future,
)
from app.services.notify import alerts

logger = logging.getLogger(__name__)

QUARTER_FIRST_MONTH = {1: 1, 2: 1, 3: 1, 4: 4, 5: 4, 6: 4}
QUARTER_FIRST_MONTH.update({7: 7, 8: 7, 9: 7, 10: 10, 11: 10, 12: 10})


def period_bounds(period: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the year, quarter or month (`period`) holding `day`.

    Raises InvalidInput (field `period`) for an unknown period code.
    """
    if period == "year":
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    if period == "quarter":
        first = dt.date(day.year, QUARTER_FIRST_MONTH[day.month], 1)
    elif period == "month":
        first = dt.date(day.year, day.month, 1)
    else:
        raise InvalidInput(_l("Choose the plan period."), field="period")
    months = 3 if period == "quarter" else 1
    year, month = divmod(first.month - 1 + months, 12)
    return first, dt.date(first.year + year, month + 1, 1) - dt.timedelta(days=1)


def _user(item: Any, name: str) -> AppUser | None:
    person = getattr(item, name)
    if person is None and getattr(item, f"{name}_id") is not None:
        person = db.session.get(AppUser, getattr(item, f"{name}_id"))
    return person


def _customer(item: Any) -> Customer | None:
    if item.customer is not None:
        return item.customer
    return db.session.get(Customer, item.customer_id) if item.customer_id else None


def check_visitor(
    visitor: AppUser | None, customer: Customer, exception: str | None
) -> None:
    """The designated visitor rule (seed 003 第四条(2)).

    The visitor must be an active user who may record visit reports; the
    account's own sales rep only with a written reason (`exception`).
    Raises InvalidInput at the field `visitor`.
    """
    if visitor is None:
        raise InvalidInput(_l("Name the designated visitor."), field="visitor")
    if not visitor.active or not can(visitor, "report", "VisitWorkflow"):
        raise InvalidInput(
            _l("%(name)s does not record visit reports.", name=str(visitor)),
            field="visitor",
        )
    if visitor.id == customer.sales_rep_id and not (exception or "").strip():
        raise InvalidInput(
            _l(
                "%(name)s is the account's own sales rep: by the rules the visits "
                "are made by another person. Designate someone else, or write "
                "why the sales rep visits after all.",
                name=str(visitor),
            ),
            field="visitor",
        )


def check_new_sales_rep(customer: Customer, rep_id: int | None) -> None:
    """A customer's new sales rep is not the designated visitor of one of its
    running plans, nor the visitor of a visit still to make (seed 003
    第四条(2)), unless the plan records why the rep visits; the visitor is
    changed on the plan (or the visit) first. Raises InvalidInput at
    the field `sales_rep`; run before the change is flushed."""
    if rep_id is None or customer.id is None:
        return
    today = now().astimezone(BUSINESS_TZ).date()
    plan = db.session.scalars(
        select(VisitPlan)
        .where(
            VisitPlan.customer_id == customer.id,
            VisitPlan.visitor_id == rep_id,
            VisitPlan.ends_on >= today,
            func.coalesce(VisitPlan.exception_reason, "") == "",
        )
        .order_by(VisitPlan.starts_on, VisitPlan.id)
        .limit(1)
    ).first()
    if plan is not None:
        raise InvalidInput(
            _l(
                "%(name)s is the designated visitor of visit plan %(plan)s "
                "(%(start)s to %(end)s): by the rules the visits are made by "
                "someone other than the sales rep. Designate another visitor on "
                "the plan first (or write there why the sales rep visits), then "
                "change the sales rep.",
                name=str(plan.visitor),
                plan=plan.number,
                start=plan.starts_on.isoformat(),
                end=plan.ends_on.isoformat(),
            ),
            field="sales_rep",
        )
    visit = db.session.scalars(
        select(Visit)
        .join(VisitPlan, Visit.plan_id == VisitPlan.id)
        .where(
            Visit.customer_id == customer.id,
            Visit.visitor_id == rep_id,
            Visit.status == "planned",
            func.coalesce(VisitPlan.exception_reason, "") == "",
        )
        .order_by(Visit.planned_on, Visit.id)
        .limit(1)
    ).first()
    if visit is not None:
        raise InvalidInput(
            _l(
                "%(name)s is to make visit %(visit)s on %(day)s: by the rules the "
                "visits are made by someone other than the sales rep. Name another "
                "visitor for that visit first, then change the sales rep.",
                name=str(visit.visitor),
                visit=visit.number,
                day=visit.planned_on.isoformat(),
            ),
            field="sales_rep",
        )


def follow_plan_visitor(plan: VisitPlan, previous_id: int | None) -> int:
    """The plan's open (planned) visits of its previous visitor go to its new
    one; visits made or cancelled keep who they were for, a stand-in named for
    one visit stays. Each change is audited on the visit. Returns how many."""
    visitor = _user(plan, "visitor")
    if previous_id is None or visitor is None or visitor.id == previous_id:
        return 0
    visits = db.session.scalars(
        select(Visit).where(
            Visit.plan_id == plan.id,
            Visit.status == "planned",
            Visit.visitor_id == previous_id,
        )
    ).all()
    for visit in visits:
        # The column too: the audit trail records column changes.
        visit.visitor, visit.visitor_id = visitor, visitor.id
    if visits:
        logger.info(
            "Visit plan %s: %d open visits go to the new visitor %s",
            plan.number,
            len(visits),
            visitor.id,
        )
    return len(visits)


def _changed(item: Any, *names: str) -> bool:
    state = sa_inspect(item)
    return any(state.attrs[name].history.has_changes() for name in names)


@register
class VisitPlanRules(RecordRules):
    model = VisitPlan

    def _check(self, item: VisitPlan) -> None:
        customer = _customer(item)
        if customer is None:
            raise InvalidInput(_l("Choose the customer."), field="customer")
        if not customer.key_account:
            raise InvalidInput(
                _l(
                    "%(name)s is not a key account: visit plans are made for key "
                    "accounts (mark the customer as one first).",
                    name=customer.name,
                ),
                field="customer",
            )
        if item.period is None:
            raise InvalidInput(_l("Choose the plan period."), field="period")
        if item.starts_on is None:
            raise InvalidInput(
                _l("Give a day of the period the plan covers."), field="starts_on"
            )
        item.starts_on, item.ends_on = period_bounds(item.period, item.starts_on)
        reason = (item.exception_reason or "").strip()
        visitor = _user(item, "visitor")
        check_visitor(visitor, customer, reason)
        # The reason is kept only where it explains an exception.
        rep = visitor is not None and visitor.id == customer.sales_rep_id
        item.exception_reason = reason if rep else None
        taken = select(VisitPlan.id).where(
            VisitPlan.customer_id == customer.id,
            VisitPlan.period == item.period,
            VisitPlan.starts_on == item.starts_on,
        )
        if item.id is not None:
            taken = taken.where(VisitPlan.id != item.id)
        if db.session.execute(taken.limit(1)).first() is not None:
            raise InvalidInput(
                _l("This account already has a plan for that period."),
                field="starts_on",
            )

    def before_create(self, item: VisitPlan, user: Any) -> None:
        self._check(item)
        item.number = next_number("visit_plan")
        item.department = own_department(user)

    def before_update(self, item: VisitPlan, user: Any) -> None:
        if _changed(item, "customer_id", "customer"):
            raise InvalidInput(
                _l("The account of a plan cannot change; make a new plan."),
                field="customer",
            )
        self._check(item)
        previous = db.session.scalar(
            select(VisitPlan.visitor_id).where(VisitPlan.id == item.id)
        )
        outside = select(Visit.id).where(
            Visit.plan_id == item.id,
            Visit.status != "cancelled",
            (Visit.planned_on < item.starts_on) | (Visit.planned_on > item.ends_on),
        )
        if db.session.execute(outside.limit(1)).first() is not None:
            raise InvalidInput(
                _l("Visits of this plan fall outside the new period."),
                field="starts_on",
            )
        follow_plan_visitor(item, previous)

    def before_delete(self, item: VisitPlan, user: Any) -> None:
        has_visits = select(Visit.id).where(Visit.plan_id == item.id).limit(1)
        if db.session.execute(has_visits).first() is not None:
            raise Conflict(_l("A plan with visits is kept; cancel its visits."))


@register
class VisitRules(RecordRules):
    model = Visit

    def _check(self, item: Visit) -> None:
        plan = item.plan or (
            db.session.get(VisitPlan, item.plan_id) if item.plan_id else None
        )
        if plan is None:
            raise InvalidInput(_l("Choose the visit plan."), field="plan")
        item.plan = plan
        item.customer = plan.customer
        item.department_id = plan.department_id
        if item.planned_on is None:
            raise InvalidInput(_l("Give the planned date."), field="planned_on")
        if not plan.starts_on <= item.planned_on <= plan.ends_on:
            raise InvalidInput(
                _l(
                    "The date is outside the plan's period (%(start)s to %(end)s).",
                    start=plan.starts_on.isoformat(),
                    end=plan.ends_on.isoformat(),
                ),
                field="planned_on",
            )
        visitor = _user(item, "visitor") or plan.visitor
        item.visitor = visitor
        # The plan's own visitor carries the plan's exception, if any.
        exception = plan.exception_reason if visitor.id == plan.visitor_id else None
        check_visitor(visitor, plan.customer, exception)

    def before_create(self, item: Visit, user: Any) -> None:
        self._check(item)
        item.number = next_number("visit")
        item.status = "planned"

    def before_update(self, item: Visit, user: Any) -> None:
        if _changed(item, "plan_id", "plan"):
            raise InvalidInput(
                _l("A visit stays in its plan; cancel it and plan a new one."),
                field="plan",
            )
        if item.status != "planned" and _changed(item, "planned_on", "visitor_id"):
            raise Conflict(_l("Only a planned visit can be rescheduled."))
        self._check(item)

    def before_delete(self, item: Visit, user: Any) -> None:
        if item.status != "planned":
            raise Conflict(_l("A visit made or cancelled is kept."))


# ------------------------------------------------------------------ steps
def _may_report(visit: Visit, user: Any) -> None:
    """The visitor reports; a head of the plan's department may too."""
    head = bool(getattr(user, "is_department_head", False)) and (
        user.department_id == visit.department_id
    )
    if (
        user.id != visit.visitor_id
        and not head
        and not getattr(user, "is_system", False)
    ):
        raise NotAllowed(
            _l("Only the designated visitor or the department head reports it.")
        )


def _report(visit: Visit, data: dict[str, Any], user: Any) -> None:
    _may_report(visit, user)
    moment = as_datetime(data["visited_at"])
    visit.visited_at = not_future(moment, "visited_at")
    for name in REPORT_FIELDS:
        value = (data.get(name) or "").strip()
        setattr(visit, name, value or None)


def urgent_recipients(visit: Visit) -> list[int]:
    """Heads of the plan's department, Management (escalations), the account's
    sales rep: the superiors the urgent report goes to (第十一条)."""
    people = db.session.scalars(select(AppUser).where(AppUser.active.is_(True)))
    chosen = {
        u.id
        for u in people
        if (u.is_department_head and u.department_id == visit.department_id)
        or can(u, "receive", "Escalation")
    }
    rep = visit.customer.sales_rep if visit.customer else None
    if rep is not None and rep.active:
        chosen.add(rep.id)
    return sorted(chosen)


def _urgent(visit: Visit, data: dict[str, Any], user: Any) -> None:
    _may_report(visit, user)
    visit.urgent = True
    visit.urgent_kind = data["urgent_kind"]
    visit.urgent_note = data["urgent_note"].strip()
    visit.urgent_at = now()
    kind = label(URGENT_REPORT_KINDS, visit.urgent_kind)
    alerts.raise_alert(
        record_type="visit",
        record_id=visit.id,
        clock="visit_urgent",
        level="management",
        title=f"巡访紧急报告：{visit.customer.name}（{kind}）"[:200],
        body=f"{visit.number}，巡访人 {visit.visitor}：{visit.urgent_note}",
        link=f"/visits/show/{visit.id}",
        department_id=visit.department_id,
        recipients=lambda: urgent_recipients(visit),
    )


def _not_urgent_yet(visit: Visit) -> Any:
    return _l("The urgent report has been sent.") if visit.urgent else None


def _cancel(visit: Visit, data: dict[str, Any], user: Any) -> None:
    visit.cancel_reason = data["cancel_reason"].strip()


REPORT_FIELDS = (
    "opinions",
    "needs",
    "market_info",
    "competitor_info",
    "effect",
    "issues_handled",
    "other_matters",
)


def _text(name: str, required: bool = False) -> Ask:
    from app.labels import field_label

    return Ask(name, field_label(name), "textarea", required=required)


STEPS = (
    Step(
        "report",
        _l("Record the visit report"),
        ("planned",),
        "done",
        asks=(
            Ask(
                "visited_at",
                _l("Visited at"),
                "datetime",
                required=True,
                default=lambda _visit: now().astimezone(BUSINESS_TZ),
            ),
            _text("opinions", required=True),
            _text("needs"),
            _text("market_info"),
            _text("competitor_info"),
            _text("effect"),
            _text("issues_handled"),
            _text("other_matters"),
        ),
        apply=_report,
        icon="fa-pencil-square-o",
        style="success",
        help=_l("The customer card: what the customer said, wants and knows."),
    ),
    Step(
        "urgent",
        _l("Urgent report"),
        ("done",),
        None,
        asks=(
            Ask(
                "urgent_kind",
                _l("Urgent report about"),
                "select",
                required=True,
                choices=code_choices(URGENT_REPORT_KINDS),
            ),
            Ask("urgent_note", _l("What happened"), "textarea", required=True),
        ),
        apply=_urgent,
        guard=_not_urgent_yet,
        icon="fa-exclamation-triangle",
        style="danger",
        help=_l("Alerts the department heads, Management and the sales rep."),
    ),
    Step(
        "cancel",
        _l("Cancel the visit"),
        ("planned",),
        "cancelled",
        asks=(Ask("cancel_reason", _l("Why"), "textarea", required=True),),
        apply=_cancel,
        icon="fa-ban",
        style="default",
    ),
)

VISIT_FLOW = Workflow(
    model=Visit,
    resource="VisitWorkflow",
    statuses=VISIT_STATUSES,
    steps=STEPS,
)


# ---------------------------------------------------------- monthly summary
@dataclass
class SummaryRow:
    """One visitor and account in the month: visits planned (not cancelled),
    made, cancelled, missed (still planned, date passed), urgent reports."""

    visitor_id: int
    customer_id: int
    visitor: str = ""
    customer: str = ""
    planned: int = 0
    done: int = 0
    cancelled: int = 0
    missed: int = 0
    urgent: int = 0


@dataclass
class Summary:
    """The month's rows (by visitor, then account) and totals per visitor."""

    month: dt.date
    rows: list[SummaryRow]
    people: list[SummaryRow] = field(default_factory=list)
    total: SummaryRow = field(default_factory=lambda: SummaryRow(0, 0))


def _count(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def monthly_summary(month: dt.date, user: Any, today: dt.date | None = None) -> Summary:
    """每月巡访情况报告书 (seed 003 第十条): visits planned in `month` (its first
    day) per visitor and account, in `user`'s scope; one SQL GROUP BY.

    `today` (business date, default now) decides which planned visits are
    missed. Counts are whole visits.
    """
    start = dt.date(month.year, month.month, 1)
    end = period_bounds("month", start)[1]
    today = today or now().astimezone(BUSINESS_TZ).date()
    stmt = restrict(
        select(
            Visit.visitor_id,
            Visit.customer_id,
            _count(Visit.status != "cancelled"),
            _count(Visit.status == "done"),
            _count(Visit.status == "cancelled"),
            _count((Visit.status == "planned") & (Visit.planned_on < today)),
            _count(Visit.urgent.is_(True)),
        )
        .where(Visit.planned_on >= start, Visit.planned_on <= end)
        .group_by(Visit.visitor_id, Visit.customer_id),
        Visit,
        user,
    )
    rows = [
        SummaryRow(
            visitor_id=visitor_id,
            customer_id=customer_id,
            planned=int(planned or 0),
            done=int(done or 0),
            cancelled=int(cancelled or 0),
            missed=int(missed or 0),
            urgent=int(urgent or 0),
        )
        for visitor_id, customer_id, planned, done, cancelled, missed, urgent in (
            db.session.execute(stmt)
        )
    ]
    names = {
        u.id: str(u)
        for u in db.session.scalars(
            select(AppUser).where(AppUser.id.in_({r.visitor_id for r in rows}))
        )
    }
    customers = dict(
        db.session.execute(
            select(Customer.id, Customer.name).where(
                Customer.id.in_({r.customer_id for r in rows})
            )
        ).all()
    )
    people: dict[int, SummaryRow] = {}
    total = SummaryRow(0, 0)
    for row in rows:
        row.visitor = names.get(row.visitor_id, "")
        row.customer = customers.get(row.customer_id, "")
        person = people.setdefault(
            row.visitor_id, SummaryRow(row.visitor_id, 0, visitor=row.visitor)
        )
        for sums in (person, total):
            for name in ("planned", "done", "cancelled", "missed", "urgent"):
                setattr(sums, name, getattr(sums, name) + getattr(row, name))
    rows.sort(key=lambda r: (r.visitor, r.customer))
    ordered = sorted(people.values(), key=lambda r: r.visitor)
    return Summary(start, rows, ordered, total)
