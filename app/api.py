"""REST API (FAB ModelRestApi) with the same scoping and rules as the screens."""

from __future__ import annotations

import logging
import re
import sys
from decimal import ROUND_HALF_UP
from typing import Any

from flask import request
from flask_appbuilder.api import ModelRestApi, expose, protect, safe
from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields
from marshmallow_sqlalchemy.fields import Related
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from app import api_document
from app.extensions import db
from app.fields import api_fields
from app.models import (
    Appraisal,
    Case,
    ComplaintReport,
    Customer,
    EmergencyPlan,
    FollowUp,
    HandoverNote,
    IncidentReview,
    Inspection,
    Pickup,
    Settlement,
    SitePatrol,
    SpotCheck,
)
from app.security.access import current_user
from app.security.roles import METHOD_PERMISSIONS
from app.security.scope import SCOPE_FILTER, ScopeFilter, is_scoped
from app.services.cases.case_steps import CASE_FLOW
from app.services.core import db_limits, list_arguments, records, validation
from app.services.core import errors as errors_
from app.services.core.errors import DomainError
from app.services.emergencies.plans import PLAN_FLOW
from app.services.handover.notes import HANDOVER_FLOW
from app.services.recycling.inspection_disputes import INSPECTION_FLOW
from app.services.recycling.pickup_steps import PICKUP_FLOW
from app.services.recycling.settlement_steps import SETTLEMENT_FLOW
from app.services.reporting.complaint_reports import REPORT_FLOW
from app.services.supervision.appraisal import APPRAISAL_FLOW
from app.services.visits.visit_steps import FOLLOWUP_FLOW
from app.ui.base import MASKS, may_see_contact, number_validators
from app.ui.listing import ListInterface

logger = logging.getLogger(__name__)

# What a client reads when the database refused a write (never its message).
RECORD_ID = re.compile(r"[0-9]{1,19}")
MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database
NOT_SAVED = _l("The record could not be saved: a value is not accepted.")


def api_number_validators(model: Any) -> dict[str, Any]:
    """The screens' number rules as marshmallow validators."""
    from marshmallow import validate

    result = {}
    for name, rules in number_validators(model).items():
        rule = rules[0]
        result[name] = validate.Range(min=rule.min, max=rule.max)
    return result


def _date_in_range(value: Any) -> None:
    if not validation.in_date_range(value):
        raise ValidationError(
            str(
                _l(
                    "Give a date between the years %(first)s and %(last)s.",
                    first=validation.EARLIEST_YEAR,
                    last=validation.LATEST_YEAR,
                )
            )
        )


class RecordKey(Related):
    """A reference in a payload: the id of an existing record.

    marshmallow-sqlalchemy builds a new record from an object (`{"customer":
    {...}}`) or from an id it does not find; the API takes only an id.
    """

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        from app.labels import field_label

        text = str(value) if isinstance(value, (int, str)) else ""
        if isinstance(value, bool) or not RECORD_ID.fullmatch(text):
            raise ValidationError(str(_l("Give the id of a record (a whole number).")))
        pk = int(text)
        found = self.session.get(self.related_model, pk) if pk <= MAX_ID else None
        if found is None:
            name = field_label(self.name)
            raise ValidationError(str(_l("%(field)s: no such record.", field=name)))
        return found


