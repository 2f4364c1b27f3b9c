"""Demo pickups in every state, with tickets, inspections and settlements.

Everything goes through the workflows and record rules, each step taken by
the department that owns it, exactly as clicks on the screens would.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import (
    AppUser,
    Channel,
    Customer,
    Inspection,
    Material,
    MaterialGrade,
    Pickup,
    PickupLine,
    Reweigh,
    Settlement,
    WeighLine,
    WeighTicket,
    now,
)
from app.security.access import acting_as
from app.services.core import records
from app.services.recycling.inspection_disputes import INSPECTION_FLOW
from app.services.recycling.pickup_steps import PICKUP_FLOW, line_field
from app.services.recycling.recycling_rules import active_settlement, pickup_lines
from app.services.recycling.settlement_steps import (
    SETTLEMENT_FLOW,
    build_sales_settlement,
)

KG = Decimal("0.001")
HALF_KG = Decimal("0.5")

CREWS = ["张师傅班组", "李师傅班组", "王师傅班组", "赵师傅班组"]
VEHICLES = ["浙A3K721", "浙AF6620", "浙B7Q115", "浙A9D208"]
STREETS = [
    "杭州市余杭区仁和街道临港路",
    "杭州市萧山区新塘街道工业园",
    "杭州市西湖区三墩镇振华路",
    "宁波市鄞州区姜山镇科技园",
    "绍兴市柯桥区华舍街道纺织园",
]
ASSESSMENTS = [
    "废纸打包整齐，目测含水偏低，夹杂少量塑料膜。",
    "重废钢以边角料为主，表面轻度锈蚀，无密封容器。",
    "塑料瓶已压扁装袋，含少量瓶盖和标签纸。",
    "铝合金型材为门窗拆除料，附带少量胶条。",
    "废旧电器整机为主，部分缺件，需拆解后分拣。",
]

# Per pickup: (material code, grade code, estimated kg)
LOADS = [
    [("paper-cardboard", "A", 1800), ("paper-office", "B", 600)],
    [("steel-heavy", "A", 5200)],
    [("plastic-pet", "A", 900), ("plastic-hdpe", "B", 450)],
    [("aluminium-alloy", "A", 700), ("copper-mixed", "B", 120)],
    [("paper-cardboard", "B", 2400)],
    [("ewaste", "A", 800)],
]

# The state each demo pickup ends in (the flow order is PICKUP_FLOW's).
PLAN = [
    "requested",
    "requested",
    "scheduled",
    "assessed",
    "collected",
    "weighed",
    "inspected",
    "inspected",
    "settled",
    "settled",
    "settled",
    "closed",
    "closed",
    "cancelled",
]
ORDER = [
    "requested",
    "scheduled",
    "assessed",
    "collected",
    "weighed",
    "inspected",
    "settled",
    "closed",
]


def _save(item: Any, user: AppUser) -> Any:
    with acting_as(user):
        records.before_create(item)
        db.session.add(item)
        db.session.commit()
        records.after_create(item)
    return item


def _step(flow: Any, record: Any, name: str, user: AppUser, **data: Any) -> Any:
    with acting_as(user):
        return flow.run(record, name, data, user)


def _grade(material: Material, code: str) -> MaterialGrade:
    return db.session.scalars(
        select(MaterialGrade).where(
            MaterialGrade.material_id == material.id, MaterialGrade.code == code
        )
    ).one()


def _material(code: str) -> Material:
    return db.session.scalars(select(Material).where(Material.code == code)).one()


class _Builder:
    """Walks demo pickups through their steps with the demo users."""

    def __init__(self, users: dict[str, AppUser], rng: random.Random) -> None:
        self.users = users
        self.rng = rng
        self.channels = list(db.session.scalars(select(Channel)))

    def user(self, name: str) -> AppUser:
        return self.users[name]

    def pickup(self, index: int, customer: Customer) -> Pickup:
        start = (now() + dt.timedelta(days=self.rng.randint(1, 5))).replace(
            hour=self.rng.choice((8, 9, 13, 14)), minute=0, second=0, microsecond=0
        )
        creator = self.user("cs" if index % 2 else "cs2")
        pickup = _save(
            Pickup(
                customer=customer,
                channel=self.rng.choice(self.channels),
                contact_name=customer.contact_person,
                contact_phone=customer.phone,
                address=f"浙江省{self.rng.choice(STREETS)}{self.rng.randint(1, 300)}号",
                region=customer.region,
                requested_start=start,
                requested_end=start + dt.timedelta(hours=3),
                notes="客户电话预约，要求上门前半小时联系。"
                if index % 3 == 0
                else None,
            ),
            creator,
        )
        for code, grade, kg in LOADS[index % len(LOADS)]:
            material = _material(code)
            _save(
                PickupLine(
                    pickup=pickup,
                    material=material,
                    grade=_grade(material, grade),
                    estimated_kg=Decimal(kg),
                ),
                creator,
            )
        return pickup

    def advance(self, pickup: Pickup, target: str, index: int) -> None:
        """Take the pickup's steps, one department after the other, up to target."""
        reached = ORDER.index(target)
        ops = self.user("ops" if index % 2 else "ops2")
        if reached >= 1:
            start = now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(
                days=1
            )
            _step(
                PICKUP_FLOW,
                pickup,
                "schedule",
                ops,
                crew=CREWS[index % len(CREWS)],
                vehicle=VEHICLES[index % len(VEHICLES)],
                window_start=start,
                window_end=start + dt.timedelta(hours=2),
                distance_km=Decimal(self.rng.randint(3, 60)),
                difficulty=self.rng.choice(("low", "medium", "high")),
            )
        lines = pickup_lines(pickup)
        if reached >= 2:
            data = {
                line_field(line, "assessed_kg"): Decimal(
                    line.estimated_kg * Decimal(self.rng.uniform(0.9, 1.1))
                ).quantize(Decimal(1))
                for line in lines
            }
            _step(
                PICKUP_FLOW,
                pickup,
                "assess",
                ops,
                assessment_note=ASSESSMENTS[index % len(ASSESSMENTS)],
                **data,
            )
        if reached >= 3:
            data = {
                line_field(line, "collected_kg"): (
                    line.assessed_kg * Decimal(self.rng.uniform(0.96, 1.02))
                ).quantize(Decimal(1))
                for line in lines
            }
            _step(PICKUP_FLOW, pickup, "collect", ops, **data)
        if reached >= 4:
            self.weigh(pickup, lines)
            _step(PICKUP_FLOW, pickup, "weigh", self.user("warehouse"))
        if reached >= 5:
            self.inspect(pickup, index)
            _step(PICKUP_FLOW, pickup, "inspect", self.user("qc"))
        if reached >= 6:
            _step(
                PICKUP_FLOW,
                pickup,
                "settle",
                self.user("finance"),
                payment_method=self.rng.choice(("bank_transfer", "wechat", "alipay")),
            )
        if reached >= 7:
            settlement = active_settlement(pickup)
            self.pay(settlement)
            _step(
                PICKUP_FLOW,
                pickup,
                "close",
                self.user("finance"),
                note="款项已结清，单据归档。",
            )

    def weigh(self, pickup: Pickup, lines: list[PickupLine]) -> None:
        """Two-pass weighing: the loaded truck, then the empty one, per line."""
        warehouse = self.user("warehouse")
        ticket = _save(WeighTicket(pickup=pickup, notes="地磅一号"), warehouse)
        for line in lines:
            tare = (Decimal(self.rng.uniform(2600, 4200)) / HALF_KG).quantize(
                Decimal(1)
            ) * HALF_KG
            net = (line.collected_kg * Decimal(self.rng.uniform(0.98, 1.01))).quantize(
                KG
            )
            weighed = _save(
                WeighLine(
                    ticket=ticket,
                    pickup_line=line,
                    material=line.material,
                    gross_kg=tare + net,
                ),
                warehouse,
            )
            weighed.tare_kg = tare
            with acting_as(warehouse):
                records.before_update(weighed)
                db.session.commit()

    def inspect(self, pickup: Pickup, index: int) -> None:
        """Moisture and impurity, a fixed deduction on one lot, a downgrade on one."""
        qc = self.user("qc")
        weighed = db.session.scalars(
            select(WeighLine)
            .join(WeighTicket)
            .where(WeighTicket.pickup_id == pickup.id)
            .order_by(WeighLine.id)
        ).all()
        for position, line in enumerate(weighed):
            values: dict[str, Any] = {
                "moisture_pct": Decimal(self.rng.choice(("0", "1.5", "2", "3.5"))),
                "impurity_pct": Decimal(self.rng.choice(("0", "0.8", "1.2", "2"))),
                "result": "pass",
                "report": "抽样检测，水分与杂质在合同范围内。",
            }
            if index % 4 == 1 and position == 0:
                values.update(
                    deduction_kg=Decimal("25.500"),
                    impurity_pct=Decimal(0),
                    report="夹带木托两只，按实重扣除25.5公斤。",
                )
            lower = [
                g
                for g in line.material.grades
                if line.grade is not None and g.rank > line.grade.rank
            ]
            if index % 4 == 2 and position == 0 and lower:
                values.update(
                    result="downgrade",
                    grade=lower[0],
                    report=f"杂质偏高，由{line.grade.name}降为{lower[0].name}。",
                )
            _save(Inspection(weigh_line=line, **values), qc)

    def pay(self, settlement: Settlement) -> None:
        finance = self.user("finance")
        if settlement.status == "draft":
            _step(SETTLEMENT_FLOW, settlement, "confirm", finance)
        _step(SETTLEMENT_FLOW, settlement, "pay", finance)


