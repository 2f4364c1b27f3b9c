"""Customer notifications (seed 000 §2-3, seed 002 §3): a message at every
stage, e-mailed once by the notice job over a local SMTP server, or a call
task for the clerk; admin templates in Jinja's sandbox; silent-case reminder."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import (
    CustomerNotice,
    NoticeTemplate,
    Notification,
    PickupLog,
)
from app.models.base import clock_at
from app.security.access import acting_as
from app.services.cases.case_steps import CASE_FLOW
from app.services.core import records
from app.services.core.errors import Conflict, InvalidInput
from app.services.notify import customer_notices
from app.services.notify.customer_notices import NOTICE_FLOW
from tests.factories import CaseFactory, CustomerFactory, user
from tests.notify.test_mail import Inbox, free_port, smtp  # noqa: F401
from tests.recycling.flow import step


def notices(**where: object) -> list[CustomerNotice]:
    return list(
        _db.session.scalars(
            select(CustomerNotice).filter_by(**where).order_by(CustomerNotice.id)
        )
    )


def run(case, name, username="cs", **data):
    actor = user(username)
    with acting_as(actor):
        return CASE_FLOW.run(case, name, data, actor)


def handled_case(customer):
    """A complaint taken from registration to closing (result, feedback)."""
    case = CaseFactory(customer=customer, title="回收款迟迟未到账")
    cs = user("cs")
    run(case, "acknowledge", content="已电话回复客户")
    run(case, "assign", department=str(case.department_id), owner=str(cs.id))
    run(case, "start")
    case.solution = "财务核对到账记录，当日补付，责任人：王会计"
    case.findings = "回收款因账号录入错误被退回"
    case.root_cause = "结算时客户银行账号录入有误"
    case.responsibility = "company"
    case.findings, case.root_cause = "核对到账记录", "付款审批遗漏"
    case.responsibility = "company"
    _db.session.commit()
    run(case, "submit", result="已核实并补付回收款 1,280.00 元")
    run(case, "review")
    run(case, "close", satisfaction="5", content="客户确认收到款项")
    return case


def test_each_stage_of_a_case_tells_the_customer_in_chinese(db):
    customer = CustomerFactory(name="杭州绿色纸业有限公司", email=None)
    case = handled_case(customer)
    sent = notices(case_id=case.id)
    assert [n.event for n in sent] == [
        "case_accepted",
        "case_assigned",
        "case_result",
        "case_closed",
    ]
    # No e-mail address: each message is a call task of the first-ask owner.
    assert {(n.channel, n.status, n.assignee.username) for n in sent} == {
        ("call", "to_call", "cs")
    }
    accepted, _, result, _ = sent
    assert accepted.subject == f"您的诉求已受理（工单 {case.number}）"
    assert accepted.body.startswith("杭州绿色纸业有限公司：您好！")
    assert "回收款迟迟未到账" in accepted.body and case.number in accepted.body
    assert "已核实并补付回收款 1,280.00 元" in result.body
    # Every message is in the case's communication log.
    logged = [e.content for e in case.logs if e.action == "notice"]
    assert len(logged) == 4 and all("：" in text for text in logged)
    assert any(result.subject in text for text in logged)


def test_pickup_confirmation_departure_inspection_and_payment(db):
    customer = CustomerFactory(email=None)
    pickup = through_to_payment(customer)
    events = [n.event for n in notices(customer_id=customer.id)]
    assert events == [
        "pickup_confirmed",
        "pickup_on_way",
        "inspection_result",
        "settlement_paid",
    ]
    on_way, inspection, payment = notices(customer_id=customer.id)[1:]
    assert "张师傅班组" in on_way.body and "浙A" in on_way.body
    assert "验收净重" in inspection.body and "kg" in inspection.body
    assert payment.settlement is not None
    assert payment.settlement.number in payment.body
    assert str(payment.settlement.voucher_no) in payment.body
    logged = _db.session.scalars(
        select(PickupLog.note).where(
            PickupLog.pickup_id == pickup.id, PickupLog.step == "notice"
        )
    ).all()
    assert len(logged) == 4


def through_to_payment(customer):
    """Schedule, set off (once only), collect, weigh, inspect, settle and pay."""
    from app.models import Settlement
    from tests.recycling.flow import (
        WINDOW,
        inspect_all,
        lines_of,
        new_pickup,
        per_line,
        settle_step,
        weigh,
    )

    pickup = new_pickup(customer=customer)
    step(pickup, "schedule", "ops", **WINDOW)
    step(pickup, "depart", "ops")
    with pytest.raises(Conflict):
        step(pickup, "depart", "ops")  # once: the crew set off already
    count = len(lines_of(pickup))
    step(
        pickup,
        "assess",
        "ops",
        assessment_note="纸板干燥",
        **per_line(pickup, "assessed_kg", [Decimal(1000)] * count),
    )
    step(
        pickup,
        "collect",
        "ops",
        **per_line(pickup, "collected_kg", [Decimal(1000)] * count),
    )
    weigh(pickup)
    step(pickup, "weigh", "warehouse")
    inspect_all(pickup)
    step(pickup, "inspect", "qc")
    step(pickup, "settle", "finance", payment_method="bank_transfer")
    settlement = _db.session.query(Settlement).filter_by(pickup_id=pickup.id).one()
    settle_step(settlement, "confirm")
    settle_step(settlement, "pay")
    return pickup


def test_mail_is_sent_once_even_when_the_job_runs_twice(db, smtp, work, queues):  # noqa: F811
    customer = CustomerFactory(email="kehu@lvse-paper.example.com")
    case = CaseFactory(customer=customer)
    # The commit enqueued the sending job; run it, then run it twice more.
    work()
    queues.enqueue("app.jobs.notices.deliver_customer_notices")
    queues.enqueue("app.jobs.notices.notice_sweep", "20261130T1000")
    queues.enqueue("app.jobs.notices.notice_sweep", "20261130T1000")
    work()
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"].endswith("<kehu@lvse-paper.example.com>")
    assert case.number in smtp.subjects()[0]
    body = message.get_payload(decode=True).decode("utf-8")
    assert customer.name in body
    (notice,) = notices(case_id=case.id)
    assert (notice.channel, notice.status) == ("email", "sent")
    assert notice.sent_at is not None
    contact = [e for e in case.logs if e.action == "notice" and e.kind == "contact"]
    assert len(contact) == 1 and "kehu@lvse-paper.example.com" in contact[0].content
    # A later step's message goes out too, still each only once.
    run(case, "acknowledge", content="已回复")
    run(case, "assign", department=str(case.department_id))
    work()
    customer_notices.deliver_pending()
    assert len(smtp.messages) == 2


def test_refused_mail_becomes_a_call_task(db, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nobody listens
    customer = CustomerFactory(email="kehu@example.com")
    case = CaseFactory(customer=customer)
    result = customer_notices.deliver_pending()
    assert (result.sent, result.failed) == (0, 1)
    (notice,) = notices(case_id=case.id)
    assert (notice.channel, notice.status) == ("call", "to_call")
    assert "ConnectionRefusedError" in notice.error
    assert customer_notices.deliver_pending().failed == 0  # not tried again


def test_clerk_records_the_call_as_a_contact(db):
    case = CaseFactory(customer=CustomerFactory(email=None))
    (notice,) = notices(case_id=case.id)
    cs = user("cs")
    with acting_as(cs), pytest.raises(InvalidInput):
        NOTICE_FLOW.run(notice, "called", {"note": ""}, cs)
    assert notice.status == "to_call"
    with acting_as(cs):
        NOTICE_FLOW.run(notice, "called", {"note": "客户已知悉，等待处理"}, cs)
    assert (notice.status, notice.call_note) == ("called", "客户已知悉，等待处理")
    last = case.logs[-1]
    assert (last.kind, last.action) == ("contact", "notice")
    # A logged call answers the customer: the response clock stops.
    assert case.responded_at is not None


def test_templates_are_sandboxed_and_checked_on_every_path(db):
    template = _db.session.scalars(
        select(NoticeTemplate).where(NoticeTemplate.event == "case_accepted")
    ).one()
    admin = user("admin")
    for subject, body, field in (
        ("{{ case.__class__.__mro__ }}", "正文", "subject"),
        ("标题", "{{ custmer.name }}", "body"),
        ("标题", "{% if case.number %}未闭合", "body"),
        ("", "正文", "subject"),
    ):
        template.subject, template.body = subject, body
        with acting_as(admin), pytest.raises(InvalidInput) as refused:
            records.before_update(template)
        assert refused.value.field == field
        _db.session.rollback()
    template.subject = "【受理】{{ case.number }}"
    template.body = "{{ customer.name }}，您的工单已受理。"
    with acting_as(admin):
        records.before_update(template)
    _db.session.commit()
    case = CaseFactory(customer=CustomerFactory(name="宁波再生金属有限公司"))
    (notice,) = notices(case_id=case.id)
    assert notice.subject == f"【受理】{case.number}"
    assert notice.body == "宁波再生金属有限公司，您的工单已受理。"
    # An admin switches an occasion off: nothing is written.
    template.active = False
    _db.session.commit()
    assert notices(case_id=CaseFactory().id) == []


def test_silent_case_reminds_its_handler_once_per_silence(db):
    case = CaseFactory(customer=CustomerFactory(email=None))
    received = case.received_at
    # 3 working days (setting) must pass whole after the last contact.
    assert customer_notices.remind_silent_cases(received + dt.timedelta(days=1)) == 0
    later = received + dt.timedelta(days=10)
    assert customer_notices.remind_silent_cases(later) == 1
    assert customer_notices.remind_silent_cases(later) == 0
    alert = _db.session.scalars(
        select(Notification).where(Notification.clock == "contact")
    ).one()
    assert case.number in alert.title and "3 个工作日" in alert.title
    assert {r.user.username for r in alert.recipients} == {"cs"}
    # A call to the customer starts a new stretch of silence.
    (notice,) = notices(case_id=case.id)
    cs = user("cs")
    with clock_at(later), acting_as(cs):
        NOTICE_FLOW.run(notice, "called", {"note": "已告知进度"}, cs)
    assert customer_notices.remind_silent_cases(later + dt.timedelta(days=1)) == 0
    assert customer_notices.remind_silent_cases(later + dt.timedelta(days=10)) == 1


def test_notice_list_is_scoped(db, login):
    case = CaseFactory(customer=CustomerFactory(email=None), title="范围测试工单")
    (notice,) = notices(case_id=case.id)
    cs_list = login("cs").get("/notices/list/").get_data(as_text=True)
    assert case.number in cs_list and "您的诉求已受理" in cs_list
    # Operations handles no such case: the list, the page and the step refuse.
    ops = login("ops")
    assert case.number not in ops.get("/notices/list/").get_data(as_text=True)
    assert ops.get(f"/notices/show/{notice.id}").status_code in (302, 404)
    assert login("warehouse").get("/notices/list/").status_code in (302, 403)
