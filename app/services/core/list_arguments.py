"""Arguments of a list (page, page size, order, filters) that the database can
take: anything else is refused (API, 400) or ignored (screens).

Without these checks a negative page or page size, a page past any real
offset, a number beyond 64 bits, a NUL character (PostgreSQL refuses it in
text) or a query string that is not an object reached the database or the
parser and answered 500.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import prison
from werkzeug.exceptions import RequestEntityTooLarge

MAX_PAGE_SIZE = 100  # rows on one page, screens and API
MAX_OFFSET = 2**31 - 1  # page × page size
MAX_INTEGER = 2**63 - 1  # the widest integer the database compares
MAX_TEXT = 1000  # a filter value longer than this is no search
DIGITS = re.compile(r"[0-9]{1,12}")


def parse_query(value: str) -> Any:
    """The API's `q` argument as FAB reads it (Rison, else JSON); None when
    it is neither."""
    try:
        return prison.loads(value)
    except Exception:  # any parser failure (even recursion)
        try:
            return json.loads(value)
        except Exception:
            return None


def acceptable_value(value: Any, depth: int = 0) -> bool:
    """No NUL in text, no integer past 64 bits, no infinite number, no deep nesting."""
    if depth > 20:
        return False
    if isinstance(value, str):
        return "\x00" not in value and len(value) <= MAX_TEXT
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return abs(value) <= MAX_INTEGER
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) <= MAX_INTEGER
    if isinstance(value, dict):
        return all(
            acceptable_value(k, depth + 1) and acceptable_value(v, depth + 1)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return all(acceptable_value(v, depth + 1) for v in value)
    return False


def query_problem(value: str | None) -> str | None:
    """Why an API `q` argument is refused (None: acceptable)."""
    if not value:
        return None
    query = parse_query(value)
    if not isinstance(query, dict):
        return "q must be a Rison or JSON object"
    if not acceptable_value(query):
        return "q holds a value the database cannot take"
    page, size = query.get("page", 0), query.get("page_size", MAX_PAGE_SIZE)
    for name, number in (("page", page), ("page_size", size)):
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            return f"{name} must be a whole number, 0 or more"
    if page * max(size, 1) > MAX_OFFSET:
        return "page is past the end of any list"
    return None


def page_number(value: str | None) -> int | None:
    """A screen's page argument, or None to ignore it."""
    if value is None or not DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if number * MAX_PAGE_SIZE <= MAX_OFFSET else None


def page_size(value: str | None) -> int | None:
    """A screen's page size, capped; None (the default) when it is not one."""
    if value is None or not DIGITS.fullmatch(value) or int(value) < 1:
        return None
    return min(int(value), MAX_PAGE_SIZE)


MAX_JSON_DEPTH = 32


def body_problem(request: Any) -> str | None:
    """Why a request body is refused before any view reads it: a NUL
    character in a form field or JSON text (PostgreSQL cannot store it), JSON
    nested deeper than `MAX_JSON_DEPTH` or not JSON at all when it says so."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    if request.is_json:
        try:
            payload = request.get_json(silent=False)
        except RequestEntityTooLarge:
            raise  # answered 413 by its own handler
        except Exception:  # malformed, or nested past the parser's recursion
            return "the body is not valid JSON"
        if not _shallow(payload, MAX_JSON_DEPTH):
            return f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels"
        if _has_nul(payload):
            return "the JSON body holds a NUL character"
        return None
    for values in request.form.listvalues():
        if any("\x00" in value for value in values):
            return "a field holds a NUL character"
    return None


def _shallow(value: Any, room: int) -> bool:
    if room < 0:
        return False
    if isinstance(value, dict):
        return all(_shallow(v, room - 1) for v in value.values())
    if isinstance(value, list):
        return all(_shallow(v, room - 1) for v in value)
    return True


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False
