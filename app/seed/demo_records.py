"""Demo records, created through the same services a clerk's clicks go through."""

from __future__ import annotations

import random
from typing import Any

from app.extensions import db
from app.models import (
    CaseCategory,
    Channel,
    Customer,
    CustomerContact,
    CustomerGrade,
    CustomerType,
)
from app.security.access import acting_as
from app.services.core import records
from app.services.core.validation import CREDIT_CODE_CHARS, credit_code_check_char

REGIONS = [
    "杭州市西湖区",
    "杭州市余杭区",
    "杭州市萧山区",
    "宁波市鄞州区",
    "绍兴市柯桥区",
    "嘉兴市南湖区",
    "湖州市吴兴区",
    "金华市义乌市",
]
STREETS = [
    "文一西路",
    "莫干山路",
    "建设三路",
    "天童南路",
    "柯北大道",
    "中环南路",
    "红丰路",
    "稠州北路",
]
COMPANY_STEMS = [
    "华新",
    "金达",
    "宏远",
    "绿源",
    "永盛",
    "恒通",
    "瑞丰",
    "鑫海",
    "国泰",
    "中天",
    "新世纪",
    "东方",
    "立信",
    "嘉禾",
    "润达",
    "天成",
]
COMPANY_TRADES = [
    "纸业有限公司",
    "包装材料有限公司",
    "金属制品有限公司",
    "塑业有限公司",
    "电器有限公司",
    "物资回收有限公司",
    "再生资源有限公司",
    "机械制造有限公司",
    "商贸有限公司",
    "超市连锁有限公司",
]
PEOPLE = [
    "陈建国",
    "林晓峰",
    "黄丽华",
    "吴志强",
    "徐海燕",
    "孙浩",
    "朱丹",
    "马俊",
    "胡玉兰",
    "郭涛",
    "何静",
    "高明",
    "罗芳",
    "梁伟",
    "宋佳",
    "郑斌",
]


def _credit_code(rng: random.Random) -> str:
    body = "91330" + "".join(rng.choice(CREDIT_CODE_CHARS[:10]) for _ in range(12))
    return body + credit_code_check_char(body)


def _phone(rng: random.Random) -> str:
    return (
        "1" + rng.choice("3578") + "".join(rng.choice("0123456789") for _ in range(9))
    )


def _save(item: Any) -> Any:
    records.before_create(item)
    db.session.add(item)
    db.session.commit()
    records.after_create(item)
    return item


def build_customers(users: dict[str, Any], rng: random.Random) -> list[Customer]:
    types = {t.code: t for t in db.session.query(CustomerType)}
    plan = ["supplier"] * 14 + ["buyer"] * 8 + ["partner"] * 6 + ["walkin"] * 4
    customers = []
    used_names = set()
    for index, type_code in enumerate(plan):
        creator = users["sales"] if index % 3 else users["cs"]
        if type_code == "walkin":
            name = PEOPLE[index % len(PEOPLE)] + "（个人）"
            credit = None
        else:
            while True:
                name = (
                    rng.choice(REGIONS)[:2]
                    + rng.choice(COMPANY_STEMS)
                    + rng.choice(COMPANY_TRADES)
                )
                if name not in used_names:
                    break
            credit = _credit_code(rng)
        used_names.add(name)
        region = rng.choice(REGIONS)
        with acting_as(creator):
            customer = _save(
                Customer(
                    name=name,
                    customer_type=types[type_code],
                    credit_code=credit,
                    contact_person=rng.choice(PEOPLE),
                    phone=_phone(rng),
                    email=None
                    if type_code == "walkin"
                    else f"contact{index}@example.cn",
                    address=(
                        f"浙江省{region}{rng.choice(STREETS)}{rng.randint(1, 999)}号"
                    ),
                    region=region,
                    qualification="再生资源回收经营者备案"
                    if type_code == "supplier"
                    else None,
                    sales_rep=users["sales"],
                    status="active",
                )
            )
            if type_code in ("supplier", "partner", "buyer"):
                _save(
                    CustomerContact(
                        customer=customer,
                        name=rng.choice(PEOPLE),
                        title="采购经理" if type_code == "buyer" else "仓库主管",
                        phone=_phone(rng),
                        is_primary=True,
                    )
                )
        customers.append(customer)
    _grade(customers, plan)
    return customers


# Demo grades by customer type (seed 003 第四条): the first partners are key
# accounts (A), the other partners and the first buyers B, suppliers C, walk-in
# customers D; a few suppliers are still ungraded (the monthly proposal will
# grade them).
DEMO_GRADES = {"partner": "B", "buyer": "C", "supplier": "C", "walkin": "D"}


def _grade(customers: list[Customer], plan: list[str]) -> None:
    grades = {g.code: g for g in db.session.query(CustomerGrade)}
    seen: dict[str, int] = {}
    for customer, type_code in zip(customers, plan, strict=True):
        order = seen[type_code] = seen.get(type_code, 0) + 1
        if type_code == "supplier" and order > 10:
            continue
        code = DEMO_GRADES[type_code]
        if type_code == "partner" and order <= 3:
            code = "A"
            customer.key_account = True
        elif type_code == "buyer" and order <= 2:
            code = "B"
        customer.grade = grades.get(code)
    db.session.commit()


def build(users: dict[str, Any]) -> None:
    rng = random.Random(20261124)  # noqa: S311 - reproducible demo data
    customers = build_customers(users, rng)
    from app.seed import demo_emergencies, demo_flow

    # Plans first: the demo's incident cases follow the plan in force.
    demo_emergencies.build(users)
    demo_flow.build(
        users,
        customers,
        rng,
        {c.code: c for c in db.session.query(CaseCategory)},
        {c.code: c for c in db.session.query(Channel)},
    )
