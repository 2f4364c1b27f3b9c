"""The case workflow of the complaint policy (seed 001 §4-6) as explicit steps.

new → acknowledged (first response; response clock stops) → assigned (to a
department and person, with an internal deadline) → in_progress ⇄
pending_customer (resolution clock pauses) → review (CustomerService checks;
may send back) → feedback (result to the customer) → closed (办结; resolution
clock stops). An unsatisfied customer reopens it (二次处理). Inquiries may be
answered and closed at once. A major complaint's solution needs Management's
approval before review. Any open case can be cancelled (withdrawn, duplicate).
Every step writes a communication-log entry and recomputes the clocks.
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import (
    AppUser,
    Case,
    CaseRating,
    CaseRound,
    Channel,
    Department,
    now,
)
from app.models.codes import (
    CASE_KINDS,
    CASE_OPEN_STATUSES,
    CASE_STATUSES,
    KIND_SEVERITIES,
    SEVERITIES,
    label,
)
from app.services.cases import (
    approvals,  # noqa: F401 - Management alerts (session hooks)
    classification,
    review,
)
from app.services.cases.registration import add_log, open_case
from app.services.clocks import record_clocks
from app.services.core import events
from app.services.core.errors import InvalidInput
from app.services.core.workflow import (
    Ask,
    NotApplicable,
    Step,
    Workflow,
    as_datetime,
    channel_choices,
    code_choices,
    satisfaction_ask,
)
from app.services.notify import customer_notices
from app.services.training import clearance

HANDLING = ("assigned", "in_progress", "pending_customer")
OPEN_FOR_PROMISE = ("new", "acknowledged", *HANDLING, "review", "feedback")


def _departments(_case: Any) -> list[tuple[str, str]]:
    rows = db.session.scalars(select(Department).where(Department.active.is_(True)))
    return [(str(d.id), d.name) for d in rows]


def _staff(_case: Any) -> list[tuple[str, str]]:
    rows = db.session.scalars(
        select(AppUser)
        .where(AppUser.active.is_(True), AppUser.department_id.is_not(None))
        .order_by(AppUser.department_id, AppUser.id)
    )
    # New staff not yet cleared for duty are marked (choosing one is refused).
    uncleared = clearance.uncleared_ids()
    mark = str(_l("not cleared for duty"))
    return [
        (
            str(u.id),
            f"{u} · {u.department}" + (f"（{mark}）" if u.id in uncleared else ""),
        )
        for u in rows
    ]


CHANNEL = Ask(
    "channel",
    _l("Channel"),
    "select",
    choices=channel_choices,
    default=lambda case: str(case.channel_id) if case.channel_id else "",
)
NOTE = Ask("note", _l("Note"), "textarea")


def _channel_id(data: dict[str, Any]) -> int | None:
    value = data.get("channel")
    return int(value) if value else None


# ------------------------------------------------------------------ steps
def _acknowledge(case: Case, data: dict[str, Any], user: Any) -> None:
    record_clocks.respond(case)


def _answer(case: Case, data: dict[str, Any], user: Any) -> None:
    moment = now()
    record_clocks.respond(case, moment)
    case.result = data["answer"]
    record_clocks.resolve(case, moment)
    case.closed_at = moment


def _assign(case: Case, data: dict[str, Any], user: Any) -> None:
    department = db.session.get(Department, int(data["department"]))
    if department is None:
        raise InvalidInput(_l("Choose a department."), field="department")
    owner = db.session.get(AppUser, int(data["owner"])) if data.get("owner") else None
    if owner is not None and owner.department_id != department.id:
        raise InvalidInput(
            _l("The person chosen does not work in %(dept)s.", dept=department.name),
            field="owner",
        )
    clearance.check_assignable(owner)
    deadline = as_datetime(data.get("deadline"))
    if deadline is not None and deadline <= now():
        raise InvalidInput(
            _l("The internal deadline must be in the future."), field="deadline"
        )
    if (
        deadline is not None
        and case.resolution_due_at is not None
        and (deadline > case.resolution_due_at)
    ):
        raise InvalidInput(
            _l(
                "The internal deadline falls after the resolution deadline %(due)s.",
                due=case.resolution_due_at.strftime("%Y-%m-%d %H:%M"),
            ),
            field="deadline",
        )
    # An internal assignment is no answer to the customer: the response
    # clock keeps running (seed 000 §3, seed 001 §4).
    case.department = department
    case.owner = owner
    case.assigned_at = now()
    case.internal_due_at = deadline or case.resolution_due_at


def _start(case: Case, data: dict[str, Any], user: Any) -> None:
    if case.owner is None or case.owner.department_id != case.department_id:
        takes_it = user.department_id == case.department_id and clearance.is_cleared(
            user
        )
        case.owner = user if takes_it else case.owner


def _pend(case: Case, data: dict[str, Any], user: Any) -> None:
    record_clocks.pause(case, data.get("reason"))


def _resume(case: Case, data: dict[str, Any], user: Any) -> None:
    record_clocks.resume(case)


def _submit(case: Case, data: dict[str, Any], user: Any) -> None:
    case.result = data["result"]


def _submit_guard(case: Case) -> Any:
    if case.kind == "complaint" and not (case.solution or "").strip():
        return _l(
            "Write the solution (measures, steps, time nodes, responsible "
            "person) before submitting for review."
        )
    if needs_approval(case) and case.solution_approved_at is None:
        return _l(
            "A major complaint's solution needs Management's approval before review."
        )
    return None


def needs_approval(case: Case) -> bool:
    return classification.is_major_complaint(case.kind, case.severity)


def _review_guard(case: Case) -> Any:
    # Seed 001 §5: the review checks findings, root cause and responsibility.
    refusal = review.facts_refusal(case)
    if refusal is not None:
        return refusal
    # The solution may have been changed in review (the approval is then void).
    if classification.approval_missing(case):
        return _l(
            "A major complaint's solution needs Management's approval before the "
            "review passes; send it back."
        )
    return None


def _incident_types(_case: Any) -> list[tuple[str, str]]:
    from app.models import IncidentType

    rows = db.session.scalars(
        select(IncidentType)
        .where(IncidentType.active.is_(True))
        .order_by(IncidentType.id)
    )
    return [(str(t.id), t.name) for t in rows]


def _categories(_case: Any) -> list[tuple[str, str]]:
    from app.models import CaseCategory

    rows = db.session.scalars(
        select(CaseCategory)
        .where(CaseCategory.active.is_(True))
        .order_by(CaseCategory.id)
    )
    return [(str(c.id), c.name) for c in rows]


def _reclassify(case: Case, data: dict[str, Any], user: Any) -> None:
    data["changes"] = classification.reclassify(case, data, user)


def _approve_guard(case: Case) -> Any:
    if not needs_approval(case):
        return NotApplicable(_l("Only a major complaint's solution needs approval."))
    if not (case.solution or "").strip():
        return _l("There is no solution to approve yet.")
    if case.solution_approved_at is not None:
        return NotApplicable(_l("The solution is already approved."))
    return None


def _approve(case: Case, data: dict[str, Any], user: Any) -> None:
    case.solution_approved_at = now()
    case.solution_approved_by = user


def _close_guard(case: Case) -> Any:
    """Closing needs what the review checked (seed 001 §5)."""
    return review.facts_refusal(case)


def _close(case: Case, data: dict[str, Any], user: Any) -> None:
    moment = now()
    case.satisfaction = int(data["satisfaction"])
    case.satisfaction_comment = data.get("comment")
    db.session.add(
        CaseRating(
            case=case,
            cycle=case.resolution_cycle,
            score=case.satisfaction,
            comment=case.satisfaction_comment,
            given_at=moment,
            recorded_by=user,
        )
    )
    record_clocks.resolve(case, moment)
    case.closed_at = moment


def _reopen(case: Case, data: dict[str, Any], user: Any) -> None:
    reopen_case(case, data.get("reason"))


def _cancel(case: Case, data: dict[str, Any], user: Any) -> None:
    case.cancelled_at = now()
    case.cancel_reason = data["reason"]
    record_clocks.cancel(case, case.cancelled_at)


def _promise(case: Case, data: dict[str, Any], user: Any) -> None:
    due = as_datetime(data["promised_at"])
    if due is None or due <= now():
        raise InvalidInput(
            _l("The promised date must be in the future."), field="promised_at"
        )
    record_clocks.promise(case, due, data["note"].strip()[:300])


def _promise_running(case: Case) -> Any:
    if case.promise_state in ("running", "at_risk", "breached"):
        return None
    return NotApplicable(_l("No promise to the customer is open."))


def _keep_promise(case: Case, data: dict[str, Any], user: Any) -> None:
    record_clocks.keep_promise(case)


def _answer_guard(case: Case) -> Any:
    if case.kind != "inquiry":
        return NotApplicable(_l("Only an inquiry can be answered and closed at once."))
    return None


STEPS = (
    Step(
        "acknowledge",
        _l("Acknowledge"),
        ("new",),
        "acknowledged",
        asks=(
            CHANNEL,
            Ask("content", _l("What the customer was told"), "textarea", required=True),
        ),
        apply=_acknowledge,
        icon="fa-reply",
        help=_l("First response to the customer; stops the response clock."),
    ),
    Step(
        "answer",
        _l("Answer and close"),
        ("new", "acknowledged"),
        "closed",
        asks=(CHANNEL, Ask("answer", _l("Answer given"), "textarea", required=True)),
        apply=_answer,
        guard=_answer_guard,
        icon="fa-check",
        style="success",
        help=_l("An inquiry answered at once is closed with the answer."),
    ),
    Step(
        "assign",
        _l("Assign"),
        ("new", "acknowledged", *HANDLING),
        "assigned",
        asks=(
            Ask(
                "department",
                _l("Department"),
                "select",
                required=True,
                choices=_departments,
                default=lambda case: str(case.department_id),
            ),
            Ask("owner", _l("Owner"), "select", choices=_staff),
            Ask(
                "deadline",
                _l("Internal deadline"),
                "datetime",
                description=_l("Empty = the resolution deadline."),
            ),
            NOTE,
        ),
        apply=_assign,
        icon="fa-share",
    ),
    Step(
        "start",
        _l("Start handling"),
        ("assigned",),
        "in_progress",
        asks=(NOTE,),
        apply=_start,
        icon="fa-play",
    ),
    Step(
        "pend",
        _l("Wait for customer"),
        ("in_progress",),
        "pending_customer",
        asks=(Ask("reason", _l("What we wait for"), "textarea", required=True),),
        apply=_pend,
        icon="fa-pause",
        style="warning",
        help=_l("The resolution clock stands still until the customer answers."),
    ),
    Step(
        "resume",
        _l("Customer answered"),
        ("pending_customer",),
        "in_progress",
        asks=(
            CHANNEL,
            Ask("content", _l("What the customer provided"), "textarea", required=True),
        ),
        apply=_resume,
        icon="fa-play",
    ),
    Step(
        "approve",
        _l("Approve solution"),
        ("in_progress", "pending_customer"),
        None,
        asks=(NOTE,),
        apply=_approve,
        guard=_approve_guard,
        icon="fa-gavel",
        style="success",
    ),
    Step(
        "submit",
        _l("Submit for review"),
        ("in_progress",),
        "review",
        asks=(Ask("result", _l("Result of the handling"), "textarea", required=True),),
        apply=_submit,
        guard=_submit_guard,
        icon="fa-upload",
    ),
    Step(
        "reclassify",
        _l("Reclassify"),
        classification.RECLASSIFY_FROM,
        None,
        asks=(
            Ask(
                "kind",
                _l("Kind"),
                "select",
                required=True,
                choices=code_choices(CASE_KINDS),
                default=lambda case: case.kind,
            ),
            Ask(
                "severity",
                _l("Severity"),
                "select",
                required=True,
                choices=code_choices(SEVERITIES),
                default=lambda case: case.severity,
                # Only the severities of the chosen kind (app/static/js/forms.js).
                render_kw={
                    "data-follows": "kind",
                    "data-choices": json.dumps(KIND_SEVERITIES),
                },
            ),
            Ask(
                "category",
                _l("Category"),
                "select",
                required=True,
                choices=_categories,
                default=lambda case: str(case.category_id),
            ),
            Ask(
                "incident_type",
                _l("Incident type"),
                "select",
                choices=_incident_types,
                default=lambda case: str(case.incident_type_id or ""),
                description=_l("Incidents only: decides the emergency plan followed."),
            ),
            Ask(
                "reason",
                _l("Why the classification changes"),
                "textarea",
                required=True,
            ),
        ),
        apply=_reclassify,
        icon="fa-tags",
        style="warning",
        help=_l(
            "Kind, severity and category after acknowledgement; the deadlines "
            "are recomputed. Lowering a major complaint needs Management."
        ),
    ),
    Step(
        "promise",
        _l("Promise a date"),
        OPEN_FOR_PROMISE,
        None,
        asks=(
            CHANNEL,
            Ask("promised_at", _l("Date promised"), "datetime", required=True),
            Ask(
                "note",
                _l("What was promised"),
                "textarea",
                required=True,
                max_length=300,
            ),
        ),
        apply=_promise,
        icon="fa-handshake-o",
        style="default",
        help=_l(
            "A date told to the customer (handling time, a reply to an open "
            "question): it gets its own clock and the customer is told in writing."
        ),
    ),
    Step(
        "keep_promise",
        _l("Promise kept"),
        OPEN_FOR_PROMISE,
        None,
        asks=(
            CHANNEL,
            Ask("content", _l("What the customer was told"), "textarea", required=True),
        ),
        apply=_keep_promise,
        guard=_promise_running,
        icon="fa-check-circle-o",
        style="default",
    ),
    Step(
        "send_back",
        _l("Send back"),
        ("review",),
        "in_progress",
        asks=(Ask("reason", _l("What must be improved"), "textarea", required=True),),
        icon="fa-undo",
        style="warning",
        permission="review",
    ),
    Step(
        "review",
        _l("Review passed"),
        ("review",),
        "feedback",
        asks=(NOTE,),
        guard=_review_guard,
        icon="fa-check-square-o",
        style="success",
        help=_l("Result, process and records checked; next: feedback to the customer."),
    ),
    Step(
        "close",
        _l("Feedback and close"),
        ("feedback",),
        "closed",
        asks=(
            CHANNEL,
            satisfaction_ask(),
            Ask("comment", _l("Customer's comment"), "textarea"),
            Ask("content", _l("Feedback given"), "textarea", required=True),
        ),
        apply=_close,
        guard=_close_guard,
        icon="fa-flag-checkered",
        style="success",
    ),
    Step(
        "reopen",
        _l("Reopen (second handling)"),
        ("feedback", "closed"),
        "in_progress",
        asks=(
            Ask(
                "reason",
                _l("Why the customer is not satisfied"),
                "textarea",
                required=True,
            ),
        ),
        apply=_reopen,
        icon="fa-repeat",
        style="warning",
    ),
    Step(
        "cancel",
        _l("Cancel"),
        CASE_OPEN_STATUSES,
        "cancelled",
        asks=(
            Ask(
                "reason",
                _l("Reason (withdrawn, duplicate…)"),
                "textarea",
                required=True,
            ),
        ),
        apply=_cancel,
        icon="fa-ban",
        style="danger",
    ),
)

CONTACT_STEPS = {"acknowledge", "answer", "resume", "close", "promise", "keep_promise"}
# The customer is told of the case's progress (seed 000 §2-3: 全程同步处置进度).
NOTICE_AT_STEP = {
    "assign": "case_assigned",
    "review": "case_result",
    "close": "case_closed",
    "answer": "case_closed",
    "promise": "case_promised",
}


def _record(
    case: Case, step: Step, data: dict[str, Any], user: Any, from_status: str
) -> None:
    """One communication-log entry per step: who, when, what."""
    parts = [str(step.label)]
    for key in ("content", "answer", "result", "reason", "note", "comment"):
        if data.get(key):
            parts.append(str(data[key]).strip())
    if step.name == "assign":
        parts.append(
            f"→ {case.department}" + (f" / {case.owner}" if case.owner else "")
        )
    if step.name == "reclassify" and data.get("changes"):
        parts.append(str(data["changes"]))
    if step.name == "close":
        parts.append(str(_l("Satisfaction: %(score)s", score=case.satisfaction)))
    # The message to the customer is logged first, the step itself last.
    if step.name in NOTICE_AT_STEP:
        customer_notices.queue(
            NOTICE_AT_STEP[step.name], case.customer, user, case=case
        )
    add_log(
        case,
        user,
        "\n".join(parts),
        kind="contact" if step.name in CONTACT_STEPS else "transition",
        action=step.name,
        from_status=from_status,
        to_status=step.target or case.status,
        channel_id=_channel_id(data),
    )
    if step.name in CONTACT_STEPS:
        record_clocks.contact_made(case)
    record_clocks.refresh_states(case)


def _after(case: Case, step: Step) -> None:
    if case.status == "closed":
        events.emit("case_closed", case_id=case.id)


CASE_FLOW = Workflow(
    model=Case,
    resource="CaseWorkflow",
    statuses=CASE_STATUSES,
    steps=STEPS,
    record=_record,
    after=_after,
)


# ------------------------------------------- system-initiated operations
def reopen_case(case: Case, reason: str | None = None) -> None:
    """二次处理: a new resolution clock from now, and one more reopen counted.

    The finished round is kept (its clock as a CaseRound, its score with the
    customer's reason on the CaseRating) so the KPIs still count it.
    """
    moment = now()
    db.session.add(
        CaseRound(
            case=case,
            cycle=case.resolution_cycle,
            started_at=case.resolution_started_at or case.received_at,
            due_at=case.resolution_due_at,
            resolved_at=case.resolved_at,
            ended_at=moment,
            state=case.resolution_state,
            department_id=case.department_id,
            owner_id=case.owner_id,
        )
    )
    if reason:
        rating = db.session.scalars(
            select(CaseRating)
            .where(
                CaseRating.case_id == case.id,
                CaseRating.cycle == case.resolution_cycle,
            )
            .order_by(CaseRating.id.desc())
        ).first()
        if rating is not None and rating.reopen_reason is None:
            rating.reopen_reason = reason
    case.reopen_count += 1
    case.closed_at = None
    case.satisfaction = None
    case.satisfaction_comment = None
    case.solution_approved_at = None
    case.solution_approved_by = None
    record_clocks.reopen(case)


def open_complaint(
    customer: Any,
    title: str,
    description: str,
    user: Any,
    category_code: str = "other",
    channel_code: str = "hotline",
    parent: Case | None = None,
) -> Case:
    """Register a new complaint on a customer's behalf (e.g. a poor follow-up)."""
    from app.models import CaseCategory

    category = db.session.scalars(
        select(CaseCategory).where(CaseCategory.code == category_code)
    ).one()
    channel = db.session.scalars(
        select(Channel).where(Channel.code == channel_code)
    ).one()
    case = Case(
        customer=customer,
        kind="complaint",
        severity="general",
        category=category,
        channel=channel,
        title=title,
        description=description,
        parent_case=parent,
    )
    return open_case(case, user)


def status_label(code: str) -> str:
    return label(CASE_STATUSES, code)
