"""Show pages: the record's Edit button sits in its bar, above the details,
for the users who may edit; a record its state no longer lets change shows it
disabled with the reason."""

from __future__ import annotations

from sqlalchemy import select

from app.models import Case, Department


def _inside(inner: dict, outer: dict) -> bool:
    return (
        inner["x"] >= outer["x"]
        and inner["y"] >= outer["y"]
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"]
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"]
    )


def test_the_edit_button_sits_in_its_bar_and_opens_the_form(demo_db, person):
    department = demo_db.session.scalar(select(Department).filter_by(code="qc"))
    admin = person("admin")
    admin.open(f"/departmentview/show/{department.id}")
    bar = admin.page.locator(".record-steps")
    edit = bar.get_by_role("link", name="编辑")
    assert _inside(edit.bounding_box(), bar.bounding_box())
    details = admin.page.locator("table").first.bounding_box()
    assert bar.bounding_box()["y"] + bar.bounding_box()["height"] <= details["y"]
    edit.click()
    admin.page.wait_for_load_state()
    assert admin.path == f"/departmentview/edit/{department.id}"
    assert admin.field("name").input_value() == "质检部"

    # Reference data is read by everyone, changed by admins only.
    inspector = person("qc")
    inspector.open(f"/departmentview/show/{department.id}")
    assert inspector.page.get_by_text("编辑", exact=True).count() == 0


def test_a_closed_case_shows_edit_disabled_with_the_reason(demo_db, person):
    closed = demo_db.session.scalar(
        select(Case).filter_by(status="closed").order_by(Case.id).limit(1)
    )
    clerk = person("cs")
    clerk.open(f"/cases/show/{closed.id}")
    bar = clerk.page.locator(".record-steps")
    assert bar.get_by_role("link", name="编辑").count() == 0
    disabled = bar.locator(".record-edit.disabled")
    assert disabled.inner_text().strip() == "编辑"
    assert _inside(disabled.bounding_box(), bar.bounding_box())
    assert "不能修改" in bar.inner_text()
