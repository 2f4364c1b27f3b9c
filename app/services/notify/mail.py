"""E-mail delivery of notifications over SMTP, each at most once.

A delivery is claimed by setting `emailed_at` (UPDATE ... WHERE emailed_at IS
NULL RETURNING) and the claim is committed before the message is sent, so two
workers never send the same delivery and a crash never causes a resend: the
price is that a message lost by a crash between claim and send is not retried
(the alert is still in the app). A failed send clears `emailed_at`, records
`email_error` and is logged; it is not retried automatically either. Only
fresh alerts are mailed (MAIL_MAX_AGE_HOURS): an alert that waited longer, e.g.
raised before SMTP was configured, stays in the app only. Nothing is re-sent
daily: a delivery row is mailed once in its life.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.models import AppUser, Notification, NotificationRecipient, now

logger = logging.getLogger(__name__)

PENDING = (
    NotificationRecipient.emailed_at.is_(None),
    NotificationRecipient.email_error.is_(None),
)


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0
    expired: int = 0
    withdrawn: int = 0


def configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def _expire_old(moment: dt.datetime) -> int:
    hours = float(current_app.config.get("MAIL_MAX_AGE_HOURS", 24))
    old = select(Notification.id).where(
        Notification.created_at < moment - dt.timedelta(hours=hours)
    )
    result = db.session.execute(
        update(NotificationRecipient)
        .where(*PENDING, NotificationRecipient.notification_id.in_(old))
        .values(email_error="未发送：通知产生时邮件尚未配置或已过期")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount or 0


def _claim(limit: int, moment: dt.datetime) -> list[int]:
    """Take up to `limit` pending deliveries for this worker, committed."""
    table = NotificationRecipient.__table__
    pick = (
        select(table.c.id)
        .where(table.c.emailed_at.is_(None), table.c.email_error.is_(None))
        .order_by(table.c.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    claimed = (
        db.session.execute(
            update(table)
            .where(table.c.id.in_(pick.scalar_subquery()), table.c.emailed_at.is_(None))
            .values(emailed_at=moment)
            .returning(table.c.id)
        )
        .scalars()
        .all()
    )
    db.session.commit()
    return list(claimed)


def _message(notification: Notification, user: AppUser) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["Subject"] = notification.title
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = formataddr((str(user), user.email))
    message["Message-ID"] = make_msgid(domain="notifications.local")
    lines = [notification.body or notification.title, ""]
    if notification.link:
        base = config.get("APP_BASE_URL", "").rstrip("/")
        lines.append(f"查看：{base}{notification.link}")
    lines.append("（本邮件由客户服务后台自动发送，请勿直接回复。）")
    message.set_content("\n".join(lines))
    return message


def _connect() -> smtplib.SMTP:
    config = current_app.config
    smtp = smtplib.SMTP(
        config["MAIL_SERVER"],
        int(config.get("MAIL_PORT", 25)),
        timeout=float(config.get("MAIL_TIMEOUT", 10)),
    )
    if config.get("MAIL_USE_TLS"):
        smtp.starttls()
    if config.get("MAIL_USERNAME"):
        smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
    return smtp


SEND_ERRORS = (smtplib.SMTPException, OSError)


class Outbox:
    """One SMTP connection for a batch: opened at the first message, closed at
    the end (`with Outbox() as outbox: outbox.send(message)`).

    `send` raises one of `SEND_ERRORS` when the message is refused; the next
    message opens a new connection. When the server cannot be reached at all,
    `unreachable` holds the reason, so a batch fails at once instead of
    waiting out a timeout per message.
    """

    def __init__(self) -> None:
        self._smtp: smtplib.SMTP | None = None
        self.unreachable: str | None = None

    def __enter__(self) -> Outbox:
        return self

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            try:
                self._smtp = _connect()
            except SEND_ERRORS as error:
                self.unreachable = f"{type(error).__name__}: {error}"
                raise
        try:
            self._smtp.send_message(message)
        except SEND_ERRORS:
            self._smtp = None
            raise

    def __exit__(self, *_exc: object) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except SEND_ERRORS:
                logger.warning("SMTP connection did not close cleanly")
            self._smtp = None


def _fail(delivery_id: int, error: str) -> None:
    db.session.execute(
        update(NotificationRecipient)
        .where(NotificationRecipient.id == delivery_id)
        .values(emailed_at=None, email_error=error[:300])
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def deliver_pending(limit: int = 200) -> Delivery:
    """Send the pending deliveries by e-mail when SMTP is configured."""
    result = Delivery()
    if not configured():
        return result
    moment = now()
    result.expired = _expire_old(moment)
    while True:
        ids = _claim(limit, moment)
        if not ids:
            return result
        rows = db.session.execute(
            select(NotificationRecipient, Notification, AppUser)
            .join(
                Notification, Notification.id == NotificationRecipient.notification_id
            )
            .join(AppUser, AppUser.id == NotificationRecipient.user_id)
            .where(NotificationRecipient.id.in_(ids))
            .order_by(NotificationRecipient.id)
        ).all()
        with Outbox() as outbox:
            for delivery, notification, user in rows:
                if notification.withdrawn_at is not None:
                    # Its deadline was recomputed before the mail went out.
                    _fail(delivery.id, "预警已撤回（时限已重算），不再发送")
                    result.withdrawn += 1
                    continue
                if not (user.email or "").strip() or outbox.unreachable:
                    _fail(delivery.id, outbox.unreachable or "无邮箱地址")
                    result.failed += 1
                    continue
                try:
                    outbox.send(_message(notification, user))
                except SEND_ERRORS as error:
                    logger.exception(
                        "E-mail of notification %s to %s failed",
                        notification.id,
                        user.email,
                    )
                    _fail(delivery.id, f"{type(error).__name__}: {error}")
                    result.failed += 1
                else:
                    result.sent += 1
        if len(ids) < limit:
            return result
