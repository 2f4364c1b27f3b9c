"""Customer grading (客户分级): the monthly regrading proposal and Sales' decision.

Seed 003 公司客户服务办法 第四条(1): customers are graded A, B, C, D by nature,
scale, sales volume and business trend (分级管理); 快递 二.1 (a VIP team for
key accounts) and 供电 第五条 (分类管理, a service policy per class).

The proposal for month M counts the 12 months before M (business time):

- volume: the net weight weighed for the customer (weigh lines by gross
  weighing time) plus the weight sold to them (sales settlements in force by
  confirmation time) - the same figures as the business statistics;
- complaints: complaints received from the customer, cancelled ones excluded.

The proposed grade is the best active grade (lowest rank) whose figures the
customer meets: volume at least its `min_volume_kg` and complaints at most
its `max_complaints` (an empty criterion always holds); a customer meeting
none gets the lowest active grade. A proposal is made only when it differs
from the customer's grade (an ungraded customer always gets one), once per
customer and month; undecided proposals of earlier months are superseded.
Everything is one INSERT ... SELECT and one UPDATE, so the cost follows the
rows of the window, never a query per customer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Numeric,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)

from app.extensions import db
from app.models import (
    Case,
    Customer,
    CustomerGrade,
    GradeProposal,
    Settlement,
    SettlementLine,
    WeighLine,
    WeighTicket,
    now,
)
from app.models.codes import GRADE_PROPOSAL_STATUSES
from app.security.access import system_user
from app.services.core.errors import Conflict, InvalidInput
from app.services.core.workflow import Ask, Step, Workflow
from app.services.reporting.business import IN_FORCE, grams
from app.services.reporting.kpi import add_months, month_start

WINDOW_MONTHS = 12
RECENT_MONTHS = 6


@dataclass(frozen=True)
class GradingWindow:
    """The months counted by the proposal of `period` (its first day)."""

    period: dt.date

    @property
    def start(self) -> dt.datetime:
        return month_start(add_months(self.period, -WINDOW_MONTHS))

    @property
    def recent(self) -> dt.datetime:
        return month_start(add_months(self.period, -RECENT_MONTHS))

    @property
    def end(self) -> dt.datetime:
        return month_start(self.period)


def current_period(moment: dt.datetime | None = None) -> dt.date:
    """First day of the business-time month holding `moment` (default now)."""
    return (moment or now()).date().replace(day=1)


def parse_period(text: str) -> dt.date:
    """'YYYY-MM' as the first day of that month; InvalidInput otherwise."""
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m").date()  # noqa: DTZ007
    except ValueError:
        raise InvalidInput(
            _l("Give the month as YYYY-MM, e.g. 2026-11."), field="period"
        ) from None


def _volumes(window: GradingWindow) -> Any:
    """(customer_id, grams, recent_grams) per customer over the window."""
    weighed = (
        select(
            WeighTicket.customer_id.label("customer_id"),
            grams(WeighLine.net_kg).label("grams"),
            WeighLine.gross_at.label("at"),
        )
        .join(WeighTicket, WeighLine.ticket_id == WeighTicket.id)
        .where(
            WeighLine.gross_at >= window.start,
            WeighLine.gross_at < window.end,
            WeighLine.net_kg.is_not(None),
        )
    )
    sold = (
        select(
            Settlement.customer_id.label("customer_id"),
            grams(SettlementLine.net_kg).label("grams"),
            Settlement.confirmed_at.label("at"),
        )
        .join(Settlement, SettlementLine.settlement_id == Settlement.id)
        .where(
            Settlement.direction == "receive",
            Settlement.status.in_(IN_FORCE),
            Settlement.confirmed_at >= window.start,
            Settlement.confirmed_at < window.end,
        )
    )
    rows = union_all(weighed, sold).subquery()
    recent = func.sum(case((rows.c.at >= window.recent, rows.c.grams), else_=0))
    return (
        select(
            rows.c.customer_id,
            func.sum(rows.c.grams).label("grams"),
            recent.label("recent_grams"),
        )
        .group_by(rows.c.customer_id)
        .subquery()
    )


def _complaints(window: GradingWindow) -> Any:
    return (
        select(Case.customer_id, func.count().label("complaints"))
        .where(
            Case.kind == "complaint",
            Case.status != "cancelled",
            Case.received_at >= window.start,
            Case.received_at < window.end,
        )
        .group_by(Case.customer_id)
        .subquery()
    )


def _kg(grams_column: Any) -> Any:
    return cast(grams_column, Numeric(16, 3)) / 1000


def proposal_rows(period: dt.date) -> Any:
    """SELECT of (customer_id, current, proposed, grams, recent_grams,
    complaints) for every active customer whose proposed grade differs from
    their grade; None when no grade is active."""
    worst = db.session.scalar(
        select(CustomerGrade.id)
        .where(CustomerGrade.active.is_(True))
        .order_by(CustomerGrade.rank.desc())
        .limit(1)
    )
    if worst is None:
        return None
    window = GradingWindow(period)
    volumes = _volumes(window)
    complaints = _complaints(window)
    base = (
        select(
            Customer.id.label("customer_id"),
            Customer.grade_id.label("current"),
            func.coalesce(volumes.c.grams, 0).label("grams"),
            func.coalesce(volumes.c.recent_grams, 0).label("recent_grams"),
            func.coalesce(complaints.c.complaints, 0).label("complaints"),
        )
        .outerjoin(volumes, volumes.c.customer_id == Customer.id)
        .outerjoin(complaints, complaints.c.customer_id == Customer.id)
        .where(Customer.status == "active")
        .subquery()
    )
    grade = CustomerGrade.__table__.alias("g")
    best = (
        select(grade.c.id)
        .where(
            grade.c.active.is_(True),
            or_(
                grade.c.min_volume_kg.is_(None),
                grams(grade.c.min_volume_kg) <= base.c.grams,
            ),
            or_(
                grade.c.max_complaints.is_(None),
                grade.c.max_complaints >= base.c.complaints,
            ),
        )
        .order_by(grade.c.rank)
        .limit(1)
        .scalar_subquery()
    )
    scored = select(
        base.c.customer_id,
        base.c.current,
        func.coalesce(best, worst).label("proposed"),
        base.c.grams,
        base.c.recent_grams,
        base.c.complaints,
    ).subquery()
    return select(scored).where(
        or_(scored.c.current.is_(None), scored.c.proposed != scored.c.current)
    )


def propose(period: dt.date | None = None) -> int:
    """Make the regrading proposals of `period` (default: this month) that
    are missing; supersede undecided ones of earlier months. Returns the
    number of proposals made; running it twice makes none the second time."""
    period = period or current_period()
    rows = proposal_rows(period)
    if rows is None:
        return 0
    rows = rows.subquery()
    actor = system_user().id
    stamp = now()
    taken = exists().where(
        GradeProposal.customer_id == rows.c.customer_id,
        GradeProposal.period == period,
    )
    db.session.execute(
        update(GradeProposal)
        .where(GradeProposal.status == "proposed", GradeProposal.period < period)
        .values(status="superseded", changed_at=stamp, changed_by_id=actor)
    )
    source = select(
        rows.c.customer_id,
        literal(period).label("period"),
        rows.c.current,
        rows.c.proposed,
        _kg(rows.c.grams),
        _kg(rows.c.recent_grams),
        rows.c.complaints,
        literal("proposed").label("status"),
        literal(stamp, GradeProposal.created_at.type).label("created_at"),
        literal(stamp, GradeProposal.changed_at.type).label("changed_at"),
        literal(actor).label("created_by_id"),
        literal(actor).label("changed_by_id"),
    ).where(~taken)
    # Numbered in customer order (the list shows the newest customers first).
    source = source.order_by(rows.c.customer_id)
    result = db.session.execute(
        insert(GradeProposal).from_select(
            [
                "customer_id",
                "period",
                "current_grade_id",
                "proposed_grade_id",
                "volume_kg",
                "recent_volume_kg",
                "complaints",
                "status",
                "created_at",
                "changed_at",
                "created_by_id",
                "changed_by_id",
            ],
            source,
        )
    )
    db.session.commit()
    return max(result.rowcount or 0, 0)


# ------------------------------------------------------------------ decisions
def _accept(proposal: GradeProposal, data: dict[str, Any], user: Any) -> None:
    """The customer takes the proposed grade (audited on the customer), if
    the grade it was proposed from is still the customer's: a proposal made
    before another was adopted speaks of a grade the customer no longer has."""
    if proposal.current_grade_id != proposal.customer.grade_id:
        raise Conflict(
            _l(
                "This proposal was made from grade %(old)s, but the customer's "
                "grade is now %(now)s: decide on the latest proposal instead.",
                old=_grade_code(proposal.current_grade),
                now=_grade_code(proposal.customer.grade),
            )
        )
    proposal.customer.grade_id = proposal.proposed_grade_id
    _decided(proposal, data, user)


def _decided(proposal: GradeProposal, data: dict[str, Any], user: Any) -> None:
    proposal.decided_by_id = user.id
    proposal.decided_at = now()
    note = (data.get("note") or "").strip()
    proposal.decision_note = note or None


def _reject(proposal: GradeProposal, data: dict[str, Any], user: Any) -> None:
    if not (data.get("note") or "").strip():
        raise InvalidInput(_l("Say why the proposal is rejected."), field="note")
    _decided(proposal, data, user)


def _grade_code(grade: CustomerGrade | None) -> str:
    return grade.code if grade is not None else str(_l("ungraded"))


def _volume(value: Any) -> str:
    return f"{Decimal(value or 0):,.3f}"


def basis(proposal: GradeProposal) -> str:
    """The figures the proposal was made from and the proposed grade's
    criteria (seed 003 第四条(1)), as the clerk deciding reads them."""
    window = GradingWindow(proposal.period)
    grade = proposal.proposed_grade
    criteria = []
    if grade.min_volume_kg is not None:
        criteria.append(str(_l("at least %(kg)s kg", kg=_volume(grade.min_volume_kg))))
    if grade.max_complaints is not None:
        criteria.append(
            str(_l("at most %(count)s complaints", count=grade.max_complaints))
        )
    return str(
        _l(
            "Basis: %(first)s to %(last)s, received and sold %(volume)s kg (the "
            "last 6 months %(recent)s kg), %(complaints)s complaints. Grade "
            "%(grade)s asks for: %(criteria)s.",
            first=f"{window.start:%Y-%m}",
            last=f"{add_months(proposal.period, -1):%Y-%m}",
            volume=_volume(proposal.volume_kg),
            recent=_volume(proposal.recent_volume_kg),
            complaints=proposal.complaints,
            grade=grade.code,
            criteria="，".join(criteria) or str(_l("no figures (the lowest grade)")),
        )
    )


def accept_summary(proposal: GradeProposal) -> str:
    """ "将 客户X 的等级由 C 调整为 B" and the figures behind it."""
    change = _l(
        "Change the grade of %(customer)s from %(old)s to %(new)s.",
        customer=proposal.customer.name,
        old=_grade_code(proposal.current_grade),
        new=proposal.proposed_grade.code,
    )
    return f"{change} {basis(proposal)}"


def reject_summary(proposal: GradeProposal) -> str:
    keep = _l(
        "%(customer)s keeps grade %(old)s and is not changed to %(new)s.",
        customer=proposal.customer.name,
        old=_grade_code(proposal.current_grade),
        new=proposal.proposed_grade.code,
    )
    return f"{keep} {basis(proposal)}"


GRADE_FLOW = Workflow(
    model=GradeProposal,
    resource="GradeProposalWorkflow",
    statuses=GRADE_PROPOSAL_STATUSES,
    steps=(
        Step(
            "accept",
            _l("Accept the proposed grade"),
            ("proposed",),
            "accepted",
            asks=(Ask("note", _l("Note"), "textarea", max_length=2000),),
            apply=_accept,
            style="success",
            icon="fa-check",
            help=_l("The customer gets the proposed grade from now on."),
            summary=accept_summary,
        ),
        Step(
            "reject",
            _l("Do not adopt"),
            ("proposed",),
            "rejected",
            asks=(
                Ask("note", _l("Reason"), "textarea", required=True, max_length=2000),
            ),
            apply=_reject,
            style="warning",
            icon="fa-times",
            help=_l("The customer keeps the grade they have."),
            summary=reject_summary,
        ),
    ),
)
