"""Service-standard changes: proposed by an admin, approved by Management,
in force from their effective date (seed 000 §2(六)1: 管理层负责审批本制度及
重大客户服务标准调整).

The standards are the SLA policies (response and resolution targets per kind,
severity, customer type and grade), the KPI targets, the follow-up rules and
the escalation settings (at-risk thresholds, grace before escalating to
Management). Nobody changes them in place: every write of such a row through
a screen, the API or an import is refused (`refuse_direct`, called by each
one's record rules), and the screens turn an admin's add or edit into a
`StandardChange` (`propose`). A Management user other than the proposer
approves or rejects it (`approve`, `reject`); an approved change holds from
the start of its effective date, never before its approval:

- an SLA policy gets a new version row valid from that instant (the one
  before it ends there). A case keeps the version in force at its receipt,
  so open cases keep their deadlines, unless the change was approved as
  applying to open cases too; then they are recomputed when it takes
  effect (`record_clocks.in_force`, `recompute.policies_changed`);
- a KPI target, follow-up rule or setting is written when the date comes
  (`apply_due`, run by the periodic job and at each approval).

The change rows are the standards' version history: who proposed and when,
who decided and when, the values before and after, in force from when.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Numeric, select
from sqlalchemy import inspect as sa_inspect

from app.extensions import db
from app.models import (
    FollowUpRule,
    KpiTarget,
    Setting,
    SlaPolicy,
    StandardChange,
    now,
)
from app.models.base import BUSINESS_TZ
from app.models.codes import KPI_CODES, SEVERITIES, SLA_KINDS, label
from app.security.access import can
from app.security.roles import ADMIN_ROLE, role_grants
from app.services.core.errors import Conflict, InvalidInput, NotAllowed

logger = logging.getLogger(__name__)

# Settings that are service standards (escalation and at-risk thresholds).
STANDARD_SETTINGS = (
    "sla.at_risk_percent",
    "sla.urgent_at_risk_percent",
    "escalation.grace_hours",
)
APPROVAL = "StandardChangeWorkflow"

DIRECT_EDIT = _l(
    "Service standards are not changed directly: the change is proposed, "
    "approved by Management and in force from its effective date (see "
    "Standard changes)."
)


@dataclass(frozen=True)
class Subject:
    """What a kind of standard is made of: its row type, the fields a change
    may give, and the fields naming which standard it is."""

    code: str
    model: type
    fields: tuple[str, ...]
    key: tuple[str, ...]


SUBJECTS = {
    s.code: s
    for s in (
        Subject(
            "sla_policy",
            SlaPolicy,
            (
                "name",
                "kind",
                "severity",
                "customer_type_id",
                "customer_grade_id",
                "response_amount",
                "response_unit",
                "offhours_response_amount",
                "offhours_response_unit",
                "resolve_at_response",
                "resolution_amount",
                "resolution_unit",
                "escalate_immediately",
                "at_risk_percent",
                "active",
                "source",
                "notes",
            ),
            ("kind", "severity", "customer_type_id", "customer_grade_id"),
        ),
        Subject(
            "kpi_target",
            KpiTarget,
            ("kpi", "department_id", "target_percent", "lower_is_better"),
            ("kpi", "department_id"),
        ),
        Subject(
            "followup_rule",
            FollowUpRule,
            (
                "code",
                "name",
                "trigger",
                "case_kind",
                "customer_type_id",
                "customer_grade_id",
                "delay_amount",
                "delay_unit",
                "interval_days",
                "department_id",
                "active",
            ),
            ("code",),
        ),
        Subject("setting", Setting, ("key", "value", "description"), ("key",)),
    )
}
SUBJECT_OF_MODEL = {s.model: s for s in SUBJECTS.values()}

_proposing: ContextVar[bool] = ContextVar("standards_proposing", default=False)


@contextlib.contextmanager
def _writing() -> Iterator[None]:
    """Standards' rows written by this module (checked, not refused)."""
    token = _proposing.set(True)
    try:
        yield
    finally:
        _proposing.reset(token)


def subject_of(item: Any) -> Subject | None:
    """The kind of standard `item` is, or None (a setting that is no
    standard, any other record)."""
    subject = SUBJECT_OF_MODEL.get(type(item))
    if subject is None:
        return None
    if subject.code == "setting":
        keys = {item.key, *sa_inspect(item).attrs.key.history.deleted}
        if not keys & set(STANDARD_SETTINGS):
            return None
    return subject


def refuse_direct(item: Any) -> None:
    """Refuse writing a standard's row outside a proposed and approved change
    (every screen, API and import write passes the record rules)."""
    if _proposing.get() or subject_of(item) is None:
        return
    raise Conflict(DIRECT_EDIT)


