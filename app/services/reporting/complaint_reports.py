"""The monthly complaint analysis report (seed 001 §7(一)2): written, then sent.

生成客户投诉统计分析报告，报告内容应包括统计分析结果、问题原因剖析、对公司业务
的影响评估等，并提交给公司管理层和相关部门. CustomerService writes the
analysis of the causes and the impact assessment of a month (one report per
month) next to the figures of `complaint_analysis`; the step "send" records
who sent it, when and to whom (Management — holders of the escalation
right — and every active department head), and puts it in their in-app
inbox. Once sent the text is locked on every path (form, API); until then only
CustomerService and Management see it, afterwards every department does.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import AppUser, ComplaintReport, now
from app.models.base import BUSINESS_TZ
from app.models.codes import REPORT_STATUSES
from app.security.access import can
from app.services.core.errors import Conflict, InvalidInput
from app.services.core.records import RecordRules, register
from app.services.core.workflow import Step, Workflow
from app.services.notify import alerts

MONTH = re.compile(r"(\d{4})-(\d{2})")


def check_month(text: str | None) -> str:
    """A month written YYYY-MM, not after the current one."""
    found = MONTH.fullmatch((text or "").strip())
    if found is None or not 1 <= int(found.group(2)) <= 12:
        raise InvalidInput(_l("A month is written YYYY-MM."), field="month")
    month = dt.date(int(found.group(1)), int(found.group(2)), 1)
    today = now().astimezone(BUSINESS_TZ).date()
    if month > today.replace(day=1) or month.year < 2000:
        raise InvalidInput(
            _l("The report is written for a month that has begun."), field="month"
        )
    return f"{month:%Y-%m}"


def stored_status(report: ComplaintReport) -> str | None:
    if report.id is None:
        return None
    return db.session.scalar(
        select(ComplaintReport.status).where(ComplaintReport.id == report.id)
    )


def for_month(month: str) -> ComplaintReport | None:
    return db.session.scalars(
        select(ComplaintReport).where(ComplaintReport.month == month)
    ).first()


@register
class ComplaintReportRules(RecordRules):
    model = ComplaintReport

    def before_create(self, item: ComplaintReport, user: Any) -> None:
        item.month = check_month(item.month)
        if for_month(item.month) is not None:
            raise InvalidInput(
                _l(
                    "The report of %(month)s exists already; open it from the list.",
                    month=item.month,
                ),
                field="month",
            )
        item.status = "draft"
        item.sent_at = item.sent_by_id = item.sent_to = None

    def before_update(self, item: ComplaintReport, user: Any) -> None:
        if stored_status(item) == "sent":
            raise Conflict(
                _l(
                    "The report was sent to Management and the departments: its "
                    "text is locked. Write what changed in next month's report."
                ),
                field="analysis",
            )
        stored_month = db.session.scalar(
            select(ComplaintReport.month).where(ComplaintReport.id == item.id)
        )
        if item.month != stored_month:
            raise InvalidInput(
                _l("The month of a report is not changed."), field="month"
            )

    def before_delete(self, item: ComplaintReport, user: Any) -> None:
        if stored_status(item) == "sent":
            raise Conflict(_l("A sent report is kept."))


def recipients() -> list[AppUser]:
    """Management (who receives escalations) and every active department head."""
    # Users are few; the right is checked per user like the sweep does.
    users = db.session.scalars(
        select(AppUser).where(AppUser.active.is_(True)).order_by(AppUser.id)
    ).all()
    return [
        u
        for u in users
        if not u.is_system and (u.is_department_head or can(u, "receive", "Escalation"))
    ]


def _send(report: ComplaintReport, data: dict[str, Any], user: Any) -> None:
    for name in ("analysis", "impact"):
        if not (getattr(report, name) or "").strip():
            raise InvalidInput(
                _l("Write the analysis and the impact assessment before sending."),
                field=name,
            )
    people = recipients()
    report.sent_at = now()
    report.sent_by = user
    report.sent_to = "、".join(str(u) for u in people)
    alerts.raise_alert(
        record_type="complaint_report",
        record_id=report.id,
        clock="report",
        level="info",
        title=str(_l("Monthly complaint analysis %(month)s", month=report.month)),
        body=(report.analysis or "")[:500],
        recipients=[u.id for u in people],
        link=f"/complaint-reports/show/{report.id}",
    )


REPORT_FLOW = Workflow(
    model=ComplaintReport,
    resource="ComplaintReportWorkflow",
    statuses=REPORT_STATUSES,
    steps=(
        Step(
            "send",
            _l("Send to Management and departments"),
            ("draft",),
            "sent",
            apply=_send,
            icon="fa-paper-plane",
            style="success",
            help=_l(
                "Management and every department head find it in their alerts; "
                "the text cannot be changed afterwards."
            ),
        ),
    ),
)
