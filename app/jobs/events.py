"""Domain-event handlers that enqueue jobs once the triggering change is committed."""

from __future__ import annotations

import logging

from app.jobs import DEFAULT_QUEUE, SLA_QUEUE, jobs
from app.services.core import events

logger = logging.getLogger(__name__)


def on_case_opened(case_id: int) -> None:
    """Incidents (policies that escalate at once) go to Management right away."""
    from app.extensions import db
    from app.models import Case

    case = db.session.get(Case, case_id)
    policy = case.sla_policy if case is not None else None
    if policy is None or not policy.escalate_immediately:
        return
    jobs().enqueue_safely(
        "app.jobs.tasks.escalate_opened_case",
        case_id,
        queue=SLA_QUEUE,
        job_id=f"escalate-opened-{case_id}",
        unique=True,
    )


def on_case_closed(case_id: int) -> None:
    jobs().enqueue_safely(
        "app.jobs.tasks.followups_for_case", case_id, queue=DEFAULT_QUEUE
    )


def on_pickup_settled(pickup_id: int) -> None:
    jobs().enqueue_safely(
        "app.jobs.tasks.followups_for_pickup", pickup_id, queue=DEFAULT_QUEUE
    )


def on_customer_notices_queued() -> None:
    jobs().enqueue_safely(
        "app.jobs.notices.deliver_customer_notices", queue=DEFAULT_QUEUE
    )


def subscribe_all() -> None:
    """Idempotent: `events.subscribe` ignores a handler already subscribed."""
    from app.services.notify import customer_notices

    customer_notices.listen()
    events.subscribe("customer_notices_queued", on_customer_notices_queued)
    events.subscribe("case_opened", on_case_opened)
    events.subscribe("case_closed", on_case_closed)
    events.subscribe("pickup_settled", on_pickup_settled)
