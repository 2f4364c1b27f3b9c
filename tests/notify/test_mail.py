"""E-mail escalation over SMTP, against a local aiosmtpd server started here."""

from __future__ import annotations

import datetime as dt
import email
import logging
import socket
from collections.abc import Iterator
from email.header import decode_header, make_header
from typing import Any

import pytest
from sqlalchemy import select, update

from app.jobs import SLA_QUEUE
from app.models import CaseCategory, Notification, NotificationRecipient
from app.services.clocks import deadline_check
from app.services.notify import mail
from tests.factories import CaseFactory, by_code


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping every message received."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def subjects(self) -> list[str]:
        return sorted(
            str(make_header(decode_header(m["Subject"]))) for m in self.messages
        )

    def recipients(self) -> list[str]:
        return sorted(m["To"].split("<")[-1].rstrip(">") for m in self.messages)


@pytest.fixture
def smtp(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    yield inbox
    controller.stop()


def breach_case() -> Any:
    case = CaseFactory(category=by_code(CaseCategory, "quality"))
    deadline_check.check_deadlines(case.response_due_at + dt.timedelta(minutes=1))
    return case


def test_escalation_is_mailed_once_to_each_recipient(db, smtp):
    breach_case()
    result = mail.deliver_pending()
    assert (result.sent, result.failed) == (2, 0)
    assert smtp.recipients() == ["cs@demo.example.com", "qc@demo.example.com"]
    assert any(s.startswith("【升级·部门负责人】工单") for s in smtp.subjects())
    body = smtp.messages[0].get_payload(decode=True).decode("utf-8")
    assert "/cases/show/" in body
    assert all(
        r.emailed_at is not None and r.email_error is None
        for r in db.session.scalars(select(NotificationRecipient))
    )
    # Never twice: not by a second delivery, not by a second sweep.
    assert mail.deliver_pending().sent == 0
    assert len(smtp.messages) == 2


def test_the_deadline_job_mails_through_the_worker(db, smtp, queues, work, monkeypatch):
    due = CaseFactory().response_due_at
    real = deadline_check.check_deadlines
    monkeypatch.setattr(
        deadline_check, "check_deadlines", lambda: real(due + dt.timedelta(minutes=1))
    )
    queues.enqueue("app.jobs.tasks.check_deadlines", "20261124T1000", queue=SLA_QUEUE)
    work()
    assert len(smtp.messages) == 2  # breached to the owner, escalated to the head


def test_failed_send_is_recorded_logged_and_not_retried(app, db, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nobody listens
    breach_case()
    with caplog.at_level(logging.ERROR):
        result = mail.deliver_pending()
    assert result.failed == 2 and result.sent == 0
    rows = db.session.scalars(select(NotificationRecipient)).all()
    assert all(
        r.emailed_at is None and "ConnectionRefused" in r.email_error for r in rows
    )
    assert any("E-mail of notification" in r.getMessage() for r in caplog.records)
    assert mail.deliver_pending().failed == 0  # recorded once, never re-sent


def test_stale_alerts_are_not_mailed(db, smtp):
    breach_case()
    db.session.execute(
        update(Notification).values(
            created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
        )
    )
    db.session.commit()
    result = mail.deliver_pending()
    assert (result.sent, result.expired) == (0, 2)
    assert smtp.messages == []


def test_withdrawn_alerts_are_not_mailed(db, smtp):
    """A breach withdrawn by a recomputed deadline (a day off added late) no
    longer holds: it stays in the inbox's history but is never e-mailed."""
    breach_case()
    db.session.execute(
        update(Notification).values(withdrawn_at=dt.datetime.now(dt.UTC))
    )
    db.session.commit()
    result = mail.deliver_pending()
    assert (result.sent, result.withdrawn) == (0, 2)
    assert smtp.messages == []
    assert mail.deliver_pending().withdrawn == 0  # settled once
