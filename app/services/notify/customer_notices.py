"""Customer notifications (全程同步处置进度, seed 000 §2-3; seed 002 §3).

At case acceptance, assignment, result and closing, at the pickup's
confirmation, the crew's departure and the inspection result, and when a
settlement is paid, the customer is told. The message is rendered from the
event's template (admin-edited, Chinese by default) in Jinja's sandbox and
saved in the transaction of the step that caused it, so it exists exactly
when the step does. A customer with an e-mail address gets it by e-mail from
the notice job (`deliver_pending`), which claims each message before sending
it: a second run, or a concurrent one, never sends it again. A customer
without an address (or a message the mail server refused) becomes a call task
for the clerk. Every message lands in the communication log of its case or
pickup and in the customer's notice list.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import (
    BUSINESS_TZ,
    Case,
    CaseLog,
    Channel,
    Customer,
    CustomerNotice,
    NoticeTemplate,
    Pickup,
    Settlement,
    now,
)
from app.models.codes import NOTICE_EVENTS, label
from app.services.core import events
from app.services.core.errors import InvalidInput
from app.services.core.records import RecordRules, register
from app.services.core.workflow import Ask, Step, Workflow
from app.services.notify import mail

logger = logging.getLogger(__name__)

# Seeded into the template table and used while an event has no template row.
DEFAULT_TEMPLATES: dict[str, tuple[str, str]] = {
    "case_accepted": (
        "您的诉求已受理（工单 {{ case.number }}）",
        "{{ customer.name }}：您好！\n"
        "您于 {{ case.received_at }} 反映的“{{ case.title }}”已受理，"
        "工单号 {{ case.number }}。\n"
        "{% if case.resolution_due_at %}我们将在 {{ case.resolution_due_at }} 前"
        "办结，{% endif %}处理进度将及时告知您。\n"
        "{{ company.name }} 客服电话 {{ company.phone }}",
    ),
    "case_assigned": (
        "您的工单 {{ case.number }} 已交由{{ case.department }}处理",
        "{{ customer.name }}：您好！\n"
        "工单 {{ case.number }}（{{ case.title }}）已交由{{ case.department }}"
        "{% if case.owner %}（{{ case.owner }}）{% endif %}调查处理。\n"
        "{{ company.name }} 客服电话 {{ company.phone }}",
    ),
    "case_promised": (
        "工单 {{ case.number }}：我们承诺于 {{ case.promised_at }} 前答复",
        "{{ customer.name }}：您好！\n"
        "关于工单 {{ case.number }}（{{ case.title }}），我们承诺于 "
        "{{ case.promised_at }} 前给您答复。\n承诺内容：{{ case.promise_note }}\n"
        "{{ company.name }} 客服电话 {{ company.phone }}",
    ),
    "case_result": (
        "工单 {{ case.number }} 处理结果",
        "{{ customer.name }}：您好！\n"
        "工单 {{ case.number }}（{{ case.title }}）的处理结果如下：\n"
        "{{ case.result }}\n"
        "如有疑问请联系 {{ company.phone }}。",
    ),
    "case_closed": (
        "工单 {{ case.number }} 已办结",
        "{{ customer.name }}：您好！\n"
        "工单 {{ case.number }}（{{ case.title }}）已于 {{ case.closed_at }} 办结。"
        "感谢您的支持，如仍有问题请随时联系 {{ company.phone }}。",
    ),
    "pickup_confirmed": (
        "上门回收预约已确认（{{ pickup.number }}）",
        "{{ customer.name }}：您好！\n"
        "您的上门回收预约 {{ pickup.number }} 已确认，"
        "我们将于 {{ pickup.window_start }} 至 {{ pickup.window_end }} 上门，"
        "作业班组 {{ pickup.crew }}，车辆 {{ pickup.vehicle }}。\n"
        "{{ company.name }} 客服电话 {{ company.phone }}",
    ),
    "pickup_on_way": (
        "回收人员已出发（{{ pickup.number }}）",
        "{{ customer.name }}：您好！\n"
        "作业班组 {{ pickup.crew }}（车辆 {{ pickup.vehicle }}）已于 "
        "{{ pickup.departed_at }} 出发前往 {{ pickup.address }}，请做好交接准备。",
    ),
    "inspection_result": (
        "回收物资质检结果（{{ pickup.number }}）",
        "{{ customer.name }}：您好！\n"
        "预约 {{ pickup.number }} 的物资质检已完成：\n"
        "{% for line in lines %}{{ line.material }} {{ line.grade }}：验收净重 "
        "{{ line.accepted_kg }} kg，结果 {{ line.result }}\n{% endfor %}"
        "如对结果有异议，请在收到本通知后联系 {{ company.phone }}。",
    ),
    "settlement_paid": (
        "结算款已支付（{{ settlement.number }}）",
        "{{ customer.name }}：您好！\n"
        "结算单 {{ settlement.number }} 金额 {{ settlement.total }} 元已于 "
        "{{ settlement.paid_at }} 办理，凭证号 {{ settlement.voucher_no }}。",
    ),
}

SAMPLE_CONTEXT: dict[str, Any] = {
    "customer": {"name": "示例客户", "contact_person": "张先生"},
    "company": {"name": "示例公司", "phone": "0571-00000000"},
    "case": {
        "number": "CS-2026-000001",
        "title": "示例工单",
        "status": "已受理",
        "department": "客户服务部",
        "owner": "张三",
        "result": "已处理",
        "received_at": "2026-01-05 09:00",
        "resolution_due_at": "2026-01-12 17:30",
        "closed_at": "2026-01-10 10:00",
        "promised_at": "2026-01-08 17:00",
        "promise_note": "答复核实结果",
    },
    "pickup": {
        "number": "PU-2026-000001",
        "address": "示例地址",
        "window_start": "2026-01-05 09:00",
        "window_end": "2026-01-05 11:00",
        "departed_at": "2026-01-05 08:30",
        "crew": "一组",
        "vehicle": "浙A12345",
    },
    "lines": [
        {"material": "废纸", "grade": "一级", "accepted_kg": "100", "result": "合格"}
    ],
    "settlement": {
        "number": "ST-2026-000001",
        "total": "100.00",
        "paid_at": "2026-01-05 10:00",
        "voucher_no": "V-1",
    },
}

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


def render(subject: str, body: str, context: dict[str, Any]) -> tuple[str, str]:
    """Render a template in the sandbox; raises jinja2's TemplateError."""
    rendered_subject = _ENV.from_string(subject).render(context)
    rendered_body = _ENV.from_string(body).render(context)
    return " ".join(rendered_subject.split())[:200], rendered_body.strip()


