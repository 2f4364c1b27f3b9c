"""Demo emergency plans (seed 002 §6): a plan in force for each incident type
with its responsible people, and a draft revision awaiting Management."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import EmergencyPlan, IncidentType, PlanResponsible
from app.security.access import acting_as
from app.services.core import records
from app.services.emergencies.plans import PLAN_FLOW

# incident type code, title, procedure, [(responsible username, duty)]
PLANS = [
    (
        "natural_disaster",
        "自然灾害应急预案",
        "1. 现场工作人员立即报告部门负责人及管理层。\n"
        "2. 启动本预案，暂停受影响区域的上门回收，通知已预约客户改期。\n"
        "3. 采取防护措施（转移车辆、加固堆场、切断电源），确保人员和财产安全。\n"
        "4. 灾后检查场地与车辆，尽快恢复业务运营，并向客户通报恢复时间。",
        [("ops", "现场指挥"), ("manager", "总协调")],
    ),
    (
        "safety_accident",
        "安全事故应急预案",
        "1. 发生火灾、爆炸或人员受伤时立即拨打119/120并报告上级领导。\n"
        "2. 启动本预案，组织人员疏散与救援，按安全规定处置。\n"
        "3. 保护现场，配合相关部门调查。\n"
        "4. 事后登记事故经过与损失，通知受影响客户。",
        [("warehouse", "现场处置"), ("manager", "总协调")],
    ),
    (
        "escalated_dispute",
        "客户投诉纠纷升级应急预案",
        "1. 接待人员保持冷静，立即报告客服部负责人。\n"
        "2. 启动本预案，由负责人到场或电话沟通，倾听诉求，避免矛盾激化。\n"
        "3. 必要时请管理层出面协调，当日给出处理意见。\n"
        "4. 全程记录沟通经过，结案后回访客户。",
        [("cs", "沟通协调"), ("manager", "决策")],
    ),
]


def build(users: dict[str, Any]) -> None:
    manager = users["manager"]
    types = {t.code: t for t in db.session.query(IncidentType)}
    with acting_as(manager):
        for code, title, procedure, people in PLANS:
            plan = EmergencyPlan(
                incident_type=types[code], title=title, procedure=procedure
            )
            records.before_create(plan)
            plan.responsibles = [
                PlanResponsible(person_id=users[name].id, duty=duty)
                for name, duty in people
            ]
            db.session.add(plan)
            db.session.commit()
            PLAN_FLOW.run(plan, "put_in_force", {}, manager)
        # A draft next version for Management to put in force.
        current = (
            db.session.query(EmergencyPlan)
            .filter_by(incident_type=types["escalated_dispute"], status="in_force")
            .one()
        )
        draft = EmergencyPlan(
            incident_type=types["escalated_dispute"],
            title=current.title,
            procedure=current.procedure + "\n5. 冲突现场须两人以上在场，并开启录音。",
        )
        records.before_create(draft)
        draft.responsibles = [
            PlanResponsible(person_id=r.person_id, duty=r.duty)
            for r in current.responsibles
        ]
        db.session.add(draft)
        db.session.commit()
