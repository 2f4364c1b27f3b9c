"""Nothing unbounded: free text has a maximum (database and validation), request
bodies are capped (413), audit rows stay small (long values kept by hash)."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db as _db
from app.models import AuditLog, Case, CaseCategory, CaseLog, Channel
from app.models.base import StoredFile
from tests.factories import CaseFactory, CustomerFactory, by_code

# Columns written by the system, never typed by a person.
SYSTEM_TEXT = {
    ("notification", "body"),
    # rendered by the server from an admin's template (itself bounded)
    ("customer_notice", "body"),
    ("audit_log", "changes"),
    ("background_task", "params"),
    ("job_run", "message"),
    ("overdue_task", "log"),
}


def _free_text_columns():
    for table in _db.metadata.sorted_tables:
        if table.name.startswith("ab_"):
            continue
        for column in table.columns:
            if isinstance(column.type, StoredFile):
                continue  # a stored file's name, made by the server
            text = isinstance(column.type, sa.Text) or (
                isinstance(column.type, sa.types.TypeDecorator)
                and isinstance(column.type.impl, sa.Text)
            )
            if text and (table.name, column.name) not in SYSTEM_TEXT:
                yield table.name, column


def test_every_free_text_column_has_a_maximum(app):
    unbounded = [
        f"{table}.{column.name}"
        for table, column in _free_text_columns()
        if not getattr(column.type, "length", None)
    ]
    assert not unbounded


def test_the_database_refuses_an_over_long_text(db):
    case = CaseFactory()
    limit = Case.__table__.c.description.type.length
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.update(Case.__table__)
            .where(Case.__table__.c.id == case.id)
            .values(description="长" * (limit + 1))
        )
        db.session.flush()
    db.session.rollback()


def test_over_long_description_on_form_and_api(db, login, api):
    customer = CustomerFactory()
    category = by_code(CaseCategory, "other")
    channel = by_code(Channel, "hotline")
    limit = Case.__table__.c.description.type.length
    answer = login("cs").post(
        "/cases/add",
        data={
            "customer": str(customer.id),
            "kind": "complaint",
            "severity": "general",
            "category": str(category.id),
            "channel": str(channel.id),
            "stage": "other",
            "title": "描述过长",
            "description": "长" * (limit + 1),
        },
    )
    assert answer.status_code == 200
    assert str(limit) in answer.get_data(as_text=True)
    client = api("cs")
    posted = client.post(
        "/api/v1/case/",
        json={
            "customer": customer.id,
            "kind": "complaint",
            "severity": "general",
            "category": category.id,
            "channel": channel.id,
            "title": "描述过长",
            "description": "长" * (limit + 1),
        },
    )
    assert posted.status_code in (400, 422)
    assert "description" in str(posted.get_json())
    case = CaseFactory()
    put = client.put(f"/api/v1/case/{case.id}", json={"findings": "x" * 10_000_000})
    assert put.status_code in (400, 413, 422)
    assert db.session.query(Case).filter_by(title="描述过长").count() == 0
    db.session.expire_all()
    assert db.session.get(Case, case.id).findings is None


def test_over_long_log_entry_is_refused(db, login):
    case = CaseFactory()
    limit = CaseLog.__table__.c.content.type.length
    before = db.session.query(CaseLog).filter_by(case_id=case.id).count()
    answer = login("cs").post(
        "/caselogview/add",
        data={"case": str(case.id), "kind": "internal", "content": "记" * (limit + 1)},
    )
    assert answer.status_code == 200
    assert str(limit) in answer.get_data(as_text=True)
    assert db.session.query(CaseLog).filter_by(case_id=case.id).count() == before


def test_request_body_over_the_limit_is_413(app, db, api, login):
    size = app.config["MAX_CONTENT_LENGTH"] + 1
    body = b'{"title": "' + b"x" * size + b'"}'
    answer = api("cs").post("/api/v1/case/", data=body, content_type="application/json")
    assert answer.status_code == 413
    form = login("cs").post("/cases/add", data={"description": "x" * size})
    assert form.status_code == 413


def test_audit_rows_keep_long_values_by_hash(db, api):
    case = CaseFactory()
    text = "调查结果" * 900  # 3,600 characters, within the column's maximum
    answer = api("cs").put(f"/api/v1/case/{case.id}", json={"findings": text})
    assert answer.status_code == 200, answer.get_json()
    row = (
        db.session.query(AuditLog)
        .filter_by(table_name="service_case", row_id=case.id, action="update")
        .order_by(AuditLog.id.desc())
        .first()
    )
    assert len(row.changes) < 2000
    kept = json.loads(row.changes)["findings"][1]
    assert hashlib.sha256(text.encode()).hexdigest() in kept
    assert kept.startswith(text[:100])