def template_error(value: str | None) -> str | None:
    """Why a template text cannot be used (None: it renders against a sample
    of every event's data; a typo, an unknown name or an unsafe attribute
    does not)."""
    if not (value or "").strip():
        return str(_l("This field is required."))
    try:
        _ENV.from_string(value).render(SAMPLE_CONTEXT)
    except TemplateError as error:
        return str(_l("The template cannot be used: %(error)s", error=str(error)))
    return None


def check_template(subject: str | None, body: str | None) -> None:
    """Refuse a template whose subject or body cannot be used."""
    for field, value in (("subject", subject), ("body", body)):
        reason = template_error(value)
        if reason is not None:
            raise InvalidInput(reason, field=field)


@register
class NoticeTemplateRules(RecordRules):
    model = NoticeTemplate

    def before_create(self, item: NoticeTemplate, user: Any) -> None:
        check_template(item.subject, item.body)

    def before_update(self, item: NoticeTemplate, user: Any) -> None:
        check_template(item.subject, item.body)


# ---------------------------------------------------------------- context
def _company() -> dict[str, str]:
    from app.services.finance.terms import setting

    return {
        "name": setting("company.name", ""),
        "phone": setting("company.phone", ""),
    }


def _case(case: Case) -> dict[str, str]:
    return {
        "number": case.number,
        "title": case.title,
        "status": _text(case.status),
        "department": _text(case.department),
        "owner": _text(case.owner),
        "result": _text(case.result),
        "received_at": _text(case.received_at),
        "resolution_due_at": _text(case.resolution_due_at),
        "closed_at": _text(case.closed_at),
        "promised_at": _text(case.promised_at),
        "promise_note": _text(case.promise_note),
    }


