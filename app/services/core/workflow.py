"""Explicit workflow steps: who may take which step from which state, and what it asks.

A `Workflow` is data: its steps name the states they start from, the state
they lead to, the permission (an action on the workflow's resource, e.g.
("acknowledge", "CaseWorkflow")) and the fields they ask. Screens render a
button and a form per step, the API takes the same fields as JSON, and both
call `Workflow.run`, which locks the row, checks permission and state, applies
the step, records it and commits - one path for every caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
)

from app.extensions import db
from app.models.codes import label
from app.security.access import can
from app.services.core.errors import Conflict, InvalidInput, NotAllowed

Choices = Callable[[Any], Sequence[tuple[Any, Any]]]


@dataclass(frozen=True)
class Ask:
    """A field a step asks for."""

    name: str
    label: Any
    kind: str = "text"  # text, textarea, int, decimal, date, datetime, select, bool
    required: bool = False
    choices: Choices | None = None  # for select: record -> [(value, label)]
    minimum: Any = None
    maximum: Any = None
    description: Any = None
    max_length: int = 2000
    # Value shown when the form opens: record -> value.
    default: Callable[[Any], Any] | None = None
    # HTML attributes of the field (e.g. a select following another one).
    render_kw: dict[str, str] | None = None


@dataclass(frozen=True)
class Step:
    """One transition; `apply(record, data, user)` does the step's own work."""

    name: str
    label: Any
    sources: tuple[str, ...]
    target: str | None
    asks: tuple[Ask, ...] = ()
    apply: Callable[[Any, dict[str, Any], Any], None] | None = None
    # Returns why the step is impossible now (shown as refusal), or None.
    guard: Callable[[Any], Any] | None = None
    style: str = "primary"
    icon: str = "fa-arrow-right"
    help: Any = None
    # What the step will do to this record, in words (shown on its page).
    summary: Callable[[Any], Any] | None = None
    permission: str | None = None  # defaults to the step name
    # Fields that depend on the record, e.g. one weight per pickup line.
    more_asks: Callable[[Any], tuple[Ask, ...]] | None = None


@dataclass
class Workflow:
    """The steps of one record type, checked against `resource` permissions."""

    model: type
    resource: str
    statuses: dict[str, Any]
    steps: tuple[Step, ...]
    # record(record, step, data, user, from_status): writes the log entry.
    record: Callable[..., None] | None = None
    # after(record, step): side effects once committed (e.g. enqueue a job).
    after: Callable[[Any, Step], None] | None = None
    # The attribute holding the record's state (a record without a status
    # column, e.g. an inspection, offers steps by its result).
    state: str = "status"
    _forms: dict[str, type[FlaskForm]] = field(default_factory=dict)

    def get(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)

    def allowed(self, step: Step, user: Any) -> bool:
        return can(user, step.permission or step.name, self.resource)

    def require(self, step: Step, user: Any) -> None:
        """Refuse a user who may not take the step (before reading their input)."""
        if not self.allowed(step, user):
            raise NotAllowed(
                _l("You may not take the step “%(step)s”.", step=step.label)
            )

    def asks(self, step: Step, record: Any = None) -> tuple[Ask, ...]:
        """The fields a step asks on this record (fixed ones, then per-record)."""
        if step.more_asks is None or record is None:
            return step.asks
        return (*step.asks, *step.more_asks(record))

    def why_not(self, step: Step, record: Any) -> Any:
        """Why the step cannot be taken on the record now (None: it can)."""
        state = getattr(record, self.state)
        if state not in step.sources:
            return _l(
                "“%(step)s” is not possible while the record is “%(status)s”.",
                step=step.label,
                status=label(self.statuses, state),
            )
        return step.guard(record) if step.guard is not None else None

    def waiting(self, record: Any, user: Any) -> list[tuple[Step, Any]]:
        """Steps of the current state the user may take once a condition is
        met, with the reason each is not possible yet (shown disabled)."""
        result = []
        for step in self.steps:
            if getattr(record, self.state) not in step.sources:
                continue
            if step.guard is None or not self.allowed(step, user):
                continue
            reason = step.guard(record)
            if reason is not None and not getattr(reason, "not_applicable", False):
                result.append((step, reason))
        return result

    def available(self, record: Any, user: Any) -> list[Step]:
        """Steps the user may take on the record in its current state."""
        return [
            step
            for step in self.steps
            if getattr(record, self.state) in step.sources
            and self.allowed(step, user)
            and (step.guard is None or step.guard(record) is None)
        ]

    # -------------------------------------------------------------- forms
    def form_class(self, step: Step, record: Any = None) -> type[FlaskForm]:
        if step.more_asks is not None and record is not None:
            # Per-record fields: a form class of its own, never cached.
            attrs = {ask.name: _field(ask) for ask in self.asks(step, record)}
            return type(f"{step.name.title()}Form", (FlaskForm,), attrs)
        if step.name not in self._forms:
            attrs = {ask.name: _field(ask) for ask in step.asks}
            self._forms[step.name] = type(
                f"{step.name.title()}Form", (FlaskForm,), attrs
            )
        return self._forms[step.name]

    def form_for(
        self, step: Step, record: Any, formdata: Any = None, csrf: bool = True
    ) -> FlaskForm:
        kwargs: dict[str, Any] = {} if csrf else {"meta": {"csrf": False}}
        if formdata is not None:
            kwargs["formdata"] = formdata
        form = self.form_class(step, record)(**kwargs)
        for ask in self.asks(step, record):
            if ask.kind == "select" and ask.choices is not None:
                choices = list(ask.choices(record))
                if not ask.required:
                    choices = [("", "—"), *choices]
                form[ask.name].choices = choices
            # Defaults fill the form when it opens, never over what was posted.
            opening = formdata is None and not form.is_submitted()
            if opening and ask.default is not None and record is not None:
                form[ask.name].data = ask.default(record)
        return form

    def parse(self, name: str, payload: dict[str, Any], record: Any = None) -> dict:
        """Validate a JSON payload with the step's form (API path)."""
        step = self.get(name)
        if step is None:
            raise InvalidInput(_l("Unknown step."))
        asks = self.asks(step, record)
        unknown = set(payload) - {ask.name for ask in asks}
        if unknown:
            raise InvalidInput(
                _l("Unknown fields: %(names)s.", names=", ".join(sorted(unknown)))
            )
        data = MultiDict({k: "" if v is None else str(v) for k, v in payload.items()})
        form = self.form_for(step, record, formdata=data, csrf=False)
        if not form.validate():
            first = next(iter(form.errors))
            raise InvalidInput(
                f"{form[first].label.text}: {form.errors[first][0]}", field=first
            )
        return {ask.name: form[ask.name].data for ask in asks}

    # ---------------------------------------------------------------- run
    def run(self, record: Any, name: str, data: dict[str, Any], user: Any) -> Any:
        """Take a step: lock, check, apply, record, commit. Raises DomainError."""
        step = self.get(name)
        if step is None:
            raise InvalidInput(_l("Unknown step."))
        self.require(step, user)
        # Lock the row so that two clerks cannot take conflicting steps at once.
        db.session.refresh(record, with_for_update=True)
        state = getattr(record, self.state)
        reason = self.why_not(step, record)
        if reason is not None:
            raise Conflict(reason)
        from_status = state
        asks = self.asks(step, record)
        clean = {
            k: v for k, v in (data or {}).items() if k in {ask.name for ask in asks}
        }
        for ask in asks:
            if ask.required and clean.get(ask.name) in (None, ""):
                raise InvalidInput(
                    _l("%(field)s is required.", field=ask.label), field=ask.name
                )
        if step.apply is not None:
            step.apply(record, clean, user)
        if step.target is not None:
            setattr(record, self.state, step.target)
        if self.record is not None:
            self.record(record, step, clean, user, from_status)
        db.session.commit()
        if self.after is not None:
            self.after(record, step)
        return record