class RecordApi(ModelRestApi):
    """A record type's REST resource: scoped reads, rule-checked writes."""

    method_permission_name = METHOD_PERMISSIONS
    allow_browser_login = False
    page_size = 20
    max_page_size = 100
    confidential_columns: dict[str, str] = {}
    workflow: Any = None

    def __init__(self) -> None:
        model = self.datamodel.obj
        # `count` stops at COUNT_CAP + 1 (app.ui.listing): "more than 10,000".
        self.datamodel = ListInterface.of(self.datamodel)
        self.base_filters = list(self.base_filters or [])
        if is_scoped(model):
            self.base_filters += SCOPE_FILTER
        pickers = {}
        for rel in model.__mapper__.relationships:
            if rel.direction.name == "MANYTOONE" and is_scoped(rel.mapper.class_):
                pickers[rel.key] = [["id", ScopeFilter, lambda: None]]
        self.add_query_rel_fields = {**pickers, **(self.add_query_rel_fields or {})}
        self.edit_query_rel_fields = {**pickers, **(self.edit_query_rel_fields or {})}
        self.validators_columns = {
            **api_number_validators(model),
            **(self.validators_columns or {}),
        }
        if "version" in model.__table__.columns and self.show_columns:
            # The version a client names when it writes (optimistic locking).
            self.show_columns = [*self.show_columns, "version"]
        if self.search_columns:
            self.search_columns = [
                c for c in self.search_columns if c not in self.confidential_columns
            ]
        super().__init__()
        # Masked columns are no sort keys either (the order would reveal them).
        self.order_columns = [
            c for c in self.order_columns if c not in self.confidential_columns
        ]

    def create_blueprint(self, appbuilder: Any, *args: Any, **kwargs: Any) -> Any:
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        blueprint.before_request(self._check_query)
        # Money rounds half up on every path (marshmallow's default: half even).
        for schema in (self.add_model_schema, self.edit_model_schema):
            for field in schema.fields.values():
                if isinstance(field, fields.Decimal):
                    field.rounding = ROUND_HALF_UP
                if isinstance(field, (fields.DateTime, fields.Date)):
                    field.validators = [*field.validators, _date_in_range]
                if type(field) is Related:
                    # A reference is an existing record's id, nothing else.
                    field.__class__ = RecordKey
        return blueprint

    def _check_query(self) -> Any:
        """A list, item or info query (`q`) the database can take, else 400."""
        problem = list_arguments.query_problem(request.args.get("q"))
        if problem is not None:
            return self.response_400(message=problem)
        return None

    def add_apispec_components(self, api_spec: Any) -> None:
        """FAB's schemas, corrected to what the API takes and answers
        (app.api_document)."""
        super().add_apispec_components(api_spec)
        schemas = api_spec.components.schemas
        model = self.datamodel.obj
        for name, schema in schemas.items():
            api_document.numeric_bounds(schema)
            if name in (self.show_model_schema_name, self.list_model_schema_name):
                api_document.answered_schema(model, schema)
        for schema_object, name in (
            (self.add_model_schema, self.add_model_schema_name),
            (self.edit_model_schema, self.edit_model_schema_name),
        ):
            if name in schemas:
                api_document.written_schema(schema_object, schemas[name])
        api_document.error_answers(api_spec.components.responses)

    def add_api_spec(self, api_spec: Any) -> None:
        """This resource's operations, saying what they answer."""
        super().add_api_spec(api_spec)
        for path, operations in api_spec._paths.items():
            if path.startswith(f"{self.route_base}/"):
                for operation in operations.values():
                    api_document.true_answers(operation)

    def _get_field_info(self, field: Any, *args: Any, **kwargs: Any) -> Any:
        """`_info` of a field: a field without a label or description gets
        none (FAB translates "", which gettext answers with the catalog's
        header)."""
        from app.labels import field_label

        info = super()._get_field_info(field, *args, **kwargs)
        for key, given in (
            ("label", self.label_columns),
            ("description", self.description_columns),
        ):
            if not given.get(field.name):
                info[key] = str(field_label(field.name)) if key == "label" else ""
        return info

    # -- rules and errors, once for every resource
    def post_headless(self) -> Any:
        try:
            return super().post_headless()
        except DomainError as error:
            db.session.rollback()
            return self.response(error.status, message=str(error), field=error.field)

    def _record(self, pk: Any) -> Any:
        """The record `pk` names within the viewer's scope; None for an id no
        record can have (not a number, or outside the database's integers)."""
        try:
            number = int(pk)
        except (TypeError, ValueError):
            return None
        if not 0 < number <= MAX_ID:
            return None
        return self.datamodel.get(number, self._base_filters)

    def put_headless(self, pk: Any) -> Any:
        """FAB's PUT with the screens' optimistic locking: the version read
        (body `version` or `If-Match`) must still be the stored one, else 409."""
        payload = request.get_json(silent=True) if request.is_json else None
        if not isinstance(payload, dict):
            return self.response_400(message="Request body must be a JSON object")
        item = self._record(pk)
        if item is None:
            return self.response_404()
        versioned = "version" in item.__table__.columns
        try:
            shown = self._shown_version(payload) if versioned else None
            data = self._merge_update_item(item, payload)
            item = self.edit_model_schema.load(data, instance=item)
        except ValidationError as err:
            db.session.rollback()
            return self.response_422(message=err.messages)
        except DomainError as error:
            db.session.rollback()
            return self.response(error.status, message=str(error), field=error.field)
        try:
            if shown is not None:
                records.expect_version(item, shown)
            self.pre_update(item)
            self.datamodel.edit(item)
            self.post_update(item)
        except DomainError as error:
            db.session.rollback()
            return self.response(error.status, message=str(error), field=error.field)
        except DatabaseException as error:
            db.session.rollback()
            if isinstance(error.__cause__, StaleDataError):
                return self.response(409, message=str(records.STALE))
            logger.exception(
                "PUT %s/%s refused by the database", self.resource_name, pk
            )
            return self.response_422(message=str(NOT_SAVED))
        answer = {"result": self.edit_model_schema.dump(item, many=False)}
        if versioned:
            answer["version"] = item.version
        return self.response(200, **answer)

    @staticmethod
    def _shown_version(payload: dict[str, Any]) -> int | None:
        """The version the client read: body `version`, else `If-Match`."""
        if "version" in payload:
            return records.parse_version(payload.pop("version"))
        header = request.headers.get("If-Match")
        if header and header.strip() != "*":
            return records.parse_version(header)
        return None

    def delete_headless(self, pk: Any) -> Any:
        try:
            return super().delete_headless(pk)
        except DomainError as error:
            db.session.rollback()
            return self.response(error.status, message=str(error))
        except IntegrityError:
            db.session.rollback()
            return self.response(409, message="The record is referenced by others.")

    def response_500(self, message: str | None = None, **kwargs: Any) -> Any:
        """FAB's `safe` answers every exception with 500; a query the database
        time limit stopped gets 503 and its message (app.ui.errors)."""
        error = sys.exc_info()[1]
        if isinstance(error, HTTPException) and error.code and error.code < 500:
            # The client's fault (a body over MAX_CONTENT_LENGTH: 413, bad JSON).
            return self.response(error.code, message=error.description)
        refusal = errors_.database_refusal(error) if error is not None else None
        if refusal is not None:
            db.session.rollback()
            return self.response(refusal.status, message=str(refusal))
        if error is not None and db_limits.is_timeout(error):
            from app.ui import errors

            errors.stopped(error)
            return errors.api_answer()
        return super().response_500(message=message, **kwargs)

    def pre_add(self, item: Any) -> None:
        records.before_create(item)

    def post_add(self, item: Any) -> None:
        records.after_create(item)

    def pre_update(self, item: Any) -> None:
        records.before_update(item)

    def post_update(self, item: Any) -> None:
        records.after_update(item)

    def pre_delete(self, item: Any) -> None:
        records.before_delete(item)

    # -- masking of confidential contact data
    def _mask(self, row: dict[str, Any]) -> None:
        for column, kind in self.confidential_columns.items():
            if column in row:
                row[column] = MASKS[kind](row[column])

    def pre_get(self, data: dict[str, Any]) -> None:
        if self.confidential_columns and not may_see_contact():
            self._mask(data.get("result", {}))

    def pre_get_list(self, data: dict[str, Any]) -> None:
        if self.confidential_columns and not may_see_contact():
            for row in data.get("result", []):
                self._mask(row)

    # -- workflow steps: POST /api/v1/<resource>/<pk>/step/<name>
    @expose("/<int:pk>/step/<string:name>", methods=["POST"])
    @protect()
    @safe
    def step(self, pk: int, name: str) -> Any:
        """Take a workflow step on a record.
        ---
        post:
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          - in: path
            name: name
            schema: {type: string}
          requestBody:
            content:
              application/json:
                schema: {type: object}
          responses:
            200: {description: Step taken}
            400: {$ref: '#/components/responses/400'}
            403: {description: Step not allowed to this user}
            404: {$ref: '#/components/responses/404'}
            409: {description: Record not in a state for this step}
        """
        if self.workflow is None or self.workflow.get(name) is None:
            return self.response_404()
        item = self._record(pk)
        if item is None:
            return self.response_404()
        payload = request.get_json(silent=True)
        if payload is not None and not isinstance(payload, dict):
            return self.response_400(message="Request body must be a JSON object")
        try:
            self.workflow.require(self.workflow.get(name), current_user())
            data = self.workflow.parse(name, payload or {}, item)
            self.workflow.run(item, name, data, current_user())
        except DomainError as error:
            db.session.rollback()
            return self.response(error.status, message=str(error), field=error.field)
        item = self._record(pk)
        return self.response(200, id=pk, status=getattr(item, "status", None))


