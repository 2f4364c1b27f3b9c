"""Pickers over the big tables: search as you type, scoped like the lists.

A form or list filter naming a customer, case, pickup, staff member, weigh
ticket or line, inspection or settlement never renders the whole table as
`<option>`s: the select holds only the chosen row, and the page's script
(app/static/js/forms.js, select2 ajax) asks `/pick/<kind>?q=...` for up to 20
rows matching what the clerk types, in the user's scope (the same rule as the
lists, `app.security.scope`). A posted value is read back through the same
scope, so a row outside it is refused at the field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import abort, jsonify, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.sqla.models import Role
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload
from wtforms.fields import SelectFieldBase
from wtforms.validators import DataRequired, Optional, ValidationError

from app.extensions import db
from app.models import (
    BUSINESS_TZ,
    AppUser,
    Case,
    Customer,
    Inspection,
    Pickup,
    PickupLine,
    Settlement,
    VisitPlan,
    WeighLine,
    WeighTicket,
)
from app.security.access import SYSTEM_USERNAME, can, current_user
from app.security.roles import ROLE_PERMISSIONS, role_grants
from app.security.scope import restrict
from app.services.visits.acceptance import SERVED_PICKUP, UNSERVED_CASE

PAGE = 20
MAX_PAGES = 10


@dataclass(frozen=True)
class Picker:
    kind: str
    model: Any
    # Text columns matched by a fragment anywhere in them (contains).
    columns: tuple[Any, ...]
    # Columns matched only for users who may see customers' contact data.
    confidential: tuple[Any, ...] = ()
    # Joined for matching (e.g. a line matched by its pickup's number).
    join: Any = None
    # Or a function of the user (e.g. their own department first).
    order: tuple[Any, ...] | Callable[[Any], tuple[Any, ...]] = ()
    load: tuple[Any, ...] = ()
    label: Callable[[Any], str] = str
    # Only active rows are offered (e.g. staff who left are not).
    where: Any = None
    # Narrowing a form may ask for (`?status=active`): name -> column.
    narrowing: dict[str, Any] = field(default_factory=dict)
    # False: every row (the where clause still applies), for the users
    # `allowed` names - a screen offering rows beyond the user's scope.
    scoped: bool = True
    allowed: Callable[[Any], bool] | None = None
    # A narrower picker of a model that has its own (named by a form itself).
    variant: bool = False


def _customer_label(customer: Customer) -> str:
    return f"{customer.name} ({customer.code})" if customer.code else customer.name


def _user_label(user: AppUser) -> str:
    """A staff member as the clerk knows them: full name and department."""
    return f"{user}（{user.department}）" if user.department else str(user)


# A user is searched by username, family name, given name and the full name
# as written in Chinese (family name first, no space): "周婷" or "婷".
USER_COLUMNS = (
    AppUser.username,
    AppUser.last_name,
    AppUser.first_name,
    func.coalesce(AppUser.last_name, "") + func.coalesce(AppUser.first_name, ""),
)

# The roles that record visit reports (seed 003 第四条(2): the designated
# visitor); the Admin account is not staff and is offered only with one.
VISITING_ROLES = tuple(
    role for role in ROLE_PERMISSIONS if "report" in role_grants(role, "VisitWorkflow")
)


def _staff_order(user: Any) -> tuple[Any, ...]:
    """Colleagues of the user's own department first (not the user: a sales
    rep is not their own accounts' visitor), then by name."""
    own = getattr(user, "department_id", None)
    colleague = (AppUser.department_id == own) & (AppUser.id != user.id)
    first = (case((colleague, 0), else_=1),) if own is not None else ()
    return (*first, AppUser.last_name, AppUser.first_name, AppUser.username)


def _plan_label(plan: VisitPlan) -> str:
    return f"{plan.number} {plan.customer.name} {plan.starts_on}~{plan.ends_on}"


def _day(moment: Any) -> str:
    return moment.astimezone(BUSINESS_TZ).date().isoformat() if moment else ""


def _served_pickup_label(pickup: Pickup) -> str:
    customer = pickup.customer.name if pickup.customer else ""
    return f"{pickup.number} {customer} {_day(pickup.collected_at)}".strip()


