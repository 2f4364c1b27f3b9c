"""The monthly appraisal (月度考核, seed 002 §4(三) 以月度为考核周期, §4(四)
考核结果应用; seed 001 §8(二) 考核评价体系).

`generate(month)` makes each active staff member's draft sheet for the month
from the KPI report's own figures (app.services.reporting.kpi.compute, the
function the KPI page calls, over everything, as Management sees it) and the
month's supervision score (mean of the spot checks and patrols scoring the
person, app.services.supervision.checks). A rerun refreshes the drafts and
leaves reviewed and approved sheets as they are; one sheet per person and
month (unique), so running it twice makes nothing twice.

Steps: the person's department head reviews (部门负责人审核; the sheet of a
head is reviewed by Management), Management approves (管理层批准) and the
sheet is locked - no edit on any path. Nobody reviews, approves or records a
reward or penalty on their own sheet. Rewards and penalties (嘉奖/加分/
警告/扣分) are recorded with a reason by the head or Management while the
sheet is not locked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import (
    Appraisal,
    AppraisalAdjustment,
    AppraisalFigure,
    AppUser,
    now,
)
from app.models.codes import ADJUSTMENT_KINDS, ADJUSTMENT_SIGN, APPRAISAL_STATUSES
from app.security.access import acting_as, can, system_user
from app.services.core.errors import Conflict, InvalidInput, NotAllowed
from app.services.core.records import RecordRules, register
from app.services.core.workflow import Ask, Step, Workflow, code_choices
from app.services.reporting import kpi
from app.services.supervision import checks

# The permission that shows every sheet and approves (Management's).
APPROVE = ("approve", "AppraisalWorkflow")


def is_management(user: Any) -> bool:
    return getattr(user, "is_system", False) or can(user, *APPROVE)


def heads_of(user: Any, sheet: Appraisal) -> bool:
    """Whether `user` is a head of the sheet's department (not its person)."""
    return (
        bool(getattr(user, "is_department_head", False))
        and user.department_id == sheet.department_id
        and user.id != sheet.user_id
    )


def _not_own(sheet: Appraisal, user: Any, message: Any) -> None:
    if user.id == sheet.user_id:
        raise NotAllowed(message)


def may_review(sheet: Appraisal, user: Any) -> bool:
    """The person's department head; for a head's own sheet, Management."""
    if user.id == sheet.user_id:
        return False
    if heads_of(user, sheet):
        return True
    person = sheet.user or db.session.get(AppUser, sheet.user_id)
    return bool(person.is_department_head) and is_management(user)


def may_adjust(sheet: Appraisal, user: Any) -> bool:
    return user.id != sheet.user_id and (heads_of(user, sheet) or is_management(user))


# ------------------------------------------------------------------ steps
def _review(sheet: Appraisal, data: dict[str, Any], user: Any) -> None:
    _not_own(sheet, user, _l("Nobody reviews their own appraisal."))
    if not may_review(sheet, user):
        raise NotAllowed(_l("The head of the person's department reviews the sheet."))
    sheet.reviewed_by_id = user.id
    sheet.reviewed_at = now()
    sheet.review_note = (data.get("note") or "").strip() or None


def _approve(sheet: Appraisal, data: dict[str, Any], user: Any) -> None:
    _not_own(sheet, user, _l("Nobody approves their own appraisal."))
    sheet.approved_by_id = user.id
    sheet.approved_at = now()
    sheet.approval_note = (data.get("note") or "").strip() or None


def _send_back(sheet: Appraisal, data: dict[str, Any], user: Any) -> None:
    _not_own(sheet, user, _l("Nobody approves their own appraisal."))
    sheet.reviewed_by_id = None
    sheet.reviewed_at = None
    sheet.review_note = data["note"].strip()


def _adjust(sheet: Appraisal, data: dict[str, Any], user: Any) -> None:
    _not_own(sheet, user, _l("Nobody records rewards or penalties on their own sheet."))
    if not may_adjust(sheet, user):
        raise NotAllowed(
            _l("Rewards and penalties are recorded by the head or Management.")
        )
    kind = data["kind"]
    points = int(data.get("points") or 0)
    if kind in ADJUSTMENT_SIGN and points <= 0:
        raise InvalidInput(_l("Give the points."), field="points")
    if kind not in ADJUSTMENT_SIGN and points:
        raise InvalidInput(
            _l("A commendation or a warning carries no points."), field="points"
        )
    db.session.add(
        AppraisalAdjustment(
            appraisal=sheet, kind=kind, points=points, reason=data["reason"].strip()
        )
    )


