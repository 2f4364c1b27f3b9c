"""An address that leads nowhere - typed by hand, an old link, a step or a
record that is not the user's - answers with a page in Chinese inside the
layout (a way back and home), the REST API with a JSON message."""

from __future__ import annotations

import pytest

from app.ui.errors import NOT_FOUND_MESSAGE
from tests.browser import screenshot_dir
from tests.emergencies.test_emergencies import draft

MESSAGE = "没有这个页面，或者它显示的记录或操作不在您的查看范围内。"


@pytest.mark.parametrize(
    "address",
    [
        "/no-such-page/",
        "/emergencyplans/step/put_in_force",  # the step without its record
        "/cases/show/999999999",  # a record that does not exist
    ],
)
def test_a_screen_address_leading_nowhere_answers_in_chinese(db, login, address):
    response = login("cs").get(address)
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "页面不存在" in page and MESSAGE in page
    assert 'href="/"' in page or "首页" in page  # a way home
    assert "Not Found" not in page


def test_an_api_address_leading_nowhere_answers_with_json(db, api):
    response = api("cs").get("/api/v1/no_such_resource/")
    assert response.status_code == 404
    assert response.get_json() == {"message": str(NOT_FOUND_MESSAGE)}


def test_a_missing_static_file_gets_no_page(db, login):
    response = login("cs").get("/static/no-such-file.js")
    assert response.status_code == 404
    assert "页面不存在" not in response.get_data(as_text=True)


@pytest.mark.browser
def test_a_clerk_typing_an_address_by_hand_finds_the_way_back(db, person):
    """A clerk types the address of a plan step that is not theirs: the page
    says so in Chinese; 返回 takes them back to where they were (the policy
    runs no `javascript:` link), 首页 takes them home."""
    plan = draft()
    clerk = person("cs")
    clerk.open("/cases/list/")
    address = f"/emergencyplans/step/put_in_force/{plan.id}"
    clerk.open(address)
    clerk.expect_text("页面不存在", MESSAGE)
    clerk.screenshot(screenshot_dir(), "not-found-page")
    clerk.click("返回")
    clerk.page.wait_for_url("**/cases/list/")
    assert clerk.path == "/cases/list/"
    clerk.open(address)
    clerk.click("首页")
    assert clerk.path == "/"
    # The browser logs the 404s this test asks for; nothing else may appear.
    problems = clerk.problems.console_errors
    assert len([e for e in problems if "404" in e and address in e]) == 2
    problems[:] = [e for e in problems if address not in e]
