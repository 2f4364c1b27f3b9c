"""Row visibility: one rule per record type, used by screens, API, services and jobs.

Every query made on a clerk's behalf goes through `visible_clause(model, user)`.
FAB applies it via `ScopeFilter` in `base_filters` (list, show, edit, delete,
related lists, REST); actions, forms' relation pickers, exports and services
call it directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import and_, false, func, not_, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from app.models import (
    Appraisal,
    AuditLog,
    Case,
    CaseAttachment,
    CaseLog,
    CasePause,
    ComplaintReport,
    Customer,
    CustomerContact,
    CustomerNotice,
    EmergencyPlan,
    FollowUp,
    GradeProposal,
    HandoverItem,
    HandoverNote,
    ImprovementAction,
    IncidentReview,
    Inspection,
    Notification,
    NotificationRecipient,
    OverdueTask,
    Pickup,
    PickupLine,
    PickupLog,
    PlanResponsible,
    Reweigh,
    ServiceAcceptance,
    Settlement,
    SettlementLine,
    SitePatrol,
    SpotCheck,
    Statement,
    TrainingAssessment,
    TrainingAttendance,
    TrainingPlan,
    TrainingSession,
    Visit,
    VisitPlan,
    WeighLine,
    WeighTicket,
)
from app.security.access import can, current_user

Clause = ColumnElement[bool] | None
Rule = Callable[[Any], Clause]

# A department sees a pickup once the pickup reaches its stage of the flow.
PICKUP_STAGE_FROM = {
    "warehouse": ("collected", "weighed", "inspected", "settled", "closed"),
    "qc": ("weighed", "inspected", "settled", "closed"),
    "finance": ("inspected", "settled", "closed"),
}
# Finance settles sales lots (inspected lots sold to buyers, no pickup).
SALES_LOT_DEPARTMENTS = ("finance",)


def _personal_rule(model: Any, *owner_columns: str) -> Rule:
    """Created by the user, or owned by them."""

    def rule(user: Any) -> Clause:
        terms = [model.created_by_id == user.id]
        terms += [getattr(model, column) == user.id for column in owner_columns]
        return or_(*terms)

    return rule


def _department_rule(model: Any, *owner_columns: str) -> Rule:
    """Routed to the user's department, created by the user, or owned by them."""
    personal = _personal_rule(model, *owner_columns)

    def rule(user: Any) -> Clause:
        if user.department_id is None:
            return personal(user)
        return or_(personal(user), model.department_id == user.department_id)

    return rule


def _pickup_rule(user: Any) -> Clause:
    clause = _department_rule(Pickup)(user)
    department = getattr(user, "department", None)
    statuses = PICKUP_STAGE_FROM.get(department.code if department else "", ())
    if statuses:
        clause = or_(clause, Pickup.status.in_(statuses))
    return clause


def _child_rule(model: Any, column: str, parent: Any) -> Rule:
    """Visible when the parent record is visible.

    Two forms of one rule. For a report over many rows, `IN (visible
    parents)`: PostgreSQL hashes the parents once. For a list page (a viewer
    that `probes_parents`: ScopeFilter, and the part Beyond leaves out, asked
    only of the few rows it lets through), the row's own parent looked up
    by its key, a correlated scalar subquery PostgreSQL never hashes: the
    page asks it of the 25 rows it shows, not of the 200 k pickups a
    department sees (the hash took 100 ms and more per page at 1 M).
    """
    if model is parent:
        raise ValueError("a record cannot be its own parent")

    def rule(user: Any) -> Clause:
        parent_clause = RULES[parent](user)
        if parent_clause is None:
            return None
        link = getattr(model, column)
        if not getattr(user, "probes_parents", False):
            return link.in_(select(parent.id).where(parent_clause))
        parent_seen = (
            select(true())
            .where(parent.id == link, parent_clause)
            # The parent is read here even when the query joins it too.
            .correlate_except(parent)
            .scalar_subquery()
        )
        return parent_seen.is_(True)

    return rule


def _or_parent(own: Rule, column: str, model: Any, parent: Any) -> Rule:
    """Own rule, or the linked parent record is visible (e.g. a pickup's ticket)."""

    def rule(user: Any) -> Clause:
        return or_(own(user), _child_rule(model, column, parent)(user))

    return rule


def _or_sales_rep(own: Rule, model: Any) -> Rule:
    """Own rule, or the record's customer is one the user represents (Sales)."""

    def rule(user: Any) -> Clause:
        theirs = select(Customer.id).where(Customer.sales_rep_id == user.id)
        return or_(own(user), model.customer_id.in_(theirs))

    return rule


