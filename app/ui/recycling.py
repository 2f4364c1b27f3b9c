"""Recycling-flow screens: pickups, weigh tickets, inspections, settlements."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import DecimalField
from wtforms.validators import Optional

from app.fields import screen_fields
from app.labels import LABELS
from app.models import (
    Inspection,
    Pickup,
    PickupLine,
    PickupLog,
    Reweigh,
    Settlement,
    SettlementLine,
    WeighLine,
    WeighTicket,
)
from app.services.recycling.inspection_disputes import INSPECTION_FLOW
from app.services.recycling.pickup_steps import PICKUP_FLOW
from app.services.recycling.printing import ticket_sheet, voucher_sheet
from app.services.recycling.recycling_rules import (
    lines_locked,
    settlement_lines_locked,
    settlement_locked,
)
from app.services.recycling.settlement_steps import SETTLEMENT_FLOW
from app.ui.base import RecordView, RefusalKeepsForm
from app.ui.cases import CaseView
from app.ui.visits import ServiceAcceptanceView
from app.ui.widgets import number_range


class PickupLineView(RecordView):
    record_name = _l("Pickup line")
    datamodel = SQLAInterface(PickupLine)
    class_permission_name = "PickupLine"
    list_title = _l("Materials")
    list_columns = [
        "material",
        "grade",
        "estimated_kg",
        "assessed_kg",
        "quoted_unit_price",
        "collected_kg",
        "label",
    ]
    add_columns = edit_columns = [
        "pickup",
        "material",
        "grade",
        "estimated_kg",
        "assessed_kg",
        "quoted_unit_price",
        "collected_kg",
        "label",
        "note",
    ]
    base_order = ("id", "asc")

    def refused_before_form(self, item: PickupLine | None) -> Any:
        pickup = (
            item.pickup if item is not None else self.given_record("pickup", "pickup")
        )
        reason = lines_locked(pickup)
        if reason is None:
            return None
        return reason, url_for("PickupView.show", pk=pickup.id)


class PickupLogView(RecordView):
    """The steps taken on pickups, as the workflow wrote them: read only (a
    step is taken with its button on the pickup, never typed in here)."""

    record_name = _l("Pickup step")
    datamodel = SQLAInterface(PickupLog)
    class_permission_name = "PickupLog"
    base_permissions = ["can_read"]
    list_title = _l("Steps taken")
    list_columns = ["at", "step", "from_status", "to_status", "user", "note"]
    show_columns = ["pickup", *list_columns]
    base_order = ("id", "asc")


class WeighLineView(RefusalKeepsForm, RecordView):
    record_name = _l("Weigh line")
    datamodel = SQLAInterface(WeighLine)
    class_permission_name = "WeighLine"
    list_title = _l("Weigh lines")
    list_columns = [
        "ticket",
        "material",
        "grade",
        "gross_kg",
        "tare_kg",
        "net_kg",
        "gross_by",
        "tare_at",
    ]
    add_columns = ["ticket", "pickup_line", "material", "grade", "gross_kg", "tare_kg"]
    edit_columns = ["grade", "gross_kg", "tare_kg"]
    show_columns = [
        "ticket",
        "pickup_line",
        "material",
        "grade",
        "gross_kg",
        "gross_at",
        "gross_by",
        "tare_kg",
        "tare_at",
        "tare_by",
        "net_kg",
    ]
    base_order = ("id", "asc")
    description_columns = {
        "material": _l("Empty: the material of the pickup line weighed."),
    }
    # The rules take the material from the pickup line weighed.
    filled_by_rules = ("material",)


class ReweighView(RecordView):
    record_name = _l("Re-weigh")
    datamodel = SQLAInterface(Reweigh)
    class_permission_name = "Reweigh"
    list_title = _l("Warehouse re-weighs")
    list_columns = ["weigh_line", "net_kg", "weighed_at", "operator", "note"]
    add_columns = ["weigh_line", "net_kg", "note"]
    edit_columns = ["net_kg", "note"]
    base_order = ("id", "desc")


class WeighTicketView(RecordView):
    record_name = _l("Weigh ticket")
    datamodel = SQLAInterface(WeighTicket)
    class_permission_name = "WeighTicket"
    list_title = _l("Weigh tickets")
    list_columns = [
        "number",
        "pickup",
        "customer",
        "vehicle",
        "created_at",
        "created_by",
    ]
    search_columns = ["number", "pickup", "customer", "vehicle", "created_at"]
    add_columns = ["pickup", "customer", "vehicle", "notes"]
    edit_columns = ["vehicle", "notes"]
    show_columns = [
        "number",
        "pickup",
        "customer",
        "vehicle",
        "department",
        "notes",
        "created_at",
        "created_by",
    ]
    base_order = ("id", "desc")
    related_views = [WeighLineView]
    print_template = "recycling/ticket_print.html"
    print_context = staticmethod(ticket_sheet)

    def prefill_add_form(self, form: Any) -> None:
        """A ticket opened from a pickup weighs that pickup's goods: its
        customer and truck are shown chosen (the ticket rules set them too)."""
        pickup = self.given_record("pickup", "pickup")
        if pickup is None:
            return
        form["customer"].prefill(pickup.customer_id)
        if not form["vehicle"].data:
            form["vehicle"].data = pickup.vehicle


class InspectionView(RecordView):
    record_name = _l("Inspection")
    datamodel = SQLAInterface(Inspection)
    class_permission_name = "Inspection"
    route_base = "/inspections"
    list_title = _l("Inspections")
    add_columns = screen_fields("inspection", "add")
    edit_columns = screen_fields("inspection", "edit")
    list_columns = [
        "number",
        "pickup",
        "material",
        "grade",
        "net_kg",
        "moisture_pct",
        "impurity_pct",
        "deduction_kg",
        "accepted_net_kg",
        "result",
        "inspector",
    ]
    search_columns = [
        "number",
        "pickup",
        "customer",
        "material",
        "grade",
        "result",
        "inspector",
        "inspected_at",
        "sales_lot",
    ]
    show_columns = [
        "number",
        "pickup",
        "weigh_line",
        "sales_lot",
        "customer",
        "material",
        "grade",
        "net_kg",
        "moisture_pct",
        "impurity_pct",
        "deduction_kg",
        "accepted_net_kg",
        "result",
        "inspector",
        "inspected_at",
        "report",
        "photo",
        "department",
    ]
    base_order = ("id", "desc")
    description_columns = {
        "net_kg": _l("Taken from the weigh line when one is chosen."),
        "material": _l("Empty: the material of the weigh line inspected."),
        "deduction_kg": _l("A fixed weight deducted besides moisture and impurity."),
        "accepted_net_kg": _l(
            "Net x (100 - moisture % - impurity %) / 100 - "
            "deduction, rounded half-up to the gram."
        ),
    }
    # The net comes from the weigh line; only a sales lot needs it typed in.
    # Moisture, impurity and deduction start empty (blank = 0 by the
    # inspection rules), so what the inspector types is the whole value.
    add_form_extra_fields = {
        "net_kg": DecimalField(LABELS["net_kg"], validators=[Optional()]),
        **{
            name: DecimalField(
                LABELS[name],
                validators=[Optional(), number_range(0, maximum)],
                description=description,
            )
            for name, maximum, description in (
                ("moisture_pct", 100, _l("Empty: 0.")),
                ("impurity_pct", 100, _l("Empty: 0.")),
                (
                    "deduction_kg",
                    None,
                    _l(
                        "A fixed weight deducted besides moisture and "
                        "impurity. Empty: 0."
                    ),
                ),
            )
        },
    }
    related_views = [CaseView]
    workflow = INSPECTION_FLOW
    # The rules take the material from the weigh line inspected.
    filled_by_rules = ("material",)


class SettlementLineView(RecordView):
    record_name = _l("Settlement line")
    datamodel = SQLAInterface(SettlementLine)
    class_permission_name = "SettlementLine"
    list_title = _l("Settlement lines")
    list_columns = [
        "material",
        "grade",
        "net_kg",
        "unit_price",
        "amount",
        "inspection",
        "note",
    ]
    show_columns = ["settlement", *list_columns, "price"]
    # Typed-in lines are corrections on adjusting entries; the others are built.
    add_columns = ["settlement", "material", "grade", "net_kg", "unit_price", "note"]
    edit_columns = ["net_kg", "unit_price", "note"]
    base_order = ("id", "asc")

    def refused_before_form(self, item: SettlementLine | None) -> Any:
        if item is None:
            settlement = self.given_record("settlement", "settlement")
            reason = settlement_lines_locked(settlement, by_hand=True)
        else:
            settlement = item.settlement
            reason = settlement_lines_locked(
                settlement, by_hand=item.inspection_id is None
            )
        if reason is None:
            return None
        return reason, url_for("SettlementView.show", pk=settlement.id)


class SettlementView(RecordView):
    record_name = _l("Settlement")
    datamodel = SQLAInterface(Settlement)
    class_permission_name = "Settlement"
    route_base = "/settlements"
    list_title = _l("Settlements")
    add_columns = screen_fields("settlement", "add")
    edit_columns = screen_fields("settlement", "edit")
    list_columns = [
        "number",
        "direction",
        "customer",
        "pickup",
        "total",
        "status",
        "due_on",
        "due_state",
        "invoice_status",
        "voucher_no",
        "paid_at",
    ]
    search_columns = [
        "number",
        "direction",
        "customer",
        "pickup",
        "status",
        "payment_method",
        "voucher_no",
        "paid_at",
        "sales_order",
        "due_on",
        "due_state",
        "invoice_status",
        "invoice_no",
    ]
    quick_filters = (
        (_l("Overdue"), lambda user: {"_flt_3_due_state": "breached"}),
        (_l("Due soon"), lambda user: {"_flt_3_due_state": "at_risk"}),
        (_l("Invoice pending"), lambda user: {"_flt_3_invoice_status": "pending"}),
    )
    # Finance settles with any active customer (a buyer it has not served yet).
    add_form_query_rel_fields = {"customer": [["status", FilterEqual, "active"]]}
    show_columns = [
        "number",
        "direction",
        "customer",
        "pickup",
        "sales_order",
        "status",
        "total",
        "payment_method",
        "voucher_no",
        "confirmed_at",
        "confirmed_by",
        "paid_at",
        "paid_by",
        "voided_at",
        "void_reason",
        "adjusts",
        "payment_term",
        "due_on",
        "due_state",
        "invoice_status",
        "invoice_no",
        "invoice_date",
        "invoice_note",
        "department",
        "notes",
        "created_at",
        "created_by",
    ]
    base_order = ("id", "desc")
    related_views = [SettlementLineView]
    workflow = SETTLEMENT_FLOW
    print_template = "recycling/voucher_print.html"
    print_context = staticmethod(voucher_sheet)

    def refused_before_form(self, item: Settlement | None) -> Any:
        reason = None if item is None else settlement_locked(item)
        if reason is None:
            return None
        return reason, url_for("SettlementView.show", pk=item.id)


class PickupView(RecordView):
    record_name = _l("Pickup")
    datamodel = SQLAInterface(Pickup)
    class_permission_name = "Pickup"
    route_base = "/pickups"
    list_title = _l("Pickups")
    add_columns = screen_fields("pickup", "add")
    edit_columns = screen_fields("pickup", "edit")
    list_columns = [
        "number",
        "customer",
        "region",
        "requested_start",
        "window_start",
        "status",
        "confirm_due_at",
        "confirm_state",
        "crew",
    ]
    search_columns = [
        "number",
        "customer",
        "region",
        "status",
        "confirm_state",
        "arrival_state",
        "requested_start",
        "window_start",
        "crew",
        "vehicle",
        "received_at",
    ]
    show_fieldsets = [
        (
            _l("Appointment"),
            {
                "fields": [
                    "number",
                    "customer",
                    "channel",
                    "contact_name",
                    "contact_phone",
                    "address",
                    "region",
                    "requested_start",
                    "requested_end",
                    "status",
                    "notes",
                ]
            },
        ),
        (
            _l("Dispatch and deadlines"),
            {
                "fields": [
                    "received_at",
                    "confirm_due_at",
                    "confirmed_at",
                    "confirm_state",
                    "window_start",
                    "window_end",
                    "arrived_at",
                    "arrival_state",
                    "crew",
                    "vehicle",
                    "distance_km",
                    "difficulty",
                ]
            },
        ),
        (
            _l("On site"),
            {
                "fields": [
                    "assessed_at",
                    "assessment_note",
                    "quoted_amount",
                    "collected_at",
                ]
            },
        ),
        (
            _l("Progress"),
            {
                "fields": [
                    "weighed_at",
                    "inspected_at",
                    "settled_at",
                    "closed_at",
                    "cancelled_at",
                    "cancel_reason",
                ],
                "expanded": False,
            },
        ),
    ]
    base_order = ("id", "desc")
    confidential_columns = {"contact_phone": "phone", "address": "address"}
    # The rules take contact, phone and address from the customer when left
    # empty; opened from a customer, the form shows them filled in.
    filled_by_rules = ("address",)
    description_columns = {
        "contact_name": _l("Empty: the customer's contact person."),
        "contact_phone": _l("Empty: the customer's phone."),
        "address": _l("Empty: the customer's address."),
    }

    def prefill_add_form(self, form: Any) -> None:
        """A pickup opened from a customer shows that customer's contact,
        phone and address, for the clerk to confirm or change."""
        customer = self.given_record("customer", "customer")
        if customer is None:
            return
        for name, value in (
            ("contact_name", customer.contact_person),
            ("contact_phone", customer.phone),
            ("address", customer.address),
        ):
            if name in form and not form[name].data:
                form[name].data = value

    related_views = [
        PickupLineView,
        PickupLogView,
        WeighTicketView,
        InspectionView,
        SettlementView,
        ServiceAcceptanceView,
    ]
    workflow = PICKUP_FLOW
