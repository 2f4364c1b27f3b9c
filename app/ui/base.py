"""Base screens: scoping, code labels, masking and workflow steps in one place.

Concrete views stay declarative: a model, columns, labels, order, related
views. This base derives the rest from the model: the scope filter on every
query, select boxes and display labels for coded columns, time formatting in
business time, masking of confidential contact data, scoped relation pickers,
and the workflow step pages.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from decimal import Decimal
from typing import Any

from flask import abort, flash, g, redirect, request, session, url_for
from flask_appbuilder import ModelView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import Boolean, Integer, Numeric, Time, select
from sqlalchemy import inspect as sa_inspect
from wtforms import BooleanField, HiddenField, SelectField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired, Optional

from app.extensions import db
from app.labels import LABELS
from app.models import AwareDateTime
from app.models.base import MONEY, StoredFile
from app.models.codes import CLOCK_STATES, CLOCK_STYLES, label
from app.security.access import can, current_user
from app.security.roles import METHOD_PERMISSIONS
from app.security.scope import SCOPE_FILTER, ScopeFilter, is_scoped
from app.services.core import records
from app.services.core.errors import DomainError
from app.ui.listing import ListInterface
from app.ui.widgets import TimeOfDayField, datetime_field, number_range, time_text

logger = logging.getLogger(__name__)

DATETIME_FORMAT = "%Y-%m-%d %H:%M"


def format_datetime(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime(DATETIME_FORMAT)
    return "" if value is None else str(value)


def format_money(value: Any) -> str:
    """An amount in CNY (yuan, 2 decimals) with thousands separators, as on the
    printed documents: Decimal("11332.19") -> "11,332.19"; None -> ""."""
    return "" if value is None else f"{Decimal(value):,.2f}"


def is_money(column: Any) -> bool:
    """A money column (app.models.base.MONEY: NUMERIC(14, 2), yuan)."""
    return isinstance(column.type, Numeric) and (
        column.type.precision,
        column.type.scale,
    ) == (MONEY.precision, MONEY.scale)


def format_bool(value: Any) -> Any:
    if value is None:
        return ""
    return _l("Yes") if value else _l("No")


def state_badge(value: Any) -> Any:
    """A clock state as a coloured label."""
    if not value:
        return ""
    style = CLOCK_STYLES.get(value, "default")
    return Markup('<span class="label label-{}">{}</span>').format(
        style, label(CLOCK_STATES, value)
    )


# Columns holding stable identifiers (codes of the API and `flask` commands,
# setting keys, where a row came from): shown as they are, never translated.
IDENTIFIER_COLUMNS = frozenset({"code", "key", "source"})


def format_identifier(value: Any) -> Any:
    if value is None:
        return ""
    return Markup('<span translate="no">{}</span>').format(value)


# Records a show page links to when they are related to the one shown.
LINKED_RECORDS = frozenset(
    {
        "Customer",
        "Case",
        "Pickup",
        "WeighTicket",
        "Inspection",
        "Settlement",
        "Statement",
        "FollowUp",
        "ImprovementAction",
    }
)


def _link_formatter(model: Any, endpoint: str, shown: Any, user: Any) -> Any:
    """`shown(value)` as a link to the related record's show page when the
    record is in `user`'s scope (a 404 is not offered as a link)."""
    from app.security.scope import is_visible

    def formatter(value: Any) -> Any:
        text = shown(value)
        if value is None:
            return text
        if is_scoped(model) and not is_visible(model, value.id, user):
            return text
        return Markup('<a class="record-link" href="{}">{}</a>').format(
            url_for(f"{endpoint}.show", pk=value.id), text
        )

    return formatter


def customer_marked(value: Any) -> Any:
    """A customer with its marks: key account (重点客户, seed 003 第四条; 快递
    二.1's VIP) and grade (A-D). Lists load the grade with the customers
    (app.ui.listing.LABEL_NEEDS), so the marks cost no query per row."""
    if value is None:
        return ""
    marks = Markup("")
    if getattr(value, "key_account", False):
        marks += Markup(
            ' <span class="label label-danger key-account" title="{}">{}</span>'
        ).format(_l("Key account"), _l("VIP"))
    grade = getattr(value, "grade", None)
    if grade is not None:
        marks += Markup(" ") + grade_badge(grade)
    return Markup("{}{}").format(str(value), marks)