CASE_OWNERS = ("owner_id", "first_ask_owner_id")


def _customer_rule(user: Any) -> Clause:
    """Own customers, and those of the cases and pickups the user sees: by
    the personal arms of those rules, or by the department arm, read from
    `customer_scope` (kept by triggers: app.security.customer_scope)."""
    from app.security.customer_scope import customers_of, seen_by_department

    # The terms are asked in this order, stopping at the first true: for a
    # department that sees most customers, the personal arms are asked only
    # of the few customers it does not see.
    terms = [_department_rule(Customer, "sales_rep_id")(user)]
    wide = False
    if user.department_id is not None:
        by_department, wide = seen_by_department(user.department_id)
        terms.append(by_department)
    terms += [
        customers_of(Case, _personal_rule(Case, *CASE_OWNERS)(user), wide),
        customers_of(Pickup, _personal_rule(Pickup)(user), wide),
    ]
    return or_(*terms)


def _inspection_rule(user: Any) -> Clause:
    clause = _or_parent(_department_rule(Inspection), "pickup_id", Inspection, Pickup)(
        user
    )
    department = getattr(user, "department", None)
    if department is not None and department.code in SALES_LOT_DEPARTMENTS:
        # Lots of recycled material sold to buyers (no pickup behind them).
        clause = or_(
            clause,
            and_(Inspection.sales_lot.is_not(None), Inspection.pickup_id.is_(None)),
        )
    return clause


def _grade_proposal_rule(user: Any) -> Clause:
    """A regrading proposal is the customer's sales rep's to decide (seed 003
    第四条): a clerk sees those of the customers they represent."""
    theirs = select(Customer.id).where(Customer.sales_rep_id == user.id)
    return GradeProposal.customer_id.in_(theirs)


def _acceptance_rule(user: Any) -> Clause:
    """An on-site acceptance: its department's, its author's, or that of a
    pickup or case the user sees."""
    return or_(
        _department_rule(ServiceAcceptance)(user),
        _child_rule(ServiceAcceptance, "pickup_id", Pickup)(user),
        _child_rule(ServiceAcceptance, "case_id", Case)(user),
    )


def _notification_rule(user: Any) -> Clause:
    mine = select(NotificationRecipient.notification_id).where(
        NotificationRecipient.user_id == user.id
    )
    return Notification.id.in_(mine)


RULES: dict[Any, Rule] = {
    Case: _department_rule(Case, *CASE_OWNERS),
    Pickup: _pickup_rule,
    # Finance's money records; a sales rep also sees those of their customers.
    Settlement: _or_sales_rep(_department_rule(Settlement), Settlement),
    Statement: _or_sales_rep(_department_rule(Statement), Statement),
    OverdueTask: _or_sales_rep(
        _department_rule(OverdueTask, "assignee_id"), OverdueTask
    ),
    FollowUp: _department_rule(FollowUp, "assignee_id"),
    CustomerNotice: _or_sales_rep(
        _department_rule(CustomerNotice, "assignee_id"), CustomerNotice
    ),
    ImprovementAction: _department_rule(ImprovementAction, "owner_id"),
    # Key-account visits: the plan's department, the designated visitor, and
    # the account's sales rep (who reads the reports, seed 003 第九条).
    VisitPlan: _or_sales_rep(_department_rule(VisitPlan, "visitor_id"), VisitPlan),
    Visit: _or_sales_rep(_department_rule(Visit, "visitor_id"), Visit),
    AuditLog: lambda user: false(),
    # Supervision (seed 001 §8(一)): the scored person's department, the
    # person scored and the checker.
    SpotCheck: _department_rule(SpotCheck, "handler_id"),
    SitePatrol: _department_rule(SitePatrol, "leader_id"),
    # A monthly complaint report reaches the departments once sent (seed 001
    # §7(一)2); drafts are CustomerService's and Management's.
    ComplaintReport: lambda user: ComplaintReport.status == "sent",
}
RULES[Customer] = _customer_rule
RULES[WeighTicket] = _or_parent(
    _department_rule(WeighTicket), "pickup_id", WeighTicket, Pickup
)
RULES[Inspection] = _inspection_rule
RULES[CaseLog] = _child_rule(CaseLog, "case_id", Case)
RULES[CaseAttachment] = _child_rule(CaseAttachment, "case_id", Case)
RULES[CasePause] = _child_rule(CasePause, "case_id", Case)
RULES[CustomerContact] = _child_rule(CustomerContact, "customer_id", Customer)
RULES[PickupLine] = _child_rule(PickupLine, "pickup_id", Pickup)
RULES[PickupLog] = _child_rule(PickupLog, "pickup_id", Pickup)
RULES[WeighLine] = _child_rule(WeighLine, "ticket_id", WeighTicket)
RULES[Reweigh] = _child_rule(Reweigh, "weigh_line_id", WeighLine)
RULES[SettlementLine] = _child_rule(SettlementLine, "settlement_id", Settlement)
RULES[GradeProposal] = _grade_proposal_rule
RULES[ServiceAcceptance] = _acceptance_rule
# A post-incident review: whoever sees its case (seed 002 §6(三)).
RULES[IncidentReview] = _child_rule(IncidentReview, "case_id", Case)


