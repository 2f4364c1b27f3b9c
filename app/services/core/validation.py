"""Field validators shared by forms, API and services (Chinese business formats)."""

from __future__ import annotations

import datetime as dt
import re

from flask_babel import lazy_gettext as _l

from app.services.core.errors import InvalidInput

# GB 32100-2015 统一社会信用代码: 18 characters from this alphabet, the last
# a check character over the first 17.
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
PHONE = re.compile(r"^\+?[0-9][0-9\- ]{5,18}[0-9]$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def credit_code_check_char(first17: str) -> str:
    """The check character of a unified social credit code."""
    total = sum(
        CREDIT_CODE_CHARS.index(ch) * weight
        for ch, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def is_credit_code(value: str) -> bool:
    if len(value) != 18 or any(ch not in CREDIT_CODE_CHARS for ch in value):
        return False
    return credit_code_check_char(value[:17]) == value[17]


def normalize_credit_code(value: str | None) -> str | None:
    """Upper-case and check a credit code; empty means none."""
    if value is None or not value.strip():
        return None
    value = value.strip().upper()
    if not is_credit_code(value):
        raise InvalidInput(
            _l(
                "The unified social credit code must be 18 characters with a valid "
                "check character."
            ),
            field="credit_code",
        )
    return value


def check_phone(value: str | None, field: str = "phone") -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not PHONE.match(value):
        raise InvalidInput(
            _l("%(value)s is not a valid phone number.", value=value), field=field
        )
    return value


def check_email(value: str | None, field: str = "email") -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not EMAIL.match(value):
        raise InvalidInput(
            _l("%(value)s is not a valid e-mail address.", value=value), field=field
        )
    return value


# Dates and times a record can carry (a due date, a licence's expiry): years
# outside this span are typing errors, and times before 1901 would be shown in
# the local mean time of the old time-zone tables (+08:05:43).
EARLIEST_YEAR = 1950
LATEST_YEAR = 2199


def in_date_range(value: dt.date | dt.datetime | None) -> bool:
    """True when the date (or date-time) lies in the years records use."""
    return value is None or EARLIEST_YEAR <= value.year <= LATEST_YEAR
