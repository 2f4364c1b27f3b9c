"""Form fields that accept what they show, typed or picked, in a real browser.

FAB 5.3's date-time widget binds a date-only picker and prefills
`str(datetime)` (microseconds and an offset), which its own format then
refuses: a form with a date-time field cannot be saved from the screens.
These fields are a text box showing "YYYY-MM-DD HH:MM" in business time
(Asia/Shanghai) that takes the same typed, with a calendar and clock picker
to the minute in the page's language (app/static/js/forms.js, flatpickr).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, Field
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import TextInput

# What the field shows and the picker writes, first; then what a clerk may
# paste (seconds, the ISO "T").
FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
)


class DateTimeInput(TextInput):
    """A text box the page's script turns into a date-time picker."""

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        from flask_babel import get_locale

        kwargs.setdefault("data-datetime", "minute")
        kwargs.setdefault("data-locale", str(get_locale() or "zh"))
        kwargs.setdefault("placeholder", "2026-03-02 09:30")
        kwargs.setdefault("autocomplete", "off")
        if "class_" not in kwargs:
            kwargs.setdefault("class", "form-control")
        return super().__call__(field, **kwargs)


class BusinessDateTimeField(DateTimeLocalField):
    """A date and time to the minute, in business time (aware).

    `blank_means_now`: an empty value is the current instant (the help text of
    such a field says so); otherwise an empty value is None, or refused when
    the field is required. Values: aware `datetime` in Asia/Shanghai, seconds
    and microseconds dropped.
    """

    widget = DateTimeInput()

    def __init__(
        self,
        label: Any = None,
        validators: list[Any] | None = None,
        blank_means_now: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, format=list(FORMATS), **kwargs)
        self.blank_means_now = blank_means_now

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        if isinstance(self.data, dt.datetime):
            return business(self.data).strftime(FORMATS[0])
        return ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = " ".join(v for v in valuelist if v).strip()
        if not text:
            self.data = _now_to_minute() if self.blank_means_now else None
            return
        for pattern in FORMATS:
            try:
                parsed = dt.datetime.strptime(text, pattern)  # noqa: DTZ007
            except ValueError:
                continue
            self.data = business(parsed)
            return
        self.data = None
        raise ValueError(_l("Enter a date and time, for example 2026-03-02 09:30."))

    def populate_obj(self, obj: Any, name: str) -> None:
        """Saved back as shown (to the minute), the stored instant stays as
        it was: an untouched field changes nothing."""
        stored = getattr(obj, name, None)
        if (
            isinstance(stored, dt.datetime)
            and isinstance(self.data, dt.datetime)
            and business(stored) == self.data
        ):
            return
        setattr(obj, name, self.data)

    def pre_validate(self, form: Any) -> None:
        if self.blank_means_now and self.data is None and not self.process_errors:
            self.data = _now_to_minute()


def business(value: dt.datetime) -> dt.datetime:
    """An instant in business time, to the minute (naive = business time)."""
    from app.models import BUSINESS_TZ

    if value.tzinfo is None:
        value = value.replace(tzinfo=BUSINESS_TZ)
    return value.astimezone(BUSINESS_TZ).replace(second=0, microsecond=0)


def _now_to_minute() -> dt.datetime:
    from app.models import now

    return business(now())


def datetime_field(
    title: Any,
    required: bool,
    blank_means_now: bool = False,
    description: Any = None,
) -> BusinessDateTimeField:
    """The form field for a date-time column of a record screen.

    A column whose default is the current time takes a blank as "now", and its
    help text says so.
    """
    validators = [InputRequired()] if required and not blank_means_now else [Optional()]
    if blank_means_now and not description:
        description = _l("Empty = now.")
    return BusinessDateTimeField(
        title,
        validators=validators,
        blank_means_now=blank_means_now,
        description=description or "",
    )


class TimeOfDayInput(TextInput):
    """A text box for a time of day: the person types 0830 or 08:30."""

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("data-time", "minute")
        kwargs.setdefault("placeholder", "08:30")
        kwargs.setdefault("inputmode", "numeric")
        kwargs.setdefault("maxlength", "5")
        kwargs.setdefault("autocomplete", "off")
        if "class_" not in kwargs:
            kwargs.setdefault("class", "form-control")
        return super().__call__(field, **kwargs)


TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3])[:：]?([0-5]\d)$")
# 24:00, the end of the day: a window working up to midnight ends there.
END_OF_DAY_TEXT = re.compile(r"^24[:：]?00$")
END_OF_DAY = dt.time.max


def month_text(value: dt.date | None) -> str:
    """A month kept as its first day, shown as the month: 2026-10."""
    return value.strftime("%Y-%m") if value else ""


def time_text(value: dt.time | None) -> str:
    """A time of day as HH:MM; the end of the day as 24:00."""
    if value is None:
        return ""
    return "24:00" if value == END_OF_DAY else value.strftime("%H:%M")


class TimeOfDayField(Field):
    """A time of day to the minute, typed as HH:MM or HHMM (08:30, 0830, 8:30).

    A browser's own time box (`<input type=time>`) shows 上午/下午 in Chinese
    and refuses 0830 typed without its AM/PM part; this plain box takes what a
    clerk types and shows HH:MM. Values: `datetime.time` or None; anything
    else is refused with a Chinese message at the field.
    """

    widget = TimeOfDayInput()

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        if isinstance(self.data, dt.time):
            return time_text(self.data)
        return ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = " ".join(v for v in valuelist if v).strip()
        if not text:
            self.data = None
            return
        self.data = parse_time_of_day(text)
        if self.data is None:
            raise ValueError(_l("Enter a time such as 08:30 or 0830."))


def parse_time_of_day(text: str) -> dt.time | None:
    """Text "08:30", "0830", "8:30" or "830" -> time(8, 30); "24:00" or "2400"
    -> END_OF_DAY (a window's end at midnight); None if no time."""
    if END_OF_DAY_TEXT.match(text.strip()):
        return END_OF_DAY
    match = TIME_OF_DAY.match(text.strip())
    if not match:
        return None
    return dt.time(int(match.group(1)), int(match.group(2)))


def number_range(minimum: Any = None, maximum: Any = None) -> NumberRange:
    """NumberRange with a message that says what is allowed: wtforms' Chinese
    text for "at least 0" reads "必须大于 0", refusing in words the 0 it
    accepts. Bounds are inclusive."""
    if minimum is not None and maximum is not None:
        message = _l("Must be between %(min)s and %(max)s.")
    elif minimum is not None:
        message = _l("Must not be less than %(min)s.")
    else:
        message = _l("Must not be more than %(max)s.")
    return NumberRange(min=minimum, max=maximum, message=message)
