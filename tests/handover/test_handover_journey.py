"""Shift handover in Chromium (seed 003 客服运营方案 三.1 值班交接).

At the end of the day a customer-service clerk writes the handover note: the
department's open case at risk is listed, and the clerk adds a remark to it.
The colleague of the next shift finds the note on their to-do, opens it and
takes over the shift (确认接班); the note then shows who took over and when.
"""

from __future__ import annotations

from sqlalchemy import select

from app.models import HandoverNote
from tests.browser import screenshot_dir
from tests.factories import CaseFactory

STAFF_MENU = ".dropdown-toggle:has-text('培训与交接班')"


def test_write_the_note_and_the_next_shift_takes_over(demo_db, person):
    case = CaseFactory(title="交接测试：客户投诉过磅重量不符")
    case.resolution_state = "at_risk"
    demo_db.session.commit()

    cs = person("cs")
    cs.click(STAFF_MENU)
    cs.click("值班交接")
    cs.click("a[href*='/handovers/add']")
    cs.choose("shift", "晚班")
    cs.type("notes", "热线3号线晚上停用，来电转2号线。")
    cs.click_button("保存")
    # The save lands on the note with its confirmation and the open items.
    assert "/handovers/show/" in cs.path
    cs.expect_text("已创建", "晚班", "热线3号线晚上停用", case.number, "交接测试")
    row = f"tr[data-number='{case.number}']"
    cs.click(f"{row} a.handover-add-remark")
    cs.type("remark", "客户明早9点前等回电，已承诺核实过磅单。")
    cs.click_button("保存")
    assert "/handovers/show/" in cs.path
    cs.expect_text("备注已保存", "客户明早9点前等回电")
    # The author is told the next shift takes over, not them.
    cs.expect_text("交班人不能自己确认接班")
    cs.screenshot(screenshot_dir(), "handover_written")

    note = demo_db.session.scalars(
        select(HandoverNote).where(HandoverNote.notes.like("热线3号线%"))
    ).one()

    cs2 = person("cs2")
    cs2.open("/")
    cs2.expect_text("有一份交班记录等待您确认接班")
    cs2.click("有一份交班记录等待您确认接班")
    assert cs2.path == f"/handovers/show/{note.id}"
    cs2.expect_text("客户明早9点前等回电", case.number)
    cs2.click(".record-steps a:has-text('确认接班')")
    cs2.type("note", "已阅，接班。")
    cs2.click_button("确认接班")
    cs2.expect_text("确认接班：已完成", "已确认接班", "已阅，接班。")
    demo_db.session.expire_all()
    taken = demo_db.session.get(HandoverNote, note.id)
    assert taken.status == "acknowledged"
    cs2.expect_text(f"{taken.acknowledged_by} 已于", "确认接班")
    cs2.screenshot(screenshot_dir(), "handover_taken_over")
    # Nothing left on the to-do.
    cs2.open("/")
    assert "等待您确认接班" not in cs2.text()
