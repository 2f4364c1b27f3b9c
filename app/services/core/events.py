"""Domain events, emitted after a commit: "case_opened", "case_closed", ...

Services emit; the jobs layer subscribes (to enqueue work) when the app is
created. A failing handler is logged and never undoes the committed change:
the periodic sweeps catch up on whatever a handler could not do.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

_handlers: dict[str, list[Callable[..., None]]] = defaultdict(list)


def subscribe(event: str, handler: Callable[..., None]) -> None:
    if handler not in _handlers[event]:
        _handlers[event].append(handler)


def emit(event: str, **payload: Any) -> None:
    for handler in list(_handlers.get(event, ())):
        try:
            handler(**payload)
        except Exception:
            logger.exception("Handler %r of event %s failed", handler, event)