def _served_case_label(case: Case) -> str:
    customer = case.customer.name if case.customer else ""
    return f"{case.number} {customer} {_day(case.received_at)}".strip()


PICKERS: dict[str, Picker] = {
    p.kind: p
    for p in (
        Picker(
            "customer",
            Customer,
            (Customer.name, Customer.code),
            confidential=(Customer.phone,),
            order=(Customer.id.desc(),),
            label=_customer_label,
            narrowing={"status": Customer.status},
        ),
        Picker(
            "case",
            Case,
            (Case.number, Case.title),
            order=(Case.id.desc(),),
            # Spot checks pick closed cases only, post-incident reviews
            # closed incidents.
            narrowing={"status": Case.status, "kind": Case.kind},
        ),
        Picker("pickup", Pickup, (Pickup.number,), order=(Pickup.id.desc(),)),
        Picker(
            "user",
            AppUser,
            USER_COLUMNS,
            order=_staff_order,
            load=(joinedload(AppUser.department),),
            label=_user_label,
            where=AppUser.active.is_(True) & (AppUser.username != SYSTEM_USERNAME),
        ),
        # The designated visitor of a key account (seed 003 第四条(2)): active
        # staff whose role records visit reports.
        Picker(
            "visitor",
            AppUser,
            USER_COLUMNS,
            order=_staff_order,
            load=(joinedload(AppUser.department),),
            label=_user_label,
            where=AppUser.active.is_(True)
            & (AppUser.username != SYSTEM_USERNAME)
            & AppUser.roles.any(Role.name.in_(VISITING_ROLES)),
            variant=True,
        ),
        # Staff members (a department's people): whom a patrol scores.
        Picker(
            "staff",
            AppUser,
            (AppUser.username, AppUser.last_name, AppUser.first_name),
            order=(AppUser.username,),
            where=and_(AppUser.active.is_(True), AppUser.department_id.is_not(None)),
            variant=True,
        ),
        Picker(
            "weigh_ticket",
            WeighTicket,
            (WeighTicket.number,),
            order=(WeighTicket.id.desc(),),
        ),
        Picker(
            "weigh_line",
            WeighLine,
            (WeighTicket.number,),
            join=(WeighTicket, WeighLine.ticket_id == WeighTicket.id),
            order=(WeighLine.id.desc(),),
            load=(joinedload(WeighLine.ticket), joinedload(WeighLine.material)),
        ),
        Picker(
            "pickup_line",
            PickupLine,
            (Pickup.number,),
            join=(Pickup, PickupLine.pickup_id == Pickup.id),
            order=(PickupLine.id.desc(),),
            load=(
                joinedload(PickupLine.pickup),
                joinedload(PickupLine.material),
                joinedload(PickupLine.grade),
            ),
        ),
        Picker(
            "inspection",
            Inspection,
            (Inspection.number,),
            order=(Inspection.id.desc(),),
        ),
        Picker(
            "settlement",
            Settlement,
            (Settlement.number,),
            order=(Settlement.id.desc(),),
        ),
        # Visit plans are made for key accounts (seed 003 第四、五条).
        Picker(
            "key_account",
            Customer,
            (Customer.name, Customer.code),
            confidential=(Customer.phone,),
            order=(Customer.id.desc(),),
            label=_customer_label,
            where=Customer.key_account.is_(True),
            variant=True,
        ),
        Picker(
            "visit_plan",
            VisitPlan,
            (VisitPlan.number, Customer.name),
            join=(Customer, VisitPlan.customer_id == Customer.id),
            order=(VisitPlan.id.desc(),),
            load=(joinedload(VisitPlan.customer),),
            label=_plan_label,
        ),
        # What an on-site acceptance accepts (seed 004 第十五条): pickups
        # collected and after-sales services carried out, in scope.
        Picker(
            "served_pickup",
            Pickup,
            (Pickup.number, Customer.name),
            join=(Customer, Pickup.customer_id == Customer.id),
            order=(Pickup.id.desc(),),
            load=(joinedload(Pickup.customer),),
            label=_served_pickup_label,
            where=Pickup.status.in_(SERVED_PICKUP),
            variant=True,
        ),
        Picker(
            "served_case",
            Case,
            (Case.number, Customer.name),
            join=(Customer, Case.customer_id == Customer.id),
            order=(Case.id.desc(),),
            load=(joinedload(Case.customer),),
            label=_served_case_label,
            where=(Case.kind == "aftersales") & Case.status.not_in(UNSERVED_CASE),
            variant=True,
        ),
        # Finance settles with, and sends statements to, any active customer
        # (a buyer not served yet): the settlement and statement add forms.
        Picker(
            "active_customer",
            Customer,
            (Customer.name, Customer.code),
            confidential=(Customer.phone,),
            order=(Customer.id.desc(),),
            label=_customer_label,
            where=Customer.status == "active",
            scoped=False,
            allowed=lambda user: (
                can(user, "add", "Settlement") or can(user, "add", "Statement")
            ),
        ),
    )
}
PICKER_OF_MODEL = {p.model: p for p in PICKERS.values() if p.scoped and not p.variant}
# Screens whose relation filters replace the scope: (model, equalities) -> kind.
UNSCOPED = {(Customer, (("status", "active"),)): "active_customer"}