# ------------------------------------------------------------------ values
def _plain(value: Any) -> Any:
    """A value as kept in a change: 80, 80.0 and 80.00 alike; an empty text
    as no text (a form gives "" where the row holds nothing)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return value


def values_of(subject: Subject, item: Any) -> dict[str, Any]:
    """The standard's fields of `item` as plain values (a relation set by a
    form counts, though its id is not written yet)."""
    state = sa_inspect(item)
    found = {}
    for name in subject.fields:
        value = getattr(item, name)
        if name.endswith("_id"):
            relation = name[:-3]
            if relation in state.mapper.relationships:
                history = state.attrs[relation].history
                if history.added:
                    value = history.added[0].id if history.added[0] else None
                elif history.deleted and not history.unchanged:
                    value = None
        found[name] = _plain(value)
    return found


def _typed(subject: Subject, values: dict[str, Any]) -> dict[str, Any]:
    columns = subject.model.__table__.c
    typed = {}
    for name, value in values.items():
        if value is not None and isinstance(columns[name].type, Numeric):
            value = Decimal(str(value))
        typed[name] = value
    return typed


def changed_fields(change: StandardChange) -> list[str]:
    """The fields whose value the change moves (all of a new standard's)."""
    return list(change.what_changed())


def title_of(subject: Subject, values: dict[str, Any]) -> str:
    """How the standard is named in the history list."""
    if subject.code == "sla_policy":
        return values.get("name") or "{}·{}".format(
            label(SLA_KINDS, values.get("kind")),
            label(SEVERITIES, values.get("severity")),
        )
    if subject.code == "kpi_target":
        return str(label(KPI_CODES, values.get("kpi")))
    if subject.code == "followup_rule":
        return values.get("name") or values.get("code") or ""
    return values.get("description") or values.get("key") or ""


def start_of(day: dt.date) -> dt.datetime:
    """The instant a date begins in business time."""
    return dt.datetime.combine(day, dt.time(0), BUSINESS_TZ)


# ------------------------------------------------------------------ rights
def may_propose(user: Any) -> bool:
    return can(user, "edit", "ReferenceData")


def may_decide(user: Any) -> bool:
    """Management decides: a role of the user grants the approval right by
    itself (the administrator's all-rights role does not count: who keeps
    the standards is not who approves them)."""
    if user is None or not getattr(user, "is_active", False):
        return False
    return any(
        role.name != ADMIN_ROLE and "approve" in role_grants(role.name, APPROVAL)
        for role in getattr(user, "roles", ())
    )


# ---------------------------------------------------------------- propose
def _check(subject: Subject, values: dict[str, Any], record: Any | None) -> None:
    """The standard's own record rules, on the proposed values."""
    from app.services.core import records

    item = subject.model(**_typed(subject, values))
    if record is not None:
        item.id = record.id
    with _writing(), db.session.no_autoflush:
        if record is None:
            records.before_create(item)
        else:
            records.before_update(item)


def _latest(subject: Subject, record: Any) -> bool:
    """An SLA policy change starts from the version that is the latest."""
    if subject.code != "sla_policy":
        return True
    later = db.session.scalar(
        select(SlaPolicy.id).where(
            *(getattr(SlaPolicy, k) == getattr(record, k) for k in subject.key[:2]),
            SlaPolicy.customer_type_id.is_(None)
            if record.customer_type_id is None
            else SlaPolicy.customer_type_id == record.customer_type_id,
            SlaPolicy.customer_grade_id.is_(None)
            if record.customer_grade_id is None
            else SlaPolicy.customer_grade_id == record.customer_grade_id,
            SlaPolicy.id != record.id,
            SlaPolicy.valid_from.is_not(None),
            SlaPolicy.valid_from
            >= (record.valid_from or dt.datetime.min.replace(tzinfo=dt.UTC)),
        )
    )
    return later is None and record.valid_to is None


def propose(
    subject_code: str,
    record: Any | None,
    values: dict[str, Any],
    effective_on: dt.date | None,
    reason: str | None,
    user: Any,
    applies_to_open: bool = False,
) -> StandardChange:
    """Record an admin's proposed change of a standard (`record` None: a new
    standard); nothing is in force until Management approves it."""
    subject = SUBJECTS[subject_code]
    if not may_propose(user):
        raise NotAllowed(_l("Only administrators propose standard changes."))
    values = {name: _plain(values.get(name)) for name in subject.fields}
    previous = values_of(subject, record) if record is not None else {}
    if record is None and subject.code == "setting":
        raise InvalidInput(_l("Escalation settings are changed, not added."))
    _check(subject, values, record)
    if record is not None:
        for name in subject.key:
            if values[name] != previous[name]:
                raise InvalidInput(
                    _l(
                        "Which standard this is (kind, severity, customer type, "
                        "grade, KPI, department, code, key) is not changed: "
                        "propose a new standard instead."
                    ),
                    field=name[:-3] if name.endswith("_id") else name,
                )
        if values == previous:
            raise InvalidInput(
                _l("Nothing is changed: change the values to propose first."),
            )
        if not _latest(subject, record):
            raise Conflict(
                _l("A later version of this standard exists: change that one.")
            )
    if effective_on is None:
        raise InvalidInput(_l("Give the date it takes effect."), field="effective_on")
    if effective_on < now().date():
        raise InvalidInput(
            _l("A standard changes from today or a later date, never earlier."),
            field="effective_on",
        )
    if not (reason or "").strip():
        raise InvalidInput(_l("Give the reason for the change."), field="change_reason")
    change = StandardChange(
        subject=subject.code,
        action="change" if record is not None else "add",
        record_id=record.id if record is not None else None,
        title=title_of(subject, values),
        proposed=values,
        previous=previous,
        effective_on=effective_on,
        applies_to_open=bool(applies_to_open) and subject.code == "sla_policy",
        reason=reason.strip(),
        status="pending",
        proposed_by_id=user.id,
        proposed_at=now(),
    )
    db.session.add(change)
    db.session.commit()
    logger.info("Standard change %s proposed by %s", change.id, user.username)
    return change


# ----------------------------------------------------------------- decide
def _decide(change: StandardChange, user: Any) -> None:
    if change.status != "pending":
        raise Conflict(_l("This change is decided already."))
    if not may_decide(user):
        raise NotAllowed(_l("Only Management approves or rejects standard changes."))
    if user.id == change.proposed_by_id:
        raise NotAllowed(
            _l("Nobody decides on their own proposal: another manager decides it.")
        )


def approve(change: StandardChange, user: Any, note: str | None = None) -> None:
    """Management approves: the change holds from the start of its date (or
    from now when approved later); an SLA policy gets its new version now."""
    _decide(change, user)
    moment = now()
    change.status = "approved"
    change.decided_by_id = user.id
    change.decided_at = moment
    change.decision_note = (note or "").strip() or None
    change.in_force_from = max(start_of(change.effective_on), moment)
    if change.subject == "sla_policy":
        _new_version(change)
    db.session.flush()
    apply_due(moment, commit=False)
    db.session.commit()
    logger.info("Standard change %s approved by %s", change.id, user.username)


def reject(change: StandardChange, user: Any, note: str | None) -> None:
    """Management rejects a proposal, saying why; nothing changes."""
    _decide(change, user)
    if not (note or "").strip():
        raise InvalidInput(_l("Say why the change is rejected."), field="decision_note")
    change.status = "rejected"
    change.decided_by_id = user.id
    change.decided_at = now()
    change.decision_note = note.strip()
    db.session.commit()


# ------------------------------------------------------------------ apply
def _new_version(change: StandardChange) -> None:
    """The SLA policy's version from the change's instant on."""
    subject = SUBJECTS["sla_policy"]
    since = change.in_force_from
    before = db.session.get(SlaPolicy, change.record_id) if change.record_id else None
    if before is not None and not _latest(subject, before):
        raise Conflict(
            _l(
                "The standard was changed since this proposal: propose the "
                "change again on its latest version."
            )
        )
    _check(subject, change.proposed, before)
    version = SlaPolicy(**_typed(subject, change.proposed))
    version.valid_from = since
    version.covers_open = change.applies_to_open
    if before is not None:
        change.previous = values_of(subject, before)
        before.valid_to = since
    with _writing():
        db.session.add(version)
        db.session.flush()
    change.version_id = version.id


def _write(change: StandardChange) -> None:
    """Write a KPI target, follow-up rule or setting change in place."""
    from app.services.core import records

    subject = SUBJECTS[change.subject]
    values = _typed(subject, change.proposed)
    row = db.session.get(subject.model, change.record_id) if change.record_id else None
    with _writing():
        if row is None:
            row = subject.model(**values)
            records.before_create(row)
            db.session.add(row)
        else:
            change.previous = values_of(subject, row)
            for name, value in values.items():
                setattr(row, name, value)
            records.before_update(row)
        db.session.flush()
    change.version_id = row.id


def apply_due(moment: dt.datetime | None = None, commit: bool = True) -> int:
    """Put approved changes whose instant has come in force (safe to run
    twice): write KPI targets, follow-up rules and settings; recompute the
    open cases an SLA version applying to open cases reaches."""
    from app.services.clocks import recompute

    moment = moment or now()
    due = db.session.scalars(
        select(StandardChange)
        .where(
            StandardChange.status == "approved",
            StandardChange.in_force_from <= moment,
        )
        .order_by(StandardChange.in_force_from, StandardChange.id)
    ).all()
    pairs = set()
    for change in due:
        if change.subject == "sla_policy":
            if change.applies_to_open:
                values = change.proposed
                pairs.add((values["kind"], values["severity"]))
        else:
            _write(change)
        change.status = "effective"
    if pairs:
        db.session.flush()
        recompute.policies_changed(pairs)
    if commit:
        db.session.commit()
    return len(due)
