"""The signed-in user's work at a glance, in their scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Case,
    FollowUp,
    GradeProposal,
    HandoverNote,
    ImprovementAction,
    Pickup,
    Settlement,
)
from app.models.codes import CASE_OPEN_STATUSES, PICKUP_OPEN_STATUSES
from app.security.access import can
from app.security.scope import restrict
from app.services.notify.inbox import unread_count

# The follow-up visits still to make, as list filters (FAB query parameters):
# the tile and the menu open the visit list on them.
OPEN_FOLLOWUPS = {"_flt_3_status": "planned"}


@dataclass
class Tile:
    resource: str
    open_count: int
    at_risk: int
    breached: int
    endpoint: str
    # List filters of the link (FAB query parameters): the open ones.
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class Todo:
    """A line of things waiting for the user, linking to the filtered list."""

    text: Any
    endpoint: str
    params: dict[str, str] = field(default_factory=dict)


# The handover notes waiting to be taken over (the list's quick filter).
WAITING_HANDOVERS = {"_flt_0_status": "open"}

# The regrading proposals waiting for Sales' decision (the list's quick filter).
WAITING_PROPOSALS = {"_flt_0_status": "proposed"}


def todos(user: Any) -> list[Todo]:
    """Decisions waiting for the user, counted in their scope (the lists' rule).

    Regrading proposals (seed 003 第四条): the customers' sales reps decide;
    the line counts the proposals the user's proposal list shows."""
    items = []
    if can(user, "accept", "GradeProposalWorkflow") and can(
        user, "read", "GradeProposal"
    ):
        waiting = _count(GradeProposal, user, GradeProposal.status == "proposed")
        if waiting:
            items.append(
                Todo(
                    _l(
                        "%(count)s customer regrading proposals wait for a decision",
                        count=waiting,
                    ),
                    "GradeProposalView.list",
                    WAITING_PROPOSALS,
                )
            )
    items += _handover_todos(user)
    return items


def _handover_todos(user: Any) -> list[Todo]:
    """Handover notes of the user's department written by someone else and not
    yet taken over (seed 003 客服运营方案 三.1): the next shift's to-do."""
    if getattr(user, "department_id", None) is None or not can(
        user, "acknowledge", "HandoverWorkflow"
    ):
        return []
    from app.services.handover.notes import waiting_for

    ids = db.session.scalars(
        restrict(select(HandoverNote.id), HandoverNote, user)
        .where(waiting_for(user))
        .order_by(HandoverNote.id.desc())
        .limit(2)
    ).all()
    if not ids:
        return []
    if len(ids) == 1:
        return [
            Todo(
                _l("A handover note waits for you to take over the shift"),
                "HandoverNoteView.show",
                {"pk": str(ids[0])},
            )
        ]
    waiting = _count(HandoverNote, user, waiting_for(user))
    return [
        Todo(
            _l(
                "%(count)s handover notes wait for the next shift to take over",
                count=waiting,
            ),
            "HandoverNoteView.list",
            WAITING_HANDOVERS,
        )
    ]


def _count(model: Any, user: Any, *conditions: Any) -> int:
    stmt = restrict(
        select(func.count()).select_from(model).where(*conditions), model, user
    )
    return db.session.execute(stmt).scalar_one()


def summary(user: Any) -> dict[str, Any]:
    """Counts of open records, at-risk and breached clocks, unread alerts."""
    tiles = []
    if can(user, "read", "Case"):
        open_case = Case.status.in_(CASE_OPEN_STATUSES)
        tiles.append(
            Tile(
                "Case",
                _count(Case, user, open_case),
                _count(
                    Case,
                    user,
                    open_case,
                    (Case.response_state == "at_risk")
                    | (Case.resolution_state == "at_risk"),
                ),
                _count(
                    Case,
                    user,
                    open_case,
                    (Case.response_state == "breached")
                    | (Case.resolution_state == "breached"),
                ),
                "CaseView.list",
            )
        )
    if can(user, "read", "Pickup"):
        open_pickup = Pickup.status.in_(PICKUP_OPEN_STATUSES)
        tiles.append(
            Tile(
                "Pickup",
                _count(Pickup, user, open_pickup),
                _count(Pickup, user, open_pickup, Pickup.confirm_state == "at_risk"),
                _count(
                    Pickup,
                    user,
                    open_pickup,
                    (Pickup.confirm_state == "breached")
                    | (Pickup.arrival_state == "breached"),
                ),
                "PickupView.list",
            )
        )
    if can(user, "read", "Settlement"):
        tiles.append(
            Tile(
                "Settlement",
                _count(Settlement, user, Settlement.status.in_(("draft", "confirmed"))),
                0,
                0,
                "SettlementView.list",
            )
        )
    if can(user, "read", "FollowUp"):
        planned = FollowUp.status == "planned"
        tiles.append(
            Tile(
                "FollowUp",
                _count(FollowUp, user, planned),
                _count(FollowUp, user, planned, FollowUp.due_state == "at_risk"),
                _count(FollowUp, user, FollowUp.status == "overdue"),
                "FollowUpView.list",
                OPEN_FOLLOWUPS,
            )
        )
    if can(user, "read", "ImprovementAction"):
        active = ImprovementAction.status.in_(("open", "in_progress"))
        tiles.append(
            Tile(
                "ImprovementAction",
                _count(ImprovementAction, user, active),
                _count(
                    ImprovementAction,
                    user,
                    active,
                    ImprovementAction.due_state == "at_risk",
                ),
                _count(
                    ImprovementAction,
                    user,
                    active,
                    ImprovementAction.due_state == "breached",
                ),
                "ImprovementActionView.list",
            )
        )
    return {"tiles": tiles, "unread": unread_count(user.id), "todos": todos(user)}
