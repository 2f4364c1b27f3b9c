"""factory_boy factories that create records through the same rules as the screens.

Each factory saves through `app.services.core.records.before_create` acting as
the given user (default: the CustomerService demo user), so numbers,
departments and owners are decided exactly as in production.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory

from app.extensions import db
from app.models import (
    AppUser,
    Case,
    CaseCategory,
    Channel,
    Customer,
    CustomerType,
    FollowUp,
    ImprovementAction,
    IncidentType,
    Inspection,
    Material,
    MaterialGrade,
    Pickup,
    PickupLine,
    Settlement,
    WeighLine,
    WeighTicket,
    now,
)
from app.security.access import acting_as
from app.services.core import records


def user(username: str) -> AppUser:
    return db.session.query(AppUser).filter_by(username=username).one()


def by_code(model: Any, code: str) -> Any:
    return db.session.query(model).filter_by(code=code).one()


class RecordFactory(factory.Factory):
    """Build the model, then save it as `_as` through the record rules."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        actor = kwargs.pop("_as", "cs")
        actor = user(actor) if isinstance(actor, str) else actor
        item = model_class(*args, **kwargs)
        with acting_as(actor):
            records.before_create(item)
            db.session.add(item)
            db.session.commit()
            records.after_create(item)
        return item


class CustomerFactory(RecordFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"测试回收客户{n}有限公司")
    customer_type = factory.LazyFunction(lambda: by_code(CustomerType, "supplier"))
    contact_person = "陈建国"
    phone = factory.Sequence(lambda n: f"1380000{n:04d}")
    address = "浙江省杭州市西湖区文一西路100号"
    region = "杭州市西湖区"
    status = "active"


class CaseFactory(RecordFactory):
    class Meta:
        model = Case

    customer = factory.SubFactory(CustomerFactory)
    kind = "complaint"
    severity = "general"
    category = factory.LazyFunction(lambda: by_code(CaseCategory, "other"))
    channel = factory.LazyFunction(lambda: by_code(Channel, "hotline"))
    title = factory.Sequence(lambda n: f"测试工单{n}")
    description = "客户反映问题，需要处理。"
    # An incident names its type (seed 002 §6(一)).
    incident_type = factory.LazyAttribute(
        lambda case: (
            by_code(IncidentType, "safety_accident")
            if case.kind == "incident"
            else None
        )
    )


class PickupFactory(RecordFactory):
    class Meta:
        model = Pickup

    customer = factory.SubFactory(CustomerFactory)
    channel = factory.LazyFunction(lambda: by_code(Channel, "hotline"))
    address = "浙江省杭州市余杭区莫干山路88号"
    contact_name = "林晓峰"
    contact_phone = "13900001111"
    requested_start = factory.LazyFunction(lambda: now() + dt.timedelta(days=1))
    requested_end = factory.LazyFunction(lambda: now() + dt.timedelta(days=1, hours=3))


class PickupLineFactory(RecordFactory):
    class Meta:
        model = PickupLine

    pickup = factory.SubFactory(PickupFactory)
    material = factory.LazyFunction(lambda: by_code(Material, "paper-cardboard"))
    estimated_kg = Decimal("500")


class WeighTicketFactory(RecordFactory):
    class Meta:
        model = WeighTicket

    customer = factory.SubFactory(CustomerFactory)
    vehicle = "浙A12345"


class WeighLineFactory(RecordFactory):
    class Meta:
        model = WeighLine

    ticket = factory.SubFactory(WeighTicketFactory)
    material = factory.LazyFunction(lambda: by_code(Material, "paper-cardboard"))
    gross_kg = Decimal("1500.000")
    tare_kg = Decimal("500.000")


def grade(material_code: str, grade_code: str) -> MaterialGrade:
    material = by_code(Material, material_code)
    return (
        db.session.query(MaterialGrade)
        .filter_by(material_id=material.id, code=grade_code)
        .one()
    )


class InspectionFactory(RecordFactory):
    class Meta:
        model = Inspection

    sales_lot = factory.Sequence(lambda n: f"LOT-{n:04d}")
    material = factory.LazyFunction(lambda: by_code(Material, "paper-cardboard"))
    net_kg = Decimal("1000.000")
    moisture_pct = Decimal("2")
    impurity_pct = Decimal("3")
    deduction_kg = Decimal("0")
    result = "pass"


class SettlementFactory(RecordFactory):
    class Meta:
        model = Settlement

    direction = "pay"
    customer = factory.SubFactory(CustomerFactory)
    payment_method = "bank_transfer"


class FollowUpFactory(RecordFactory):
    class Meta:
        model = FollowUp

    customer = factory.SubFactory(CustomerFactory)
    due_at = factory.LazyFunction(lambda: now() + dt.timedelta(days=3))


class ImprovementActionFactory(RecordFactory):
    class Meta:
        model = ImprovementAction

    problem = "上门回收迟到投诉集中"
    measure = "调整派工规则，按距离与时段分配车辆"
    due_at = factory.LazyFunction(lambda: now() + dt.timedelta(days=30))