def _delivery_rule(user: Any) -> Clause:
    return NotificationRecipient.user_id == user.id


def _training_all(user: Any) -> bool:
    return getattr(user, "is_system", False) or can(user, "see_all", "Training")


def _head_of(user: Any) -> int | None:
    """The department a department head heads (None for everyone else)."""
    if getattr(user, "is_department_head", False):
        return user.department_id
    return None


def _personal_training_rule(model: Any) -> Rule:
    """Attendance and assessment results: a clerk sees their own, a head
    their department's, Management all (the see-all of case work does not
    widen them)."""

    def rule(user: Any) -> Clause:
        if _training_all(user):
            return true()
        terms = [model.person_id == user.id, model.created_by_id == user.id]
        head = _head_of(user)
        if head is not None:
            terms.append(model.department_id == head)
        return or_(*terms)

    return rule


def _training_plan_rule(user: Any) -> Clause:
    """A department's plan: its staff (those it trains) and Management."""
    if _training_all(user):
        return true()
    if user.department_id is None:
        return TrainingPlan.created_by_id == user.id
    return or_(
        TrainingPlan.department_id == user.department_id,
        TrainingPlan.created_by_id == user.id,
    )


def _training_session_rule(user: Any) -> Clause:
    """A session: its department's staff, whoever is on its list, Management."""
    if _training_all(user):
        return true()
    attending = select(TrainingAttendance.training_session_id).where(
        TrainingAttendance.person_id == user.id
    )
    terms = [
        TrainingSession.id.in_(attending),
        TrainingSession.created_by_id == user.id,
    ]
    if user.department_id is not None:
        terms.append(TrainingSession.department_id == user.department_id)
    return or_(*terms)


def _appraisal_rule(user: Any) -> Clause:
    """A staff member sees their own appraisal sheet, a department head those
    of their department, Management every sheet (seed 002 §4(四)); the
    see-all right of customer service does not extend to appraisals."""
    if getattr(user, "is_system", False) or can(user, "approve", "AppraisalWorkflow"):
        return None
    clause = Appraisal.user_id == user.id
    if getattr(user, "is_department_head", False) and user.department_id:
        clause = or_(clause, Appraisal.department_id == user.department_id)
    return clause


def _handover_note_rule(user: Any) -> Clause:
    """A department's handover notes: its staff; Management all (the see-all
    of case work does not widen them)."""
    if getattr(user, "is_system", False) or can(user, "see_all", "Handover"):
        return None
    terms = [HandoverNote.created_by_id == user.id]
    if user.department_id is not None:
        terms.append(HandoverNote.department_id == user.department_id)
    return or_(*terms)


def _handover_item_rule(user: Any) -> Clause:
    clause = _handover_note_rule(user)
    if clause is None:
        return None
    return HandoverItem.note_id.in_(select(HandoverNote.id).where(clause))


def _emergency_plan_rule(user: Any) -> Clause:
    """Emergency plans (seed 002 §6): those who maintain them see every
    version; all staff the versions in force and the version an incident case
    they see followed (kept even once superseded)."""
    if getattr(user, "is_system", False) or can(
        user, "put_in_force", "EmergencyPlanWorkflow"
    ):
        return None
    cases = restrict(
        select(Case.id).where(Case.emergency_plan_id == EmergencyPlan.id), Case, user
    )
    return or_(EmergencyPlan.status == "in_force", cases.exists())


def _plan_responsible_rule(user: Any) -> Clause:
    plans = _emergency_plan_rule(user)
    if plans is None:
        return None
    return PlanResponsible.plan_id.in_(select(EmergencyPlan.id).where(plans))


