"""Signing out in Chromium: the menu's 注销 posts a form; a copied cookie dies too."""

from __future__ import annotations


def test_sign_out_from_the_menu_ends_a_copied_session(db, person, _chromium):
    clerk = person("cs")
    stolen = clerk.page.context.cookies()
    clerk.click(".navbar-right .fa-user")
    clerk.click("注销")
    assert clerk.path.startswith("/login")
    clerk.open("/cases/list/")
    assert clerk.path.startswith("/login")

    thief = _chromium.new_context(locale="zh-CN")
    try:
        thief.add_cookies(stolen)
        page = thief.new_page()
        page.goto(clerk.base_url + "/cases/list/")
        assert "/login" in page.url
    finally:
        thief.close()
