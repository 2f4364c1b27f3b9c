"""Demo key-account visits: two key accounts with a plan each, visits made
and reported (one with an urgent report) and visits still to make."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.extensions import db
from app.models import BUSINESS_TZ, Visit, VisitPlan
from app.models.base import clock_at
from app.security.access import acting_as
from app.services.core import records
from app.services.visits.key_accounts import VISIT_FLOW


def build(users: dict[str, Any], customers: list[Any], moment: dt.datetime) -> None:
    """Plans for the first two partners represented by Sales, made by the head of
    customer service; visitors from customer service and operations."""
    accounts = [
        c
        for c in customers
        if c.customer_type.code == "partner" and c.sales_rep_id is not None
    ][:2]
    today = moment.astimezone(BUSINESS_TZ).date()
    head = users["cs"]
    for account, period, visitor in zip(
        accounts, ("year", "quarter"), (users["cs2"], users["ops2"]), strict=False
    ):
        account.key_account = True
        plan = VisitPlan(
            customer=account,
            period=period,
            starts_on=today,
            visitor=visitor,
            focus_materials="黄板纸、废钢",
            survey_items="月度出货量、库存、结算周期意见",
            special_items="同行收购价与服务政策",
            arrangements="每月第一周上门一次，季末与客户负责人面谈",
        )
        records.add(plan, head)
        db.session.commit()
        past = max(plan.starts_on, today - dt.timedelta(days=12))
        ahead = min(plan.ends_on, today + dt.timedelta(days=10))
        for day in dict.fromkeys((past, ahead)):
            records.add(Visit(plan=plan, planned_on=day), head)
        db.session.commit()
        made = db.session.query(Visit).filter_by(plan=plan, planned_on=past).one()
        if past >= today:
            continue
        when = dt.datetime.combine(past, dt.time(10, 30), BUSINESS_TZ)
        with clock_at(when + dt.timedelta(hours=4)), acting_as(visitor):
            VISIT_FLOW.run(
                made,
                "report",
                {
                    "visited_at": when,
                    "opinions": "希望结算周期由30天缩短到15天。",
                    "needs": "旺季每周两次上门回收。",
                    "market_info": "本地黄板纸收购价小幅上涨。",
                    "competitor_info": "同行推出上门称重即结算服务。",
                    "effect": "客户认可本公司时效，愿增加供货量。",
                    "issues_handled": "核对上月磅差，已解释扣杂标准。",
                },
                visitor,
            )
            if period == "year":
                VISIT_FLOW.run(
                    made,
                    "urgent",
                    {
                        "urgent_kind": "competitor_service",
                        "urgent_note": "同行推出上门称重即结算，客户考虑转单。",
                    },
                    visitor,
                )