# Personal records: the see-all right does not widen them.
PERSONAL = {
    HandoverNote: _handover_note_rule,
    HandoverItem: _handover_item_rule,
    Notification: _notification_rule,
    NotificationRecipient: _delivery_rule,
    TrainingPlan: _training_plan_rule,
    TrainingSession: _training_session_rule,
    TrainingAttendance: _personal_training_rule(TrainingAttendance),
    TrainingAssessment: _personal_training_rule(TrainingAssessment),
    Appraisal: _appraisal_rule,
    EmergencyPlan: _emergency_plan_rule,
    PlanResponsible: _plan_responsible_rule,
}


def sees_all(user: Any) -> bool:
    return can(user, "see_all", "Scope")


# The id of no user: what a department view sees through a personal arm.
NO_ONE = -1


class _StandIn:
    """A user as the rules read them, with some attributes replaced."""

    def __init__(self, user: Any, **replaced: Any) -> None:
        self._user = user
        self.__dict__.update(replaced)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._user, name)


class _Department:
    """A department as the rules read it, seen by no user in particular."""

    is_system = False
    is_active = True
    is_authenticated = True
    is_department_head = False

    def __init__(self, department: Any) -> None:
        # No role: it holds no permission (in particular, it does not see all).
        self.roles: list[Any] = []
        self.groups: list[Any] = []
        self.id = NO_ONE
        self.department = department
        self.department_id = department.id


def department_view(department: Any) -> Any:
    """A viewer who sees what `department` sees through the department arms
    of the rules (routed to it, at its stage of a pickup, its customers), and
    nothing through a personal arm (no record names NO_ONE)."""
    return _Department(department)


def personal_view(user: Any) -> Any:
    """A viewer who sees what `user` sees through the personal arms only:
    created by them, owned by them, their customers as sales rep."""
    return _StandIn(user, department_id=None, department=None)


class Beyond:
    """A viewer who sees what `seen` sees and `unless` does not.

    For every rule of RULES a user's records are those of their personal
    view and their department view (the PERSONAL rules, e.g. a head's view of
    their department's training results, do not split so).

    A department clerk's records are those of their department's view and,
    disjoint from them, those of their personal view beyond it
    (`Beyond(personal_view(u), department_view(d))`), so a count over the
    clerk's records is the department's count plus a count over the few
    records only the clerk sees (app.services.reporting.kpi_facts).
    """

    def __init__(self, seen: Any, unless: Any) -> None:
        self.seen = seen
        self.unless = unless


def visible_clause(model: Any, user: Any | None = None) -> Clause:
    """WHERE clause limiting `model` to what `user` may see; None = everything."""
    user = user if user is not None else current_user()
    if user is None:
        return false()
    if isinstance(user, Beyond):
        seen = visible_clause(model, user.seen)
        # Asked only of the rows `seen` lets through (a clerk's own records
        # beyond the department, a few): parents looked up per row.
        unless = visible_clause(model, _StandIn(user.unless, probes_parents=True))
        if unless is None:
            return false()
        # A clause that is NULL for a row (a NULL department) does not hold.
        beyond = not_(func.coalesce(unless, false()))
        return beyond if seen is None else and_(seen, beyond)
    if model in PERSONAL:
        return PERSONAL[model](user)
    if getattr(user, "is_system", False) or sees_all(user):
        return None
    rule = RULES.get(model)
    if rule is None:
        return None  # reference data: visible to every signed-in user
    return rule(user)


def is_scoped(model: Any) -> bool:
    return model in RULES or model in PERSONAL


def restrict(query: Any, model: Any, user: Any | None = None) -> Any:
    """Apply the visibility rule to a SQLAlchemy query or select."""
    clause = visible_clause(model, user)
    if clause is None:
        return query
    if hasattr(query, "where"):
        return query.where(clause)
    return query.filter(clause)


def is_visible(model: Any, pk: Any, user: Any | None = None) -> bool:
    """Whether the row with primary key `pk` is visible to `user`."""
    from app.extensions import db

    stmt = restrict(select(model.id).where(model.id == pk), model, user)
    # The item being checked may be half-built; do not flush it here.
    with db.session.no_autoflush:
        return db.session.execute(stmt).first() is not None


class ScopeFilter(BaseFilter):
    """FAB base filter applying the visibility rule of the view's model."""

    name = "scope"
    arg_name = "scope"

    def apply(self, query: Any, value: Any) -> Any:
        user = current_user()
        if user is None:
            return query.filter(false())
        # A list (screen or API) asks of the rows it shows whether their
        # parent is visible (_child_rule).
        return restrict(query, self.model, _StandIn(user, probes_parents=True))


SCOPE_FILTER = [["id", ScopeFilter, lambda: None]]