NOTE = Ask("note", _l("Comment"), "textarea")

STEPS = (
    Step(
        "review",
        _l("Review (department head)"),
        ("draft",),
        "reviewed",
        asks=(NOTE,),
        apply=_review,
        icon="fa-check",
        help=_l("Next: Management approves the sheet, which then is locked."),
    ),
    Step(
        "approve",
        _l("Approve and lock"),
        ("reviewed",),
        "approved",
        asks=(NOTE,),
        apply=_approve,
        icon="fa-lock",
        style="success",
    ),
    Step(
        "send_back",
        _l("Send back to the head"),
        ("reviewed",),
        "draft",
        asks=(Ask("note", _l("Reason"), "textarea", required=True),),
        apply=_send_back,
        icon="fa-undo",
        style="warning",
        permission="approve",
    ),
    Step(
        "adjust",
        _l("Record a reward or penalty"),
        ("draft", "reviewed"),
        None,
        asks=(
            Ask(
                "kind",
                _l("Reward or penalty"),
                "select",
                required=True,
                choices=code_choices(ADJUSTMENT_KINDS),
            ),
            Ask(
                "points",
                _l("Points"),
                "int",
                minimum=0,
                maximum=100,
                default=lambda _sheet: 0,
                description=_l("For bonus points and points deducted."),
            ),
            Ask("reason", _l("Reason"), "textarea", required=True),
        ),
        apply=_adjust,
        icon="fa-trophy",
    ),
)

# Who may take a step on this sheet, beyond the role's permission.
_MAY = {
    "review": may_review,
    "approve": lambda sheet, user: user.id != sheet.user_id,
    "send_back": lambda sheet, user: user.id != sheet.user_id,
    "adjust": may_adjust,
}


class AppraisalWorkflow(Workflow):
    """Steps offered only to who may take them on this sheet (a head of
    another department holds the same role permission)."""

    def available(self, record: Any, user: Any) -> list[Step]:
        return [
            step
            for step in super().available(record, user)
            if _MAY[step.name](record, user)
        ]


APPRAISAL_FLOW = AppraisalWorkflow(
    model=Appraisal,
    resource="AppraisalWorkflow",
    statuses=APPRAISAL_STATUSES,
    steps=STEPS,
)


@register
class AppraisalRules(RecordRules):
    model = Appraisal

    def before_create(self, item: Appraisal, user: Any) -> None:
        if not getattr(user, "is_system", False):
            raise NotAllowed(_l("Appraisal sheets are generated for the month."))

    def before_update(self, item: Appraisal, user: Any) -> None:
        # The stored status: a locked sheet stays locked whatever is posted.
        stored = db.session.execute(
            select(Appraisal.status).where(Appraisal.id == item.id)
        ).scalar_one()
        if stored == "approved":
            raise Conflict(LOCKED)

    def before_delete(self, item: Appraisal, user: Any) -> None:
        raise Conflict(_l("Appraisal sheets are kept."))


@register
class AdjustmentRules(RecordRules):
    model = AppraisalAdjustment

    def before_create(self, item: AppraisalAdjustment, user: Any) -> None:
        raise NotAllowed(_l("Record rewards and penalties from the sheet."))


LOCKED = _l("The appraisal is approved and locked.")


def _was_locked(sheet: Appraisal) -> bool:
    history = sa_inspect(sheet).attrs["status"].history
    before = history.deleted[0] if history.deleted else sheet.status
    return before == "approved"


def _locked_is_final(session: Session, flush_context: Any, instances: Any) -> None:
    """A locked sheet, its figures and its rewards and penalties never
    change, whatever path tries (rule on flush)."""
    for obj in (*session.dirty, *session.new, *session.deleted):
        if isinstance(obj, Appraisal):
            sheet = obj
        elif isinstance(obj, (AppraisalFigure, AppraisalAdjustment)):
            sheet = obj.appraisal
        else:
            continue
        if sheet is None or sa_inspect(sheet).transient or not _was_locked(sheet):
            continue
        if obj is sheet and obj not in session.deleted:
            state = sa_inspect(obj)
            if not any(
                state.attrs[a.key].history.has_changes()
                for a in state.mapper.column_attrs
            ):
                continue
        raise Conflict(LOCKED)


if not event.contains(Session, "before_flush", _locked_is_final):
    event.listen(Session, "before_flush", _locked_is_final)


# ------------------------------------------------------------- generation
@dataclass(frozen=True)
class Generated:
    created: int
    refreshed: int
    kept: int


