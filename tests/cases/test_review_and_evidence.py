"""The review checks the investigation; a closed case keeps its evidence.

Seed 001 §5: the review of a complaint checks findings, root cause and
responsibility - refused without them by the step, by closing, and by the
edit form or API emptying them after the review. Seed 001 §5, 004 §16:
evidence of a closed case is kept - no delete button, the delete refused by
the screen's URL, and the file stays on disk.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.models import Case, CaseAttachment
from app.security.access import acting_as
from app.services.core import records
from app.services.core.errors import Conflict, InvalidInput
from tests.cases.test_case_steps import advance, run, to_in_progress
from tests.factories import CaseFactory, user

FILE = "2b3c4d5e-6f70-8192-a3b4-c5d6e7f80912_sep_现场照片.jpg"


def _submitted(**facts) -> Case:
    case = to_in_progress(CaseFactory())
    for name in ("findings", "root_cause", "responsibility"):
        setattr(case, name, facts.get(name))
    case.solution = "重新安排上门时间并致歉"
    return advance(case, ("submit", "ops", {"result": "已重新上门回收"}))


def test_review_refuses_a_complaint_without_the_investigation(db):
    case = _submitted(findings="已核实派工记录", root_cause=" ")
    with pytest.raises(Conflict) as refused:
        run(case, "review", "cs")
    assert "根本原因" in str(refused.value)
    assert "责任归属" in str(refused.value)
    assert "调查结果" not in str(refused.value).split("：")[1]
    db.session.rollback()
    assert db.session.get(Case, case.id).status == "review"

    case.root_cause = "派工路线安排不合理"
    case.responsibility = "company"
    run(case, "review", "cs")
    assert case.status == "feedback"


def test_an_inquiry_needs_no_investigation_to_pass_review(db):
    case = to_in_progress(CaseFactory(kind="suggestion", severity="normal"))
    case.findings = case.root_cause = case.responsibility = None
    advance(case, ("submit", "ops", {"result": "已采纳"}), ("review", "cs", {}))
    assert case.status == "feedback"


def test_edit_and_api_cannot_empty_it_after_review_and_closing_refuses(db, api):
    case = _submitted(
        findings="已核实派工记录", root_cause="路线不合理", responsibility="company"
    )
    run(case, "review", "cs")
    db.session.commit()
    # The API empties the root cause: refused, nothing changed.
    reply = api("cs").put(f"/api/v1/case/{case.id}", json={"root_cause": ""})
    assert reply.status_code == 400, reply.get_json()
    db.session.expire_all()
    assert case.root_cause == "路线不合理"
    # The generic edit (the form's rules) likewise.
    case.findings = ""
    with pytest.raises(InvalidInput):
        records.before_update(case)
    db.session.rollback()
    # Had it been emptied anyway (bare data), closing refuses.
    case = db.session.get(Case, case.id)
    case.responsibility = None
    with pytest.raises(Conflict):
        run(case, "close", "cs", satisfaction=5, content="客户认可")
    db.session.rollback()
    assert db.session.get(Case, case.id).status == "feedback"


def _closed_with_evidence(app) -> tuple[Case, CaseAttachment, Path]:
    case = _submitted(
        findings="已核实派工记录", root_cause="路线不合理", responsibility="company"
    )
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / FILE
    stored.write_bytes(b"photo")
    with acting_as(user("cs")):
        evidence = records.add(
            CaseAttachment(case=case, file=FILE, description="现场照片"), user("cs")
        )
    advance(
        case,
        ("review", "cs", {}),
        ("close", "cs", {"satisfaction": 5, "content": "客户认可处理结果"}),
    )
    return case, evidence, stored


def test_evidence_of_a_closed_case_is_kept(app, db, login):
    case, evidence, stored = _closed_with_evidence(app)
    db.session.commit()
    assert case.status == "closed"
    cs = login("cs")
    # No delete button on the case page's evidence list.
    page = cs.get(f"/cases/show/{case.id}").get_data(as_text=True)
    assert "现场照片" in page
    assert f"/caseattachmentview/delete/{evidence.id}" not in page
    # The delete by URL is refused; row and file stay.
    cs.post(f"/caseattachmentview/delete/{evidence.id}")
    db.session.expire_all()
    assert db.session.get(CaseAttachment, evidence.id) is not None
    assert stored.read_bytes() == b"photo"
    # The rules refuse it on every other path (API, import, job).
    with pytest.raises(Conflict):
        records.before_delete(db.session.get(CaseAttachment, evidence.id))


def test_evidence_of_an_open_case_can_still_be_removed(app, db, login):
    case = to_in_progress(CaseFactory())
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / FILE).write_bytes(b"photo")
    with acting_as(user("cs")):
        evidence = records.add(
            CaseAttachment(case=case, file=FILE, description="误传照片"), user("cs")
        )
    db.session.commit()
    evidence_id = evidence.id
    cs = login("cs")
    page = cs.get(f"/cases/show/{case.id}").get_data(as_text=True)
    assert f"/caseattachmentview/delete/{evidence_id}" in page
    cs.post(f"/caseattachmentview/delete/{evidence_id}")
    db.session.expire_all()
    assert db.session.get(CaseAttachment, evidence_id) is None