class CustomerApi(RecordApi):
    resource_name = "customer"
    class_permission_name = "Customer"
    datamodel = SQLAInterface(Customer)
    add_columns = api_fields("customer", "add")
    edit_columns = api_fields("customer", "edit")
    confidential_columns = {"phone": "phone", "address": "address"}
    list_columns = [
        "id",
        "code",
        "name",
        "customer_type.name",
        "contact_person",
        "phone",
        "region",
        "status",
    ]
    show_columns = [
        "id",
        "code",
        "name",
        "customer_type.id",
        "customer_type.name",
        "credit_code",
        "contact_person",
        "phone",
        "email",
        "address",
        "region",
        "qualification",
        "licence_no",
        "licence_valid_to",
        "sales_rep.id",
        "payment_term.code",
        "department.name",
        "status",
        "notes",
    ]
    search_columns = [
        "code",
        "name",
        "customer_type",
        "region",
        "status",
        "credit_code",
    ]
    order_columns = ["code", "name", "region"]
    base_order = ("id", "desc")


class CaseApi(RecordApi):
    resource_name = "case"
    class_permission_name = "Case"
    datamodel = SQLAInterface(Case)
    add_columns = api_fields("case", "add")
    edit_columns = api_fields("case", "edit")
    workflow = CASE_FLOW
    list_columns = [
        "id",
        "number",
        "title",
        "customer.id",
        "customer.name",
        "kind",
        "severity",
        "urgent",
        "category.name",
        "department.name",
        "status",
        "received_at",
        "response_due_at",
        "response_state",
        "resolution_due_at",
        "resolution_state",
        "reopen_count",
    ]
    show_columns = [
        *list_columns,
        "description",
        "expected_solution",
        "channel.name",
        "stage",
        "first_ask_owner.username",
        "owner.username",
        "responded_at",
        "resolved_at",
        "closed_at",
        "findings",
        "root_cause",
        "responsibility",
        "solution",
        "compensation_amount",
        "result",
        "satisfaction",
        "satisfaction_comment",
        "pickup.id",
        "inspection.id",
        "settlement.id",
        "incident_type.id",
        "incident_type.name",
        "emergency_plan.id",
    ]
    search_columns = [
        "number",
        "customer",
        "kind",
        "severity",
        "urgent",
        "category",
        "department",
        "status",
        "response_state",
        "resolution_state",
        "received_at",
        "resolution_due_at",
    ]
    order_columns = [
        "number",
        "urgent",
        "received_at",
        "response_due_at",
        "resolution_due_at",
    ]
    base_order = ("id", "desc")