def staff() -> list[AppUser]:
    """Active staff members: users of a department (not the system user)."""
    return list(
        db.session.scalars(
            select(AppUser)
            .where(AppUser.active.is_(True), AppUser.department_id.is_not(None))
            .order_by(AppUser.id)
        )
    )


def _fill(sheet: Appraisal, report: kpi.Report, supervision: tuple[int, int]) -> None:
    month = sheet.month
    by_code = {f.kpi: f for f in sheet.figures}
    for measure in kpi.KPIS:
        figure = report.figure(measure.code, month, user_id=sheet.user_id)
        row = by_code.get(measure.code)
        if row is None:
            row = AppraisalFigure(kpi=measure.code)
            sheet.figures.append(row)
        row.numerator = figure.numerator
        row.denominator = figure.denominator
        row.value = figure.value
        row.target = figure.target.percent if figure.target else None
        row.lower_is_better = figure.target.lower_is_better if figure.target else None
        row.flagged = figure.flagged
    total, count = supervision
    sheet.supervision_total, sheet.supervision_count = total, count
    sheet.supervision_score = checks.mean(total, count)
    sheet.generated_at = now()


def generate(month: dt.date, as_of: dt.datetime | None = None) -> Generated:
    """The month's draft sheets for every active staff member (seed 002
    §4(三)); drafts already made are refreshed, reviewed and approved ones
    kept. One KPI computation for everybody."""
    month = kpi.month_of(month)
    with acting_as(system_user()) as actor:
        report = kpi.compute([month], actor, as_of=as_of)
        scores = checks.supervision_scores(month)
        existing = {
            s.user_id: s
            for s in db.session.scalars(
                select(Appraisal).where(Appraisal.month == month)
            )
        }
        created = refreshed = kept = 0
        for person in staff():
            sheet = existing.get(person.id)
            if sheet is None:
                sheet = Appraisal(
                    user_id=person.id,
                    department_id=person.department_id,
                    month=month,
                    status="draft",
                )
                db.session.add(sheet)
                created += 1
            elif sheet.status != "draft":
                kept += 1
                continue
            else:
                refreshed += 1
            _fill(sheet, report, scores.get(person.id, (0, 0)))
        db.session.commit()
    return Generated(created, refreshed, kept)


# ---------------------------------------------------------------- periods
@dataclass(frozen=True)
class PeriodRow:
    """One person over a quarter or year: each month's sheet, the period's
    supervision score and the points of rewards and penalties."""

    user: AppUser
    sheets: dict[dt.date, Appraisal]
    supervision_total: int
    supervision_count: int
    points: int

    @property
    def supervision_score(self) -> Decimal | None:
        return checks.mean(self.supervision_total, self.supervision_count)


def period_rows(period: kpi.Period, query: Any) -> list[PeriodRow]:
    """Sheets of the period's months from `query` (the viewer's scoped sheets),
    summarised per person: the months' supervision scores pooled (sum of
    scores / number of checks), points summed."""
    sheets = list(
        db.session.scalars(
            query.where(
                Appraisal.month >= period.start, Appraisal.month < period.end
            ).order_by(Appraisal.user_id, Appraisal.month)
        )
    )
    rows: dict[int, PeriodRow] = {}
    for sheet in sheets:
        row = rows.get(sheet.user_id)
        points = sum(a.signed_points for a in sheet.adjustments)
        if row is None:
            rows[sheet.user_id] = PeriodRow(
                sheet.user,
                {sheet.month: sheet},
                sheet.supervision_total,
                sheet.supervision_count,
                points,
            )
            continue
        row.sheets[sheet.month] = sheet
        rows[sheet.user_id] = PeriodRow(
            row.user,
            row.sheets,
            row.supervision_total + sheet.supervision_total,
            row.supervision_count + sheet.supervision_count,
            row.points + points,
        )
    return list(rows.values())


def figures_of(sheet: Appraisal) -> list[kpi.Figure]:
    """The sheet's stored figures as the KPI report's figures (same display)."""
    stored = {row.kpi: row for row in sheet.figures}
    result = []
    for measure in kpi.KPIS:
        row = stored.get(measure.code)
        if row is None:
            continue
        target = (
            kpi.Target(row.target, bool(row.lower_is_better))
            if row.target is not None
            else None
        )
        result.append(
            kpi.Figure(
                measure,
                sheet.month,
                None,
                sheet.user_id,
                row.numerator,
                row.denominator,
                target,
            )
        )
    return result


def points_of(sheet: Appraisal) -> int:
    """Bonus points minus points deducted."""
    return sum(a.signed_points for a in sheet.adjustments)
