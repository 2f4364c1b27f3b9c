"""Customer notices in Chromium: the clerk calls a customer who has no e-mail
address and records the call; the admin edits a template (a broken one is
refused, the text typed is kept) and the next message uses it."""

from __future__ import annotations

from app.models import CustomerNotice, NoticeTemplate
from tests.factories import CaseFactory, CustomerFactory


def test_clerk_calls_the_customer_without_email(demo_db, person):
    customer = CustomerFactory(name="余杭旧货回收站", email=None)
    case = CaseFactory(customer=customer, title="预约后无人上门")
    notice = (
        demo_db.session.query(CustomerNotice)
        .filter_by(case_id=case.id, event="case_accepted")
        .one()
    )
    cs = person("cs")
    cs.open("/notices/list/")
    cs.click("我的待电话告知")
    cs.expect_text(f"您的诉求已受理（工单 {case.number}）", "待电话告知")
    cs.click(f"a[href$='/notices/show/{notice.id}']")
    cs.expect_text("余杭旧货回收站：您好！", "预约后无人上门", "经办人电话告知")
    cs.click("已电话告知客户")
    cs.type("note", "   ")  # only blanks: refused, nothing recorded
    cs.click_button("已电话告知客户")
    cs.expect_text("客户反馈")
    # The refused form answers 400, which the browser logs; nothing else may.
    refused = [e for e in cs.problems.console_errors if "400" in e]
    assert len(refused) == 1 and "/notices/step/called/" in refused[0]
    cs.problems.console_errors.remove(refused[0])
    demo_db.session.expire_all()
    assert demo_db.session.get(CustomerNotice, notice.id).status == "to_call"
    cs.type("note", "客户已知悉受理情况，等待处理结果", clear=True)
    cs.click_button("已电话告知客户")
    cs.expect_text("已电话告知", "客户已知悉受理情况，等待处理结果")
    # The call is in the case's communication log.
    cs.open(f"/cases/show/{case.id}")
    cs.click("沟通记录")
    cs.expect_text("已电话告知客户：您的诉求已受理")
    demo_db.session.expire_all()
    called = demo_db.session.get(CustomerNotice, notice.id)
    assert (called.status, called.call_note) == (
        "called",
        "客户已知悉受理情况，等待处理结果",
    )


def test_admin_edits_the_acceptance_template(demo_db, person):
    template = (
        demo_db.session.query(NoticeTemplate).filter_by(event="case_accepted").one()
    )
    admin = person("admin")
    admin.open("/noticetemplateview/list/")
    admin.expect_text("通知模板", "工单受理", "工单分派", "结算付款")
    admin.click(f"a[href$='/noticetemplateview/edit/{template.id}']")
    admin.type("subject", "【受理通知】{{ case.numbr }}", clear=True)
    admin.click_button("保存")
    admin.expect_text("模板无法使用")
    assert admin.field("subject").input_value() == "【受理通知】{{ case.numbr }}"
    demo_db.session.expire_all()
    kept = demo_db.session.get(NoticeTemplate, template.id)
    assert kept.subject.startswith("您的诉求已受理")
    admin.type("subject", "【受理通知】{{ case.number }}", clear=True)
    admin.click_button("保存")
    admin.expect_text("【受理通知】{{ case.number }}")
    case = CaseFactory(customer=CustomerFactory(email=None))
    notice = demo_db.session.query(CustomerNotice).filter_by(case_id=case.id).one()
    assert notice.subject == f"【受理通知】{case.number}"