def _pickup(pickup: Pickup) -> dict[str, str]:
    return {
        "number": pickup.number,
        "address": _text(pickup.address),
        "window_start": _text(pickup.window_start),
        "window_end": _text(pickup.window_end),
        "departed_at": _text(pickup.departed_at),
        "crew": _text(pickup.crew),
        "vehicle": _text(pickup.vehicle),
    }


def _lines(pickup: Pickup) -> list[dict[str, str]]:
    from app.models.codes import INSPECTION_RESULTS
    from app.services.recycling.recycling_rules import pickup_inspections

    return [
        {
            "material": _text(item.material),
            "grade": _text(item.grade),
            "accepted_kg": _text(item.accepted_net_kg),
            "result": label(INSPECTION_RESULTS, item.result),
        }
        for item in pickup_inspections(pickup)
    ]


def _settlement(settlement: Settlement) -> dict[str, str]:
    return {
        "number": settlement.number,
        "total": _text(settlement.total),
        "paid_at": _text(settlement.paid_at),
        "voucher_no": _text(settlement.voucher_no),
    }


def context_for(
    customer: Customer,
    case: Case | None = None,
    pickup: Pickup | None = None,
    settlement: Settlement | None = None,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "customer": {
            "name": customer.name,
            "contact_person": _text(customer.contact_person),
        },
        "company": _company(),
    }
    if case is not None:
        context["case"] = _case(case)
    if pickup is not None:
        context["pickup"] = _pickup(pickup)
        context["lines"] = _lines(pickup)
    if settlement is not None:
        context["settlement"] = _settlement(settlement)
    return context


def _template(event: str) -> tuple[str, str] | None:
    """The event's template; None when an admin switched the notice off."""
    row = db.session.scalars(
        select(NoticeTemplate).where(NoticeTemplate.event == event)
    ).one_or_none()
    if row is None:
        return DEFAULT_TEMPLATES[event]
    return (row.subject, row.body) if row.active else None


# ------------------------------------------------------------------ queue
def _log(notice: CustomerNotice, user: Any, text: str, kind: str = "system") -> None:
    """The message in the communication log of its case or pickup."""
    from app.services.cases.registration import add_log
    from app.services.recycling.pickup_steps import log_step

    if notice.case is not None:
        channel = _channel_id("email" if notice.channel == "email" else "hotline")
        add_log(notice.case, user, text, kind=kind, action="notice", channel_id=channel)
    elif notice.pickup is not None:
        pickup = notice.pickup
        log_step(pickup, "notice", pickup.status, user, text[:2000])


def _channel_id(code: str) -> int | None:
    return db.session.scalars(select(Channel.id).where(Channel.code == code)).first()


