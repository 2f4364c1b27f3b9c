"""Create/update/delete rules per record type, shared by screens, API and commands.

Screens and the REST API call `before_create(item)` and friends; each record
type registers one `RecordRules` subclass that validates the item and decides
server-side what a clerk may not choose (number, department, owner). A
generic check refuses references to records outside the user's scope.
"""

from __future__ import annotations

import importlib
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import Numeric
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.labels import field_label
from app.models import Customer, Department
from app.security.access import acting_as, actor_or_system
from app.security.scope import is_scoped, is_visible
from app.services.core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
)

# Relation targets any signed-in user may pick although they cannot open them:
# a clerk records a pickup or a case for any active customer.
PICK_ANY = {Customer}

RULE_MODULES = (
    "app.services.customers.archive",
    "app.services.cases.registration",
    "app.services.recycling.recycling_rules",
    "app.services.visits.visit_rules",
    "app.services.visits.acceptance",
    "app.services.visits.key_accounts",
    "app.services.training.training_rules",
    "app.services.handover.notes",
    "app.services.reporting.improvements",
    "app.services.supervision.checks",
    "app.services.supervision.appraisal",
    "app.services.emergencies.plans",
    "app.services.emergencies.reviews",
    "app.services.reference.reference_rules",
    "app.services.finance.terms",
    "app.services.finance.statements",
    "app.services.finance.receivables",
    "app.services.clocks.deadline_check",
    "app.services.notify.customer_notices",
    # Not rules of a record type: open clocks follow calendar/policy writes.
    "app.services.clocks.recompute",
)


class RecordRules:
    """Hooks of one record type; override what the type needs."""

    model: ClassVar[type]

    def before_create(self, item: Any, user: Any) -> None:
        """Validate a new item and fill what the server decides."""

    def after_create(self, item: Any, user: Any) -> None:
        """Side effects after the insert is committed."""

    def before_update(self, item: Any, user: Any) -> None:
        """Validate changed fields."""

    def after_update(self, item: Any, user: Any) -> None:
        """Side effects after the update is committed."""

    def before_delete(self, item: Any, user: Any) -> None:
        """Refuse deleting what must be kept."""


_RULES: dict[type, RecordRules] = {}
_loaded: list[bool] = []


def register(rules: type[RecordRules]) -> type[RecordRules]:
    """Class decorator: make `rules` the hooks of `rules.model`."""
    _RULES[rules.model] = rules()
    return rules


def _rules_for(item: Any) -> RecordRules | None:
    if not _loaded:
        for module in RULE_MODULES:
            importlib.import_module(module)
        _loaded.append(True)
    return _RULES.get(type(item))


def _unknown_reference(obj: Any) -> bool:
    state = sa_inspect(obj)
    if state.has_identity:
        return False
    return any(v is not None for v in state.mapper.primary_key_from_instance(obj))


def check_references(item: Any, user: Any) -> None:
    """Refuse a newly set reference to a record the user may not see.

    Forms offer only visible rows, but a forged form or an API call can name
    any id; this is the server-side guard for both.
    """
    state = sa_inspect(item)
    for rel in state.mapper.relationships:
        if rel.direction.name != "MANYTOONE":
            continue
        for obj in state.attrs[rel.key].history.added:
            # An unknown id in an API payload deserializes to a *new* object
            # carrying that id; it must never be inserted as a side effect.
            # (New related rows built by services have no id yet.)
            if obj is not None and _unknown_reference(obj):
                if obj in db.session:
                    db.session.expunge(obj)
                raise InvalidInput(
                    _l("%(field)s: no such record.", field=field_label(rel.key)),
                    field=rel.key,
                )
    for rel in state.mapper.relationships:
        target = rel.mapper.class_
        if rel.direction.name != "MANYTOONE" or target in PICK_ANY:
            continue
        if not is_scoped(target):
            continue
        ids = [
            sa_inspect(obj).identity[0]
            for obj in state.attrs[rel.key].history.added
            if obj is not None and sa_inspect(obj).identity
        ]
        for column in rel.local_columns:
            ids += [v for v in state.attrs[column.key].history.added if v is not None]
        for pk in ids:
            if not is_visible(target, pk, user):
                raise NotFound(
                    _l("%(field)s: no such record.", field=field_label(rel.key)),
                    field=rel.key,
                )


def check_version(item: Any) -> None:
    """Refuse an edit made on an outdated copy of the record.

    The edit form posts back the version it was shown; if somebody saved the
    record (or took a workflow step) since, the edit is refused instead of
    silently overwriting their change.
    """
    state = sa_inspect(item)
    if "version" not in state.mapper.attrs:
        return
    history = state.attrs["version"].history
    if not history.added or not history.deleted:
        return
    shown, stored = history.added[0], history.deleted[0]
    set_committed_value(item, "version", stored)
    try:
        outdated = shown is not None and int(shown) != int(stored)
    except (TypeError, ValueError):
        outdated = True
    if outdated:
        raise Conflict(STALE)