def _field(ask: Ask) -> Any:
    validators: list[Any] = (
        [InputRequired() if ask.kind in ("int", "decimal") else DataRequired()]
        if ask.required
        else [Optional()]
    )
    common = {"label": ask.label, "description": ask.description or ""}
    if ask.render_kw:
        common["render_kw"] = dict(ask.render_kw)
    if ask.kind == "textarea":
        return TextAreaField(
            validators=[*validators, Length(max=ask.max_length)], **common
        )
    from app.ui.widgets import number_range

    if ask.kind == "int":
        if ask.minimum is not None or ask.maximum is not None:
            validators.append(number_range(ask.minimum, ask.maximum))
        return IntegerField(validators=validators, **common)
    if ask.kind == "decimal":
        if ask.minimum is not None or ask.maximum is not None:
            validators.append(
                number_range(
                    None if ask.minimum is None else Decimal(ask.minimum),
                    None if ask.maximum is None else Decimal(ask.maximum),
                )
            )
        return DecimalField(validators=validators, places=3, **common)
    if ask.kind == "datetime":
        # The screens' own date-time field: typed or picked, to the minute.
        from app.ui.widgets import BusinessDateTimeField

        return BusinessDateTimeField(validators=validators, **common)
    if ask.kind == "date":
        return DateField(validators=validators, format="%Y-%m-%d", **common)
    if ask.kind == "select":
        return SelectField(
            validators=validators,
            choices=[],
            coerce=lambda v: None if v in (None, "", "None") else v,
            validate_choice=True,
            **common,
        )
    if ask.kind == "bool":
        return BooleanField(**common)
    return StringField(validators=[*validators, Length(max=ask.max_length)], **common)


class NotApplicable:
    """A guard's reason meaning the step does not concern this record at all
    (an inquiry has no solution to approve): refused like any other reason,
    but not offered as a step waiting for a condition."""

    not_applicable = True

    def __init__(self, reason: Any) -> None:
        self.reason = reason

    def __str__(self) -> str:
        return str(self.reason)


def code_choices(codes: dict[str, Any]) -> Choices:
    """Select choices of a code list (code, label), the same for every record."""
    return lambda _record: list(codes.items())


# A clock a few seconds ahead of the server is no reason to refuse a time.
CLOCK_SKEW = dt.timedelta(minutes=1)


def not_future(moment: dt.datetime, field: str) -> dt.datetime:
    """Refuse recording a time that has not come yet (arrival, payment)."""
    from app.models import now

    if moment > now() + CLOCK_SKEW:
        raise InvalidInput(
            _l("A time that has not come yet cannot be recorded."), field=field
        )
    return moment


def as_datetime(value: Any) -> dt.datetime | None:
    """A step's datetime field value as an aware business-time instant."""
    from app.models import BUSINESS_TZ

    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=BUSINESS_TZ)
    return value.astimezone(BUSINESS_TZ)


def channel_choices(_record: Any) -> list[tuple[str, str]]:
    """Contact channels (hotline, e-mail, WeChat ...) for a step's select."""
    from sqlalchemy import select

    from app.models import Channel

    return [(str(c.id), c.name) for c in db.session.scalars(select(Channel))]


def satisfaction_ask() -> Ask:
    """The customer's satisfaction score, 1 to 5, asked by closing steps."""
    return Ask(
        "satisfaction",
        _l("Customer satisfaction (1-5)"),
        "int",
        required=True,
        minimum=1,
        maximum=5,
    )