def grade_badge(grade: Any) -> Any:
    """A customer grade as its code in a label (its name on hover)."""
    if grade is None:
        return ""
    return Markup(
        '<span class="label label-info customer-grade" title="{}">{}</span>'
    ).format(grade.name, grade.code)


def key_account_badge(value: Any) -> Any:
    if not value:
        return ""
    return Markup('<span class="label label-danger key-account">{}</span>').format(
        _l("VIP")
    )


def format_plain(value: Any) -> Any:
    return "" if value is None else value


def mask_phone(value: str | None) -> str:
    """Keep the first 3 and last 4 digits: 138****5678."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_address(value: str | None) -> str:
    """Keep the province/city prefix only."""
    if not value:
        return ""
    return value[:6] + "****"


MASKS = {"phone": mask_phone, "address": mask_address}


def may_see_contact() -> bool:
    return can(current_user(), "see_contact", "Confidential")


def _code_formatter(codes: dict[str, Any]) -> Any:
    return lambda value: label(codes, value)


def _mask_formatter(kind: str) -> Any:
    mask = MASKS[kind]

    def formatter(value: Any) -> Any:
        if value is None:
            return ""
        return value if may_see_contact() else mask(value)

    return formatter


class RecordView(ModelView):
    """A CRUD screen over one record type, scoped to what the user may see."""

    method_permission_name = METHOD_PERMISSIONS
    label_columns = LABELS
    page_size = 25
    show_template = "record/show.html"
    # What one record is called (titles of the detail, add and edit pages).
    record_name: Any = None
    # Columns holding customers' contact data (masked for roles without the right).
    confidential_columns: dict[str, str] = {}
    # A workflow (app.services.core.workflow.Workflow) whose steps this screen offers.
    workflow: Any = None
    # Extra header above the detail (template of its own, optional).
    header_template: str | None = None
    # One-click list filters: (label, user -> FAB filter query parameters).
    quick_filters: tuple[tuple[Any, Any], ...] = ()
    list_template = "record/list.html"
    # A printable page of one record: its template and what it shows
    # (`print_context(item) -> dict`, wrapped in staticmethod).
    print_template: str | None = None
    print_context: Any = None
    # After "save" on the add form: open the new record (False: back to where
    # the clerk came from, e.g. a log entry added from its case).
    land_on_created = True
    # Required pickers of the add form that keep their first choice as the
    # default (all others start empty, so nothing risky is preselected).
    preselected_pickers: tuple[str, ...] = ()
    # Required relations of the add form that the record's rules fill when
    # left empty (e.g. the material of the pickup line weighed): optional on
    # the form, so the clerk does not pick again what the record already says.
    filled_by_rules: tuple[str, ...] = ()
    # The list's edit and delete buttons of a row follow the record's state:
    # hidden where the rules refuse that record's edit or delete whatever is
    # typed (its page says why). One check per row shown: for short lists.
    row_buttons_by_state = False

    def __init__(self, **kwargs: Any) -> None:
        model = self.datamodel.obj
        name = self.record_name or self.list_title
        if name:
            self.show_title = self.show_title or _l("%(name)s details", name=name)
            self.add_title = self.add_title or _l("New %(name)s", name=name)
            self.edit_title = self.edit_title or _l("Edit %(name)s", name=name)
        # Capped count, related records of the rows loaded with the page.
        self.datamodel = ListInterface.of(self.datamodel)
        self.datamodel.show_relations(self.list_columns)
        self.base_filters = list(self.base_filters or [])
        if is_scoped(model):
            self.base_filters += SCOPE_FILTER
        self._configure_columns(model)
        super().__init__(**kwargs)
        _no_preselected_pickers(self.add_form, keep=self.preselected_pickers)
        for name in self.filled_by_rules:
            unbound = getattr(self.add_form, name)
            unbound.kwargs["validators"] = [
                Optional() if isinstance(v, (DataRequired, InputRequired)) else v
                for v in unbound.kwargs.get("validators", [])
            ]

    @property
    def database_error_message(self) -> Any:  # type: ignore[override]
        """FAB's edit shows "Database Error" when a save fails: say why."""
        refusal = g.get("database_refusal")
        return str(refusal) if refusal is not None else _l("Not saved.")

    # ----------------------------------------------------------------- set-up
    def _configure_columns(self, model: Any) -> None:
        """Derive select boxes, formatters and scoped pickers from the model."""
        self.formatters_columns = dict(self.formatters_columns or {})
        self.add_form_extra_fields = dict(self.add_form_extra_fields or {})
        self.search_form_extra_fields = dict(self.search_form_extra_fields or {})
        self.edit_form_extra_fields = dict(self.edit_form_extra_fields or {})
        labels = self.label_columns or {}
        for column in model.__table__.columns:
            codes = column.info.get("codes")
            name = column.key
            if name in IDENTIFIER_COLUMNS and not codes:
                self.formatters_columns.setdefault(name, format_identifier)
            if is_money(column):
                self.formatters_columns.setdefault(name, format_money)
            if codes is CLOCK_STATES:
                self.formatters_columns.setdefault(name, state_badge)
            if codes:
                self.formatters_columns.setdefault(name, _code_formatter(codes))
                # NOT NULL: a choice is required (an empty one was a database
                # error); a column default is the add form's preselection.
                required = not column.nullable
                fixed = column.default is not None and not callable(column.default.arg)
                for extra in (self.add_form_extra_fields, self.edit_form_extra_fields):
                    extra.setdefault(
                        name,
                        _select(
                            labels.get(name, name),
                            codes,
                            required,
                            default=column.default.arg if fixed else None,
                        ),
                    )
                self.search_form_extra_fields.setdefault(
                    name, _select(labels.get(name, name), codes, False)
                )
            elif isinstance(column.type, AwareDateTime):
                self.formatters_columns.setdefault(name, format_datetime)
                # FAB's own date-time widget refuses the value it prefills.
                now_default = column.default is not None and callable(
                    column.default.arg
                )
                for extra in (self.add_form_extra_fields, self.edit_form_extra_fields):
                    extra.setdefault(
                        name,
                        datetime_field(
                            labels.get(name, name),
                            required=not column.nullable,
                            blank_means_now=now_default,
                            description=(self.description_columns or {}).get(name),
                        ),
                    )
            elif isinstance(column.type, Boolean) and not column.nullable:
                # FAB makes NOT NULL checkboxes required, i.e. they must be ticked.
                for extra in (self.add_form_extra_fields, self.edit_form_extra_fields):
                    extra.setdefault(
                        name,
                        BooleanField(
                            labels.get(name, name),
                            default=bool(column.default.arg)
                            if column.default is not None
                            and not callable(column.default.arg)
                            else False,
                        ),
                    )
            elif isinstance(column.type, Time):
                # FAB has no form field for TIME columns.
                for extra in (self.add_form_extra_fields, self.edit_form_extra_fields):
                    extra.setdefault(
                        name,
                        TimeOfDayField(
                            labels.get(name, name),
                            validators=[InputRequired()]
                            if not column.nullable
                            else [Optional()],
                            description=(self.description_columns or {}).get(name)
                            or _l(
                                "24-hour time, e.g. 08:30 or 0830; 24:00 ends the day."
                            ),
                        ),
                    )
                self.formatters_columns.setdefault(name, time_text)
        if "version" in model.__table__.columns and self.edit_columns:
            # The edit form carries the version it showed (optimistic locking).
            self.edit_columns = [*self.edit_columns, "version"]
            self.edit_form_extra_fields["version"] = HiddenField()
        self.validators_columns = ValidatorLists(
            {**number_validators(model), **(self.validators_columns or {})}
        )
        for name, kind in self.confidential_columns.items():
            self.formatters_columns[name] = _mask_formatter(kind)
        for relation in sa_inspect(model).relationships:
            if relation.mapper.class_.__name__ == "Customer":
                self.formatters_columns.setdefault(relation.key, customer_marked)
        # Empty values show as empty, not "None"; booleans as yes/no.
        shown = {*(self.list_columns or []), *(self.show_columns or [])}
        # Screens without a column list show every column and relation.
        shown.update(c.key for c in model.__table__.columns)
        shown.update(r.key for r in sa_inspect(model).relationships)
        for fieldset in self.show_fieldsets or []:
            shown.update(fieldset[1].get("fields", []))
        booleans = {
            c.key for c in model.__table__.columns if isinstance(c.type, Boolean)
        }
        for name in shown:
            if name in booleans:
                self.formatters_columns.setdefault(name, format_bool)
            else:
                self.formatters_columns.setdefault(name, format_plain)
        self._search_pickers(model, labels)
        self.add_form_query_rel_fields = self._scoped_pickers(
            model, self.add_form_query_rel_fields
        )
        self.edit_form_query_rel_fields = self._scoped_pickers(
            model, self.edit_form_query_rel_fields
        )
        self.search_form_query_rel_fields = self._scoped_pickers(
            model, self.search_form_query_rel_fields
        )

    def _search_pickers(self, model: Any, labels: dict) -> None:
        """Relations to big tables (customers, cases, pickups, staff...) are
        searched as the clerk types, never listed whole (app.ui.pickers)."""
        from app.ui.pickers import picker_field

        forms = (
            (self.add_form_extra_fields, self.add_form_query_rel_fields, True),
            (self.edit_form_extra_fields, self.edit_form_query_rel_fields, True),
            (self.search_form_extra_fields, self.search_form_query_rel_fields, False),
        )
        for rel in sa_inspect(model).relationships:
            if rel.direction.name != "MANYTOONE":
                continue
            required = not all(column.nullable for column in rel.local_columns)
            for extra, filters, may_require in forms:
                if rel.key in extra:
                    continue
                field = picker_field(
                    rel.mapper.class_,
                    labels.get(rel.key, rel.key),
                    required and may_require,
                    (filters or {}).get(rel.key),
                )
                if field is not None:
                    extra[rel.key] = field

    @staticmethod
    def _scoped_pickers(model: Any, given: dict | None) -> dict:
        """Relation pickers list only the rows the user may see."""
        fields = dict(given or {})
        for rel in sa_inspect(model).relationships:
            if rel.direction.name != "MANYTOONE":
                continue
            target = rel.mapper.class_
            if is_scoped(target) and rel.key not in fields:
                fields[rel.key] = [["id", ScopeFilter, lambda: None]]
        return fields

    # ------------------------------------------------------------ write hooks
    def pre_add(self, item: Any) -> None:
        records.before_create(item)

    def post_add(self, item: Any) -> None:
        records.after_create(item)
        g.created_record = item

    def post_add_redirect(self) -> Any:
        """The clerk lands on the record just created, told its number."""
        to = g.pop("refused_to", None)
        if to:
            return redirect(to)
        item = g.pop("created_record", None)
        if item is None or not self.land_on_created:
            return super().post_add_redirect()
        # FAB's own "Added Row" gives way to the message naming the record.
        added = str(self.add_row_message)
        session["_flashes"] = [
            (category, message)
            for category, message in session.get("_flashes", [])
            if message != added
        ]
        flash(
            _l("%(name)s %(number)s created.", name=self.record_name, number=item),
            "success",
        )
        return redirect(url_for(f"{self.endpoint}.show", pk=item.id))

    # ----------------------------------------- refused before the form
    def refused_to_add(self) -> Any | None:
        """Why the user may add no record here whatever they type (their
        role's permission is not enough, e.g. only a department head records
        training), or None. The list then shows no add button."""
        return None

    def refused_before_form(self, item: Any | None) -> tuple[Any, str] | None:
        """(reason, where to go) when adding a record (`item` None; related
        records from the address) or changing `item` would be refused whatever
        the clerk typed; None when the form may be filled in. By default: the
        record's rules, asked about an untouched save (or a new record holding
        only the related records given), refuse it by state (a conflict)."""
        if item is not None:
            error = records.refusal_of_untouched(item)
            where = url_for(f"{self.endpoint}.show", pk=item.id)
        elif (refused := self.refused_to_add()) is not None:
            return refused, _same_site(request.referrer) or url_for(
                f"{self.endpoint}.list"
            )
        else:
            given = self._given_records()
            if not given:
                return None
            new = self.datamodel.obj()
            for name, row in given.items():
                setattr(new, name, row)
            error = records.refusal_of_new(new)
            where = _same_site(request.referrer) or url_for(f"{self.endpoint}.list")
        return None if error is None else (error, where)

    def _given_records(self) -> dict[str, Any]:
        """Related records named by the address that the user may see."""
        from app.ui.pickers import PICKER_OF_MODEL, get

        found = {}
        for rel in sa_inspect(self.datamodel.obj).relationships:
            picker = PICKER_OF_MODEL.get(rel.mapper.class_)
            value = request.args.get(f"_flt_0_{rel.key}")
            if rel.direction.name == "MANYTOONE" and picker and value:
                row = get(picker.kind, value, current_user())
                if row is not None:
                    found[rel.key] = row
        return found

    def _refuse_before_form(self, item: Any | None) -> bool:
        if request.method != "GET":
            return False
        refusal = self.refused_before_form(item)
        if refusal is None:
            return False
        reason, g.refused_to = refusal
        flash(str(reason), "warning")
        return True

    def _add(self) -> Any:
        if self._refuse_before_form(None):
            return None
        return super()._add()

    def _edit(self, pk: Any) -> Any:
        item = self.datamodel.get(pk, self._base_filters)
        if item is not None and self._refuse_before_form(item):
            return None
        return super()._edit(pk)

    def post_edit_redirect(self) -> Any:
        to = g.pop("refused_to", None)
        return redirect(to) if to else super().post_edit_redirect()

    def given_record(self, name: str, kind: str) -> Any | None:
        """The related record the address names (`?_flt_0_pickup=7`), if the
        user may see it."""
        from app.ui.pickers import get

        return get(kind, request.args.get(f"_flt_0_{name}"), current_user())

    # ------------------------------------- records opened from a related one
    def _given_pickers(self, form: Any) -> list[str]:
        """Relations named by the address (`/cases/add?_flt_0_customer=7`) that
        the form offers as search-as-you-type pickers."""
        from app.ui.pickers import PickerField

        return [
            name
            for name in self._filters.get_relation_cols()
            if name in form and isinstance(form[name], PickerField)
        ]

    def _shown_given(self, form: Any, exclude_cols: Any) -> list[str]:
        """FAB hides a relation given by the address and sets it from the
        address unchecked; a picker shows it chosen instead (in the user's
        scope: a record the user may not see is not chosen) and the clerk
        can see and change it. Returns the columns still hidden."""
        given = self._given_pickers(form)
        if request.method == "GET":
            for name in given:
                value = self._filters.get_filter_value(name)
                # FAB keeps each filter's values as a list.
                form[name].prefill(value[0] if isinstance(value, list) else value)
        return [name for name in exclude_cols or [] if name not in given]

    def _get_add_widget(self, form: Any, exclude_cols: Any = None, **kw: Any) -> Any:
        hidden = self._shown_given(form, exclude_cols)
        if request.method == "GET":
            self.prefill_add_form(form)
        return super()._get_add_widget(form, exclude_cols=hidden, **kw)

    def prefill_add_form(self, form: Any) -> None:
        """Fill the add form as it opens from what the address gives (e.g.
        the customer of the pickup a weigh ticket is opened from)."""

    def _get_edit_widget(self, form: Any, exclude_cols: Any = None, **kw: Any) -> Any:
        hidden = self._shown_given(form, exclude_cols)
        return super()._get_edit_widget(form, exclude_cols=hidden, **kw)

    def _fill_form_exclude_cols(self, exclude_cols: Any, form: Any) -> None:
        """A shown picker keeps what was posted (read back in scope)."""
        given = self._given_pickers(form)
        hidden = [name for name in exclude_cols if name not in given]
        super()._fill_form_exclude_cols(hidden, form)

    def pre_update(self, item: Any) -> None:
        records.check_version(item)
        records.before_update(item)

    def post_update(self, item: Any) -> None:
        records.after_update(item)

    def pre_delete(self, item: Any) -> None:
        records.before_delete(item)

    # -------------------------------------------------- scoping of FAB gaps
    def _get_list_widget(self, filters: Any, **kwargs: Any) -> Any:
        """Searching or sorting by a masked column would reveal it: drop such
        filters and such an order."""
        if self.confidential_columns and not may_see_contact():
            if kwargs.get("order_column") in self.confidential_columns:
                kwargs["order_column"] = kwargs["order_direction"] = ""
            kept = filters.copy()
            pairs = [
                (flt, value)
                for flt, value in zip(kept.filters, kept.values, strict=True)
                if flt.column_name not in self.confidential_columns
            ]
            kept.filters = [flt for flt, _ in pairs]
            kept.values = [value for _, value in pairs]
            filters = kept
        widgets = super()._get_list_widget(filters=filters, **kwargs)
        listed = widgets["list"].template_args
        listed["add_refused"] = self.refused_to_add() is not None
        if self.row_buttons_by_state:
            listed["locked_edit"], listed["locked_delete"] = self._locked_rows(
                listed["pks"]
            )
        if self.quick_filters:
            from flask import render_template

            user = current_user()
            links = [
                (label, url_for(f"{self.endpoint}.list", **params(user)))
                for label, params in self.quick_filters
            ]
            # Our own template's output: already escaped by Jinja.
            widgets["quick"] = Markup(  # noqa: S704
                render_template("record/quick_filters.html", links=links)
            )
        return widgets

    def _may(self, method: str) -> bool:
        permission = f"can_{self.get_method_permission(method)}"
        return permission in (
            self.base_permissions or ()
        ) and self.appbuilder.sm.has_access(permission, self.class_permission_name)

    def _locked_rows(self, pks: list[Any]) -> tuple[set[Any], set[Any]]:
        """The rows of `pks` whose edit, and whose delete, the rules refuse."""
        edit, delete = set(), set()
        may_edit, may_delete = self._may("edit"), self._may("delete")
        for pk in pks:
            item = self.datamodel.get(pk)
            if item is None:
                continue
            if may_edit and self.refused_before_form(item) is not None:
                edit.add(pk)
            if may_delete and records.refusal_of_delete(item) is not None:
                delete.add(pk)
        return edit, delete

    def _scoped_item(self, pk: Any) -> Any:
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        return item

    @expose("/download/<string:filename>")
    @has_access
    def download(self, filename: str) -> Any:
        """FAB serves any stored file by name; serve only a file held by a
        record of this screen that the user may see (404 otherwise)."""
        from flask import current_app, send_file
        from flask_appbuilder.filemanager import uuid_originalname
        from werkzeug.security import safe_join

        model = self.datamodel.obj
        columns = [c for c in model.__table__.columns if isinstance(c.type, StoredFile)]
        key = sa_inspect(model).primary_key[0]
        pks = []
        for column in columns:
            pks += db.session.scalars(
                select(key).where(column == filename).limit(2)
            ).all()
        if not any(self.datamodel.get(pk, self._base_filters) for pk in pks):
            abort(404)
        path = safe_join(current_app.config["UPLOAD_FOLDER"], filename)
        if path is None or not os.path.isfile(path):
            abort(404)
        return send_file(
            path, download_name=uuid_originalname(filename), as_attachment=True
        )

    @expose("/action/<string:name>/<pk>", methods=["POST"])
    @has_access
    def action(self, name: str, pk: Any) -> Any:
        """FAB's action fetches rows without base filters; refetch in scope."""
        action = self.actions.get(name)
        if action is None:
            abort(404)
        if not self.appbuilder.sm.has_access(
            self.get_action_permission_name(name), self.class_permission_name
        ):
            abort(403)
        return action.func(self._scoped_item(pk))

    @expose("/action_post", methods=["POST"])
    @has_access
    def action_post(self) -> Any:
        name = request.form.get("action", "")
        action = self.actions.get(name)
        if action is None:
            abort(404)
        if not self.appbuilder.sm.has_access(
            self.get_action_permission_name(name), self.class_permission_name
        ):
            abort(403)
        items = [self._scoped_item(pk) for pk in request.form.getlist("rowid")]
        return action.func(items)

    # ------------------------------------------------------- workflow steps
    def _get_show_widget(self, pk: Any, item: Any, **kwargs: Any) -> Any:
        widgets = super()._get_show_widget(pk, item, **kwargs)
        show = widgets["show"].template_args
        show["formatters_columns"] = {
            **show["formatters_columns"],
            **self._record_links(item),
        }
        # Our own template's output: already escaped by Jinja.
        widgets["header"] = Markup(self.render_header(item))  # noqa: S704
        return widgets

    def _record_links(self, item: Any) -> dict[str, Any]:
        """Formatters turning the related records of a show page (customer,
        case, pickup, weigh ticket, settlement...) into links to their own
        show pages: only where the viewer may open that page and the record
        is in their scope; otherwise the plain text stays."""
        user = current_user()
        links: dict[str, Any] = {}
        for relation in sa_inspect(type(item)).relationships:
            target = relation.mapper.class_
            if relation.uselist or target.__name__ not in LINKED_RECORDS:
                continue
            endpoint = self._show_endpoint(target)
            if endpoint is None:
                continue
            shown = self.formatters_columns.get(relation.key, format_plain)
            links[relation.key] = _link_formatter(target, endpoint, shown, user)
        return links

    def _show_endpoint(self, model: Any) -> str | None:
        """The endpoint of the screen showing `model` that the user may open
        (its own screen first, e.g. Case before the approval queue)."""
        views = [
            view
            for view in self.appbuilder.baseviews
            if isinstance(view, RecordView) and view.datamodel.obj is model
        ]
        views.sort(key=lambda view: view.class_permission_name != model.__name__)
        sm = self.appbuilder.sm
        for view in views:
            permission = f"can_{view.get_method_permission('show')}"
            if permission in (view.base_permissions or ()) and sm.has_access(
                permission, view.class_permission_name
            ):
                return view.endpoint
        return None

    def render_header(self, item: Any) -> str:
        from flask import render_template

        user = current_user()
        steps = self.workflow.available(item, user) if self.workflow else []
        waiting = self.workflow.waiting(item, user) if self.workflow else []
        may_edit = self._may("edit")
        # A record its state no longer lets change: the button is shown
        # disabled with the reason instead of refusing after the click.
        refusal = self.refused_before_form(item) if may_edit else None
        return render_template(
            self.header_template or "record/header.html",
            view=self,
            item=item,
            steps=steps,
            waiting=waiting,
            edit_url=url_for(f"{self.endpoint}.edit", pk=item.id)
            if may_edit and refusal is None
            else None,
            edit_refused=str(refusal[0]) if refusal else None,
            **self.header_context(item),
        )

    def header_context(self, item: Any) -> dict[str, Any]:
        """Extra values for the header template (clocks, totals)."""
        return {}

    @expose("/step/<string:name>/<int:pk>", methods=["GET", "POST"])
    @has_access
    def step(self, name: str, pk: int) -> Any:
        """Show a workflow step's form and run it through the workflow service."""
        if self.workflow is None:
            abort(404)
        step = self.workflow.get(name)
        if step is None:
            abort(404)
        item = self._scoped_item(pk)
        if not self.workflow.allowed(step, current_user()):
            abort(403)
        reason = self.workflow.why_not(step, item)
        if request.method == "GET" and reason is not None:
            # Refused before the clerk fills in anything.
            flash(str(reason), "warning")
            return redirect(url_for(f"{self.endpoint}.show", pk=pk))
        form = self.workflow.form_for(step, item)
        status = 200
        if request.method == "POST" and form.validate_on_submit():
            try:
                self.workflow.run(item, step.name, form.data, current_user())
            except DomainError as error:
                db.session.rollback()
                flash(str(error), "danger")
                status = error.status
            else:
                flash(_l("%(step)s: done.", step=step.label), "success")
                return redirect(url_for(f"{self.endpoint}.show", pk=pk))
        elif request.method == "POST":
            status = 400
        item = self._scoped_item(pk)
        body = self.render_template(
            "record/step.html",
            form=form,
            step=step,
            item=item,
            title=step.label,
            back=url_for(f"{self.endpoint}.show", pk=pk),
        )
        return body, status

    @expose("/print/<int:pk>")
    @has_access
    def print_view(self, pk: int) -> Any:
        """The record as a printable page (weigh ticket, settlement voucher)."""
        from flask import render_template

        if self.print_template is None:
            abort(404)
        item = self._scoped_item(pk)
        values = self.print_context(item) if self.print_context else {}
        return render_template(self.print_template, item=item, **values)