STALE = _l(
    "Someone else changed this record while you were editing "
    "it. Reload it and apply your change again."
)


def parse_version(value: Any) -> int:
    """A version a client names (body `version`, `If-Match: "3"` or W/"3")."""
    text = str(value).strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    if not text.isdigit() or len(text) > 18:
        raise InvalidInput(_l("The version must be a whole number."), field="version")
    return int(text)


def expect_version(item: Any, shown: int) -> None:
    """API: refuse a write made on an outdated copy (the version it read)."""
    if int(item.version) != shown:
        raise Conflict(STALE, field="version")


def check_numbers(item: Any) -> None:
    """Fit every decimal to its column before the database sees it.

    Rounded half up to the column's scale (money: to the cent, the rule of
    Chinese vouchers, app.models.base.money) on every path; a value with more
    integer digits than the column holds is refused at its field.
    """
    state = sa_inspect(item)
    for column in state.mapper.columns:
        kind = column.type
        if not isinstance(kind, Numeric) or kind.scale is None or not kind.precision:
            continue
        key = state.mapper.get_property_by_column(column).key
        value = getattr(item, key, None)
        if value is None or isinstance(value, bool):
            continue
        try:
            number = Decimal(str(value))
            rounded = number.quantize(
                Decimal(1).scaleb(-kind.scale), rounding=ROUND_HALF_UP
            )
        except (InvalidOperation, ValueError):
            raise InvalidInput(
                _l("%(field)s: not a number.", field=field_label(key)), field=key
            ) from None
        if not rounded.is_finite() or abs(rounded) >= Decimal(10) ** (
            kind.precision - kind.scale
        ):
            raise InvalidInput(
                _l(
                    "%(field)s: at most %(digits)s digits before the decimal point.",
                    field=field_label(key),
                    digits=kind.precision - kind.scale,
                ),
                field=key,
            )
        if rounded != number or not isinstance(value, Decimal):
            setattr(item, key, rounded)


def before_create(item: Any) -> None:
    # Rules query while the item is still unchecked: nothing may be flushed yet.
    with db.session.no_autoflush:
        check_numbers(item)
        user = actor_or_system()
        check_references(item, user)
        rules = _rules_for(item)
        if rules:
            rules.before_create(item, user)


def add(item: Any, user: Any) -> Any:
    """Check a new record by its rules as `user` and add it; the caller commits."""
    with acting_as(user):
        before_create(item)
    db.session.add(item)
    return item


def after_create(item: Any) -> None:
    rules = _rules_for(item)
    if rules:
        rules.after_create(item, actor_or_system())


def before_update(item: Any) -> None:
    with db.session.no_autoflush:
        check_numbers(item)
        user = actor_or_system()
        check_references(item, user)
        rules = _rules_for(item)
        if rules:
            rules.before_update(item, user)


def refusal_of_untouched(item: Any) -> DomainError | None:
    """The conflict an untouched save of `item` meets by the record's state
    (closed, settled, locked), or None: its edit form would be refused
    whatever is typed. Nothing is kept (the session is rolled back)."""
    try:
        before_update(item)
    except Conflict as error:
        return error
    except Exception:  # any other refusal names a field the clerk can fix
        return None
    finally:
        db.session.rollback()
    return None


def refusal_of_new(item: Any) -> DomainError | None:
    """The conflict a new record holding only its given relations meets by
    their state (a ticket for a closed pickup), or None. Nothing is kept."""
    try:
        before_create(item)
    except Conflict as error:
        return error
    except Exception:  # an incomplete record may fail in any way: ask the form
        return None
    finally:
        db.session.rollback()
    return None


def refusal_of_delete(item: Any) -> DomainError | None:
    """The conflict deleting `item` meets by its state (a plan in force, a
    note taken over), or None. Nothing is deleted or kept."""
    try:
        before_delete(item)
    except Conflict as error:
        return error
    except Exception:  # refused otherwise: the delete says why when clicked
        return None
    finally:
        db.session.rollback()
    return None


def after_update(item: Any) -> None:
    rules = _rules_for(item)
    if rules:
        rules.after_update(item, actor_or_system())


def before_delete(item: Any) -> None:
    with db.session.no_autoflush:
        rules = _rules_for(item)
        if rules:
            rules.before_delete(item, actor_or_system())


def department(code: str) -> Department:
    """The department with this code (seeded reference data)."""
    found = db.session.query(Department).filter_by(code=code).one_or_none()
    if found is None:
        raise InvalidInput(_l("Department %(code)s is not set up.", code=code))
    return found


def own_department(user: Any, fallback: str = "cs") -> Department:
    """The user's department, or the fallback department for users without one."""
    if getattr(user, "department_id", None):
        return db.session.get(Department, user.department_id)
    return department(fallback)
