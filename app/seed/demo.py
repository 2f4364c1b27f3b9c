"""Demo users and a realistic set of Chinese demo records (`flask demo seed`)."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from app.extensions import db
from app.models import AppUser, Customer, CustomerType, Department

logger = logging.getLogger(__name__)

# username, role, department code, family name, given name, head of department
DEMO_USERS = [
    ("admin", "Admin", None, "系统", "管理员", False),
    ("cs", "CustomerService", "cs", "李", "娜", True),
    ("sales", "Sales", "sales", "张", "伟", True),
    ("ops", "Operations", "ops", "王", "强", True),
    ("warehouse", "Warehouse", "warehouse", "刘", "洋", True),
    ("qc", "QualityControl", "qc", "陈", "静", True),
    ("finance", "Finance", "finance", "杨", "敏", True),
    ("manager", "Management", "mgmt", "赵", "刚", True),
    ("cs2", "CustomerService", "cs", "周", "婷", False),
    ("ops2", "Operations", "ops", "吴", "磊", False),
]


def seed_users(password: str) -> dict[str, AppUser]:
    """Create the demo users that are missing; existing ones are left alone."""
    sm = current_app.appbuilder.sm
    departments = {d.code: d for d in db.session.query(Department)}
    users = {}
    for username, role_name, dept, family, given, head in DEMO_USERS:
        user = db.session.query(AppUser).filter_by(username=username).one_or_none()
        if user is None:
            role = sm.find_role(role_name)
            if role is None:
                raise RuntimeError("Roles are missing: run `flask roles sync` first.")
            sm.add_user(
                username=username,
                first_name=given,
                last_name=family,
                email=f"{username}@demo.example.com",
                role=role,
                password=password,
            )
            user = db.session.query(AppUser).filter_by(username=username).one()
            user.department = departments.get(dept) if dept else None
            user.is_department_head = head
            user.phone = "0571-8888" + str(1000 + len(users))
            db.session.commit()
        users[username] = user
    return users


def has_demo_data() -> bool:
    return db.session.query(Customer.id).first() is not None


def seed_demo(password: str) -> dict[str, Any]:
    """Demo users always; demo records only on an empty database."""
    users = seed_users(password)
    created = False
    if not has_demo_data():
        from app.seed import demo_records

        demo_records.build(users)
        seed_handover(users)
        created = True
    db.session.commit()
    return {
        "users": list(users),
        "records_created": created,
        "customers": db.session.query(Customer).count(),
        "customer_types": db.session.query(CustomerType).count(),
    }


def seed_handover(users: dict[str, AppUser]) -> None:
    """Two handover notes (seed 003 客服运营方案 三.1): customer service's of
    yesterday, taken over by the next shift; Operations' of today, waiting."""
    import datetime as dt

    from app.models import BUSINESS_TZ, HandoverNote, now
    from app.security.access import acting_as
    from app.services.core import records
    from app.services.handover.notes import HANDOVER_FLOW

    yesterday = now().astimezone(BUSINESS_TZ).date() - dt.timedelta(days=1)
    made = []
    for author, day, text in (
        ("cs", yesterday, "热线2号线下午故障已报修；重大投诉需今日回复客户。"),
        ("ops2", None, "明早两车上门回收，车辆已加油；3号车需送检。"),
    ):
        note = HandoverNote(shift="day", shift_date=day, notes=text)
        with acting_as(users[author]):
            records.before_create(note)
            db.session.add(note)
            db.session.commit()
        made.append(note)
    HANDOVER_FLOW.run(made[0], "acknowledge", {"note": "已阅，接班。"}, users["cs2"])