def _fragment(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _base(picker: Picker, user: Any, narrowing: dict[str, str] | None) -> Any:
    stmt = select(picker.model)
    if picker.where is not None:
        stmt = stmt.where(picker.where)
    for name, value in (narrowing or {}).items():
        if name in picker.narrowing:
            stmt = stmt.where(picker.narrowing[name] == value)
    if not picker.scoped:
        return stmt
    return restrict(stmt, picker.model, user)


def search(
    kind: str,
    user: Any,
    text: str = "",
    page: int = 1,
    narrowing: dict[str, str] | None = None,
) -> tuple[list, bool]:
    """Up to PAGE rows of `kind` in `user`'s scope matching `text`; more?"""
    picker = PICKERS[kind]
    stmt = _base(picker, user, narrowing)
    text = (text or "").strip()[:50]
    if text:
        columns = list(picker.columns)
        if picker.confidential and can(user, "see_contact", "Confidential"):
            columns += picker.confidential
        if picker.join is not None:
            stmt = stmt.join(*picker.join)
        pattern = _fragment(text)
        stmt = stmt.where(or_(*(c.ilike(pattern, escape="\\") for c in columns)))
    page = max(1, min(page, MAX_PAGES))
    order = picker.order(user) if callable(picker.order) else picker.order
    stmt = stmt.order_by(*order).offset((page - 1) * PAGE).limit(PAGE + 1)
    if picker.load:
        stmt = stmt.options(*picker.load)
    rows = list(db.session.scalars(stmt).unique())
    return rows[:PAGE], len(rows) > PAGE and page < MAX_PAGES


def get(
    kind: str, pk: Any, user: Any, narrowing: dict[str, str] | None = None
) -> Any | None:
    """The row of `kind` with primary key `pk` if `user` may see (and pick) it."""
    picker = PICKERS[kind]
    try:
        key = int(pk)
    except (TypeError, ValueError):
        return None
    stmt = _base(picker, user, narrowing).where(picker.model.id == key)
    with db.session.no_autoflush:
        return db.session.scalars(stmt).first()


def label(kind: str, row: Any) -> str:
    return PICKERS[kind].label(row)


class PickerWidget:
    """A select holding only the chosen row; the page's script searches."""

    def __call__(self, field: PickerField, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        classes = f"form-control {kwargs.pop('class_', '')} {kwargs.pop('class', '')}"
        attrs = {
            "class": classes.strip(),
            "name": field.name,
            "data-pick": field.url(),
            "data-placeholder": str(_l("Type to search")),
            **kwargs,
        }
        if field.flags.required:
            attrs["required"] = True
        html = ["<select"]
        for key, value in attrs.items():
            if value is True:
                html.append(f" {escape(key)}")
            elif value not in (None, False):
                html.append(f' {escape(key)}="{escape(value)}"')
        html.append(">")
        for value, text, selected in field.choices_now():
            mark = " selected" if selected else ""
            html.append(
                f'<option value="{escape(value)}"{mark}>{escape(text)}</option>'
            )
        html.append("</select>")
        return Markup("".join(html))  # noqa: S704 - every part escaped above


class PickerField(SelectFieldBase):
    """A relation field whose row is searched, not listed (see module doc)."""

    widget = PickerWidget()

    def __init__(
        self,
        label: Any = None,
        kind: str = "",
        required: bool = False,
        narrowing: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        validators = [DataRequired()] if required else [Optional()]
        super().__init__(label, validators, **kwargs)
        self.kind = kind
        self.narrowing = dict(narrowing or {})
        self._refused = False

    def url(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in sorted(self.narrowing.items()))
        return f"/pick/{self.kind}" + (f"?{query}" if query else "")

    def process_data(self, value: Any) -> None:
        self.data = value

    def process_formdata(self, valuelist: list[str]) -> None:
        raw = valuelist[0] if valuelist else ""
        self._refused = False
        if raw in ("", "__None"):
            self.data = None
            return
        self.data = get(self.kind, raw, current_user(), self.narrowing)
        self._refused = self.data is None

    def prefill(self, pk: Any) -> None:
        """Choose the row the address names (a record opened from its
        customer or case), only if the user may see and pick it."""
        if self.data is None:
            self.data = get(self.kind, pk, current_user(), self.narrowing)

    def pre_validate(self, form: Any) -> None:
        if self._refused:
            raise ValidationError(
                str(_l("The chosen record does not exist or is not yours to see."))
            )

    def choices_now(self) -> list[tuple[str, str, bool]]:
        choices = [("__None", "", self.data is None)]
        if self.data is not None:
            choices.append((str(self.data.id), label(self.kind, self.data), True))
        return choices

    def iter_choices(self) -> Any:
        for value, text, selected in self.choices_now():
            yield (value, text, selected, {})

    def _value(self) -> str:
        return "" if self.data is None else str(self.data.id)


def picker_field(
    model: Any, title: Any, required: bool, filters: list | None = None
) -> PickerField | None:
    """A picker for a relation to `model`, or None for small tables.

    `filters`: the screen's FAB relation filters of the field; equality on a
    column the picker can narrow by (a customer's status) is kept."""
    from flask_appbuilder.models.sqla.filters import FilterEqual

    from app.security.scope import ScopeFilter

    picker = PICKER_OF_MODEL.get(model)
    if picker is None:
        return None
    equal = tuple(
        (column, str(value))
        for column, flt, value in (filters or [])
        if flt is FilterEqual
    )
    scoped = not filters or any(flt is ScopeFilter for _, flt, _ in filters)
    if not scoped and (model, equal) in UNSCOPED:
        return PickerField(title, kind=UNSCOPED[(model, equal)], required=required)
    narrowing = {column: value for column, value in equal if column in picker.narrowing}
    return PickerField(title, kind=picker.kind, required=required, narrowing=narrowing)


class PickerView(BaseView):
    """`/pick/<kind>?q=<fragment>&page=<n>` or `?id=<pk>`: select2's JSON.

    Any signed-in user; rows are those of the user's scope (the rule the
    lists apply), so a picker offers exactly what the form would accept.
    """

    route_base = "/pick"
    default_view = "pick"

    @expose("/<string:kind>")
    def pick(self, kind: str) -> Any:
        user = current_user()
        if user is None:
            abort(401)
        if kind not in PICKERS:
            abort(404)
        allowed = PICKERS[kind].allowed
        if allowed is not None and not allowed(user):
            abort(403)
        narrowing = {
            name: request.args[name]
            for name in PICKERS[kind].narrowing
            if request.args.get(name)
        }
        if request.args.get("id"):
            row = get(kind, request.args["id"], user, narrowing)
            results = [] if row is None else [row]
            more = False
        else:
            try:
                page = int(request.args.get("page") or 1)
            except ValueError:
                abort(400)
            text = request.args.get("q", "")
            results, more = search(kind, user, text, page, narrowing)
        return jsonify(
            results=[{"id": row.id, "text": label(kind, row)} for row in results],
            pagination={"more": more},
        )
