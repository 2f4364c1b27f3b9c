"""What the review checks and what a closed case keeps (seed 001 §5, 004 §16).

The review of a complaint checks the investigation: findings, root cause and
responsibility (责任归属) must be written before the review passes, before
the case is closed, and cannot be emptied by the edit form or the API once
the review passed. Evidence of a closed case is a record kept: it is not
deleted (screens hide the button, the delete is refused on every path, so
the file stays on disk).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from app.labels import field_label
from app.models import Case
from app.services.core.errors import Conflict, InvalidInput

REVIEW_FACTS = ("findings", "root_cause", "responsibility")
# Statuses after the review passed, on the way to closing.
REVIEWED = ("feedback", "closed")


def missing_facts(case: Case) -> list[str]:
    """The investigation fields a complaint's review needs and lacks."""
    if case.kind != "complaint":
        return []
    return [f for f in REVIEW_FACTS if not str(getattr(case, f) or "").strip()]


def facts_refusal(case: Case) -> Any:
    """Why the review (or closing) cannot pass, or None."""
    missing = missing_facts(case)
    if not missing:
        return None
    return _l(
        "The review checks the investigation: write %(fields)s first.",
        fields="、".join(str(field_label(f)) for f in missing),
    )


def check_edit(case: Case) -> None:
    """The edit form and the API keep a reviewed complaint's investigation."""
    if case.status in REVIEWED:
        missing = missing_facts(case)
        if missing:
            raise InvalidInput(facts_refusal(case), field=missing[0])


def check_evidence_delete(case: Case | None) -> None:
    """Evidence of a closed case is kept (seed 001 §5, 004 §16)."""
    if case is not None and case.status == "closed":
        raise Conflict(_l("Evidence of a closed case is kept; it cannot be deleted."))
