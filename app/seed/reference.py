"""Default reference data from the company policies (seeds 000-004).

Seeding inserts what is missing and never overwrites what an admin changed.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from app.extensions import db
from app.models import (
    CaseCategory,
    Channel,
    CustomerGrade,
    CustomerType,
    Department,
    FollowUpRule,
    IncidentType,
    KpiTarget,
    Material,
    MaterialGrade,
    NoticeTemplate,
    PaymentTerm,
    PriceListItem,
    Setting,
    SlaPolicy,
    WorkWindow,
)
from app.services.notify.customer_notices import DEFAULT_TEMPLATES

logger = logging.getLogger(__name__)

DEPARTMENTS = [
    ("cs", "客户服务部"),
    ("sales", "销售部"),
    ("ops", "运营部"),
    ("warehouse", "仓储部"),
    ("qc", "质检部"),
    ("finance", "财务部"),
    ("mgmt", "管理层"),
]

CUSTOMER_TYPES = [
    ("supplier", "供货客户"),
    ("buyer", "再生资源销售客户"),
    ("partner", "长期合作伙伴"),
    ("walkin", "临时客户"),
]

CHANNELS = [
    ("hotline", "客服热线"),
    ("email", "电子邮箱"),
    ("online", "在线客服平台"),
    ("letter", "书面信函"),
    ("visit", "来访"),
    ("wechat", "微信"),
]

# Supervision channels (seed 001 §8(一) 投诉处理监督热线或邮箱): code, name,
# the department every case received on them goes to.
SUPERVISION_CHANNELS = [
    ("supervision_phone", "监督电话", "mgmt"),
    ("supervision_email", "监督邮箱", "mgmt"),
]

# Incident types (seed 002 §6(一) 突发事件类型): code, name, description.
INCIDENT_TYPES = [
    (
        "natural_disaster",
        "自然灾害",
        "如地震、洪水、台风等可能影响废品回收业务正常开展的自然灾害。",
    ),
    ("safety_accident", "安全事故", "如火灾、爆炸、人员伤亡等安全事故。"),
    (
        "escalated_dispute",
        "客户投诉纠纷升级",
        "客户对服务质量极度不满，引发激烈冲突等情况。",
    ),
]

# code, name, department code, business stage
CATEGORIES = [
    ("quality", "产品质量", "qc", "inspection"),
    ("attitude", "服务态度", "cs", "other"),
    ("delivery", "交货期/上门时效", "ops", "pickup"),
    ("price", "价格", "sales", "consulting"),
    ("aftersales", "售后维修", "ops", "aftersales"),
    ("settlement", "结算", "finance", "settlement"),
    ("inspection_dispute", "质检争议", "qc", "inspection"),
    ("weighing", "计量", "warehouse", "weighing"),
    # Business requests go to Sales (seed 000 §2: 协助办理业务手续).
    ("order_declaration", "订单申报", "sales", "consulting"),
    ("qualification", "资质审核", "sales", "onboarding"),
    ("payment_terms", "账期", "sales", "settlement"),
    ("other", "其他", "cs", "other"),
]

WH, CH, WD = "working_hours", "calendar_hours", "working_days"

# kind, severity, name, response, off-hours response, resolution, extra, source
SLA_POLICIES: list[tuple[Any, ...]] = [
    (
        "inquiry",
        "normal",
        "咨询（一般）",
        (1, WH),
        (2, CH),
        None,
        {"resolve_at_response": True},
        "seed 000 §3(2)",
    ),
    (
        "inquiry",
        "complex",
        "咨询（需核实）",
        (1, WH),
        (2, CH),
        (24, CH),
        {},
        "seed 000 §3(2)",
    ),
    (
        "business",
        "routine",
        "业务办理（常规）",
        (1, WH),
        None,
        (3, WD),
        {},
        "seed 000 §3(2)",
    ),
    (
        "business",
        "special",
        "业务办理（特殊）",
        (1, WH),
        None,
        (7, WD),
        {},
        "seed 000 §3(2)",
    ),
    ("complaint", "general", "一般投诉", (24, CH), None, (7, WD), {}, "seed 000 §3(2)"),
    ("complaint", "major", "重大投诉", (12, CH), None, (15, WD), {}, "seed 000 §3(2)"),
    (
        "aftersales",
        "urgent",
        "售后服务（紧急）",
        (2, CH),
        None,
        (24, CH),
        {},
        "seed 004",
    ),
    (
        "aftersales",
        "normal",
        "售后服务（一般）",
        (24, CH),
        None,
        (72, CH),
        {},
        "seed 004",
    ),
    (
        "suggestion",
        "normal",
        "建议",
        (24, CH),
        None,
        (7, WD),
        {},
        "default; seeds silent",
    ),
    (
        "incident",
        "urgent",
        "突发事件",
        (2, CH),
        None,
        (24, CH),
        {"escalate_immediately": True},
        "seed 002 §6",
    ),
    ("pickup", "normal", "上门回收预约确认", (2, WH), None, None, {}, "seed 002 §3"),
]

# Mon-Fri 08:30-17:30 (seed 003: 客服部门的工作时间为8:30-17:30).
WORK_WINDOWS = [(weekday, dt.time(8, 30), dt.time(17, 30)) for weekday in range(5)]

# code, name, parent code, grades [(code, name)]
MATERIALS = [
    ("paper", "废纸", None, []),
    (
        "paper-cardboard",
        "黄板纸",
        "paper",
        [("A", "一级"), ("B", "二级"), ("C", "三级")],
    ),
    ("paper-office", "办公白纸", "paper", [("A", "一级"), ("B", "二级")]),
    ("plastic", "废塑料", None, []),
    ("plastic-pet", "PET瓶片", "plastic", [("A", "一级"), ("B", "二级")]),
    ("plastic-hdpe", "HDPE", "plastic", [("A", "一级"), ("B", "二级")]),
    ("steel", "废钢铁", None, []),
    ("steel-heavy", "重废钢", "steel", [("A", "一级"), ("B", "二级")]),
    ("steel-light", "轻薄料", "steel", [("A", "一级")]),
    ("copper", "废铜", None, []),
    ("copper-bright", "光亮铜", "copper", [("A", "一级")]),
    ("copper-mixed", "杂铜", "copper", [("A", "一级"), ("B", "二级")]),
    ("aluminium", "废铝", None, []),
    ("aluminium-alloy", "铝合金", "aluminium", [("A", "一级"), ("B", "二级")]),
    ("aluminium-can", "易拉罐", "aluminium", [("A", "一级")]),
    ("ewaste", "废旧电器", None, [("A", "整机"), ("B", "拆解件")]),
]

# material code, grade code, purchase CNY/kg, sale CNY/kg (valid from Jan 1)
PRICES = [
    ("paper-cardboard", "A", "1.60", "1.95"),
    ("paper-cardboard", "B", "1.40", "1.70"),
    ("paper-cardboard", "C", "1.10", "1.35"),
    ("paper-office", "A", "2.10", "2.55"),
    ("paper-office", "B", "1.80", "2.20"),
    ("plastic-pet", "A", "3.20", "4.10"),
    ("plastic-pet", "B", "2.60", "3.30"),
    ("plastic-hdpe", "A", "2.80", "3.60"),
    ("plastic-hdpe", "B", "2.20", "2.90"),
    ("steel-heavy", "A", "2.30", "2.75"),
    ("steel-heavy", "B", "2.05", "2.45"),
    ("steel-light", "A", "1.90", "2.30"),
    ("copper-bright", "A", "62.00", "66.50"),
    ("copper-mixed", "A", "52.00", "56.00"),
    ("copper-mixed", "B", "46.50", "50.00"),
    ("aluminium-alloy", "A", "13.50", "15.20"),
    ("aluminium-alloy", "B", "11.80", "13.30"),
    ("aluminium-can", "A", "11.80", "13.60"),
    ("ewaste", "A", "1.20", "1.60"),
    ("ewaste", "B", "0.80", "1.10"),
]

# code, name, trigger, case kind, customer type, delay, unit, interval, department
FOLLOWUP_RULES = [
    (
        "complaint-closed",
        "投诉办结回访",
        "case_closed",
        "complaint",
        None,
        3,
        "working_days",
        None,
        "cs",
    ),
    (
        "pickup-settled",
        "回收结算满意度回访",
        "pickup_settled",
        None,
        None,
        7,
        "calendar_days",
        None,
        "cs",
    ),
    (
        "partner-regular",
        "长期合作伙伴定期走访",
        "partner_periodic",
        None,
        "partner",
        0,
        "calendar_days",
        30,
        "sales",
    ),
]

# Customer grades (客户分级), seed 003 公司客户服务办法 第四条(1): by nature,
# scale, volume (kg received or sold over 12 months) and trend; code, name,
# rank, nature, scale, minimum volume kg, maximum complaints, trend.
CUSTOMER_GRADES = [
    (
        "A",
        "A类（重点客户）",
        1,
        "长期合作、规模化回收或采购企业",
        "年回收/采购量大，设施齐全",
        "500000",
        1,
        "业务量稳定或增长",
    ),
    (
        "B",
        "B类（重要客户）",
        2,
        "稳定合作企业",
        "中等规模",
        "100000",
        2,
        "业务量基本稳定",
    ),
    ("C", "C类（一般客户）", 3, "一般合作客户", "小规模", "10000", None, "业务量波动"),
    (
        "D",
        "D类（潜在/零散客户）",
        4,
        "零散或临时客户",
        "规模小或不定期",
        None,
        None,
        "业务量下降或偶发",
    ),
]

# kpi, target %, lower is better (the seeds leave targets as [X] %)
KPI_TARGETS = [
    ("complaint_timeliness", "95", False),
    ("response_timeliness", "98", False),
    ("pickup_response_timeliness", "95", False),
    ("satisfaction_share", "90", False),
    ("repeat_complaint_rate", "5", True),
    ("first_time_resolution", "90", False),
    ("weighing_accuracy", "98", False),
    ("arrival_on_time", "95", False),
    ("business_on_time", "95", False),
    ("aftersales_on_time", "95", False),
    ("complaint_rate_pickups", "5", True),
    ("complaint_rate_customers", "10", True),
]

# code, name, days, basis (seed 002 §3(四) 及时结算; 003 物流 第十八条)
PAYMENT_TERMS = [
    ("cash", "现结（当日付款）", 0, "document"),
    ("net7", "结算后7天", 7, "document"),
    ("net15", "结算后15天", 15, "document"),
    ("net30", "结算后30天", 30, "document"),
    ("month30", "月结30天", 30, "month_end"),
]

SETTINGS = [
    ("sla.at_risk_percent", "80", "默认预警阈值：时限已用百分比"),
    (
        "sla.urgent_at_risk_percent",
        "50",
        "紧急工单预警阈值：时限已用百分比（低于常规阈值时提前预警）",
    ),
    ("escalation.grace_hours", "4", "超时后超过该小时数升级至管理层"),
    (
        "weighing.tolerance_percent",
        "1.0",
        "回收准确率：过磅净重与复核净重允许偏差（%）",
    ),
    ("followup.dissatisfied_max", "2", "回访满意度不高于该分值视为不满意"),
    (
        "training.duty_clearance",
        "1",
        "新员工培训考核合格（或经部门负责人、管理层准予上岗）前"
        "不得分派工单：1 开启，0 关闭",
    ),
    ("training.pass_score", "60", "培训考核合格分数线（满分100分）"),
    ("repeat_complaint.days", "30", "同一客户同一类别在该天数内再次投诉视为重复投诉"),
    # Header of printed weigh tickets and settlement vouchers.
    ("company.name", "绿源再生资源回收有限公司", "单据抬头：公司名称"),
    (
        "company.address",
        "浙江省杭州市余杭区仁和街道再生资源产业园8号",
        "单据抬头：公司地址",
    ),
    ("company.phone", "0571-8888 6000", "单据抬头：联系电话"),
    (
        "finance.default_payment_term",
        "net7",
        "默认账期（付款条件编码）：客户未单独约定时使用",
    ),
    ("finance.due_warning_days", "3", "结算款项到期前该天数起预警"),
    ("finance.overdue_task_days", "0", "结算逾期该天数后生成逾期跟进任务"),
    ("customer.licence_warning_days", "30", "客户资质有效期到期前该天数起提醒销售部"),
    ("customer.review_months", "12", "客户档案距上次核实超过该月数时提醒复核"),
    (
        "notice.silence_working_days",
        "3",
        "工单连续该工作日数未与客户沟通（含通知）时提醒经办人；0 为不提醒",
    ),
]


def _get_or_add(model: Any, lookup: dict[str, Any], values: dict[str, Any]) -> Any:
    found = db.session.query(model).filter_by(**lookup).one_or_none()
    if found is None:
        found = model(**lookup, **values)
        db.session.add(found)
        db.session.flush()
    return found


def seed_reference(year: int | None = None) -> None:
    """Insert the default reference data that is missing."""
    departments = {
        code: _get_or_add(Department, {"code": code}, {"name": name})
        for code, name in DEPARTMENTS
    }
    types = {
        code: _get_or_add(CustomerType, {"code": code}, {"name": name})
        for code, name in CUSTOMER_TYPES
    }
    for code, name in CHANNELS:
        _get_or_add(Channel, {"code": code}, {"name": name})
    for code, name, department in SUPERVISION_CHANNELS:
        _get_or_add(
            Channel,
            {"code": code},
            {"name": name, "route_department": departments[department]},
        )
    for code, name, description in INCIDENT_TYPES:
        _get_or_add(
            IncidentType, {"code": code}, {"name": name, "description": description}
        )
    for code, name, rank, nature, scale, volume, complaints, trend in CUSTOMER_GRADES:
        _get_or_add(
            CustomerGrade,
            {"code": code},
            {
                "name": name,
                "rank": rank,
                "nature": nature,
                "scale": scale,
                "min_volume_kg": Decimal(volume) if volume else None,
                "max_complaints": complaints,
                "trend": trend,
            },
        )
    for code, name, department, stage in CATEGORIES:
        _get_or_add(
            CaseCategory,
            {"code": code},
            {
                "name": name,
                "default_department_id": departments[department].id,
                "default_stage": stage,
            },
        )
    for (
        kind,
        severity,
        name,
        response,
        offhours,
        resolution,
        extra,
        source,
    ) in SLA_POLICIES:
        values = {"name": name, "source": source, **extra}
        if response:
            values["response_amount"], values["response_unit"] = response
        if offhours:
            values["offhours_response_amount"], values["offhours_response_unit"] = (
                offhours
            )
        if resolution:
            values["resolution_amount"], values["resolution_unit"] = resolution
        _get_or_add(
            SlaPolicy,
            # The first version; approved changes add later ones.
            {
                "kind": kind,
                "severity": severity,
                "customer_type_id": None,
                "valid_from": None,
            },
            values,
        )
    if db.session.query(WorkWindow).count() == 0:
        for weekday, start, end in WORK_WINDOWS:
            db.session.add(WorkWindow(weekday=weekday, start_time=start, end_time=end))
    materials: dict[str, Material] = {}
    grades: dict[tuple[str, str], MaterialGrade] = {}
    for code, name, parent, grade_list in MATERIALS:
        material = _get_or_add(
            Material,
            {"code": code},
            {
                "name": name,
                "parent_id": materials[parent].id if parent else None,
                "unit": "kg",
            },
        )
        materials[code] = material
        for rank, (grade_code, grade_name) in enumerate(grade_list, start=1):
            grades[(code, grade_code)] = _get_or_add(
                MaterialGrade,
                {"material_id": material.id, "code": grade_code},
                {"name": grade_name, "rank": rank},
            )
    if db.session.query(PriceListItem).count() == 0:
        valid_from = dt.date(year or dt.date.today().year, 1, 1)  # noqa: DTZ011
        for code, grade, purchase, sale in PRICES:
            for direction, price in (("purchase", purchase), ("sale", sale)):
                db.session.add(
                    PriceListItem(
                        material_id=materials[code].id,
                        grade_id=grades[(code, grade)].id,
                        direction=direction,
                        unit_price=Decimal(price),
                        valid_from=valid_from,
                    )
                )
    for code, name, trigger, kind, ctype, delay, unit, interval, dept in FOLLOWUP_RULES:
        _get_or_add(
            FollowUpRule,
            {"code": code},
            {
                "name": name,
                "trigger": trigger,
                "case_kind": kind,
                "customer_type_id": types[ctype].id if ctype else None,
                "delay_amount": delay,
                "delay_unit": unit,
                "interval_days": interval,
                "department_id": departments[dept].id,
            },
        )
    for kpi, target, lower in KPI_TARGETS:
        _get_or_add(
            KpiTarget,
            {"kpi": kpi, "department_id": None},
            {
                "target_percent": Decimal(target),
                "lower_is_better": lower,
            },
        )
    for code, name, days, basis in PAYMENT_TERMS:
        _get_or_add(
            PaymentTerm, {"code": code}, {"name": name, "days": days, "basis": basis}
        )
    for key, value, description in SETTINGS:
        _get_or_add(Setting, {"key": key}, {"value": value, "description": description})
    for event, (subject, body) in DEFAULT_TEMPLATES.items():
        _get_or_add(
            NoticeTemplate,
            {"event": event},
            {"subject": subject, "body": body, "active": True},
        )
    db.session.commit()
    seed_calendar()
    logger.info("Reference data seeded")


def seed_calendar(year: int | None = None) -> list[int]:
    """Load last, this and next year's official calendar if not loaded yet."""
    from app.models import CalendarYear, now
    from app.services.clocks.business_calendar import sync_year
    from app.services.core.errors import DomainError

    first = year or now().year
    loaded = []
    for target in (first - 1, first, first + 1):
        if db.session.query(CalendarYear).filter_by(year=target).first():
            continue
        try:
            sync_year(target)
        except DomainError as error:
            logger.warning("Calendar %s not loaded: %s", target, error)
            continue
        loaded.append(target)
    return loaded
