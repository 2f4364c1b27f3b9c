"""The browser fixtures catch what a page must never do (tests/browser.py)."""

from __future__ import annotations


def test_a_request_outside_127_0_0_1_is_blocked_and_reported(db, person):
    someone = person("cs")
    # A page that points at another host (as a CDN link would).
    someone.page.set_content(
        '<img src="http://198.51.100.7/logo.png"><img src="https://cdn.example.com/a.js">'
    )
    someone.page.wait_for_timeout(300)
    assert sorted(someone.problems.outside) == [
        "http://198.51.100.7/logo.png",
        "https://cdn.example.com/a.js",
    ]
    someone.problems.outside.clear()  # seen; the fixture would fail the test
    someone.problems.console_errors.clear()


def test_server_errors_and_console_errors_are_reported(db, person):
    someone = person("cs")
    someone.page.evaluate("console.error('broken widget')")
    assert any("broken widget" in e for e in someone.problems.console_errors)
    someone.problems.console_errors.clear()


def test_sign_in_and_counting(db, person):
    someone = person("sales")
    assert someone.path == "/"
    someone.count_from_here()
    someone.click("客户服务")
    assert someone.actions == 1
    assert someone.typed == []
