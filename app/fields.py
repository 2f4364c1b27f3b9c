"""What a clerk may write on each record type: one list for screens and API.

Everything not listed (number, department, owners, status, clocks, totals) is
decided by the server (app/services/records.py and the workflows). The API
takes the same fields except uploaded files, which only the screens accept.
"""

from __future__ import annotations

FILE_COLUMNS = frozenset({"file", "photo"})

WRITABLE: dict[str, dict[str, tuple[str, ...]]] = {
    "customer": {
        "add": (
            "name",
            "customer_type",
            "credit_code",
            "contact_person",
            "phone",
            "email",
            "address",
            "region",
            "qualification",
            "licence_no",
            "licence_valid_to",
            "verified_on",
            "sales_rep",
            "payment_term",
            "key_account",
            "status",
            "notes",
        ),
        "edit": (
            "name",
            "customer_type",
            "credit_code",
            "contact_person",
            "phone",
            "email",
            "address",
            "region",
            "qualification",
            "licence_no",
            "licence_valid_to",
            "verified_on",
            "sales_rep",
            "payment_term",
            "key_account",
            "status",
            "notes",
        ),
    },
    "case": {
        "add": (
            "customer",
            "kind",
            "incident_type",
            "severity",
            "category",
            "channel",
            "stage",
            "urgent",
            "title",
            "description",
            "expected_solution",
            "received_at",
            "pickup",
            "inspection",
            "settlement",
            "parent_case",
        ),
        "edit": (
            "customer",
            "kind",
            "incident_type",
            "severity",
            "category",
            "channel",
            "stage",
            "urgent",
            "title",
            "description",
            "expected_solution",
            "pickup",
            "inspection",
            "settlement",
            "parent_case",
            "findings",
            "root_cause",
            "cause",
            "responsibility",
            "solution",
            "compensation_amount",
            "compensation_note",
            "result",
        ),
    },
    "pickup": {
        "add": (
            "customer",
            "channel",
            "contact_name",
            "contact_phone",
            "address",
            "region",
            "requested_start",
            "requested_end",
            "notes",
        ),
        "edit": (
            "contact_name",
            "contact_phone",
            "address",
            "region",
            "requested_start",
            "requested_end",
            "notes",
        ),
    },
    "inspection": {
        "add": (
            "weigh_line",
            "sales_lot",
            "material",
            "grade",
            "net_kg",
            "moisture_pct",
            "impurity_pct",
            "deduction_kg",
            "result",
            "report",
            "photo",
        ),
        "edit": (
            "grade",
            "moisture_pct",
            "impurity_pct",
            "deduction_kg",
            "result",
            "report",
            "photo",
        ),
    },
    "settlement": {
        "add": (
            "direction",
            "customer",
            "pickup",
            "sales_order",
            "payment_method",
            "notes",
        ),
        "edit": (
            "payment_method",
            "sales_order",
            "notes",
        ),
    },
    # Supervision (seed 001 §8(一), 002 §4(一)2); handler, leader's
    # department and the total are the server's.
    "spot_check": {
        "add": (
            "case",
            "checked_on",
            "timeliness_score",
            "process_score",
            "solution_score",
            "satisfaction_score",
            "records_score",
            "findings",
        ),
        "edit": (
            "checked_on",
            "timeliness_score",
            "process_score",
            "solution_score",
            "satisfaction_score",
            "records_score",
            "findings",
        ),
    },
    # An appraisal sheet is generated; only its remarks are written by hand.
    "appraisal": {"add": (), "edit": ("remarks",)},
    "site_patrol": {
        "add": ("patrolled_on", "pickup", "crew", "leader", "score", "findings"),
        "edit": ("patrolled_on", "crew", "leader", "score", "findings"),
    },
    # The customer's on-site acceptance (seed 004 第十五条).
    "acceptance": {
        "add": (
            "pickup",
            "case",
            "accepted_at",
            "signed",
            "signed_by",
            "rating",
            "comment",
            "photo",
        ),
        "edit": (
            "accepted_at",
            "signed",
            "signed_by",
            "rating",
            "comment",
            "photo",
        ),
    },
    # The monthly complaint analysis report (seed 001 §7(一)2).
    "complaint_report": {
        "add": ("month", "analysis", "impact"),
        "edit": ("analysis", "impact"),
    },
    "followup": {
        "add": (
            "customer",
            "case",
            "pickup",
            "assignee",
            "channel",
            "due_at",
        ),
        "edit": (
            "assignee",
            "channel",
            "due_at",
        ),
    },
    "emergency_plan": {
        "add": ("incident_type", "title", "procedure", "effective_on"),
        "edit": ("title", "procedure", "effective_on"),
    },
    "plan_responsible": {
        "add": ("plan", "person", "duty"),
        "edit": ("duty",),
    },
    "incident_review": {
        "add": ("case", "causes", "lessons", "needs_revision", "proposed_changes"),
        "edit": ("causes", "lessons"),
    },
}


def screen_fields(kind: str, action: str) -> list[str]:
    """Fields of the add or edit form of a record type."""
    return list(WRITABLE[kind][action])


def api_fields(kind: str, action: str) -> list[str]:
    """Fields an API client may send when creating or updating (no uploads)."""
    return [c for c in WRITABLE[kind][action] if c not in FILE_COLUMNS]