class PickupApi(RecordApi):
    resource_name = "pickup"
    class_permission_name = "Pickup"
    datamodel = SQLAInterface(Pickup)
    add_columns = api_fields("pickup", "add")
    edit_columns = api_fields("pickup", "edit")
    workflow = PICKUP_FLOW
    confidential_columns = {"contact_phone": "phone", "address": "address"}
    list_columns = [
        "id",
        "number",
        "customer.id",
        "customer.name",
        "status",
        "region",
        "requested_start",
        "requested_end",
        "window_start",
        "window_end",
        "confirm_due_at",
        "confirm_state",
    ]
    show_columns = [
        *list_columns,
        "contact_name",
        "contact_phone",
        "address",
        "crew",
        "vehicle",
        "arrived_at",
        "arrival_state",
        "assessment_note",
        "quoted_amount",
        "collected_at",
        "weighed_at",
        "inspected_at",
        "settled_at",
        "closed_at",
        "cancel_reason",
        "notes",
    ]
    search_columns = ["number", "customer", "status", "region", "confirm_state"]
    base_order = ("id", "desc")

    def create_blueprint(self, appbuilder: Any, *args: Any, **kwargs: Any) -> Any:
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        # Not sent, the address is the customer's (the pickup rules).
        self.add_model_schema.fields["address"].required = False
        return blueprint


