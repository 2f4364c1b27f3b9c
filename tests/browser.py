"""Browser journeys: the screens driven in headless Chromium as a person would.

Python Playwright drives Debian's `/usr/bin/chromium` (or `$CHROMIUM`); no
browser is downloaded. `make e2e` runs only the browser tests; `make test`
runs them with everything else. They are skipped, with the reason, only when
no Chromium is installed (`make install-browser` installs it).

Fixtures (registered in tests/conftest.py):

- ``live_server`` (session) — the test app served on a free 127.0.0.1 port;
  its value is the base URL. It reads the same test database as ``db``.
- ``demo_db`` (function) — a fresh copy of the database with the demo records
  (`flask demo seed`: customers, cases in every state, pickups, settlements,
  follow-ups), built once per session; yields `db` inside an app context.
  Records a test adds with `tests.factories` are seen by the server after
  `db.session.commit()`.
- ``person`` (function) — `person(role_or_username)` opens a new browser
  context (zh-CN, Asia/Shanghai) signed in through the login form and
  returns a `Person`. One Chromium serves the whole session.

Every test that uses a browser fails when a page asked for anything outside
127.0.0.1 (such requests are blocked), when the server answered 500, or when
the console logged an error. The last page of each person is kept as a PNG
under `screenshot_dir()` (printed at the end of the run; `$SCREENSHOTS`
changes it).

A `Person` types and clicks; it never posts a form or sets a value by script:

    def test_register(demo_db, person):
        cs = person("cs")
        cs.open("/cases/add")          # by URL, as from a bookmark
        cs.pick("customer", "华新")     # select2: open, type, choose
        cs.choose("kind", "投诉")       # a plain <select>
        cs.type("title", "磅单重量不符")
        cs.click_button("保存")
        cs.expect_text("已保存")

`cs.actions` counts what the person did (clicks, typed texts, key presses,
choices) and `cs.typed` the fields they typed into; `cs.count_from_here()`
resets both for a measured stretch.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCAL_HOSTS = {"127.0.0.1"}
# Nothing leaves 127.0.0.1: every other request goes to a proxy that does not
# exist (loopback bypasses it) and no name resolves but 127.0.0.1, so Chromium
# itself refuses it; the page's requests are still seen (and reported) as
# events. Blocking by route instead would switch the HTTP cache off and fetch
# every script and style again on every page.
DEAD_PROXY = "http://127.0.0.1:9"
CHROMIUM_ARGS = (
    f"--proxy-server={DEAD_PROXY}",
    "--proxy-bypass-list=127.0.0.1",
    "--no-sandbox",
    "--lang=zh-CN",
    "--disable-gpu",
    "--no-first-run",
    "--disable-sync",
    "--disable-extensions",
    "--disable-component-update",
    "--disable-background-networking",
    "--disable-domain-reliability",
    "--no-pings",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--disable-features=Translate,OptimizationHints,MediaRouter,"
    "AutofillServerCommunication,NetworkTimeServiceQuerying,"
    "PasswordLeakDetection,DnsOverHttps",
)


# Whether clicking an element loads another page: a plain link, or a form's
# submit button unless the browser stops the form (a required field empty).
LEAVES_PAGE = """e => {
  const a = e.closest('a[href]');
  if (a) {
    const href = a.getAttribute('href');
    return !href.startsWith('#') && !href.startsWith('javascript:') && !a.target
      && !a.hasAttribute('download') && !a.hasAttribute('data-toggle');
  }
  const b = e.closest('button, input[type=submit]');
  return !!(b && b.form && b.type === 'submit'
    && (b.form.noValidate || b.formNoValidate || b.form.checkValidity()));
}"""


def find_chromium() -> str | None:
    """Debian's chromium (or $CHROMIUM), or None when none is installed."""
    for name in (os.environ.get("CHROMIUM", ""), "/usr/bin/chromium", "chromium"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def screenshot_dir() -> Path:
    """Where each journey's last page is kept (per database backend)."""
    backend = "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    base = os.environ.get("SCREENSHOTS") or ROOT / "var" / "screenshots"
    return Path(base) / backend


def skip_reason() -> str | None:
    if find_chromium() is None:
        return "no Chromium installed (make install-browser, or set CHROMIUM)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -r requirements-dev.txt)"
    return None


class PageProblems:
    """What a page must never do: leave 127.0.0.1, fail, log console errors."""

    def __init__(self) -> None:
        self.outside: list[str] = []
        self.server_errors: list[str] = []
        self.console_errors: list[str] = []

    def watch(self, context: Any) -> None:
        def request(request: Any) -> None:
            parts = urlsplit(request.url)
            if parts.scheme not in ("data", "blob", "about") and (
                parts.hostname not in LOCAL_HOSTS
            ):
                self.outside.append(request.url)

        context.on("request", request)
        context.on("page", self._page)

    def _page(self, page: Any) -> None:
        def console(message: Any) -> None:
            if message.type == "error":
                self.console_errors.append(f"{message.text} @ {page.url}")

        def response(resp: Any) -> None:
            if resp.status >= 500:
                self.server_errors.append(f"{resp.status} {resp.url}")

        page.on("console", console)
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        page.on("response", response)

    def assert_clean(self) -> None:
        assert self.outside == [], f"requests outside 127.0.0.1: {self.outside}"
        assert self.server_errors == [], f"server errors: {self.server_errors}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"


class Person:
    """One signed-in user in their own browser context, typing and clicking.

    Fields are named by their form name (`title`, `customer`) or any
    Playwright selector; buttons and links by their visible text.
    """

    def __init__(self, page: Any, base_url: str, username: str) -> None:
        self.page = page
        self.problems = PageProblems()  # replaced by the fixture's shared one
        self.base_url = base_url
        self.username = username
        self.actions = 0
        self.typed: list[str] = []
        # Every URL the person's page asked for, in order.
        self.requests: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        # Pages asked for by the tab itself, and files it downloaded.
        self.navigations = 0
        self.downloads = 0
        page.on("request", self._count_navigation)
        page.on("download", self._count_download)

    def _count_navigation(self, request: Any) -> None:
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.navigations += 1

    def _count_download(self, _download: Any) -> None:
        self.downloads += 1

    # ---------------------------------------------------------------- counts
    def count_from_here(self) -> None:
        """Start a measured stretch: actions and typed fields from zero."""
        self.actions = 0
        self.typed = []

    def _did(self, count: int = 1) -> None:
        self.actions += count

    # ------------------------------------------------------------ navigation
    def open(self, path: str) -> Person:
        """Go to a page by its address (a bookmark, a link in a mail)."""
        self.page.goto(self.base_url + path)
        return self

    def sign_in(self, password: str) -> Person:
        self.open("/login/")
        self.page.fill("input[name=username]", self.username)
        self.page.fill("input[name=password]", password)
        self.page.press("input[name=password]", "Enter")
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url, f"{self.username} could not sign in"
        return self

    @property
    def path(self) -> str:
        parts = urlsplit(self.page.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    # ---------------------------------------------------------------- finding
    def field(self, name: str) -> Any:
        if re.fullmatch(r"[A-Za-z_][\w-]*", name):
            return self.page.locator(
                f"input[name='{name}'], select[name='{name}'], textarea[name='{name}']"
            ).first
        return self.page.locator(name).first

    def text(self) -> str:
        return self.page.locator("body").inner_text()

    def expect_text(self, *texts: str, seconds: float = 5) -> None:
        """Every text is on the page (given a few seconds to finish loading)."""
        from playwright.sync_api import Error

        deadline = time.monotonic() + seconds
        while True:
            try:
                self.page.wait_for_load_state()
                body = self.text()
            except Error:  # the page was being replaced by the next one
                body = ""
            missing = [text for text in texts if text not in body]
            if not missing or time.monotonic() > deadline:
                break
            self.page.wait_for_timeout(100)
        for text in missing:
            assert text in body, f"{text!r} not on {self.path}"

    # ----------------------------------------------------------------- doing
    def click(self, target: str) -> Person:
        """Click a link or button by its text, or any selector."""
        self._click(self._clickable(target))
        return self

    def click_button(self, text: str) -> Person:
        """Press a button by its text (submit buttons included)."""
        self._click(self.page.get_by_role("button", name=text).first)
        return self

    def _click(self, locator: Any) -> None:
        """Click; when that opens another page, wait for it to have loaded.

        Playwright's click does not wait for the page a link or a form's
        button loads: the next step would read the page being left. The wait
        ends when the next page is there, when the click downloaded a file
        instead, or when no page was asked for within a second (a script
        handled the click).
        """
        from playwright.sync_api import Error

        locator.wait_for()
        leaves = locator.evaluate(LEAVES_PAGE)
        if leaves:
            self.page.evaluate("() => { window.personStays = true; }")
        navigations, downloads = self.navigations, self.downloads
        clicked = time.monotonic()
        locator.click()
        self._did()
        while leaves:
            waited = time.monotonic() - clicked
            if self.downloads > downloads or waited > 15:
                break
            if self.navigations == navigations and waited > 1:
                break
            try:
                if not self.page.evaluate("() => window.personStays === true"):
                    break
            except Error:  # the next page is replacing this one
                pass
            self.page.wait_for_timeout(50)
        self.page.wait_for_load_state()

    def _clickable(self, target: str) -> Any:
        if target[:1] in "#.[" or "=" in target or target.startswith("text"):
            return self.page.locator(target).first
        links = self.page.get_by_role("link", name=target)
        if links.count():
            return links.first
        buttons = self.page.get_by_role("button", name=target)
        if buttons.count():
            return buttons.first
        return self.page.get_by_text(target, exact=True).first

    def type(self, name: str, text: str, clear: bool = False) -> Person:
        """Click into a field and type, key by key, as a person does."""
        field = self.field(name)
        assert field.evaluate("e => e.tagName") in ("INPUT", "TEXTAREA"), name
        field.click()
        self._did()
        if clear:
            field.press("Control+a")
            field.press("Delete")
            self._did()
        field.press_sequentially(text)
        self._did()
        self.typed.append(name)
        return self

    def press(self, key: str) -> Person:
        self.page.keyboard.press(key)
        self._did()
        return self

    def choose(self, name: str, label: str) -> Person:
        """Choose an option of a plain <select> by its visible label."""
        self.field(name).select_option(label=label)
        self._did()
        return self

    def tick(self, name: str) -> Person:
        self.field(name).check()
        self._did()
        return self

    def pick(self, name: str, search: str | None, choice: str | None = None) -> Person:
        """A select2 picker: open it, type `search` in its box, choose.

        `choice` is the option's visible text (default: the only or first
        result). Without `search` the option is clicked from the open list.
        """
        container = self.page.locator(
            f"select[name='{name}'] + .select2-container .select2-selection"
        )
        container.click()
        self._did()
        box = self.page.locator(".select2-container--open .select2-search__field")
        if search is not None:
            box.wait_for()
            # The box should have the focus when the picker opens; if it does
            # not, the person clicks into it first (counted).
            focused = box.evaluate("el => el === document.activeElement")
            if not focused:
                box.click()
                self._did()
            searched = self.page.locator(f"select[name='{name}'][data-pick]")
            answered: list[str] | None = None
            if searched.count():
                # Results come from the server: wait for those of what was typed.
                with self.page.expect_response(
                    lambda r: (
                        "/pick/" in r.url
                        and parse_qs(urlsplit(r.url).query).get("q") == [search]
                    )
                ) as answer:
                    box.press_sequentially(search)
                answered = [row["text"] for row in answer.value.json()["results"]]
            else:
                box.press_sequentially(search)
            self._did()
            self.typed.append(name)
        results = self.page.locator(
            ".select2-container--open .select2-results__option:not(.loading-results)"
            ":not(.select2-results__message)"
        )
        if search is not None and answered:
            # The answer arrives before the picker shows it: until then the
            # list still holds the results of what was typed so far.
            from playwright.sync_api import expect

            shown = results.and_(
                self.page.locator(":not(.select2-results__option--load-more)")
            )
            expect(shown).to_have_text(answered)
        option = results.filter(has_text=choice) if choice else results
        option.first.click()
        self._did()
        return self

    def pick_date_time(self, name: str, when: dt.datetime) -> Person:
        """Use the date-time picker: open it, click the day, set hour and minute.

        The calendar opens on the month of the field's date (today when empty).
        """
        field = self.field(name)
        field.click()
        self._did()
        calendar = self.page.locator(".flatpickr-calendar.open")
        shown = field.input_value()
        month = (
            dt.date(int(shown[:4]), int(shown[5:7]), 1)
            if shown
            else dt.datetime.now(when.tzinfo).date()
        )
        offset = (when.year - month.year) * 12 + when.month - month.month
        kind = {-1: ".prevMonthDay", 0: ":not(.prevMonthDay):not(.nextMonthDay)"}
        kind[1] = ".nextMonthDay"
        calendar.locator(
            f".flatpickr-day{kind[offset]}", has_text=re.compile(rf"^{when.day}$")
        ).first.click()
        self._did()
        for part, value in (
            (".flatpickr-hour", when.hour),
            (".flatpickr-minute", when.minute),
        ):
            box = calendar.locator(part)
            box.click()
            box.press("Control+a")
            box.press_sequentially(f"{value:02d}")
            box.press("Tab")
            self._did(2)
        self.page.keyboard.press("Escape")
        self._did()
        return self

    def screenshot(self, directory: Path, name: str) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture(scope="session")
def live_server(app: Any, database: Any) -> Iterator[str]:
    """The test app on a free 127.0.0.1 port (threaded); yields its base URL."""
    from werkzeug.serving import make_server

    # One line per request and static file would drown a failing test's output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # Scripts, styles and fonts kept by the browser between pages, as a
    # person's browser keeps them (not asked again on every page).
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def _demo_template(app: Any, database: Any) -> str:
    """Build the demo records once; later tests copy them (see `demo_db`)."""
    from app.extensions import db
    from app.seed.demo import seed_demo
    from tests.conftest import PASSWORD

    database.reset()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        seed_demo(PASSWORD)
        db.session.remove()
        db.engine.dispose()
    return database.snapshot("demo")


@pytest.fixture
def demo_db(app: Any, database: Any, _demo_template: str) -> Iterator[Any]:
    """A fresh copy of the demo database, inside an app context."""
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    database.reset(_demo_template)
    with app.app_context():
        yield db
        db.session.remove()


@pytest.fixture(scope="session")
def _chromium() -> Iterator[Any]:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    browser = driver.chromium.launch(
        executable_path=find_chromium(), args=list(CHROMIUM_ARGS)
    )
    yield browser
    with contextlib.suppress(Exception):
        browser.close()
    driver.stop()


@pytest.fixture
def person(
    request: pytest.FixtureRequest, _chromium: Any, live_server: str
) -> Iterator[Any]:
    """person("cs") -> a `Person` signed in as that demo user (or role name)."""
    from tests.conftest import PASSWORD, ROLE_USERS

    problems = PageProblems()
    people: list[Person] = []
    contexts: list[Any] = []

    def _person(who: str) -> Person:
        context = _chromium.new_context(
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(15_000)
        problems.watch(context)
        contexts.append(context)
        page = context.new_page()
        someone = Person(page, live_server, ROLE_USERS.get(who, who))
        someone.problems = problems
        people.append(someone)
        return someone.sign_in(PASSWORD)

    yield _person
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    try:
        for someone in people:
            suffix = "" if len(people) == 1 else f"-{someone.username}"
            with contextlib.suppress(Exception):
                someone.screenshot(screenshot_dir(), f"{name}{suffix}")
        problems.assert_clean()
    finally:
        for context in contexts:
            context.close()


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Tests that use a browser carry the `browser` mark (`make e2e`)."""
    for item in items:
        if "person" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    folder = screenshot_dir()
    if folder.is_dir() and any(folder.iterdir()):
        terminalreporter.write_line(f"Browser screenshots: {folder}")