class RefusalKeepsForm:
    """Mixin of a RecordView: a rule refusing a new or changed record shows the
    add or edit form again with what was typed and the reason at its field
    (FAB's own add and edit flash the reason and drop the form)."""

    def pre_add(self, item: Any) -> None:
        try:
            super().pre_add(item)  # type: ignore[misc]
        except DomainError as error:
            from flask import g

            g.refused = error
            raise

    def _add(self) -> Any:
        from flask import g

        widgets = super()._add()  # type: ignore[misc]
        error = g.pop("refused", None)
        if error is None:
            return widgets
        db.session.rollback()
        form = self.add_form.refresh()  # type: ignore[attr-defined]
        if error.field and error.field in form:
            form[error.field].errors = [str(error)]
        return self._get_add_widget(form=form, exclude_cols=[])  # type: ignore[attr-defined]

    def pre_update(self, item: Any) -> None:
        try:
            super().pre_update(item)  # type: ignore[misc]
        except DomainError as error:
            from flask import g

            g.refused = error
            raise

    def _edit(self, pk: Any) -> Any:
        from flask import g

        widgets = super()._edit(pk)  # type: ignore[misc]
        error = g.pop("refused", None)
        if error is None or request.method != "POST":
            return widgets
        db.session.rollback()  # the refused change is not kept in the session
        form = self.edit_form.refresh(request.form)  # type: ignore[attr-defined]
        form._id = pk
        if error.field and error.field in form:
            form[error.field].errors = [str(error)]
        widgets = self._get_edit_widget(form=form, exclude_cols=[])  # type: ignore[attr-defined]
        # The edit page shows the record's related lists too (its tabs).
        from flask_appbuilder.urltools import (
            get_order_args,
            get_page_args,
            get_page_size_args,
        )

        item = self.datamodel.get(pk, self._base_filters)  # type: ignore[attr-defined]
        return self._get_related_views_widgets(  # type: ignore[attr-defined]
            item,
            filters={},
            orders=get_order_args(),
            pages=get_page_args(),
            page_sizes=get_page_size_args(),
            widgets=widgets,
        )


