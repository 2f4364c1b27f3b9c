"""The form crawler: every role opens every add and edit form it is offered.

As each demo role, in Chromium: open every menu screen, its first record, and
every add, edit and step page linked from those; save each edit form
untouched and each add form with the least a person must enter (required
fields only). It fails on any refusal of a field's own value (a widget that
refuses what it shows), any English word on a Chinese page, any server error
and any console error (the last two through the `person` fixture), and prints
what it checked.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app.models import now
from tests.conftest import ROLE_USERS

# Latin words that are Chinese usage too: units, acronyms, product names.
ALLOWED_WORDS = {
    *("KPI", "SLA", "CNY", "RQ", "API", "Excel", "xlsx", "ID"),
    "VIP",  # the key-account mark (重点客户), as seed 003 快递 二.1 writes it
    *("kg", "km"),  # units
    *("HDPE", "LDPE", "PET", "PP", "PVC", "ABS", "PE", "PS"),  # plastics
}
# Text a person reads: the page, hidden dialogs that open on a click, the
# placeholders, tooltips and options of its controls. The Latin words standing
# alone in it (not part of a code such as CS-2026-000001, an address, a file
# name or an e-mail) are picked out in the page, so that only they cross over.
LATIN_WORDS = """() => {
  let page = document.body.innerText;
  // Identifiers (codes, keys) are shown as they are.
  document.querySelectorAll('[translate=no]').forEach(e => {
    if (e.innerText) page = page.split(e.innerText).join(' ');
  });
  const parts = [page];
  document.querySelectorAll('.modal').forEach(e => parts.push(e.textContent));
  document.querySelectorAll('[placeholder],[title],[data-placeholder]').forEach(e => {
    for (const a of ['placeholder', 'title', 'data-placeholder']) {
      if (e.getAttribute(a)) parts.push(e.getAttribute(a));
    }
  });
  document.querySelectorAll('option').forEach(e => parts.push(e.textContent));
  const text = parts.join('\\n').replace(/\\S+@\\S+/g, ' ');
  const word = /(?<![\\w\\-.@\\/:])[A-Za-z]{2,}(?![\\w\\-.@\\/:])/g;
  return [...new Set(text.match(word) || [])];
}"""
# The audit trail shows recorded values as they were stored (free text of
# every record type), so its words are not checked here.
UNCHECKED = ("/auditlogview/",)
# Add forms whose least input a rule refuses in the demo data, shown on the
# form with the reason: every kind and severity already has its SLA policy,
# Monday already has its working hours, every KPI its company-wide target,
# every rank its grade; a service standard's proposal needs its reason and a
# change; an acceptance needs its (optional-looking) source.
RULE_REFUSALS = {
    "/slapolicyview/add": "已存在",
    "/workwindowview/add": "重叠",
    "/kpitargetview/add": "已有全公司目标值",
    # Service standards: a proposal needs its reason, and a change.
    "/followupruleview/add": "变更理由",
    "/slapolicyview/edit/N": "没有任何改动",
    "/kpitargetview/edit/N": "没有任何改动",
    "/followupruleview/edit/N": "没有任何改动",
    # Rank 1 is grade A's; an acceptance names the pickup or case it accepts,
    # and a pickup is accepted once collected (opened from one still open).
    "/customergradeview/add": "已经存在",
    "/acceptances/add": "验收",
    # A department head records the training of their own department's
    # staff; the first person the picker offers may work in another one.
    "/trainingassessments/add": "其他部门",
    # Handover notes are written by staff of a department (not the admin).
    "/handovers/add": "各部门工作人员",
    # The first person the picker offers may be responsible under the plan
    # already (a plan's people are listed once).
    "/planresponsibles/add": "负责人",
}
SKIP_LINKS = ("/lang/", "/logout", "/login", "/static/", "/admin/rq", "/print/")
NUMBERS = re.compile(r"/\d+")


@dataclass
class Crawl:
    pages: int = 0
    forms: int = 0
    saved: int = 0
    # Forms refused before they are shown (the record no longer changes):
    # the clerk is sent back with the reason.
    refused_before: int = 0
    rule_refusals: int = 0
    refusals: list[str] = field(default_factory=list)
    english: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def english_words(self, who: Any) -> None:
        if who.path.startswith(UNCHECKED):
            return
        words = set(who.page.evaluate(LATIN_WORDS)) - ALLOWED_WORDS
        if words:
            self.english.append(f"{who.path}: {sorted(words)}")


# Where a page tells the person their input was refused.
REFUSAL_SELECTOR = (
    ".alert-danger, .alert-warning, .has-error .help-block, .help-block.error"
)


def _links(who: Any, pattern: str) -> list[str]:
    hrefs = who.page.eval_on_selector_all(
        "a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    found = []
    for href in hrefs:
        if not href or not href.startswith("/") or any(s in href for s in SKIP_LINKS):
            continue
        if re.search(pattern, href) and href not in found:
            found.append(href)
    return found


def _shape(url: str) -> str:
    """One form per kind: /cases/edit/12 and /cases/edit/13 are the same form."""
    return NUMBERS.sub("/N", url.split("?")[0])


def _open(crawl: Crawl, who: Any, url: str) -> None:
    who.open(url)
    crawl.pages += 1
    crawl.english_words(who)


def _fill_required(who: Any, upload: Path) -> None:
    """What a person must enter on an add form: the starred fields only."""
    # The page's form, not the navbar's sign-out form.
    form = who.page.locator("form:not(:has(.logout-button))").first
    starred = form.locator(
        "tr:has(label strong) :is(input, select, textarea)[name], "
        ".form-group:has(label strong) :is(input, select, textarea)[name]"
    )
    for control in [*form.locator("[required]").all(), *starred.all()]:
        name = control.get_attribute("name") or ""
        tag = control.evaluate("e => e.tagName.toLowerCase()")
        kind = (control.get_attribute("type") or "").lower()
        if tag == "select":
            if control.input_value() not in ("", "__None"):
                continue
            if control.get_attribute("data-pick"):
                _type_into_picker(who, name)
            elif "select2-hidden-accessible" in (control.get_attribute("class") or ""):
                who.pick(name, None)
            else:
                values = control.eval_on_selector_all(
                    "option",
                    "os => os.map(o => o.value).filter(v => v && v !== '__None')",
                )
                control.select_option(values[0])
        elif kind == "file":
            control.set_input_files(str(upload))
        elif kind in ("checkbox", "hidden") or control.input_value():
            continue
        elif control.get_attribute("data-datetime"):
            # A due time lies ahead; anything else happened just now.
            when = now() + dt.timedelta(days=1) if "due" in name else now()
            who.type(name, when.strftime("%Y-%m-%d %H:%M"))
        elif kind == "date" or control.get_attribute("data-format"):
            who.type(name, _a_date(name).strftime("%Y-%m-%d"))
            who.press("Escape")  # the calendar that opened with the typing
        elif kind == "time" or control.get_attribute("data-time"):
            who.type(name, "1730" if "end" in name else "0830")
        elif name == "year":
            who.type(name, "2030")
        elif "percent" in name:
            who.type(name, "50")
        elif kind == "number" or re.search(
            r"kg|weight|price|amount|qty|rank|days|score", name
        ):
            who.type(name, "1")
        elif "phone" in name:
            who.type(name, "13800001234")
        elif "email" in name:
            who.type(name, "kefu@example.cn")
        elif "password" in name:
            who.type(name, "Crawl-pass-2026!")
        else:
            who.type(name, "巡检填写")


def _a_date(name: str) -> dt.date:
    """Today; a calendar day to add is a working day a week ahead (one the
    calendar holds no entry for)."""
    today = now().date()
    if name != "day":
        return today
    ahead = today + dt.timedelta(days=7)
    return ahead + dt.timedelta(days=(2 - ahead.weekday()) % 7)  # a Wednesday


def _type_into_picker(who: Any, name: str) -> None:
    """A search-as-you-type picker, as a person uses it: open it, read the
    first row it offers, type that row's first character, choose the first
    row found."""
    who.page.locator(
        f"select[name='{name}'] + .select2-container .select2-selection"
    ).click()
    offered = who.page.locator(
        ".select2-container--open .select2-results__option:not(.loading-results)"
        ":not(.select2-results__message)"
    )
    fragment = offered.first.inner_text().strip()[:1]
    who.page.keyboard.press("Escape")
    who.pick(name, fragment)


def _save(crawl: Crawl, who: Any, url: str) -> None:
    """Press the form's save button: refused if the form comes back with a
    message at a field or a danger alert, or comes back without a saved one."""
    # The navbar's sign-out form is not the page's form.
    button = who.page.locator(
        "form button[type=submit]:not(.logout-button), form input[type=submit]"
    ).first
    if not button.count():
        return
    # Fields the browser itself refuses to send (required, pattern).
    invalid = who.page.eval_on_selector_all(
        "form :invalid[name]",
        "els => els.map(e => e.name + ': ' + e.validationMessage)",
    )
    button.click()
    who.page.wait_for_load_state()
    crawl.saved += 1
    errors = [
        *invalid,
        *[
            e.strip()
            for e in who.page.locator(REFUSAL_SELECTOR).all_inner_texts()
            if e.strip()
        ],
    ]
    saved = who.page.locator(".alert-success").count() > 0
    expected = RULE_REFUSALS.get(_shape(url))
    if (
        expected
        and _shape(who.path) == _shape(url)
        and any(expected in e for e in errors)
    ):
        crawl.rule_refusals += 1  # kept on the form, the reason at its field
    elif errors or (_shape(who.path) == _shape(url) and not saved):
        crawl.refusals.append(f"{url} -> {who.path}: {errors}")
    crawl.english_words(who)


def _forms_of(who: Any) -> list[str]:
    return [
        *_links(who, r"/add(\?|$)"),
        *_links(who, r"/edit/\d+"),
        *_links(who, r"/step/\w+/\d+"),
    ]


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
def test_every_form_of_every_role(demo_db, person, role, capsys):
    who = person(role)
    upload = Path(__file__).resolve().parent.parent / "docs" / "dashboard.png"
    crawl = Crawl()
    crawl.english_words(who)
    menu = [
        href
        for href in who.page.eval_on_selector_all(
            ".navbar .dropdown-menu a[href]",
            "els => els.map(e => e.getAttribute('href'))",
        )
        if href.startswith("/")
        and not any(s in href for s in SKIP_LINKS)
        and "/users/userinfo" not in href
    ]
    forms: list[str] = []
    for screen in dict.fromkeys(menu):
        _open(crawl, who, screen)
        shows = _links(who, r"/show/\d+")[:1]
        forms += _forms_of(who)
        for show in shows:
            _open(crawl, who, show)
            forms += _forms_of(who)
    for url in forms:
        shape = _shape(url)
        if shape in crawl.seen:
            continue
        crawl.seen.add(shape)
        _open(crawl, who, url)
        crawl.forms += 1
        if _shape(who.path) != _shape(url):
            reason = who.page.locator(".alert-warning").all_inner_texts()
            assert reason, f"{url} -> {who.path} without a reason"
            crawl.refused_before += 1
            continue
        if "/step/" in url:
            continue  # a step changes the record; its journey takes it
        if "/add" in url:
            _fill_required(who, upload)
        _save(crawl, who, url)

    with capsys.disabled():
        print(
            f"\ncrawler {role}: {crawl.pages} pages, {crawl.forms} forms "
            f"({crawl.saved} saved, {crawl.refused_before} refused before "
            f"the form with the reason, {crawl.rule_refusals} kept on the form "
            f"by a rule), {len(crawl.refusals)} refusals, "
            f"{len(crawl.english)} pages with English"
        )
        for problem in [*crawl.refusals, *crawl.english]:
            print("  ", problem)
    assert crawl.english == []
    assert crawl.refusals == []