def build(
    users: dict[str, AppUser], customers: list[Customer], rng: random.Random
) -> None:
    """Pickups in every state, settlements in every state, one sale to a buyer."""
    builder = _Builder(users, rng)
    suppliers = [c for c in customers if c.customer_type.code != "buyer"]
    buyers = [c for c in customers if c.customer_type.code == "buyer"]
    finance = users["finance"]
    pickups: dict[str, list[Pickup]] = {}
    for index, target in enumerate(PLAN):
        pickup = builder.pickup(index, suppliers[index % len(suppliers)])
        final = "scheduled" if target == "cancelled" else target
        builder.advance(pickup, final, index)
        if target == "cancelled":
            _step(
                PICKUP_FLOW,
                pickup,
                "cancel",
                users["ops"],
                reason="客户来电取消：废品已就近出售给社区回收站。",
            )
        pickups.setdefault(target, []).append(pickup)

    # Settlements: one voided (its pickup back to inspected), drafts, confirmed,
    # paid, and an adjusting entry on a paid one.
    voided_pickup = pickups["inspected"][1]
    _step(PICKUP_FLOW, voided_pickup, "settle", finance, payment_method="cash")
    _step(
        SETTLEMENT_FLOW,
        active_settlement(voided_pickup),
        "void",
        finance,
        reason="客户要求改为对公转账，现金结算单作废，待重新结算。",
    )
    # The first settled pickup keeps its settlement as a draft.
    confirmed, paid = (active_settlement(p) for p in pickups["settled"][1:])
    _step(SETTLEMENT_FLOW, confirmed, "confirm", finance)
    builder.pay(paid)
    original = active_settlement(pickups["closed"][0])
    line = original.lines[0]
    _step(
        SETTLEMENT_FLOW,
        original,
        "adjust",
        finance,
        reason="仓库复磅少计35公斤，按原价补付差额。",
        material=str(line.material_id),
        grade=str(line.grade_id) if line.grade_id else "",
        net_kg=Decimal("35"),
        unit_price=line.unit_price,
    )
    adjustment = db.session.scalars(
        select(Settlement).where(Settlement.adjusts_id == original.id)
    ).one()
    _step(SETTLEMENT_FLOW, adjustment, "confirm", finance)

    # A warehouse re-weigh of one weighed line (weighing-accuracy KPI).
    weighed = db.session.scalars(
        select(WeighLine)
        .join(WeighTicket)
        .where(WeighTicket.pickup_id == pickups["closed"][1].id)
    ).first()
    _save(
        Reweigh(
            weigh_line=weighed,
            net_kg=(weighed.net_kg * Decimal("0.996")).quantize(KG),
            note="入库复磅，偏差在允许范围内。",
        ),
        users["warehouse"],
    )

    # A dispute about the downgraded lot, recorded by customer service.
    downgraded = db.session.scalars(
        select(Inspection).where(Inspection.result == "downgrade")
    ).first()
    if downgraded is not None:
        _step(
            INSPECTION_FLOW,
            downgraded,
            "dispute",
            users["cs"],
            channel=str(builder.channels[0].id),
            description="客户认为该批货物杂质不高，不同意降级，要求复检。",
            expected_solution="按原等级结算或现场复检",
        )

    # A sale of recycled material to a buyer: inspected lots, receipt settlement.
    if buyers:
        qc = users["qc"]
        lots = [
            _save(
                Inspection(
                    sales_lot=f"LOT-{now().year}-{number:03d}",
                    material=_material(code),
                    grade=_grade(_material(code), grade),
                    net_kg=Decimal(kg),
                    moisture_pct=Decimal(moisture),
                    result="pass",
                    report="出库前抽检合格。",
                ),
                qc,
            )
            for number, code, grade, kg, moisture in (
                (101, "paper-cardboard", "A", "12500", "2.5"),
                (102, "paper-office", "A", "6800", "1.5"),
            )
        ]
        sale = build_sales_settlement(
            buyers[0],
            lots,
            finance,
            payment_method="bank_transfer",
            sales_order=f"XS-{now().year}-0301",
        )
        db.session.commit()
        _step(SETTLEMENT_FLOW, sale, "confirm", finance)
        _step(SETTLEMENT_FLOW, sale, "pay", finance)
