"""Visit plans, visits and the monthly summary on their screens, by the owning
roles: scoping, bad input kept on the form, the rules on the edit path."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AppUser, Visit, VisitPlan
from tests.factories import CustomerFactory, user
from tests.visits.test_key_account_visits import make_plan, make_visit, report

MARCH = dt.date(2026, 3, 1)


@pytest.fixture
def accounts(db):
    mine = CustomerFactory(
        name="华新再生资源有限公司", sales_rep=user("sales"), key_account=True
    )
    other = CustomerFactory(
        name="宏达金属回收有限公司", sales_rep=None, key_account=True
    )
    return mine, other


def plan_form(customer, visitor, **extra):
    return {
        "customer": customer.id,
        "period": "quarter",
        "starts_on": "2026-02-10",
        "visitor": visitor.id,
        "exception_reason": "",
        "focus_materials": "废纸",
        "survey_items": "",
        "special_items": "",
        "arrangements": "",
        **extra,
    }


def test_cs_makes_a_plan_and_the_sales_rep_is_refused_at_the_field(login, accounts):
    mine, _other = accounts
    cs = login("cs")
    refused = cs.post(
        "/visitplans/add",
        plan_form(mine, user("sales"), arrangements="每月第一周拜访"),
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "负责业务员" in page
    assert "每月第一周拜访" in page  # what was typed is kept
    assert db.session.scalar(select(func.count()).select_from(VisitPlan)) == 0

    made = cs.post("/visitplans/add", plan_form(mine, user("cs2")))
    assert made.status_code == 302, made.get_data(as_text=True)[-400:]
    plan = db.session.scalars(select(VisitPlan)).one()
    assert (plan.starts_on, plan.ends_on) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    show = cs.get(made.headers["Location"]).get_data(as_text=True)
    assert "2026-03-31" in show and "周婷" in show

    # The edit screen cannot slip the rep in either (told, nothing changed).
    form = plan_form(mine, user("sales"), version=plan.version)
    form.pop("customer")
    edited = cs.post(f"/visitplans/edit/{plan.id}", form)
    assert edited.status_code == 200
    assert "负责业务员" in edited.get_data(as_text=True)
    assert "废纸" in edited.get_data(as_text=True)  # the form as typed
    db.session.expire_all()
    assert db.session.get(VisitPlan, plan.id).visitor_id == user("cs2").id


def test_a_visit_date_outside_the_plan_is_refused_with_the_reason(login, accounts):
    plan = make_plan(customer=accounts[0])
    cs = login("cs")
    response = cs.post(
        "/visits/add", {"plan": plan.id, "planned_on": "2026-04-02", "visitor": ""}
    )
    page = response.get_data(as_text=True)
    assert "不在计划周期内" in page
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0
    ok = cs.post(
        "/visits/add", {"plan": plan.id, "planned_on": "2026-03-02", "visitor": ""}
    )
    assert ok.status_code == 302, ok.get_data(as_text=True)[-400:]
    assert db.session.scalars(select(Visit)).one().visitor.username == "cs2"


def test_lists_and_records_are_scoped(login, accounts):
    mine, other = accounts
    plan_mine = make_plan(customer=mine)
    plan_other = make_plan(customer=other)
    seen = make_visit(plan_mine, dt.date(2026, 3, 2))
    hidden = make_visit(plan_other, dt.date(2026, 3, 3))
    sales = login("sales")
    listed = sales.get("/visits/list/").get_data(as_text=True)
    assert seen.number in listed and hidden.number not in listed
    assert sales.get(f"/visits/show/{hidden.id}").status_code == 404
    assert sales.get(f"/visitplans/show/{plan_other.id}").status_code == 404
    assert sales.get(f"/visitplans/show/{plan_mine.id}").status_code == 200
    # Sales reads the reports of their accounts but does not report for others.
    assert sales.get(f"/visits/step/report/{seen.id}").status_code == 200
    posted = sales.post(
        f"/visits/step/report/{seen.id}",
        {"visited_at": "2026-03-02 10:00", "opinions": "好"},
    )
    assert "只有巡访专人或部门主管可以填报" in posted.get_data(as_text=True)
    assert db.session.get(Visit, seen.id).status == "planned"
    # No screen for departments without a part in visits.
    assert login("finance").get("/visits/list/").status_code in (302, 403)


def test_the_visit_picker_offers_only_plans_in_scope(login, accounts):
    mine, other = accounts
    make_plan(customer=mine)
    make_plan(customer=other)
    found = login("sales").get("/pick/visit_plan?q=").get_json()["results"]
    assert [r["text"].split()[1] for r in found] == ["华新再生资源有限公司"]


def test_monthly_summary_screen_is_scoped_and_refuses_a_bad_month(login, accounts):
    mine, other = accounts
    a = make_visit(make_plan(customer=mine), dt.date(2026, 3, 2))
    make_visit(make_plan(customer=other), dt.date(2026, 3, 3))
    report(a)
    manager = (
        login("manager").get("/visitsummary/?month=2026-03").get_data(as_text=True)
    )
    assert "华新再生资源有限公司" in manager and "宏达金属回收有限公司" in manager
    totals = re.search(r"<tfoot>(.*?)</tfoot>", manager, re.S).group(1)
    assert re.findall(r">(\d+)<", totals)[:2] == ["2", "1"]
    sales = login("sales").get("/visitsummary/?month=2026-03").get_data(as_text=True)
    assert "华新再生资源有限公司" in sales and "宏达金属回收有限公司" not in sales
    bad = login("cs").get("/visitsummary/?month=2026-13x")
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "月份格式为 YYYY-MM" in text or "YYYY-MM" in text
    assert 'value="2026-13x"' in text


def test_the_plan_form_offers_key_accounts_only(login, accounts):
    CustomerFactory(name="华新临时散户", key_account=False)
    found = login("cs").get("/pick/key_account?q=华新").get_json()["results"]
    assert [r["text"] for r in found] == [f"华新再生资源有限公司 ({accounts[0].code})"]
    form = login("cs").get("/visitplans/add").get_data(as_text=True)
    assert 'data-pick="/pick/key_account' in form


def test_the_visitor_picker_offers_active_visiting_staff_own_department_first(
    login, db
):
    """Seed 003 第四条(2): the designated visitor is staff who record visit
    reports - never the system account, the Admin, or a role without visits."""
    offered = login("cs").get("/pick/visitor?q=").get_json()["results"]
    names = [r["text"] for r in offered]
    expected = {
        str(u)
        for u in db.session.query(AppUser).filter(AppUser.active.is_(True))
        if {r.name for r in u.roles} & {"CustomerService", "Sales", "Operations"}
        and u.username != "system"
    }
    assert {name.split("（")[0] for name in names} == expected
    assert not any("管理员" in name or "系统" in name for name in names)
    assert not any(n.startswith(("刘洋", "陈静", "杨敏")) for n in names)
    # The clerk's own department (客户服务部) comes first.
    assert names[0] == f"{user('cs2')}（客户服务部）"  # a colleague, not oneself
    # Someone who left is not offered.
    leaver = user("ops2")
    leaver.active = False
    db.session.commit()
    again = login("cs").get("/pick/visitor?q=吴").get_json()["results"]
    assert again == []


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("周婷", "周婷"),
        ("婷", "周婷"),
        ("周", "周婷"),
        ("张伟", "张伟"),
        ("cs2", "周婷"),
    ],
)
def test_staff_pickers_find_a_person_by_full_or_part_of_name(login, typed, found):
    for kind in ("user", "visitor"):
        results = login("cs").get(f"/pick/{kind}?q={typed}").get_json()["results"]
        assert [r["text"].split("（")[0] for r in results] == [found], kind


def test_the_user_picker_never_offers_the_system_account(login, db):
    everyone = login("manager").get("/pick/user?q=系统").get_json()["results"]
    assert [r["text"] for r in everyone] == ["系统管理员"]  # the admin, not system
    assert login("manager").get("/pick/user?q=system").get_json()["results"] == []


def test_the_plan_and_visit_forms_ask_for_the_visitor_through_the_visitor_picker(
    login, accounts
):
    form = login("cs").get("/visitplans/add").get_data(as_text=True)
    assert 'data-pick="/pick/visitor"' in form
    form = login("cs").get("/visits/add").get_data(as_text=True)
    assert 'data-pick="/pick/visitor"' in form