def queue(
    event: str,
    customer: Customer,
    user: Any,
    *,
    case: Case | None = None,
    pickup: Pickup | None = None,
    settlement: Settlement | None = None,
) -> CustomerNotice | None:
    """Write the message of `event` to the customer in the caller's transaction."""
    template = _template(event)
    if template is None:
        return None
    context = context_for(customer, case, pickup, settlement)
    try:
        subject, body = render(*template, context)
    except TemplateError:
        # A template that passed the check but fails on real data (e.g. a
        # field this event lacks): the default text still tells the customer.
        logger.exception("Notice template of %s failed; default text used", event)
        subject, body = render(*DEFAULT_TEMPLATES[event], context)
    address = (customer.email or "").strip()
    by_mail = bool(address) and mail.configured()
    record = case or pickup or settlement
    if case is not None:
        assignee_id = case.first_ask_owner_id or case.owner_id
    else:
        assignee_id = getattr(user, "id", None)
    notice = CustomerNotice(
        customer=customer,
        event=event,
        case=case,
        pickup=pickup if case is None else None,
        settlement=settlement,
        channel="email" if by_mail else "call",
        to_address=address or None,
        subject=subject,
        body=body,
        status="queued" if by_mail else "to_call",
        department=record.department,
        assignee_id=assignee_id,
    )
    db.session.add(notice)
    how = (
        _l("to be e-mailed to %(address)s", address=address)
        if by_mail
        else _l("to be told by phone")
    )
    head = _l("Customer notice")
    _log(notice, user, f"{head}（{how}）：{subject}")
    db.session.info["notices_waiting"] = True
    return notice


def _after_commit(session: Session) -> None:
    if session.info.pop("notices_waiting", False):
        events.emit("customer_notices_queued")


def _after_rollback(session: Session, _transaction: Any) -> None:
    session.info.pop("notices_waiting", None)


def listen() -> None:
    """Once committed, the notice job is asked to send the new messages."""
    if not sa_event.contains(Session, "after_commit", _after_commit):
        sa_event.listen(Session, "after_commit", _after_commit)
        sa_event.listen(Session, "after_soft_rollback", _after_rollback)


# ---------------------------------------------------------------- deliver
@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0