class InspectionApi(RecordApi):
    resource_name = "inspection"
    class_permission_name = "Inspection"
    datamodel = SQLAInterface(Inspection)
    add_columns = api_fields("inspection", "add")
    edit_columns = api_fields("inspection", "edit")
    workflow = INSPECTION_FLOW
    list_columns = [
        "id",
        "number",
        "pickup.id",
        "material.name",
        "grade.name",
        "net_kg",
        "moisture_pct",
        "impurity_pct",
        "deduction_kg",
        "accepted_net_kg",
        "result",
        "inspected_at",
    ]
    show_columns = [
        *list_columns,
        "weigh_line.id",
        "sales_lot",
        "customer.id",
        "inspector.username",
        "report",
    ]
    search_columns = ["number", "pickup", "material", "result", "inspected_at"]
    base_order = ("id", "desc")

    def create_blueprint(self, appbuilder: Any, *args: Any, **kwargs: Any) -> Any:
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        # The net comes from the weigh line; only a sales lot needs it sent.
        self.add_model_schema.fields["net_kg"].required = False
        return blueprint


class SettlementApi(RecordApi):
    resource_name = "settlement"
    class_permission_name = "Settlement"
    datamodel = SQLAInterface(Settlement)
    add_columns = api_fields("settlement", "add")
    edit_columns = api_fields("settlement", "edit")
    workflow = SETTLEMENT_FLOW
    list_columns = [
        "id",
        "number",
        "direction",
        "customer.id",
        "customer.name",
        "pickup.id",
        "status",
        "total",
        "payment_method",
        "voucher_no",
        "paid_at",
        "due_on",
        "due_state",
        "invoice_status",
    ]
    show_columns = [
        *list_columns,
        "sales_order",
        "confirmed_at",
        "voided_at",
        "void_reason",
        "adjusts.id",
        "notes",
        "payment_term.code",
        "invoice_no",
        "invoice_date",
        "invoice_note",
    ]
    search_columns = [
        "number",
        "direction",
        "customer",
        "pickup",
        "status",
        "voucher_no",
        "paid_at",
        "due_on",
        "due_state",
        "invoice_status",
    ]
    base_order = ("id", "desc")


class FollowUpApi(RecordApi):
    resource_name = "followup"
    class_permission_name = "FollowUp"
    datamodel = SQLAInterface(FollowUp)
    add_columns = api_fields("followup", "add")
    edit_columns = api_fields("followup", "edit")
    list_columns = [
        "id",
        "number",
        "source",
        "customer.id",
        "customer.name",
        "case.id",
        "pickup.id",
        "due_at",
        "due_state",
        "status",
        "satisfaction",
    ]
    show_columns = [
        *list_columns,
        "assignee.username",
        "channel.name",
        "done_at",
        "outcome",
        "comment",
        "result_case.id",
    ]
    search_columns = ["number", "customer", "source", "status", "due_state", "due_at"]
    base_order = ("id", "desc")
    workflow = FOLLOWUP_FLOW


class SpotCheckApi(RecordApi):
    resource_name = "spotcheck"
    class_permission_name = "SpotCheck"
    datamodel = SQLAInterface(SpotCheck)
    add_columns = api_fields("spot_check", "add")
    edit_columns = api_fields("spot_check", "edit")
    list_columns = [
        "id",
        "case.id",
        "case.number",
        "checked_on",
        "handler.username",
        "total_score",
    ]
    show_columns = [
        *list_columns,
        "timeliness_score",
        "process_score",
        "solution_score",
        "satisfaction_score",
        "records_score",
        "findings",
    ]
    search_columns = ["checked_on", "case", "handler", "total_score"]
    base_order = ("id", "desc")


class SitePatrolApi(RecordApi):
    resource_name = "sitepatrol"
    class_permission_name = "SitePatrol"
    datamodel = SQLAInterface(SitePatrol)
    add_columns = api_fields("site_patrol", "add")
    edit_columns = api_fields("site_patrol", "edit")
    list_columns = [
        "id",
        "patrolled_on",
        "pickup.id",
        "crew",
        "leader.username",
        "score",
    ]
    show_columns = [*list_columns, "findings"]
    search_columns = ["patrolled_on", "pickup", "leader", "score"]
    base_order = ("id", "desc")


