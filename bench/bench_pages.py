"""Benchmark: every list, search, form, dashboard, KPI, analysis and API page
at 10 k and 1 M cases, over real HTTP.

    python bench/bench_pages.py [--reuse] [--sizes 10000,1000000] [--runs 12]
                                [--only REGEX] [--jobs all|recent]
                                [--base postgresql://postgres@127.0.0.1:5432/test]

Builds (or, with `--reuse`, keeps a complete earlier build of) one PostgreSQL
database per size with `bench/volume.py` (set-based SQL: two years of cases,
one customer per ten cases, pickups through settlement, follow-ups, staff),
brings it to the current schema, runs the KPI facts jobs once (timed), starts
gunicorn on it and signs in as CustomerService (`cs`, sees everything), an
Operations clerk (`ops`, department scope) and Management (`manager`). For
each role it opens every screen its menu offers, the case and customer lists
paged deep, sorted, filtered and searched, the add and edit forms, a record,
the pickers' search endpoints, the dashboard and each of its charts, the KPI
page, the complaint analysis (one and twelve months) and the REST API lists
(page 1, sorted, `q=` filters). Each page is requested `--runs` times after
WARM_UPS warm-ups (fewer when a page is slow: at most ~15 s a page); printed are
p50/p95 in ms, the bytes of the answer and, per page, the 1 M / 10 k ratio of
p95 and bytes, then the pages missing the targets (p95 at 1 M <= 2 x 10 k and
<= 150 ms, dashboard/KPI/analysis <= 300 ms, bytes within 10 %).

Databases are named `<prefix>_10k`, `<prefix>_1m` (`--prefix`, default
`bench_pages`) and kept for `--reuse`; `--drop` drops them at the end.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import volume  # noqa: E402

ROLES = {"cs": "CustomerService", "ops": "Operations clerk", "manager": "Management"}
MENU_LINK = re.compile(r'<a tabindex="-1" href="(/[^"#]*)"')
SKIP = ("/logout", "/lang/", "/admin/rq", "/users/", "/roles/", "/registeruser")
HEAVY = ("/dashboard", "/kpis", "/analysis", "/business")
BUDGET_S = 15.0
TIMEOUT_S = 120.0


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------- HTTP
class Browser:
    """A signed-in person: cookies of the web session and a JWT for the API."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.username = username
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar)
        )
        self.token = ""

    def get(self, path: str, api: bool = False) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path)  # noqa: S310 - http://
        if api:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with self.opener.open(request, timeout=TIMEOUT_S) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except (TimeoutError, urllib.error.URLError):
            return 599, b""

    def login(self, password: str) -> None:
        _, page = self.get("/login/")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
        body = urllib.parse.urlencode(
            {
                "csrf_token": token.group(1).decode() if token else "",
                "username": self.username,
                "password": password,
            }
        ).encode()
        with self.opener.open(self.base + "/login/", body, timeout=TIMEOUT_S) as r:
            r.read()
        status, home = self.get("/")
        if status != 200 or b"/logout" not in home:
            raise RuntimeError(f"{self.username} could not sign in")
        api = urllib.request.Request(  # noqa: S310 - http://127.0.0.1
            self.base + "/api/v1/security/login",
            json.dumps(
                {"username": self.username, "password": password, "provider": "db"}
            ).encode(),
            {"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(api, timeout=TIMEOUT_S) as r:  # noqa: S310
            self.token = json.loads(r.read())["access_token"]


@dataclass
class Page:
    name: str
    path: str
    api: bool = False


@dataclass
class Figure:
    status: int
    times_ms: list[float] = field(default_factory=list)
    size: int = 0

    @property
    def p50(self) -> float:
        return _percentile(self.times_ms, 50)

    @property
    def p95(self) -> float:
        return _percentile(self.times_ms, 95)


def _percentile(values: list[float], pct: int) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


# Requests before timing: each of gunicorn's two workers renders the page
# once (a template's first rendering in a process compiles it), whichever
# worker a request lands on (4 warm-ups leave one cold 1 time in 8).
WARM_UPS = 4


def measure(browser: Browser, page: Page, runs: int) -> Figure:
    for _ in range(WARM_UPS):
        status, body = browser.get(page.path, page.api)
        if status != 200:
            break
    figure = Figure(status=status, size=len(body))
    if status != 200:
        return figure
    spent = 0.0
    for _ in range(runs):
        began = time.perf_counter()
        status, body = browser.get(page.path, page.api)
        elapsed = time.perf_counter() - began
        figure.times_ms.append(elapsed * 1000)
        figure.status = status
        spent += elapsed
        if spent > BUDGET_S and len(figure.times_ms) >= 2:
            break
    figure.size = len(body)
    return figure


# -------------------------------------------------------------------- pages
def _first(pattern: str, body: bytes) -> str | None:
    found = re.search(pattern.encode(), body)
    return found.group(1).decode() if found else None


def pages_of(browser: Browser, facts: dict[str, Any]) -> list[Page]:
    """Every page the role's menu offers plus the deep, sorted, filtered and
    searched variants, forms, a record, pickers, charts and the API lists."""
    _, home = browser.get("/")
    links = sorted(
        {h for h in MENU_LINK.findall(home.decode()) if not h.startswith(SKIP)} - {"/"}
    )
    pages = [Page(link, link) for link in links]
    # Add forms of the record screens in the menu.
    for link in links:
        if link.endswith("/list/"):
            add = link[: -len("list/")] + "add"
            if browser.get(add)[0] == 200:
                pages.append(Page(add, add))
    name_part, phone_part = facts["name_part"], facts["phone_part"]
    title_part, number_part = facts["title_part"], facts["number_part"]
    q = urllib.parse.quote
    cases = "/cases/list/"
    pages += [
        Page("case list page 200", f"{cases}?page_CaseView=199"),
        Page(
            "case list sorted by resolution due",
            f"{cases}?_oc_CaseView=resolution_due_at&_od_CaseView=asc",
        ),
        Page("case list at risk", f"{cases}?_flt_3_resolution_state=at_risk"),
        Page(
            "case list waiting for customer", f"{cases}?_flt_3_status=pending_customer"
        ),
        Page("case list title contains", f"{cases}?_flt_2_title={q(title_part)}"),
        Page("case list number contains", f"{cases}?_flt_2_number={q(number_part)}"),
        Page(
            "case list of a customer",
            f"{cases}?_flt_0_customer={facts['customer_id']}",
        ),
        Page(
            "customer list name contains",
            f"/customers/list/?_flt_2_name={q(name_part)}",
        ),
        Page(
            "customer list phone contains",
            f"/customers/list/?_flt_2_phone={q(phone_part)}",
        ),
    ]
    _, case_list = browser.get(cases)
    case_id = _first(r"/cases/show/(\d+)", case_list)
    if case_id:
        pages += [
            Page("case show", f"/cases/show/{case_id}"),
            Page("case edit form", f"/cases/edit/{case_id}"),
        ]
    # Pickers (search as you type) over the big tables.
    # Named by what is typed, not by the text (it differs between sizes).
    for kind, typed, part in (
        ("customer", "name", name_part),
        ("customer", "phone", phone_part),
        ("case", "number", number_part),
        ("pickup", "nothing", ""),
        ("user", "name", facts["user_part"]),
    ):
        path = f"/pick/{kind}?q={q(part)}"
        if browser.get(path)[0] == 200:
            pages.append(Page(f"picker {kind} by {typed}", path))
    # Dashboard charts, KPI and analysis.
    from app.services.reporting.dashboard import CHARTS

    pages += [Page(f"dashboard data {c}", f"/dashboard/data/{c}") for c in CHARTS]
    pages += [
        Page("analysis 12 months", "/analysis/?span=12"),
        Page("kpi previous month", f"/kpis/?month={facts['previous_month']}"),
    ]
    # REST API lists.
    api = "/api/v1"
    rison = {
        "case sorted by resolution due": (
            "case",
            "(order_column:resolution_due_at,order_direction:asc)",
        ),
        "case number contains": (
            "case",
            f"(filters:!((col:number,opr:ct,value:'{number_part}')))",
        ),
        "case title contains": (
            "case",
            f"(filters:!((col:title,opr:ct,value:'{title_part}')))",
        ),
        "customer name contains": (
            "customer",
            f"(filters:!((col:name,opr:ct,value:'{name_part}')))",
        ),
        "customer phone contains": (
            "customer",
            f"(filters:!((col:phone,opr:ct,value:'{phone_part}')))",
        ),
    }
    for resource in (
        "case",
        "customer",
        "pickup",
        "inspection",
        "settlement",
        "followup",
    ):
        pages.append(Page(f"api {resource} list", f"{api}/{resource}/", api=True))
    for label, (resource, expr) in rison.items():
        pages.append(Page(f"api {label}", f"{api}/{resource}/?q={q(expr)}", api=True))
    # Only pages the role may open are kept (403/404: not in its menu; 400:
    # a filter the role's API does not offer, e.g. a masked phone).
    return pages


# ---------------------------------------------------------------- databases
def facts_of(url: sa.URL) -> dict[str, Any]:
    """Search terms that exist at every size (a name part, a phone part...)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        one = conn.execute(
            sa.text(
                "SELECT c.id, c.name, c.phone FROM customer c "
                "ORDER BY c.id LIMIT 1 OFFSET 37"
            )
        ).one()
        number = conn.execute(
            sa.text("SELECT number FROM service_case ORDER BY id DESC LIMIT 1")
        ).scalar_one()
        month = conn.execute(
            sa.text(
                "SELECT to_char(date_trunc('month', now()) - interval '1 month', "
                "'YYYY-MM')"
            )
        ).scalar_one()
    engine.dispose()
    return {
        "customer_id": one.id,
        "name_part": one.name[2:4],
        "phone_part": (one.phone or "1380000")[-5:],
        "title_part": "迟到",
        "number_part": number[-5:],
        "user_part": "王",
        "previous_month": month,
    }


JOBS = {
    "all": ("refresh_kpi_facts_window", "refresh_kpi_facts"),
    "recent": ("refresh_kpi_facts",),
}


def refresh_facts(url: sa.URL, jobs: str = "all") -> None:
    """Run the jobs that maintain derived figures, as production's cron does,
    and print what each run costs: the nightly KPI facts of the last 13
    months, then the 15-minute run of the periods still running ("recent":
    the 15-minute run only, for a rerun within a day of the nightly one)."""
    app = volume.app_for(url)
    with app.app_context():
        from app.extensions import db
        from app.jobs import tasks

        for name in JOBS[jobs]:
            began = time.perf_counter()
            result = getattr(tasks, name)()
            _log(
                f"  job {name}: {len(result['periods'])} periods, "
                f"{result['figures']:,} figures in {time.perf_counter() - began:.1f} s"
            )
        db.session.remove()
        db.engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: sa.URL) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": url.render_as_string(hide_password=False),
        "REDIS_URL": "",
        "RATELIMIT_ENABLED": "false",
        "SECRET_KEY": secrets.token_hex(32),
    }
    process = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "180",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            with urllib.request.urlopen(base + "/login/", timeout=5) as r:  # noqa: S310
                if r.status == 200:
                    return process, base
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def run_size(
    url: sa.URL,
    cases: int,
    reuse: bool,
    runs: int,
    only: re.Pattern | None,
    jobs: str = "all",
) -> dict[str, dict[str, Figure]]:
    volume.build(url, cases, replace=not reuse)
    volume.migrate(url)
    refresh_facts(url, jobs)
    facts = facts_of(url)
    process, base = start_gunicorn(url)
    results: dict[str, dict[str, Figure]] = {}
    try:
        for username in ROLES:
            browser = Browser(base, username)
            browser.login(volume.PASSWORD)
            results[username] = {}
            for page in pages_of(browser, facts):
                if only and not only.search(page.name):
                    continue
                figure = measure(browser, page, runs)
                if figure.status in (400, 403, 404, 405):
                    continue
                results[username][page.name] = figure
                _log(
                    f"  {cases:>9,} {username:<8} {page.name:<45} "
                    f"{figure.status} p50 {figure.p50:8.1f} p95 {figure.p95:8.1f} ms "
                    f"{figure.size:>10,} B"
                )
    finally:
        stop(process)
    return results


def limit_of(name: str) -> float:
    """Dashboard, KPI and analysis pages: 300 ms; every other page 150 ms."""
    heavy = name.startswith(HEAVY) or any(w in name for w in ("dashboard", "kpi"))
    return 300.0 if heavy or "analysis" in name else 150.0


def report(all_results: dict[int, dict[str, dict[str, Figure]]]) -> int:
    sizes = sorted(all_results)
    small = sizes[0]
    large = sizes[-1]
    misses: list[str] = []
    print()
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout  # noqa: S607
    print(f"uptime: {uptime.strip()}")
    for username, role in ROLES.items():
        print()
        print(f"== {role} ({username})")
        header = f"{'page':<46}"
        for size in sizes:
            header += f" | {size:>9,}: {'p50':>7} {'p95':>7} {'bytes':>9}"
        if len(sizes) > 1:
            header += f" | {'p95 x':>6} {'bytes x':>7}"
        print(header)
        names = list(all_results[small].get(username, {}))
        for name in all_results[large].get(username, {}):
            if name not in names:
                names.append(name)
        for name in names:
            line = f"{name:<46}"
            figures = [all_results[s].get(username, {}).get(name) for s in sizes]
            for figure in figures:
                if figure is None:
                    line += f" | {'':>9}  {'-':>7} {'-':>7} {'-':>9}"
                elif figure.status != 200:
                    line += f" | {'':>9}  {'HTTP ' + str(figure.status):>25}"
                else:
                    line += (
                        f" | {'':>9}  {figure.p50:7.0f} {figure.p95:7.0f} "
                        f"{figure.size:>9,}"
                    )
            first, last = figures[0], figures[-1]
            if len(sizes) > 1 and first and last and first.times_ms and last.times_ms:
                ratio = last.p95 / first.p95
                weight = last.size / first.size if first.size else float("nan")
                line += f" | {ratio:6.1f} {weight:7.2f}"
                limit = limit_of(name)
                why = []
                if ratio > 2:
                    why.append(f"p95 x{ratio:.1f}")
                if last.p95 > limit:
                    why.append(f"p95 {last.p95:.0f} ms > {limit:.0f}")
                if abs(weight - 1) > 0.10:
                    why.append(f"bytes x{weight:.2f}")
                if why:
                    line += "  MISS"
                    misses.append(f"{role}: {name}: {', '.join(why)}")
            elif len(sizes) > 1:
                line += "  MISS"
                misses.append(f"{role}: {name}: not answered at every size")
            print(line)
    if len(sizes) > 1:
        print()
        print(f"pages missing the targets at {large:,} vs {small:,}: {len(misses)}")
        for miss in misses:
            print(f"  {miss}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--base",
        default=os.environ.get(
            "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL URL on the server to use (its database is not touched)",
    )
    parser.add_argument("--prefix", default="bench_pages")
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--runs", type=int, default=12)
    parser.add_argument("--reuse", action="store_true", help="keep complete builds")
    parser.add_argument("--drop", action="store_true", help="drop the databases after")
    parser.add_argument("--only", help="regular expression on page names")
    parser.add_argument(
        "--jobs",
        choices=sorted(JOBS),
        default="all",
        help="facts jobs run first: all (nightly + 15-minute), recent (15-minute)",
    )
    args = parser.parse_args()
    base = sa.engine.make_url(args.base)
    only = re.compile(args.only) if args.only else None
    results: dict[int, dict[str, dict[str, Figure]]] = {}
    urls = []
    for size in (int(s) for s in args.sizes.split(",")):
        label = f"{size // 1_000_000}m" if size >= 1_000_000 else f"{size // 1000}k"
        url = base.set(database=f"{args.prefix}_{label}")
        urls.append(url)
        _log(f"== {size:,} cases: {url.database}")
        results[size] = run_size(url, size, args.reuse, args.runs, only, args.jobs)
    try:
        return report(results)
    finally:
        if args.drop:
            for url in urls:
                volume.drop_database(url)


if __name__ == "__main__":
    raise SystemExit(main())
