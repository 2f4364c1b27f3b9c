"""Customer archive screens: the customer with its contacts and records."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import flash
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.fields import screen_fields
from app.labels import LABELS
from app.models import Customer, CustomerContact, GradeProposal
from app.security.access import current_user
from app.services.customers.duplicates import same_name
from app.services.customers.grading import GRADE_FLOW
from app.ui.base import RecordView, RefusalKeepsForm, grade_badge, key_account_badge
from app.ui.cases import CaseView
from app.ui.finance import StatementView
from app.ui.notices import CustomerNoticeView
from app.ui.recycling import PickupView, SettlementView
from app.ui.visits import FollowUpView, VisitView
from app.ui.widgets import month_text

CONTACT_MASKS = {"phone": "phone", "address": "address"}


class CustomerContactView(RecordView):
    record_name = _l("Contact")
    datamodel = SQLAInterface(CustomerContact)
    class_permission_name = "CustomerContact"
    label_columns = {**LABELS, "title": _l("Job title")}
    list_title = _l("Contacts")
    list_columns = ["name", "title", "phone", "email", "is_primary"]
    add_columns = edit_columns = [
        "customer",
        "name",
        "title",
        "phone",
        "email",
        "is_primary",
    ]
    show_columns = [*add_columns, "created_at", "created_by"]
    base_order = ("id", "asc")
    confidential_columns = {"phone": "phone"}


class CustomerView(RefusalKeepsForm, RecordView):
    record_name = _l("Customer")
    datamodel = SQLAInterface(Customer)
    class_permission_name = "Customer"
    route_base = "/customers"
    list_title = _l("Customers")
    add_columns = screen_fields("customer", "add")
    edit_columns = screen_fields("customer", "edit")
    label_columns = {**LABELS, "grade": _l("Customer grade")}
    list_columns = [
        "code",
        "name",
        "key_account",
        "grade",
        "customer_type",
        "contact_person",
        "phone",
        "region",
        "sales_rep",
        "status",
    ]
    formatters_columns = {"key_account": key_account_badge, "grade": grade_badge}
    search_columns = [
        "code",
        "name",
        "customer_type",
        "credit_code",
        "contact_person",
        "phone",
        "region",
        "sales_rep",
        "key_account",
        "grade",
        "status",
    ]
    order_columns = ["code", "name", "region", "status"]
    show_fieldsets = [
        (
            _l("Customer"),
            {
                "fields": [
                    "code",
                    "name",
                    "customer_type",
                    "credit_code",
                    "status",
                    "key_account",
                    "grade",
                    "department",
                    "sales_rep",
                    "payment_term",
                ]
            },
        ),
        (
            _l("Contact details"),
            {"fields": ["contact_person", "phone", "email", "address", "region"]},
        ),
        (
            _l("Qualification"),
            {
                "fields": [
                    "qualification",
                    "licence_no",
                    "licence_valid_to",
                    "verified_on",
                    "notes",
                ]
            },
        ),
        (
            _l("Record"),
            {
                "fields": ["created_at", "created_by", "changed_at", "changed_by"],
                "expanded": False,
            },
        ),
    ]
    base_order = ("code", "desc")
    confidential_columns = CONTACT_MASKS
    description_columns = {
        "grade": _l(
            "Graded A-D by nature, scale, volume and trend (seed 003); the "
            "monthly regrading proposal suggests changes for Sales to accept."
        ),
        "key_account": _l("Key accounts (VIP) are marked on every list and case."),
        "payment_term": _l(
            "Empty: the company default (reference data, setting "
            "finance.default_payment_term)."
        ),
    }
    related_views = [
        CustomerContactView,
        CaseView,
        PickupView,
        SettlementView,
        StatementView,
        FollowUpView,
        VisitView,
        CustomerNoticeView,
    ]

    def post_add(self, item: Any) -> None:
        """Saved; a customer already filed under the same name is a warning,
        not a refusal (app.services.customers.duplicates)."""
        super().post_add(item)
        shown, total = same_name(item, current_user())
        if shown:
            flash(
                _(
                    "Already on file under the same name: %(codes)s (%(count)s in "
                    "all). Check this is not the same customer filed twice.",
                    codes=", ".join(customer.code for customer in shown),
                    count=total,
                ),
                "warning",
            )
        elif total:
            flash(
                _(
                    "%(count)s customers of other departments have the same name. "
                    "Check this is not the same customer filed twice.",
                    count=total,
                ),
                "warning",
            )


def _kg(value: Any) -> str:
    return "" if value is None else f"{Decimal(value):,.3f}"


class GradeProposalView(RecordView):
    """Regrading proposals (客户分级调整建议) for Sales to accept or reject:
    made by the monthly job, decided through the workflow steps only."""

    record_name = _l("Regrading proposal")
    datamodel = SQLAInterface(GradeProposal)
    class_permission_name = "GradeProposal"
    route_base = "/gradeproposals"
    base_permissions = ["can_read"]
    list_title = _l("Regrading proposals")
    list_columns = [
        "period",
        "customer",
        "current_grade",
        "proposed_grade",
        "volume_kg",
        "recent_volume_kg",
        "complaints",
        "status",
        "decided_by",
    ]
    show_columns = [
        "period",
        "customer",
        "current_grade",
        "proposed_grade",
        "volume_kg",
        "recent_volume_kg",
        "complaints",
        "status",
        "decided_by",
        "decided_at",
        "decision_note",
        "created_at",
    ]
    search_columns = ["period", "customer", "proposed_grade", "status"]
    base_order = ("id", "desc")
    formatters_columns = {
        "period": month_text,
        "volume_kg": _kg,
        "recent_volume_kg": _kg,
    }
    description_columns = {
        "volume_kg": _l(
            "Net weight weighed for the customer plus weight sold to them over "
            "the 12 months before the month."
        ),
    }
    quick_filters = (
        (_l("Waiting for a decision"), lambda user: {"_flt_0_status": "proposed"}),
    )
    workflow = GRADE_FLOW
