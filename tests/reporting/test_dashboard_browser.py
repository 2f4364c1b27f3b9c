"""The dashboard in headless Chromium: it renders its charts, and no request
leaves 127.0.0.1 (Chart.js and the data are served by the app itself).

Skipped when no Chromium is installed. Set DASHBOARD_SCREENSHOT=<path> to keep
the PNG (docs/dashboard.png is made this way).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from tests.chromium import Chromium, find_chromium
from tests.conftest import PASSWORD
from tests.reporting.kpi_month import build_october, build_year

BINARY = find_chromium()
pytestmark = pytest.mark.skipif(BINARY is None, reason="Chromium is not installed")
LOCAL = {"127.0.0.1"}


@pytest.fixture
def server(app, db):
    build_year()
    build_october()
    db.session.commit()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=5)


def test_dashboard_renders_with_every_request_on_127_0_0_1(server, tmp_path):
    browser = Chromium(BINARY, tmp_path)
    try:
        browser.navigate(f"{server}/login/")
        browser.evaluate(
            "const f = document.querySelector('input[name=username]').form;"
            f"f.username.value = 'manager'; f.password.value = {PASSWORD!r};"
            "f.submit(); true"
        )
        browser.wait_for("Page.loadEventFired")
        # Management lands on the dashboard; then October, the month with data.
        assert browser.wait_until("document.body.dataset.chartsReady") == "8"
        browser.navigate(f"{server}/dashboard/?month=2026-10")
        assert browser.wait_until("document.body.dataset.chartsReady") == "8"
        drawn = browser.evaluate(
            "Array.from(document.querySelectorAll('canvas[data-chart]'))"
            ".filter(c => Chart.getChart(c)).length"
        )
        assert drawn == 8
        flagged = browser.evaluate(
            "document.querySelectorAll('.kpi-tile.panel-danger').length"
        )
        assert flagged >= 1
        shot = Path(os.environ.get("DASHBOARD_SCREENSHOT") or tmp_path / "d.png")
        browser.screenshot(shot)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        browser.close()

    pages = {urlsplit(url).scheme for url in browser.requests}
    assert pages <= {"http", "data"}, browser.requests
    outside = [
        url
        for url in browser.requests
        if url.startswith("http") and urlsplit(url).hostname not in LOCAL
    ]
    assert outside == []
    assert any("/static/vendor/chartjs/chart.umd.min.js" in u for u in browser.requests)
    assert sum("/dashboard/data/" in u for u in browser.requests) == 16
    # The browser asks for /favicon.ico on its own; the app has none.
    assert [e for e in browser.errors if "favicon.ico" not in e] == []
    # The whole browser process (its own network log): every request the app's
    # pages started went to 127.0.0.1; the only others are Chromium's own
    # background probes (no initiating page), which could not resolve a name;
    # and no socket was opened to anything but 127.0.0.1.
    for url, initiator in browser.netlog_requests():
        if urlsplit(url).hostname not in LOCAL:
            assert initiator == "not an origin", (url, initiator)
    assert browser.netlog_remote_addresses() <= LOCAL, browser.netlog_remote_addresses()
