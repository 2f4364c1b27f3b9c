"""Demo cases, pickups, settlements and follow-ups in every state."""

from __future__ import annotations

import random
from typing import Any

from app.models import Case
from app.security.access import acting_as
from app.seed.demo_records import _save

# kind, severity, category, channel, title, description
CASES = [
    ("complaint", "general", "delivery", "hotline", "上门回收迟到两小时",
     "客户反映约定上午9点上门回收，实际11点才到，影响其仓库作业。"),
    ("complaint", "major", "quality", "letter", "再生纸浆杂质超标导致停机",
     "客户书面投诉：本批次再生纸浆杂质超标，造成生产线停机半天，要求赔偿。"),
    ("inquiry", "normal", "price", "wechat", "询问本周黄板纸回收价",
     "客户微信咨询本周黄板纸一级、二级回收价格。"),
    ("inquiry", "complex", "settlement", "email", "上月结算款到账时间",
     "客户询问上月回收结算款何时到账，需财务核实付款进度。"),
    ("business", "routine", "other", "visit", "办理资质审核",
     "客户来访提交再生资源回收经营备案材料，申请资质审核。"),
    ("complaint", "general", "weighing", "hotline", "过磅重量与自称重量不符",
     "客户称自家地磅称重比我方过磅单多出约2%，要求复核。"),
    ("complaint", "general", "inspection_dispute", "online", "质检扣杂比例有异议",
     "客户对质检报告中12%的扣杂比例有异议，认为应在8%以内。"),
    ("aftersales", "urgent", "aftersales", "hotline", "压缩打包机故障",
     "我方租赁给客户的压缩打包机无法启动，客户急需使用。"),
    ("suggestion", "normal", "attitude", "online", "建议增加周末上门服务",
     "客户建议公司周六也提供上门回收服务。"),
]


def build(users: dict[str, Any], customers: list[Any], rng: random.Random,
          categories: dict[str, Any], channels: dict[str, Any]) -> None:
    for index, (kind, severity, category, channel, title, text) in enumerate(CASES):
        with acting_as(users["cs"] if index % 2 == 0 else users["cs2"]):
            _save(Case(
                customer=customers[index % len(customers)],
                kind=kind,
                severity=severity,
                category=categories[category],
                channel=channels[channel],
                title=title,
                description=text,
            ))