class AppraisalApi(RecordApi):
    """Monthly appraisal sheets: read in scope, remarks until locked, steps."""

    resource_name = "appraisal"
    class_permission_name = "Appraisal"
    datamodel = SQLAInterface(Appraisal)
    method_permission_name = {
        k: v for k, v in METHOD_PERMISSIONS.items() if v in ("read", "edit")
    }
    add_columns = ["remarks"]  # refused by the rules: sheets are generated
    edit_columns = api_fields("appraisal", "edit")
    list_columns = [
        "id",
        "month",
        "user.username",
        "department.name",
        "status",
        "supervision_score",
    ]
    show_columns = [
        *list_columns,
        "supervision_total",
        "supervision_count",
        "remarks",
        "reviewed_by.username",
        "review_note",
        "approved_by.username",
        "approval_note",
    ]
    search_columns = ["month", "user", "department", "status"]
    base_order = ("id", "desc")
    workflow = APPRAISAL_FLOW


class HandoverNoteApi(RecordApi):
    """Shift handover notes: read in scope, notes until taken over, the
    acknowledgement step (seed 003 客服运营方案 三.1)."""

    resource_name = "handover_note"
    class_permission_name = "HandoverNote"
    datamodel = SQLAInterface(HandoverNote)
    add_columns = ["shift_date", "shift", "notes"]
    edit_columns = ["notes"]
    list_columns = [
        "id",
        "shift_date",
        "shift",
        "department.name",
        "status",
        "created_by.username",
        "acknowledged_by.username",
        "acknowledged_at",
    ]
    show_columns = [*list_columns, "notes", "more_items", "acknowledgement_note"]
    search_columns = ["shift_date", "shift", "department", "status"]
    base_order = ("shift_date", "desc")
    workflow = HANDOVER_FLOW


class ComplaintReportApi(RecordApi):
    resource_name = "complaint_report"
    class_permission_name = "ComplaintReport"
    datamodel = SQLAInterface(ComplaintReport)
    add_columns = api_fields("complaint_report", "add")
    edit_columns = api_fields("complaint_report", "edit")
    list_columns = ["id", "month", "status", "sent_at", "sent_by.username"]
    show_columns = [*list_columns, "analysis", "impact", "sent_to"]
    search_columns = ["month", "status"]
    base_order = ("month", "desc")
    workflow = REPORT_FLOW


class EmergencyPlanApi(RecordApi):
    """Emergency plans: drafts written and edited, put in force by a step;
    versions in force or superseded are refused any change."""

    resource_name = "emergency_plan"
    class_permission_name = "EmergencyPlan"
    datamodel = SQLAInterface(EmergencyPlan)
    add_columns = api_fields("emergency_plan", "add")
    edit_columns = api_fields("emergency_plan", "edit")
    list_columns = [
        "id",
        "incident_type.id",
        "incident_type.name",
        "version_no",
        "title",
        "status",
        "effective_on",
    ]
    show_columns = [
        *list_columns,
        "procedure",
        "in_force_at",
        "superseded_at",
        "put_in_force_by.username",
        "responsibles.person_id",
    ]
    search_columns = ["incident_type", "status", "title"]
    base_order = ("id", "desc")
    workflow = PLAN_FLOW


class IncidentReviewApi(RecordApi):
    resource_name = "incident_review"
    class_permission_name = "IncidentReview"
    datamodel = SQLAInterface(IncidentReview)
    add_columns = api_fields("incident_review", "add")
    edit_columns = api_fields("incident_review", "edit")
    list_columns = ["id", "case.id", "case.number", "needs_revision", "revision.id"]
    show_columns = [*list_columns, "plan.id", "causes", "lessons", "proposed_changes"]
    search_columns = ["case", "needs_revision"]
    base_order = ("id", "desc")


APIS = (
    CustomerApi,
    CaseApi,
    PickupApi,
    InspectionApi,
    SettlementApi,
    FollowUpApi,
    SpotCheckApi,
    SitePatrolApi,
    AppraisalApi,
    HandoverNoteApi,
    ComplaintReportApi,
    EmergencyPlanApi,
    IncidentReviewApi,
)
