"""Which department a new case lands in: the channel's, else the category's.

Seed 001 §8(一): complaints about how complaints are handled come in on the
supervision hotline or mailbox (监督电话/监督邮箱) and go to Management, not
to the department they are about. A channel with a department of its own
(reference data) routes every case received on it there; any other case goes
to its category's default department (seed 000 §2). Routing is decided once,
at registration, by the server (form, API and import alike); afterwards a
case is not moved onto or off such a channel by an edit, which would leave it
in the wrong department's queue.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import Case, CaseCategory, Channel, Department
from app.services.core.errors import Conflict


def channel_of(case: Case) -> Channel | None:
    if case.channel is not None:
        return case.channel
    if case.channel_id is None:
        return None
    return db.session.get(Channel, case.channel_id)


def department_for(category: CaseCategory, channel: Channel | None) -> Department:
    """The department a case of this category on this channel is routed to."""
    if channel is not None and channel.route_department_id is not None:
        return channel.route_department or db.session.get(
            Department, channel.route_department_id
        )
    return category.default_department


def check_channel_edit(case: Case) -> None:
    """Refuse moving a registered case onto or off a routing channel."""
    stored = db.session.scalar(select(Case.channel_id).where(Case.id == case.id))
    channel = channel_of(case)
    new_id = channel.id if channel is not None else None
    if stored == new_id:
        return
    old = db.session.get(Channel, stored) if stored is not None else None
    routes = {c.route_department_id for c in (old, channel) if c is not None}
    if routes != {None}:
        raise Conflict(
            _l(
                "Cases of a supervision channel go to its department at "
                "registration: the channel of a registered case is not changed "
                "to or from such a channel. Register a new case instead."
            ),
            field="channel",
        )
