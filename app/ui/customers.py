"""Customer archive screens: the customer with its contacts and records."""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.fields import screen_fields
from app.labels import LABELS
from app.models import Customer, CustomerContact
from app.ui.base import RecordView
from app.ui.cases import CaseView
from app.ui.finance import StatementView
from app.ui.notices import CustomerNoticeView
from app.ui.recycling import PickupView, SettlementView
from app.ui.visits import FollowUpView

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


class CustomerView(RecordView):
    record_name = _l("Customer")
    datamodel = SQLAInterface(Customer)
    class_permission_name = "Customer"
    route_base = "/customers"
    list_title = _l("Customers")
    add_columns = screen_fields("customer", "add")
    edit_columns = screen_fields("customer", "edit")
    list_columns = [
        "code",
        "name",
        "customer_type",
        "contact_person",
        "phone",
        "region",
        "sales_rep",
        "status",
    ]
    search_columns = [
        "code",
        "name",
        "customer_type",
        "credit_code",
        "contact_person",
        "phone",
        "region",
        "sales_rep",
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
        CustomerNoticeView,
    ]
