"""Shift handover notes (seed 003 客服运营方案 三.1 值班交接; 首问负责 交接清楚，
明确责任): the open items snapshot, one note per department, day and shift,
taken over by another person of the department, then final on every path."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event

from app.extensions import db as _db
from app.models import BUSINESS_TZ, Case, HandoverItem, HandoverNote, Pickup, now
from app.security.access import acting_as
from app.services.core import records
from app.services.core.errors import Conflict, InvalidInput, NotAllowed
from app.services.handover import notes
from app.services.handover.notes import HANDOVER_FLOW
from app.services.reporting.worklist import todos
from tests.factories import CaseFactory, PickupFactory, user


def write(username: str = "cs", shift: str = "day", **fields) -> HandoverNote:
    note = HandoverNote(shift=shift, **fields)
    with acting_as(user(username)):
        records.before_create(note)
        _db.session.add(note)
        _db.session.commit()
    return note


def _at_risk_case(**fields) -> Case:
    case = CaseFactory(**fields)
    case.resolution_state = "at_risk"
    _db.session.commit()
    return case


def test_the_note_lists_the_departments_open_items_that_need_the_next_shift(db):
    risky = _at_risk_case(title="客户投诉称重不准")
    overdue = CaseFactory(title="超时未响应的咨询")
    overdue.response_state = "breached"
    calm = CaseFactory(title="下周才到期的建议")
    calm.response_state = calm.resolution_state = "running"
    calm.response_due_at = calm.resolution_due_at = now() + dt.timedelta(days=20)
    closed = _at_risk_case(title="已办结")
    closed.status = "closed"
    elsewhere = _at_risk_case(title="运营部的工单")
    elsewhere.department_id = user("ops").department_id
    _db.session.commit()
    pickup = PickupFactory(_as="cs")
    pickup.department_id = user("cs").department_id
    pickup.confirm_state = "running"
    pickup.window_start = now() + dt.timedelta(hours=20)
    later = PickupFactory(
        _as="cs",
        requested_start=now() + dt.timedelta(days=9),
        requested_end=now() + dt.timedelta(days=9, hours=3),
    )
    later.department_id = user("cs").department_id
    later.confirm_state = "running"
    _db.session.commit()

    note = write(notes="3号线热线故障，来电转接到2号线")
    listed = {(i.record_type, i.number) for i in note.items}
    assert ("case", risky.number) in listed
    assert ("case", overdue.number) in listed
    assert ("pickup", pickup.number) in listed
    for absent in (calm, closed, elsewhere):
        assert ("case", absent.number) not in listed
    assert ("pickup", later.number) not in listed
    item = next(i for i in note.items if i.case_id == risky.id)
    assert (item.title, item.clock_state, item.record_status) == (
        "客户投诉称重不准",
        "at_risk",
        risky.status,
    )
    assert next(i for i in note.items if i.case_id == overdue.id).clock_state == (
        "breached"
    )
    assert note.department_id == user("cs").department_id
    assert note.shift_date == now().astimezone(BUSINESS_TZ).date()
    assert (note.status, note.more_items) == ("open", 0)


def test_the_snapshot_is_one_bounded_query_per_record_type(db, monkeypatch):
    monkeypatch.setattr(notes, "ITEM_LIMIT", 2)
    for _ in range(4):
        _at_risk_case()
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        snapshot = notes.open_items(user("cs").department_id)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len([i for i in snapshot.items if i.record_type == "case"]) == 2
    assert snapshot.more == 2
    selects = [s for s in statements if "FROM service_case" in s]
    # The rows (LIMIT limit + 1) and, as there are more, one count.
    assert len(selects) == 2
    assert any("LIMIT" in s for s in selects)
    assert len([s for s in statements if "FROM pickup" in s]) == 1


def test_one_note_per_department_day_and_shift(db):
    write()
    with pytest.raises(Conflict, match="已有交班记录"):
        write("cs2")
    _db.session.rollback()
    write("cs2", shift="evening")
    # Another department writes its own.
    write("ops")
    assert _db.session.query(HandoverNote).count() == 3


def test_the_note_is_for_todays_shift_or_last_nights(db, api):
    today = notes.today()
    for day in (today + dt.timedelta(days=1), today - dt.timedelta(days=2)):
        with pytest.raises(InvalidInput) as refused:
            write(shift_date=day)
        assert refused.value.field == "shift_date"
        _db.session.rollback()
    answer = api("cs").post(
        "/api/v1/handover_note/",
        json={"shift_date": "2020-01-01", "shift": "day", "notes": "补记"},
    )
    assert answer.status_code == 400, answer.get_json()
    assert _db.session.query(HandoverNote).count() == 0
    late = write(shift="evening", shift_date=today - dt.timedelta(days=1))
    assert late.shift_date == today - dt.timedelta(days=1)


def test_the_next_shift_takes_over_not_the_author(db, users):
    note = write()
    with pytest.raises(NotAllowed, match="交班人不能自己确认接班"):
        HANDOVER_FLOW.run(note, "acknowledge", {}, users["cs"])
    _db.session.rollback()
    with pytest.raises(NotAllowed, match="只有本部门的接班人员"):
        HANDOVER_FLOW.run(note, "acknowledge", {}, users["ops"])
    _db.session.rollback()
    # The steps offered follow the same rule; the author sees why not.
    assert HANDOVER_FLOW.available(note, users["cs"]) == []
    assert [s.name for s, _ in HANDOVER_FLOW.waiting(note, users["cs"])] == [
        "acknowledge"
    ]
    assert [s.name for s in HANDOVER_FLOW.available(note, users["cs2"])] == [
        "acknowledge"
    ]
    HANDOVER_FLOW.run(note, "acknowledge", {"note": "已阅，接班"}, users["cs2"])
    _db.session.expire_all()
    note = _db.session.get(HandoverNote, note.id)
    assert note.status == "acknowledged"
    assert note.acknowledged_by_id == users["cs2"].id
    assert note.acknowledged_at is not None
    assert note.acknowledgement_note == "已阅，接班"


def test_an_unacknowledged_note_is_on_the_next_shifts_todo(db, users):
    note = write()
    assert not [t for t in todos(users["cs"]) if "交班" in str(t.text)]
    waiting = [t for t in todos(users["cs2"]) if "交班" in str(t.text)]
    assert waiting and waiting[0].params == {"pk": str(note.id)}
    assert not [t for t in todos(users["ops"]) if "交班" in str(t.text)]
    HANDOVER_FLOW.run(note, "acknowledge", {}, users["cs2"])
    assert not [t for t in todos(users["cs2"]) if "交班" in str(t.text)]


def test_only_the_author_remarks_and_a_taken_over_note_is_final(db, users):
    _at_risk_case()
    note = write()
    item = note.items[0]
    item.remark = "客户下午会再来电"
    with acting_as(users["cs2"]), pytest.raises(NotAllowed):
        records.before_update(item)
    _db.session.rollback()
    item = _db.session.get(HandoverItem, item.id)
    item.remark = "客户下午会再来电"
    with acting_as(users["cs"]):
        records.before_update(item)
        _db.session.commit()
    HANDOVER_FLOW.run(note, "acknowledge", {}, users["cs2"])
    note = _db.session.get(HandoverNote, note.id)
    note.notes = "改写"
    with acting_as(users["cs"]), pytest.raises(Conflict, match="已确认接班"):
        records.before_update(note)
    _db.session.rollback()
    # Whatever path: the session refuses a change of a taken-over note or item.
    note = _db.session.get(HandoverNote, note.id)
    note.notes = "改写"
    with pytest.raises(Conflict):
        _db.session.commit()
    _db.session.rollback()
    item = _db.session.get(HandoverItem, item.id)
    item.remark = "改写"
    with pytest.raises(Conflict):
        _db.session.commit()
    _db.session.rollback()
    assert _db.session.get(HandoverItem, item.id).remark == "客户下午会再来电"


def test_screens_and_api_refuse_changes_after_taking_over(db, login, api, users):
    note = write(notes="原注意事项")
    own = api("cs").post(f"/api/v1/handover_note/{note.id}/step/acknowledge", json={})
    assert own.status_code == 403, own.get_json()
    assert "交班人不能自己确认接班" in own.get_json()["message"]
    taken = api("cs2").post(
        f"/api/v1/handover_note/{note.id}/step/acknowledge", json={"note": "收到"}
    )
    assert taken.status_code == 200, taken.get_json()
    answer = api("cs").put(f"/api/v1/handover_note/{note.id}", json={"notes": "改写"})
    assert answer.status_code == 409, answer.get_json()
    version = _db.session.get(HandoverNote, note.id).version
    posted = login("cs").post(
        f"/handovers/edit/{note.id}", {"notes": "改写", "version": str(version)}
    )
    assert "已确认接班，交班记录不能再修改" in posted.get_data(as_text=True)
    _db.session.expire_all()
    assert _db.session.get(HandoverNote, note.id).notes == "原注意事项"
    # A duplicate through the API is refused with the reason.
    dup = api("cs2").post(
        "/api/v1/handover_note/",
        json={"shift": "day", "shift_date": str(note.shift_date)},
    )
    assert dup.status_code == 409, dup.get_json()
    assert "已有交班记录" in dup.get_json()["message"]


def test_scope_department_and_management(db, api, users):
    note = write()
    assert api("cs2").get(f"/api/v1/handover_note/{note.id}").status_code == 200
    assert api("manager").get(f"/api/v1/handover_note/{note.id}").status_code == 200
    assert api("ops").get(f"/api/v1/handover_note/{note.id}").status_code == 404
    assert api("ops").get(f"/api/v1/handover_note/{note.id}").status_code == 404


def test_the_pickup_item_links_the_pickup(db):
    pickup = PickupFactory(_as="cs")
    pickup.department_id = user("cs").department_id
    pickup.window_start = now() + dt.timedelta(hours=3)
    _db.session.commit()
    note = write()
    item = next(i for i in note.items if i.record_type == "pickup")
    assert item.pickup_id == pickup.id and _db.session.get(Pickup, item.pickup_id)


def test_the_edit_form_is_refused_before_it_is_filled_to_others(db, login, users):
    _at_risk_case()
    note = write()
    page = login("cs2").get(f"/handovers/show/{note.id}").get_data(as_text=True)
    assert "只有交班人可以修改交班记录" in page
    assert f"/handovers/edit/{note.id}" not in page
    opened = login("cs2").get(f"/handovers/edit/{note.id}")
    assert opened.status_code == 302
    item = note.items[0]
    opened = login("cs2").get(f"/handoveritems/edit/{item.id}")
    assert opened.status_code == 302
    assert login("cs").get(f"/handovers/edit/{note.id}").status_code == 200


def test_an_item_shows_its_record_status_as_the_clerk_reads_it(db, login):
    from app.models.codes import CASE_STATUSES, label

    case = _at_risk_case(_as="cs")
    note = write()
    item = next(i for i in note.items if i.case_id == case.id)
    page = login("cs").get(f"/handoveritems/show/{item.id}").get_data(as_text=True)
    assert label(CASE_STATUSES, case.status) in page
    assert f">{case.status}<" not in page.replace(" ", "").replace("\n", "")
    assert "交班记录" in page


def _listed(page: str, kind: str) -> list[int]:
    """Ids of the list's rows offering `kind` (show, edit), in page order."""
    import re

    found = [int(n) for n in re.findall(rf'/handovers/{kind}/(\d+)[?"]', page)]
    return list(dict.fromkeys(found))


