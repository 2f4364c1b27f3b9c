"""What the printed weigh ticket (过磅单) and settlement voucher (结算凭证) show.

The templates only lay out; every value, sum and the amount in Chinese
capital numerals (大写金额) is computed here once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import Setting, Settlement, WeighTicket, money, now
from app.models.codes import PAYMENT_METHODS, SETTLEMENT_STATUSES, label
from app.services.recycling.recycling_rules import weighing_date

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("", "拾", "佰", "仟")
GROUPS = ("", "万", "亿", "万亿")


def _group_words(value: int) -> str:
    """1..9999 in capitals, with 零 for inner zeros (e.g. 1005 → 壹仟零伍)."""
    words, zero = "", False
    for place in (3, 2, 1, 0):
        digit = value // 10**place % 10
        if digit == 0:
            zero = bool(words)
            continue
        if zero:
            words += "零"
            zero = False
        words += DIGITS[digit] + PLACES[place]
    return words


def _integer_words(value: int) -> str:
    groups = []
    while value:
        value, group = divmod(value, 10000)
        groups.append(group)
    words, gap = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            gap = bool(words)
            continue
        # A missing thousands digit (or a skipped group) after higher digits reads 零.
        if words and (gap or group < 1000):
            words += "零"
        words += _group_words(group) + GROUPS[index]
        gap = False
    return words


def amount_in_words(amount: Decimal) -> str:
    """CNY amount in capital numerals, e.g. 1409.50 → 壹仟肆佰零玖元伍角整."""
    # Voucher convention: 整 after 元 or 角 when no 分 follows, 零 for inner
    # zeros and for a zero 角 before 分, 负 for negative amounts.
    amount = money(amount)
    sign = "负" if amount < 0 else ""
    cents = int(abs(amount) * 100)
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    if cents == 0:
        return "零元整"
    words = _integer_words(yuan) + "元" if yuan else ""
    if jiao:
        words += DIGITS[jiao] + "角"
    elif fen and yuan:
        words += "零"
    if fen:
        words += DIGITS[fen] + "分"
    else:
        words += "整"
    return sign + words


def company() -> dict[str, str]:
    """The header printed on every document (admin-editable settings)."""
    rows = dict(
        db.session.execute(
            select(Setting.key, Setting.value).where(Setting.key.like("company.%"))
        ).all()
    )
    return {
        "name": rows.get("company.name") or current_app.config.get("APP_NAME", ""),
        "address": rows.get("company.address", ""),
        "phone": rows.get("company.phone", ""),
    }


def _kg(value: Decimal | None) -> str:
    return "" if value is None else f"{Decimal(value):.3f}"


def _yuan(value: Decimal) -> str:
    return f"{money(value):,.2f}"


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


def ticket_sheet(ticket: WeighTicket) -> dict[str, Any]:
    """Values of a printed weigh ticket: lines with both passes, their operators."""
    lines = []
    totals = {"gross": Decimal(0), "tare": Decimal(0), "net": Decimal(0)}
    for line in ticket.lines:
        lines.append(
            {
                "material": line.material.name,
                "grade": line.grade.name if line.grade else "",
                "label": line.pickup_line.label if line.pickup_line else "",
                "gross": _kg(line.gross_kg),
                "gross_at": _when(line.gross_at),
                "gross_by": str(line.gross_by) if line.gross_by else "",
                "tare": _kg(line.tare_kg),
                "tare_at": _when(line.tare_at),
                "tare_by": str(line.tare_by) if line.tare_by else "",
                "net": _kg(line.net_kg),
            }
        )
        totals["gross"] += line.gross_kg
        totals["tare"] += line.tare_kg or 0
        totals["net"] += line.net_kg or 0
    return {
        "company": company(),
        "title": _l("Weigh ticket"),
        "ticket": ticket,
        "customer": ticket.customer,
        "pickup": ticket.pickup,
        "vehicle": ticket.vehicle or (ticket.pickup.vehicle if ticket.pickup else ""),
        "lines": lines,
        "totals": {key: _kg(value) for key, value in totals.items()},
        "complete": all(line.net_kg is not None for line in ticket.lines),
        "created_at": _when(ticket.created_at),
        "printed_at": _when(now()),
    }


def voucher_sheet(settlement: Settlement) -> dict[str, Any]:
    """Values of a printed settlement voucher: lines, total in figures and words."""
    lines = [
        {
            "material": line.material.name,
            "grade": line.grade.name if line.grade else "",
            "inspection": line.inspection.number if line.inspection else "",
            "date": weighing_date(line.inspection).isoformat()
            if line.inspection
            else "",
            "net": _kg(line.net_kg),
            "unit_price": f"{Decimal(line.unit_price):.4f}",
            "amount": _yuan(line.amount),
            "note": line.note or "",
        }
        for line in settlement.lines
    ]
    receipt = settlement.direction == "receive"
    return {
        "company": company(),
        "title": _l("Settlement voucher (receipt)")
        if receipt
        else _l("Settlement voucher (payment)"),
        "settlement": settlement,
        "customer": settlement.customer,
        "lines": lines,
        "total": _yuan(settlement.total),
        "total_words": amount_in_words(settlement.total),
        "payment_method": label(PAYMENT_METHODS, settlement.payment_method),
        "status": label(SETTLEMENT_STATUSES, settlement.status),
        "final": settlement.status == "paid",
        "paid_at": _when(settlement.paid_at),
        "confirmed_at": _when(settlement.confirmed_at),
        "prepared_by": str(settlement.created_by) if settlement.created_by else "",
        "checked_by": str(settlement.confirmed_by) if settlement.confirmed_by else "",
        "cashier": str(settlement.paid_by) if settlement.paid_by else "",
        "printed_at": _when(now()),
    }
