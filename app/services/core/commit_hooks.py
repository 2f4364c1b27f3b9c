"""Work a transaction's changes call for, done inside it just before it commits.

Several rules react to what a transaction changed, whatever path changed it
(screen, API, import, job): open clocks recomputed when the calendar moves
(seed 000 §3), Management told of a major complaint (seed 001 §5). Each rule
notes, at every flush, what it must act on, and acts once before the commit,
in the same transaction, so the change and its consequences land together or
not at all. This module owns that wiring: the rule gives a key and two
functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

Collect = Callable[[Session], None]
Act = Callable[[Session, Any], None]

_registered: set[str] = set()


def before_commit(key: str, collect: Collect, act: Act) -> None:
    """Have `act(session, pending)` run before each commit that noted something.

    `collect(session)` runs after every flush, outside `act`, and keeps what it
    finds in `session.info[key]` (its own shape: a dict, a set, ...). Before
    the commit the session is flushed, `session.info[key]` is taken and, when
    not empty, passed to `act`; what `act` writes is flushed into the same
    transaction (its own flushes are not collected again). A rollback forgets
    what was noted. Registering the same key twice does nothing.
    """
    if key in _registered:
        return
    _registered.add(key)
    acting = f"{key}:acting"

    def _after_flush(session: Session, _context: Any) -> None:
        if not session.info.get(acting):
            collect(session)

    def _before_commit(session: Session) -> None:
        if session.info.get(acting):
            return
        session.flush()
        pending = session.info.pop(key, None)
        if not pending:
            return
        session.info[acting] = True
        try:
            act(session, pending)
            session.flush()
        finally:
            session.info.pop(acting, None)

    def _forget(session: Session, *_args: Any) -> None:
        session.info.pop(key, None)

    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_soft_rollback", _forget)