def test_the_list_orders_a_days_shifts_and_offers_edit_until_taken_over(
    db, login, api, users
):
    """Newest first: on one date 晚班, 白班, 早班 (not by the code's letters);
    the author's row has 编辑 until the next shift takes the note over."""
    evening = write(shift="evening", notes="晚班事项")
    morning = write(shift="morning", notes="早班事项")
    day = write(shift="day", notes="白班事项")
    page = login("cs").get("/handovers/list/").get_data(as_text=True)
    assert _listed(page, "show") == [evening.id, day.id, morning.id]
    assert set(_listed(page, "edit")) == {evening.id, day.id, morning.id}
    ascending = login("cs").get(
        "/handovers/list/?_oc_HandoverNoteView=shift_date&_od_HandoverNoteView=asc"
    )
    assert _listed(ascending.get_data(as_text=True), "show") == [
        morning.id,
        day.id,
        evening.id,
    ]
    taken = api("cs2").post(
        f"/api/v1/handover_note/{day.id}/step/acknowledge", json={"note": "收到"}
    )
    assert taken.status_code == 200, taken.get_json()
    page = login("cs").get("/handovers/list/").get_data(as_text=True)
    assert set(_listed(page, "edit")) == {evening.id, morning.id}
    # Another person of the department edits no note of the author's.
    page = login("cs2").get("/handovers/list/").get_data(as_text=True)
    assert _listed(page, "edit") == []
