"""Indexes serving the lists: scope arms, sorts and quick filters.

A clerk's scope (app.security.scope) is "created by me, owned by me, or
routed to my department": each arm has an index. Each sort a list offers
and each one-click filter has an index whose order is the list's (with the
id as tie-breaker), so a page reads its 25 rows in order instead of sorting
the table. Text search (contains) on names, phones, codes and titles uses
trigram indexes on PostgreSQL (pg_trgm, made by the migration only: see
TRIGRAM and migrations/env.py); SQLite keeps LIKE.
"""

from __future__ import annotations

from sqlalchemy import Index

from app.models.cases import Case
from app.models.customers import Customer
from app.models.finance import OverdueTask, Statement
from app.models.followups import FollowUp, ImprovementAction
from app.models.recycling import Inspection, Pickup, Settlement, WeighTicket
from app.models.visits import Visit, VisitPlan

# The "created by me" arm of every department-scoped record type.
for _model in (
    Case,
    Customer,
    Pickup,
    WeighTicket,
    Inspection,
    Settlement,
    Statement,
    OverdueTask,
    FollowUp,
    ImprovementAction,
    VisitPlan,
    Visit,
):
    Index(f"ix_{_model.__tablename__}_created_by", _model.created_by_id)

Index("ix_customer_sales_rep", Customer.sales_rep_id)

# Sorts and quick filters of the case list (id: tie-breaker and default order).
Index("ix_case_resolution_due", Case.resolution_due_at, Case.id)
Index("ix_case_response_due", Case.response_due_at, Case.id)
Index("ix_case_resolution_state", Case.resolution_state, Case.id)
Index("ix_case_response_state", Case.response_state, Case.id)
Index("ix_case_status_id", Case.status, Case.id)
Index("ix_case_kind_id", Case.kind, Case.id)
Index("ix_case_severity_id", Case.severity, Case.id)
Index("ix_case_owner_id_id", Case.owner_id, Case.id)

# PostgreSQL trigram indexes (GIN, gin_trgm_ops): table -> columns searched
# by a fragment (list filters "contains", pickers, API `ct`).
TRIGRAM = {
    "customer": ("name", "code", "phone", "contact_person"),
    "service_case": ("number", "title"),
    "pickup": ("number",),
    "weigh_ticket": ("number",),
    "inspection": ("number",),
    "settlement": ("number",),
    "followup": ("number",),
}


def trigram_index_name(table: str, column: str) -> str:
    return f"ix_{table}_{column}_trgm"
