"""Evidence files and inspection photos follow their record's visibility rule.

`/<screen>/download/<file>` serves a stored file only when the user may see a
record of that screen holding it; anything else is 404, as the record itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.models import CaseAttachment, CaseCategory
from app.security.access import acting_as
from app.services.core import records
from tests.factories import CaseFactory, InspectionFactory, by_code, user

EVIDENCE = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0_sep_磅单照片.jpg"
PHOTO = "1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809_sep_质检照片.jpg"


def _store(app, name: str, content: bytes) -> None:
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)


@pytest.fixture
def evidence(app, db):
    """An evidence file on a product-quality complaint (routed to QC)."""
    case = CaseFactory(category=by_code(CaseCategory, "quality"))
    _store(app, EVIDENCE, b"evidence-bytes")
    with acting_as(user("cs")):
        records.add(
            CaseAttachment(case=case, file=EVIDENCE, description="磅单"), user("cs")
        )
    db.session.commit()
    return case


@pytest.fixture
def photo(app, db):
    """An inspection photo of a sales lot (QC's own record)."""
    _store(app, PHOTO, b"photo-bytes")
    return InspectionFactory(photo=PHOTO, _as="qc")


@pytest.mark.parametrize("username", ["cs", "qc", "manager"])
def test_evidence_downloads_for_who_sees_the_case(evidence, login, username):
    answer = login(username).get(f"/caseattachmentview/download/{EVIDENCE}")
    assert answer.status_code == 200
    assert answer.data == b"evidence-bytes"


@pytest.mark.parametrize("username", ["warehouse", "finance", "sales", "ops"])
@pytest.mark.parametrize(
    "screen", ["caseattachmentview", "cases", "customers", "caselogview", "pickups"]
)
def test_evidence_is_404_for_who_does_not(evidence, login, username, screen):
    browser = login(username)
    case_page = browser.get(f"/cases/show/{evidence.id}")
    assert case_page.status_code == 404
    answer = browser.get(f"/{screen}/download/{EVIDENCE}")
    assert answer.status_code in (403, 404)
    assert answer.data != b"evidence-bytes"


def test_inspection_photo_follows_the_inspection(photo, login):
    assert login("qc").get(f"/inspections/download/{PHOTO}").data == b"photo-bytes"
    for username in ("ops", "warehouse"):
        browser = login(username)
        assert browser.get(f"/inspections/show/{photo.id}").status_code == 404
        answer = browser.get(f"/inspections/download/{PHOTO}")
        assert answer.status_code == 404
    # Another screen never serves it, whoever asks.
    assert login("qc").get(f"/caseattachmentview/download/{PHOTO}").status_code == 404


def test_unknown_file_is_404(evidence, login):
    answer = login("cs").get("/caseattachmentview/download/no-such-file.jpg")
    assert answer.status_code == 404