class ReferenceView(RefusalKeepsForm, RecordView):
    """Reference data: every signed-in user reads, admins change."""

    class_permission_name = "ReferenceData"


def _same_site(url: str | None) -> str | None:
    """A page of this site the clerk came from (never another site)."""
    from urllib.parse import urlsplit

    if not url or urlsplit(url).netloc != request.host:
        return None
    return url


def _no_preselected_pickers(form: Any, keep: tuple[str, ...] = ()) -> None:
    """A new record preselects no related record: required pickers start empty
    ("请选择") and an empty one is refused as required, instead of silently
    taking the first customer or category in the list."""
    for name in dir(form):
        if name in keep:
            continue
        unbound = getattr(form, name, None)
        if isinstance(unbound, UnboundField) and issubclass(
            unbound.field_class, QuerySelectField
        ):
            unbound.kwargs["allow_blank"] = True


class ValidatorLists(dict):
    """A view's `validators_columns` handing FAB a fresh list per form: FAB
    appends its own validators (required, length, unique) to the list it is
    given, so the add and the edit form built from one shared list each
    carried them twice (a taken value was told "已经存在 已经存在")."""

    def get(self, key: Any, default: Any = None) -> Any:
        value = super().get(key, default)
        return list(value) if isinstance(value, list) else value


def number_validators(model: Any) -> dict[str, list[Any]]:
    """Numbers are non-negative unless a column says `signed`; `max` caps them."""
    result = {}
    for column in model.__table__.columns:
        if not isinstance(column.type, (Numeric, Integer)) or column.primary_key:
            continue
        if column.foreign_keys or column.info.get("signed"):
            continue
        result[column.key] = [number_range(0, column.info.get("max"))]
    return result


def _select(
    title: Any, codes: dict[str, Any], required: bool, default: Any = None
) -> SelectField:
    choices = [(code, text) for code, text in codes.items()]
    if not required:
        choices = [("", "—"), *choices]
    return SelectField(
        title,
        choices=choices,
        default=default,
        validators=[InputRequired()] if required else [Optional()],
        coerce=lambda v: v or None,
    )


def datamodel(model: Any) -> SQLAInterface:
    """FAB data interface over a model, bound to the app's session."""
    return SQLAInterface(model, db.session)