def _claim(limit: int) -> list[int]:
    """Take up to `limit` queued messages for this run, committed before sending."""
    table = CustomerNotice.__table__
    pick = (
        select(table.c.id)
        .where(table.c.status == "queued")
        .order_by(table.c.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    claimed = (
        db.session.execute(
            update(table)
            .where(table.c.id.in_(pick.scalar_subquery()), table.c.status == "queued")
            .values(status="sending")
            .returning(table.c.id)
        )
        .scalars()
        .all()
    )
    db.session.commit()
    return list(claimed)


def _message(notice: CustomerNotice) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = notice.subject
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = formataddr((notice.customer.name, notice.to_address or ""))
    message["Message-ID"] = make_msgid(domain="notices.local")
    message.set_content(notice.body)
    return message


def _sent(notice: CustomerNotice, user: Any) -> None:
    notice.status = "sent"
    notice.sent_at = now()
    head = _l("Customer notice e-mailed to %(address)s", address=notice.to_address)
    _log(notice, user, f"{head}：{notice.subject}", kind="contact")
    db.session.commit()


def _failed(notice: CustomerNotice, user: Any, error: str) -> None:
    """A refused message is not retried by mail: the clerk calls instead."""
    notice.status = "to_call"
    notice.channel = "call"
    notice.error = error[:300]
    head = _l("E-mail failed, to be told by phone")
    _log(notice, user, f"{head}：{notice.subject}（{error[:200]}）")
    db.session.commit()


def deliver_pending(limit: int = 100) -> Delivery:
    """Send every queued message once (claimed first; never twice)."""
    from app.security.access import actor_or_system

    result = Delivery()
    if not mail.configured():
        return result
    user = actor_or_system()
    while True:
        ids = _claim(limit)
        if not ids:
            return result
        with mail.Outbox() as outbox:
            for notice_id in ids:
                notice = db.session.get(CustomerNotice, notice_id)
                try:
                    outbox.send(_message(notice))
                except mail.SEND_ERRORS as error:
                    logger.exception("E-mail of customer notice %s failed", notice_id)
                    _failed(notice, user, f"{type(error).__name__}: {error}")
                    result.failed += 1
                else:
                    _sent(notice, user)
                    result.sent += 1
        if len(ids) < limit:
            return result


# ------------------------------------------------------------ call tasks
def _called(notice: CustomerNotice, data: dict[str, Any], user: Any) -> None:
    from app.services.clocks import record_clocks

    notice.called_at = now()
    notice.call_note = data["note"].strip()
    head = _l("Customer told by phone")
    _log(notice, user, f"{head}：{notice.subject}\n{notice.call_note}", kind="contact")
    if notice.case is not None:
        # A logged call is a contact with the customer (seed 000 §3).
        record_clocks.contact_made(notice.case)
        record_clocks.refresh_states(notice.case)


NOTICE_FLOW = Workflow(
    model=CustomerNotice,
    resource="NoticeWorkflow",
    statuses={},
    steps=(
        Step(
            "called",
            _l("Customer called"),
            ("to_call",),
            "called",
            asks=(
                Ask(
                    "note",
                    _l("What the customer said"),
                    "textarea",
                    required=True,
                    max_length=2000,
                ),
            ),
            apply=_called,
            icon="fa-phone",
            style="success",
            help=_l("Tell the customer the message by phone, then record the call."),
        ),
    ),
)


# ------------------------------------------------------ silence reminder
def _silence_cutoff(moment: dt.datetime, days: int) -> dt.datetime | None:
    """Start of the day such that a last contact before it has seen `days`
    whole working days pass without a contact (the day of contact not counted)."""
    from app.services.clocks.business_calendar import current_calendar

    calendar = current_calendar()
    local = moment.astimezone(BUSINESS_TZ)
    day = local.date()
    windows = calendar.windows_on(day) if calendar.is_workday(day) else []
    ends = [end for _start, end in windows]
    # An end of 00:00 is midnight: such a day closes only when it is over.
    closed_today = bool(ends) and dt.time() not in ends and local.time() >= max(ends)
    if not closed_today:
        day -= dt.timedelta(days=1)
    seen = 0
    for _ in range(366):
        if calendar.is_workday(day):
            seen += 1
            if seen == days:
                return dt.datetime.combine(day, dt.time(), tzinfo=BUSINESS_TZ)
        day -= dt.timedelta(days=1)
    return None


def remind_silent_cases(moment: dt.datetime | None = None) -> int:
    """Alert the handler of every open case whose customer has heard nothing
    (no logged contact, e-mailed notice or call) for N working days (setting
    notice.silence_working_days); once per silent stretch."""
    from app.services.finance.terms import setting_int
    from app.services.notify import alerts

    moment = moment or now()
    days = setting_int("notice.silence_working_days", 3)
    if days <= 0:
        return 0
    cutoff = _silence_cutoff(moment, days)
    if cutoff is None:
        return 0
    last = (
        select(CaseLog.case_id, func.max(CaseLog.id).label("log_id"))
        .where(CaseLog.kind == "contact")
        .group_by(CaseLog.case_id)
        .subquery()
    )
    last_at = (
        select(CaseLog.case_id, CaseLog.at)
        .join(last, last.c.log_id == CaseLog.id)
        .subquery()
    )
    rows = db.session.execute(
        select(Case, last.c.log_id)
        .outerjoin(last, last.c.case_id == Case.id)
        .outerjoin(last_at, last_at.c.case_id == Case.id)
        .where(
            Case.status.not_in(("closed", "cancelled")),
            func.coalesce(last_at.c.at, Case.received_at) < cutoff,
        )
    ).all()
    raised = 0
    for case, log_id in rows:
        recipients: Iterable[int] = {
            u for u in (case.owner_id, case.first_ask_owner_id) if u is not None
        }
        new = alerts.raise_alert(
            record_type="case",
            record_id=case.id,
            clock="contact",
            level="info",
            cycle=log_id or 0,
            title=f"工单 {case.number} 已 {days} 个工作日未联系客户",
            body=(
                f"客户 {case.customer} 自上次沟通以来已超过 {days} 个工作日未获"
                "任何进度告知，请联系客户并在沟通记录中登记（全程同步处置进度）。"
            ),
            link=f"/cases/show/{case.id}",
            department_id=case.department_id,
            recipients=recipients,
        )
        raised += new is not None
    db.session.commit()
    return raised


def event_label(code: str) -> str:
    return label(NOTICE_EVENTS, code)
