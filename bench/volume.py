"""Production-volume databases for the benchmarks, built with set-based SQL.

`build(url, cases)` makes a PostgreSQL database at `url` the way production
starts (migrations, roles, reference data, the demo users) and fills it with
two years of history ending now, in the proportions of the back office:

- `cases` service cases: kinds, severities, categories routed to their
  departments, channels, every workflow state (old cases mostly closed, recent
  ones open in every state), clocks consistent with the SLA table (met,
  missed, running, at risk, breached, paused), satisfaction and reopens; one
  log entry each;
- customers (one per ten cases) with contacts, regions, phones, credit codes;
- staff (one per 5 000 cases, at least 20) spread over the departments; the
  demo users (`cs`, `ops`, `manager`, ...) are among the owners and creators;
- pickups (one per five cases) in every state with their lines, weigh
  tickets and lines, warehouse re-weighs, inspections, settlements and
  settlement lines along the flow;
- follow-up visits of closed complaints and settled pickups, alerts of the
  breached open cases, improvement actions.

Numbers follow the application's formats and the number counters are moved
past them, so the application keeps numbering after the load. Nothing here
is a copy of a business rule: the rows are what the rules would have written.

Used by `bench/bench_pages.py`; reusable as
`python bench/volume.py postgresql://postgres@127.0.0.1:5432/bench_x 1000000`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import secrets
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PASSWORD = "bench-2026"  # noqa: S105 - demo users of a throw-away database
SEED = 0.2026

# Share of staff per department (CustomerService receives every case).
STAFF_SHARE = {
    "cs": 30,
    "sales": 20,
    "ops": 25,
    "warehouse": 8,
    "qc": 7,
    "finance": 7,
    "mgmt": 3,
}
ROLE_OF_DEPARTMENT = {
    "cs": "CustomerService",
    "sales": "Sales",
    "ops": "Operations",
    "warehouse": "Warehouse",
    "qc": "QualityControl",
    "finance": "Finance",
    "mgmt": "Management",
}
# Case categories by kind, repeated by weight.
CATEGORIES_OF_KIND = {
    "inquiry": ["price"] * 4 + ["other"] * 4 + ["settlement"] * 2,
    "business": ["price"] * 6 + ["settlement"] * 4,
    "complaint": ["quality"] * 5
    + ["attitude"] * 3
    + ["delivery"] * 4
    + ["price"] * 3
    + ["settlement"] * 2
    + ["inspection_dispute"]
    + ["weighing"]
    + ["other"],
    "aftersales": ["aftersales"],
    "suggestion": ["other"] * 2 + ["attitude"],
    "incident": ["delivery"] * 2 + ["other"],
}
CHANNEL_WEIGHTS = (
    ["hotline"] * 5
    + ["wechat"] * 3
    + ["online"] * 2
    + [
        "email",
        "visit",
        "letter",
    ]
)
TOPICS = {
    "inquiry": ["回收价格咨询", "上门回收范围", "结算周期咨询", "废纸收购标准"],
    "business": ["订单申报", "资质审核", "合同续签", "开票信息变更"],
    "complaint": [
        "质检扣杂比例过高",
        "上门回收迟到",
        "过磅重量差异",
        "货款结算延迟",
        "服务态度差",
        "价格与报价不符",
    ],
    "aftersales": ["打包设备维修", "压块机故障", "称重设备校准"],
    "suggestion": ["增加周末上门时段", "开通线上对账"],
    "incident": ["运输车辆事故", "仓库火情隐患"],
}
CITIES = ["杭州", "宁波", "绍兴", "嘉兴", "湖州", "金华", "温州", "台州"]
DISTRICTS = ["西湖区", "余杭区", "萧山区", "鄞州区", "柯桥区", "南湖区", "吴兴区"]
STREETS = ["文一西路", "莫干山路", "建设三路", "天童南路", "柯北大道", "中环南路"]
SYLLABLES = (
    "华新金达宏远绿源永盛恒通瑞丰鑫海国泰中天东方立信嘉禾润达天成"
    "联创汇丰广源兴业德胜长城明珠百川万通富民安泰协力振华众诚凯达"
)
TRADES = [
    "纸业有限公司",
    "包装材料有限公司",
    "金属制品有限公司",
    "塑业有限公司",
    "电器有限公司",
    "物资回收有限公司",
    "再生资源有限公司",
    "机械制造有限公司",
    "商贸有限公司",
    "超市连锁有限公司",
]
FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"

# Calendar hours a target takes, as the SLA table gives them in working time
# (one working day ~ 1.4 calendar days, one working hour ~ 2 calendar hours).
TARGETS = """
(VALUES ('inquiry', 'normal', 2.0, 2.0), ('inquiry', 'complex', 2.0, 24.0),
        ('business', 'routine', 2.0, 100.0), ('business', 'special', 2.0, 235.0),
        ('complaint', 'general', 24.0, 235.0), ('complaint', 'major', 12.0, 500.0),
        ('aftersales', 'urgent', 2.0, 24.0), ('aftersales', 'normal', 24.0, 72.0),
        ('suggestion', 'normal', 24.0, 235.0), ('incident', 'urgent', 2.0, 24.0))
    AS t(kind, severity, response_hours, resolution_hours)
"""


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _admin(base: sa.URL, *statements: str) -> None:
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    engine.dispose()


def create_database(url: sa.URL, replace: bool = True) -> bool:
    """Create the database of `url`; False when it exists and is kept."""
    admin = url.set(database="postgres")
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
            {"name": url.database},
        ).first()
    engine.dispose()
    if exists and not replace:
        return False
    _admin(
        admin,
        f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)',
        f'CREATE DATABASE "{url.database}"',
    )
    return True


def drop_database(url: sa.URL) -> None:
    _admin(
        url.set(database="postgres"),
        f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)',
    )


def base_url() -> sa.URL:
    """The server database named first on the command line, else TEST_DATABASE_URL."""
    named = sys.argv[1] if len(sys.argv) > 1 else ""
    return sa.engine.make_url(
        named
        or os.environ.get(
            "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
        )
    )


@contextlib.contextmanager
def scratch_database(prefix: str) -> Iterator[sa.URL]:
    """A new, empty database `<prefix>_<pid>` next to `base_url()`, dropped
    when the block ends."""
    url = base_url().set(database=f"{prefix}_{os.getpid()}")
    create_database(url)
    try:
        yield url
    finally:
        drop_database(url)


def app_for(url: sa.URL) -> Any:
    """The application bound to `url` (development config, quiet logs)."""
    from app import create_app
    from config import get_config

    config = get_config("development")
    config.SECRET_KEY = secrets.token_hex(32)  # signs nothing that outlives the run
    config.SQLALCHEMY_DATABASE_URI = url.render_as_string(hide_password=False)
    config.REDIS_URL = ""
    app = create_app(config)
    logging.getLogger().setLevel(logging.WARNING)
    return app


def prepare(url: sa.URL) -> None:
    """Schema, roles, reference data and demo users: the production start."""
    from flask_migrate import upgrade

    from app.extensions import db
    from app.security.access import acting_as, system_user
    from app.seed.demo import seed_users
    from app.seed.reference import seed_reference
    from app.services.core.setup import sync_roles

    app = app_for(url)
    with app.app_context():
        upgrade()
        sync_roles()
        with acting_as(system_user()):
            seed_reference()
            seed_users(PASSWORD)
        db.session.remove()
        db.engine.dispose()


def _credit_codes(count: int) -> list[str]:
    from app.services.core.validation import CREDIT_CODE_CHARS, credit_code_check_char

    rng = random.Random(2026)
    codes = set()
    while len(codes) < count:
        body = "91330" + "".join(rng.choice(CREDIT_CODE_CHARS[:10]) for _ in range(12))
        codes.add(body + credit_code_check_char(body))
    return sorted(codes)


def _ids(conn: sa.Connection, table: str) -> dict[str, int]:
    rows = conn.execute(sa.text(f"SELECT code, id FROM {table}"))
    return {code: id_ for code, id_ in rows}


def _staff(conn: sa.Connection, count: int) -> None:
    """Staff users spread over the departments, with their roles."""
    departments = _ids(conn, "department")
    roles = {
        name: id_ for name, id_ in conn.execute(sa.text("SELECT name, id FROM ab_role"))
    }
    total = sum(STAFF_SHARE.values())
    number = 0
    for code, share in STAFF_SHARE.items():
        for _ in range(max(1, count * share // total)):
            number += 1
            family = FAMILY[number % len(FAMILY)]
            given = GIVEN[(number * 7) % len(GIVEN)]
            user_id = conn.execute(
                sa.text(
                    "INSERT INTO ab_user (first_name, last_name, username, email, "
                    "active, created_on, changed_on, department_id, "
                    "is_department_head, phone) VALUES (:given, :family, :username, "
                    ":email, true, now(), now(), :department, false, :phone) "
                    "RETURNING id"
                ),
                {
                    "given": given,
                    "family": family,
                    "username": f"staff{number:04d}",
                    "email": f"staff{number:04d}@bench.example.com",
                    "department": departments[code],
                    "phone": f"0571-8{number:07d}",
                },
            ).scalar_one()
            conn.execute(
                sa.text("INSERT INTO ab_user_role (user_id, role_id) VALUES (:u, :r)"),
                {"u": user_id, "r": roles[ROLE_OF_DEPARTMENT[code]]},
            )
    # Who may own what: every active user of a department, numbered per department.
    conn.execute(
        sa.text(
            "CREATE TEMP TABLE staff AS SELECT department_id, id AS user_id, "
            "row_number() OVER (PARTITION BY department_id ORDER BY id) - 1 AS idx "
            "FROM ab_user WHERE department_id IS NOT NULL AND active"
        )
    )
    conn.execute(
        sa.text(
            "CREATE TEMP TABLE staff_count AS SELECT department_id, count(*) AS n "
            "FROM staff GROUP BY department_id"
        )
    )
    conn.execute(sa.text("CREATE INDEX ON staff (department_id, idx)"))
    conn.execute(sa.text("ANALYZE staff"))


def _hash(column: str) -> str:
    """SQL: a draw in [0, 1) derived from an integer column (per-row, repeatable)."""
    return f"(({column}::bigint * 2654435761) % 1000003) / 1000003.0"


def _choice(draw: str, by_kind: dict[str, list[int]], kind: str) -> str:
    """SQL: an element of the list of the row's `kind`, chosen by `draw`."""
    whens = " ".join(
        f"WHEN '{name}' THEN (ARRAY{values})[1 + floor({draw} * {len(values)})::int]"
        for name, values in by_kind.items()
    )
    return f"CASE {kind} {whens} END"


def _pick_staff(department: str, draw: str) -> str:
    """SQL: a staff member of `department` (an expression) chosen by `draw`."""
    return (
        f"(SELECT st.user_id FROM staff st JOIN staff_count sc USING (department_id) "
        f"WHERE st.department_id = {department} "
        f"AND st.idx = floor({draw} * sc.n)::int)"
    )


CUSTOMERS = """
INSERT INTO customer (code, name, customer_type_id, credit_code, contact_person,
    phone, email, address, region, qualification, sales_rep_id, department_id,
    status, version, created_at, changed_at, created_by_id, changed_by_id)
SELECT 'KH-' || extract(year FROM at AT TIME ZONE 'Asia/Shanghai')::int || '-'
           || lpad(row_number() OVER (PARTITION BY extract(year FROM at
               AT TIME ZONE 'Asia/Shanghai') ORDER BY at, g)::text, 6, '0'),
       CASE WHEN type = 'walkin'
            THEN substr(:family, 1 + g % 30, 1) || substr(:given, 1 + g % 27, 1)
                 || substr(:given, 1 + (g / 27) % 27, 1) || '（个人）'
            ELSE (:cities)[1 + g % 8]
                 || substr(:syllables, 1 + 2 * ((g / 8) % 32), 2)
                 || substr(:syllables, 1 + 2 * ((g / 256) % 32), 2)
                 || (:trades)[1 + (g / 7) % 10] END,
       (SELECT id FROM customer_type WHERE code = type),
       CASE WHEN type <> 'walkin' THEN (:credit)[g] END,
       substr(:family, 1 + (g * 3) % 30, 1) || substr(:given, 1 + (g * 5) % 27, 1),
       '1' || substr('3578', 1 + g % 4, 1)
           || lpad(((g::bigint * 2654435761) % 1000000000)::text, 9, '0'),
       CASE WHEN type <> 'walkin' THEN 'contact' || g || '@example.cn' END,
       '浙江省' || (:cities)[1 + g % 8] || '市' || (:districts)[1 + g % 7]
           || (:streets)[1 + g % 6] || (1 + g % 999) || '号',
       (:cities)[1 + g % 8] || '市' || (:districts)[1 + g % 7],
       CASE WHEN type = 'supplier' THEN '再生资源回收经营者备案' END,
       rep, :sales, CASE WHEN g % 50 = 0 THEN 'suspended' ELSE 'active' END, 1,
       at, at, creator, creator
FROM (
    SELECT g, :start + random() * :span * interval '1 second' AS at,
           CASE WHEN r < 0.45 THEN 'supplier' WHEN r < 0.70 THEN 'buyer'
                WHEN r < 0.85 THEN 'partner' ELSE 'walkin' END AS type,
           {rep} AS rep, {creator} AS creator
    FROM (SELECT g, random() AS r, random() AS r_rep, random() AS r_creator
          FROM generate_series(1, :count) AS g) AS draws
) AS c
"""

CONTACTS = """
INSERT INTO customer_contact (customer_id, name, title, phone, is_primary,
    created_at, changed_at, created_by_id, changed_by_id)
SELECT id, contact_person, '仓库主管',
       '1' || substr('3578', 1 + id % 4, 1)
           || lpad(((id::bigint * 2246822519) % 1000000000)::text, 9, '0'),
       true, created_at, created_at, created_by_id, created_by_id
FROM customer WHERE email IS NOT NULL
"""

CASES = """
CREATE TEMP TABLE case_draw AS
SELECT g, k.kind,
       CASE k.kind WHEN 'inquiry' THEN CASE WHEN r_sev < 0.8 THEN 'normal'
                                           ELSE 'complex' END
            WHEN 'business' THEN CASE WHEN r_sev < 0.8 THEN 'routine'
                                      ELSE 'special' END
            WHEN 'complaint' THEN CASE WHEN r_sev < 0.9 THEN 'general'
                                       ELSE 'major' END
            WHEN 'aftersales' THEN CASE WHEN r_sev < 0.7 THEN 'normal'
                                        ELSE 'urgent' END
            WHEN 'suggestion' THEN 'normal' ELSE 'urgent' END AS severity,
       {category} AS category_id,
       (:channels)[1 + floor(r_chan * array_length(:channels, 1))::int] AS channel_id,
       (SELECT min(id) FROM customer) + floor(r_cust * :customers)::int AS customer_id,
       :start + r_time * :span * interval '1 second' AS received_at,
       r_state, r_resp, r_res, r_sat, r_reopen, r_owner, r_creator, r_topic
FROM (
    SELECT g,
           CASE WHEN r_kind < 0.40 THEN 'inquiry' WHEN r_kind < 0.60 THEN 'business'
                WHEN r_kind < 0.85 THEN 'complaint' WHEN r_kind < 0.93
                THEN 'aftersales' WHEN r_kind < 0.98 THEN 'suggestion'
                ELSE 'incident' END AS kind,
           r_sev, r_cat, r_chan, r_cust, r_time, r_state, r_resp, r_res, r_sat,
           r_reopen, r_owner, r_creator, r_topic
    FROM (SELECT g, random() AS r_kind, random() AS r_sev, random() AS r_cat,
                 random() AS r_chan, random() AS r_cust, random() AS r_time,
                 random() AS r_state, random() AS r_resp, random() AS r_res,
                 random() AS r_sat, random() AS r_reopen, random() AS r_owner,
                 random() AS r_creator, random() AS r_topic
          FROM generate_series(1, :count) AS g) AS draws
) AS k;

CREATE TEMP TABLE case_row AS
SELECT d.*, cat.default_department_id AS department_id, cat.default_stage AS stage,
       t.response_hours, t.resolution_hours,
       d.received_at + t.response_hours * interval '1 hour' AS response_due_at,
       d.received_at + t.resolution_hours * interval '1 hour' AS resolution_due_at,
       CASE
         WHEN now() - d.received_at > interval '30 days' THEN
           CASE WHEN r_state < 0.90 THEN 'closed' WHEN r_state < 0.94 THEN 'cancelled'
                WHEN r_state < 0.96 THEN 'in_progress' WHEN r_state < 0.97
                THEN 'pending_customer' WHEN r_state < 0.98 THEN 'review'
                WHEN r_state < 0.99 THEN 'assigned' ELSE 'feedback' END
         WHEN r_state < 0.2 + 0.7 * extract(epoch FROM now() - d.received_at)
                                   / (30 * 86400) THEN 'closed'
         WHEN r_state > 0.97 THEN 'cancelled'
         ELSE (ARRAY['new', 'acknowledged', 'assigned', 'assigned', 'in_progress',
                     'in_progress', 'in_progress', 'pending_customer', 'review',
                     'feedback'])[1 + floor(r_resp * 10)::int]
       END AS status
FROM case_draw d
JOIN case_category cat ON cat.id = d.category_id
JOIN {targets} ON t.kind = d.kind AND t.severity = d.severity;

INSERT INTO service_case (number, customer_id, kind, severity, category_id,
    channel_id, stage, urgent, title, description, status, department_id,
    first_ask_owner_id, owner_id, received_at, sla_policy_id, response_due_at,
    response_risk_at, responded_at, response_state, resolution_started_at,
    resolution_due_at, resolution_risk_at, resolved_at, resolution_state,
    paused_since, resolution_cycle, escalation_level, assigned_at, closed_at,
    cancelled_at, cancel_reason, result, satisfaction, reopen_count, version,
    created_at, changed_at, created_by_id, changed_by_id)
SELECT 'CS-' || extract(year FROM received_at AT TIME ZONE 'Asia/Shanghai')::int
           || '-' || lpad(row_number() OVER (PARTITION BY extract(year FROM
               received_at AT TIME ZONE 'Asia/Shanghai') ORDER BY received_at, g)
               ::text, 6, '0'),
       customer_id, kind, severity, category_id, channel_id, stage,
       kind = 'incident' OR severity = 'urgent' OR r_topic > 0.97,
       (:topics)[1 + floor(r_topic * array_length(:topics, 1))::int] || ' - '
           || (SELECT name FROM customer WHERE id = customer_id),
       '客户来电反映：' || (:topics)[1 + floor(r_topic * array_length(:topics, 1))::int]
           || '，请核实处理。',
       status, department_id, creator, owner, received_at, policy,
       response_due_at, received_at + 0.8 * response_hours * interval '1 hour',
       responded_at,
       CASE WHEN responded_at IS NOT NULL THEN
              CASE WHEN responded_at <= response_due_at THEN 'met' ELSE 'missed' END
            WHEN status = 'cancelled' THEN 'none'
            WHEN now() > response_due_at THEN 'breached'
            WHEN now() > received_at + 0.8 * response_hours * interval '1 hour'
            THEN 'at_risk' ELSE 'running' END,
       received_at, resolution_due_at,
       received_at + 0.8 * resolution_hours * interval '1 hour', resolved_at,
       CASE WHEN resolved_at IS NOT NULL THEN
              CASE WHEN resolved_at <= resolution_due_at THEN 'met' ELSE 'missed' END
            WHEN status = 'cancelled' THEN 'none'
            WHEN status = 'pending_customer' THEN 'paused'
            WHEN now() > resolution_due_at THEN 'breached'
            WHEN now() > received_at + 0.8 * resolution_hours * interval '1 hour'
            THEN 'at_risk' ELSE 'running' END,
       CASE WHEN status = 'pending_customer' THEN least(now(), received_at
            + 0.5 * resolution_hours * interval '1 hour') END,
       CASE WHEN r_reopen < 0.04 AND status = 'closed' THEN 1 ELSE 0 END,
       CASE WHEN status NOT IN ('closed', 'cancelled') AND now() > resolution_due_at
            THEN 1 ELSE 0 END,
       CASE WHEN status NOT IN ('new', 'acknowledged') THEN responded_at END,
       CASE WHEN status = 'closed' THEN resolved_at + interval '2 hours' END,
       CASE WHEN status = 'cancelled' THEN received_at + interval '3 hours' END,
       CASE WHEN status = 'cancelled' THEN '客户撤回' END,
       CASE WHEN status = 'closed' THEN '已按方案处理，客户确认。' END,
       CASE WHEN status = 'closed' THEN
            CASE WHEN r_sat < 0.45 THEN 5 WHEN r_sat < 0.75 THEN 4
                 WHEN r_sat < 0.88 THEN 3 WHEN r_sat < 0.95 THEN 2 ELSE 1 END END,
       CASE WHEN r_reopen < 0.04 AND status = 'closed' THEN 1 ELSE 0 END, 1,
       received_at, coalesce(resolved_at, responded_at, received_at),
       creator, creator
FROM (
    SELECT r.*,
           (SELECT id FROM sla_policy p WHERE p.kind = r.kind
               AND p.severity = r.severity AND p.customer_type_id IS NULL
               ORDER BY id LIMIT 1) AS policy,
           CASE WHEN r_creator < 0.8 THEN {cs_creator}
                ELSE {dept_creator} END AS creator,
           CASE WHEN status NOT IN ('new', 'acknowledged', 'cancelled')
                THEN {owner} END AS owner,
           CASE WHEN status NOT IN ('new', 'cancelled') THEN least(now(),
               received_at + response_hours * (0.1 + 1.1 * r_resp)
                   * interval '1 hour') END AS responded_at,
           CASE WHEN status = 'closed' THEN least(now() - interval '2 hours',
               received_at + greatest(resolution_hours * (0.2 + 0.9 * r_res),
                   response_hours * (0.1 + 1.1 * r_resp)) * interval '1 hour')
               END AS resolved_at
    FROM case_row r
) AS c;
"""

CASE_LOGS = """
INSERT INTO case_log (case_id, at, user_id, kind, channel_id, action, from_status,
    to_status, content)
SELECT id, received_at, created_by_id, 'transition', channel_id, 'register', NULL,
       'new', '登记工单'
FROM service_case
"""

PICKUPS = """
CREATE TEMP TABLE pickup_row AS
SELECT g, (SELECT min(id) FROM customer) + floor(r_cust * :customers)::int
           AS customer_id,
       :start + r_time * :span * interval '1 second' AS received_at,
       CASE WHEN now() - (:start + r_time * :span * interval '1 second')
                 > interval '14 days' THEN
              CASE WHEN r_state < 0.85 THEN 'closed' WHEN r_state < 0.92
                   THEN 'cancelled' WHEN r_state < 0.95 THEN 'settled'
                   WHEN r_state < 0.97 THEN 'inspected' ELSE 'weighed' END
            ELSE (ARRAY['requested', 'scheduled', 'assessed', 'collected',
                        'weighed', 'inspected', 'settled', 'closed', 'closed',
                        'cancelled'])[1 + floor(r_state * 10)::int] END AS status,
       r_conf, r_arrive, r_creator
FROM (SELECT g, random() AS r_cust, random() AS r_time, random() AS r_state,
             random() AS r_conf, random() AS r_arrive, random() AS r_creator
      FROM generate_series(1, :count) AS g) AS draws;

INSERT INTO pickup (number, customer_id, channel_id, contact_name, contact_phone,
    address, region, requested_start, requested_end, status, department_id,
    received_at, sla_policy_id, confirm_due_at, confirm_risk_at, confirmed_at,
    confirm_state, window_start, window_end, arrived_at, arrival_state,
    escalation_level, crew, vehicle, assessed_at, quoted_amount, collected_at,
    weighed_at, inspected_at, settled_at, closed_at, cancelled_at, cancel_reason,
    version, created_at, changed_at, created_by_id, changed_by_id)
SELECT 'PK-' || extract(year FROM p.received_at AT TIME ZONE 'Asia/Shanghai')::int
           || '-' || lpad(row_number() OVER (PARTITION BY extract(year FROM
               p.received_at AT TIME ZONE 'Asia/Shanghai') ORDER BY p.received_at,
               p.g)::text, 6, '0'),
       p.customer_id, :hotline, c.contact_person, c.phone, c.address, c.region,
       p.received_at + interval '1 day', p.received_at + interval '1 day 4 hours',
       p.status, :ops, p.received_at, :policy,
       p.received_at + interval '4 hours', p.received_at + interval '3 hours',
       CASE WHEN p.status <> 'requested' AND p.status <> 'cancelled' THEN
            p.received_at + (0.5 + 5 * p.r_conf) * interval '1 hour' END,
       CASE WHEN p.status = 'cancelled' THEN 'none'
            WHEN p.status = 'requested' THEN
              CASE WHEN now() > p.received_at + interval '4 hours' THEN 'breached'
                   WHEN now() > p.received_at + interval '3 hours' THEN 'at_risk'
                   ELSE 'running' END
            WHEN (0.5 + 5 * p.r_conf) <= 4 THEN 'met' ELSE 'missed' END,
       CASE WHEN p.status NOT IN ('requested', 'cancelled')
            THEN p.received_at + interval '1 day' END,
       CASE WHEN p.status NOT IN ('requested', 'cancelled')
            THEN p.received_at + interval '1 day 3 hours' END,
       CASE WHEN p.status NOT IN ('requested', 'scheduled', 'cancelled')
            THEN p.received_at + interval '1 day' + p.r_arrive * interval '4 hours'
            END,
       CASE WHEN p.status IN ('requested', 'scheduled', 'cancelled') THEN 'none'
            WHEN p.r_arrive <= 0.75 THEN 'met' ELSE 'missed' END,
       0, '第' || (1 + p.g % 12) || '组', '浙A' || lpad((p.g % 99999)::text, 5, '0'),
       CASE WHEN p.status NOT IN ('requested', 'scheduled', 'cancelled')
            THEN p.received_at + interval '1 day 1 hour' END,
       CASE WHEN p.status NOT IN ('requested', 'scheduled', 'cancelled')
            THEN round((200 + p.r_conf * 3000)::numeric, 2) END,
       CASE WHEN p.status NOT IN ('requested', 'scheduled', 'assessed', 'cancelled')
            THEN p.received_at + interval '1 day 2 hours' END,
       CASE WHEN p.status IN ('weighed', 'inspected', 'settled', 'closed')
            THEN p.received_at + interval '1 day 5 hours' END,
       CASE WHEN p.status IN ('inspected', 'settled', 'closed')
            THEN p.received_at + interval '2 days' END,
       CASE WHEN p.status IN ('settled', 'closed')
            THEN p.received_at + interval '4 days' END,
       CASE WHEN p.status = 'closed' THEN p.received_at + interval '5 days' END,
       CASE WHEN p.status = 'cancelled' THEN p.received_at + interval '2 hours' END,
       CASE WHEN p.status = 'cancelled' THEN '客户取消预约' END,
       1, p.received_at, p.received_at, p.creator, p.creator
FROM (SELECT pr.*, CASE WHEN r_creator < 0.5 THEN {cs_creator}
                        ELSE {ops_creator} END AS creator
      FROM pickup_row pr) AS p
JOIN customer c ON c.id = p.customer_id;

INSERT INTO pickup_line (pickup_id, material_id, grade_id, estimated_kg,
    assessed_kg, collected_kg, label, created_at, changed_at, created_by_id,
    changed_by_id)
SELECT p.id, m.material_id, m.grade_id, round((500 + p.draw * 5000)::numeric, 3),
       CASE WHEN p.assessed_at IS NOT NULL
            THEN round((480 + p.draw * 5000)::numeric, 3) END,
       CASE WHEN p.collected_at IS NOT NULL
            THEN round((490 + p.draw * 5000)::numeric, 3) END,
       p.number || '-1', p.received_at, p.received_at, p.created_by_id,
       p.created_by_id
FROM (SELECT pickup.*, {draw} AS draw FROM pickup) AS p
JOIN (SELECT row_number() OVER (ORDER BY g.id) - 1 AS idx, g.material_id,
             g.id AS grade_id FROM material_grade g) AS m
  ON m.idx = p.id % (SELECT count(*) FROM material_grade);
"""

WEIGHING = """
INSERT INTO weigh_ticket (number, pickup_id, customer_id, vehicle, department_id,
    created_at, changed_at, created_by_id, changed_by_id)
SELECT 'BD-' || extract(year FROM weighed_at AT TIME ZONE 'Asia/Shanghai')::int
           || '-' || lpad(row_number() OVER (PARTITION BY extract(year FROM
               weighed_at AT TIME ZONE 'Asia/Shanghai') ORDER BY weighed_at, id)
               ::text, 6, '0'),
       id, customer_id, vehicle, :warehouse, weighed_at, weighed_at, weigher,
       weigher
FROM (SELECT p.*, {weigher} AS weigher FROM pickup p
      WHERE weighed_at IS NOT NULL) AS p;

INSERT INTO weigh_line (ticket_id, pickup_line_id, material_id, grade_id, gross_kg,
    gross_at, gross_by_id, tare_kg, tare_at, tare_by_id, net_kg, version)
SELECT t.id, l.id, l.material_id, l.grade_id, l.collected_kg + 8000,
       t.created_at, t.created_by_id, 8000, t.created_at + interval '20 minutes',
       t.created_by_id, l.collected_kg, 1
FROM weigh_ticket t JOIN pickup_line l ON l.pickup_id = t.pickup_id;

INSERT INTO reweigh (weigh_line_id, net_kg, weighed_at, operator_id, note)
SELECT id, net_kg + CASE WHEN id % 7 = 0 THEN net_kg * 0.02 ELSE 0 END,
       tare_at + interval '1 hour', tare_by_id, '入库复磅'
FROM weigh_line WHERE id % 20 = 0;

INSERT INTO inspection (number, pickup_id, weigh_line_id, customer_id, material_id,
    grade_id, net_kg, moisture_pct, impurity_pct, deduction_kg, accepted_net_kg,
    result, inspector_id, inspected_at, report, department_id, version, created_at,
    changed_at, created_by_id, changed_by_id)
SELECT 'QC-' || extract(year FROM p.inspected_at AT TIME ZONE 'Asia/Shanghai')::int
           || '-' || lpad(row_number() OVER (PARTITION BY extract(year FROM
               p.inspected_at AT TIME ZONE 'Asia/Shanghai') ORDER BY
               p.inspected_at, w.id)::text, 6, '0'),
       p.id, w.id, p.customer_id, w.material_id, w.grade_id, w.net_kg, 2, 1, 0,
       round(w.net_kg * 0.97, 3),
       CASE WHEN w.id % 15 = 0 THEN 'downgrade' ELSE 'pass' END,
       i.inspector, p.inspected_at, '含水率、含杂率在标准范围内', :qc, 1,
       p.inspected_at, p.inspected_at, i.inspector, i.inspector
FROM weigh_line w
JOIN weigh_ticket t ON t.id = w.ticket_id
JOIN pickup p ON p.id = t.pickup_id
CROSS JOIN LATERAL (SELECT {inspector} AS inspector) AS i
WHERE p.inspected_at IS NOT NULL;

INSERT INTO settlement (number, direction, customer_id, pickup_id, status, total,
    payment_method, voucher_no, confirmed_at, confirmed_by_id, paid_at, paid_by_id,
    department_id, version, created_at, changed_at, created_by_id, changed_by_id)
SELECT 'JS-' || extract(year FROM p.settled_at AT TIME ZONE 'Asia/Shanghai')::int
           || '-' || lpad(row_number() OVER (PARTITION BY extract(year FROM
               p.settled_at AT TIME ZONE 'Asia/Shanghai') ORDER BY p.settled_at,
               p.id)::text, 6, '0'),
       'pay', p.customer_id, p.id,
       CASE WHEN p.status = 'closed' THEN 'paid' ELSE 'confirmed' END,
       round(i.accepted_net_kg * 1.2, 2), 'bank_transfer',
       CASE WHEN p.status = 'closed' THEN 'PZ-' || extract(year FROM p.closed_at
           AT TIME ZONE 'Asia/Shanghai')::int || '-' || lpad(p.id::text, 6, '0')
           END,
       p.settled_at, f.finance,
       CASE WHEN p.status = 'closed' THEN p.closed_at END,
       CASE WHEN p.status = 'closed' THEN f.finance END,
       :finance, 1, p.settled_at, p.settled_at, f.finance, f.finance
FROM pickup p
JOIN inspection i ON i.pickup_id = p.id
CROSS JOIN LATERAL (SELECT {finance_user} AS finance) AS f
WHERE p.settled_at IS NOT NULL;

INSERT INTO settlement_line (settlement_id, material_id, grade_id, inspection_id,
    net_kg, unit_price, amount)
SELECT s.id, i.material_id, i.grade_id, i.id, i.accepted_net_kg, 1.2, s.total
FROM settlement s JOIN inspection i ON i.pickup_id = s.pickup_id;
"""

FOLLOWUPS = """
INSERT INTO followup (number, source, source_key, rule_id, case_id, pickup_id,
    settlement_id, customer_id, department_id, assignee_id, channel_id, due_at,
    risk_at, due_state, status, done_at, outcome, satisfaction, escalation_level,
    version, created_at, changed_at, created_by_id, changed_by_id)
SELECT 'HF-' || extract(year FROM due_at AT TIME ZONE 'Asia/Shanghai')::int || '-'
           || lpad(row_number() OVER (PARTITION BY extract(year FROM due_at
               AT TIME ZONE 'Asia/Shanghai') ORDER BY due_at, source_key)::text, 6,
               '0'),
       source, source_key, rule_id, case_id, pickup_id, settlement_id, customer_id,
       :cs, assignee, :hotline, due_at, due_at - interval '1 day',
       CASE WHEN status = 'done' THEN 'met' WHEN status = 'overdue' THEN 'breached'
            WHEN status = 'unreachable' THEN 'none' ELSE 'running' END,
       status, CASE WHEN status = 'done' THEN due_at - interval '1 day' END,
       CASE WHEN status = 'done' THEN '客户对处理结果表示认可' END,
       CASE WHEN status = 'done' THEN 3 + (id_key % 3) END, 0, 1, created, created,
       assignee, assignee
FROM (
    SELECT 'case' AS source, 'case:' || c.id || ':rule:' || :rule_case AS source_key,
           :rule_case AS rule_id, c.id AS case_id, NULL::int AS pickup_id,
           NULL::int AS settlement_id, c.customer_id,
           c.closed_at + interval '4 days' AS due_at, c.closed_at AS created,
           c.id AS id_key, {assignee_c} AS assignee,
           CASE WHEN c.closed_at + interval '4 days' > now() THEN 'planned'
                WHEN c.id % 20 = 0 THEN 'unreachable' WHEN c.id % 97 = 0
                THEN 'overdue' ELSE 'done' END AS status
    FROM service_case c WHERE c.kind = 'complaint' AND c.status = 'closed'
    UNION ALL
    SELECT 'pickup', 'pickup:' || p.id || ':rule:' || :rule_pickup, :rule_pickup,
           NULL, p.id, s.id, p.customer_id, p.settled_at + interval '7 days',
           p.settled_at, p.id, {assignee_p},
           CASE WHEN p.settled_at + interval '7 days' > now() THEN 'planned'
                WHEN p.id % 20 = 0 THEN 'unreachable' WHEN p.id % 97 = 0
                THEN 'overdue' ELSE 'done' END
    FROM pickup p JOIN settlement s ON s.pickup_id = p.id
) AS f
"""

ALERTS = """
INSERT INTO notification (record_type, record_id, clock, level, cycle,
    department_id, title, body, link, created_at)
SELECT 'case', id, 'resolution', 'breached', 0, department_id,
       '【超时】工单 ' || number || ' 处理时限已超时', title, '/cases/show/' || id,
       resolution_due_at
FROM service_case
WHERE resolution_state = 'breached';

INSERT INTO notification_recipient (notification_id, user_id, read_at)
SELECT n.id, coalesce(c.owner_id, c.first_ask_owner_id),
       CASE WHEN n.id % 3 = 0 THEN n.created_at + interval '1 hour' END
FROM notification n JOIN service_case c ON c.id = n.record_id
WHERE n.record_type = 'case';
"""

ACTIONS = """
INSERT INTO improvement_action (number, problem, measure, category_id,
    department_id, owner_id, due_at, risk_at, due_state, status, escalation_level,
    version, created_at, changed_at, created_by_id, changed_by_id)
SELECT 'GJ-' || extract(year FROM at AT TIME ZONE 'Asia/Shanghai')::int || '-'
           || lpad(g::text, 6, '0'),
       '同类投诉反复出现（第' || g || '批）', '完善作业标准并培训到人',
       cat.id, cat.default_department_id, :manager, at + interval '30 days',
       at + interval '24 days',
       CASE WHEN at + interval '30 days' < now() THEN 'met' ELSE 'running' END,
       CASE WHEN at + interval '30 days' < now() THEN 'verified' ELSE 'open' END,
       0, 1, at, at, :manager, :manager
FROM (SELECT g, :start + (g::float / :count) * :span * interval '1 second' AS at,
             1 + g % 9 AS category
      FROM generate_series(1, :count) AS g) AS a
JOIN case_category cat ON cat.id = (SELECT min(id) FROM case_category)
                                   + a.category - 1
"""

SEQUENCES = """
INSERT INTO number_sequence (name, year, last_value)
SELECT kind, split_part(number, '-', 2)::int, max(split_part(number, '-', 3)::int)
FROM (SELECT 'case' AS kind, number FROM service_case
      UNION ALL SELECT 'customer', code FROM customer
      UNION ALL SELECT 'pickup', number FROM pickup
      UNION ALL SELECT 'ticket', number FROM weigh_ticket
      UNION ALL SELECT 'inspection', number FROM inspection
      UNION ALL SELECT 'settlement', number FROM settlement
      UNION ALL SELECT 'followup', number FROM followup
      UNION ALL SELECT 'voucher', voucher_no FROM settlement
          WHERE voucher_no IS NOT NULL
      UNION ALL SELECT 'action', number FROM improvement_action) AS numbers
GROUP BY kind, split_part(number, '-', 2)
ON CONFLICT (name, year) DO UPDATE SET last_value = greatest(
    number_sequence.last_value, excluded.last_value)
"""


def fill(url: sa.URL, cases: int) -> dict[str, int]:
    """Load `cases` cases and everything around them; returns the row counts."""
    engine = sa.create_engine(url)
    customers = max(100, cases // 10)
    span = 730 * 86400
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL synchronous_commit = off"))
        # Bulk load of consistent rows: no per-row foreign-key triggers.
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text("SELECT setseed(:seed)"), {"seed": SEED})
        departments = _ids(conn, "department")
        categories = _ids(conn, "case_category")
        channels = _ids(conn, "channel")
        users = {
            name: id_
            for name, id_ in conn.execute(sa.text("SELECT username, id FROM ab_user"))
        }
        start = conn.execute(
            sa.text("SELECT now() - :span * interval '1 second'"), {"span": span}
        ).scalar_one()
        common = {"start": start, "span": span, "customers": customers}
        steps: list[tuple[str, str, dict[str, Any]]] = []
        _staff(conn, max(20, cases // 5000))
        sales = departments["sales"]
        steps.append(
            (
                "customers",
                CUSTOMERS.format(
                    rep=_pick_staff(str(sales), "r_rep"),
                    creator=_pick_staff(str(sales), "r_creator"),
                ),
                {
                    **common,
                    "count": customers,
                    "family": FAMILY,
                    "given": GIVEN,
                    "syllables": SYLLABLES,
                    "cities": CITIES,
                    "districts": DISTRICTS,
                    "streets": STREETS,
                    "trades": TRADES,
                    "credit": _credit_codes(customers),
                    "sales": sales,
                },
            )
        )
        steps.append(("contacts", CONTACTS, {}))
        cs = departments["cs"]
        category_ids = {
            kind: [categories[code] for code in codes]
            for kind, codes in CATEGORIES_OF_KIND.items()
        }
        steps.append(
            (
                "cases",
                CASES.format(
                    targets=TARGETS,
                    category=_choice("r_cat", category_ids, "k.kind"),
                    cs_creator=_pick_staff(str(cs), "r_creator / 0.8"),
                    dept_creator=_pick_staff(
                        "r.department_id", "(r_creator - 0.8) / 0.2"
                    ),
                    owner=_pick_staff("r.department_id", "r_owner"),
                ),
                {
                    **common,
                    "count": cases,
                    "channels": [channels[code] for code in CHANNEL_WEIGHTS],
                    "topics": [t for topics in TOPICS.values() for t in topics],
                },
            )
        )
        steps.append(("case log", CASE_LOGS, {}))
        ops = departments["ops"]
        policy = conn.execute(
            sa.text("SELECT id FROM sla_policy WHERE kind = 'pickup' LIMIT 1")
        ).scalar()
        steps.append(
            (
                "pickups",
                PICKUPS.format(
                    cs_creator=_pick_staff(str(cs), "r_creator / 0.5"),
                    ops_creator=_pick_staff(str(ops), "(r_creator - 0.5) / 0.5"),
                    draw=_hash("pickup.id"),
                ),
                {
                    **common,
                    "count": max(20, cases // 5),
                    "hotline": channels["hotline"],
                    "ops": ops,
                    "policy": policy,
                },
            )
        )
        steps.append(
            (
                "weighing, inspection, settlement",
                WEIGHING.format(
                    weigher=_pick_staff(str(departments["warehouse"]), _hash("p.id")),
                    inspector=_pick_staff(str(departments["qc"]), _hash("w.id")),
                    finance_user=_pick_staff(
                        str(departments["finance"]), _hash("p.id")
                    ),
                ),
                {
                    "warehouse": departments["warehouse"],
                    "qc": departments["qc"],
                    "finance": departments["finance"],
                },
            )
        )
        rules = _ids(conn, "followup_rule")
        steps.append(
            (
                "follow-ups",
                FOLLOWUPS.format(
                    assignee_c=_pick_staff(str(cs), _hash("c.id")),
                    assignee_p=_pick_staff(str(cs), _hash("p.id")),
                ),
                {
                    "cs": cs,
                    "hotline": channels["hotline"],
                    "rule_case": rules["complaint-closed"],
                    "rule_pickup": rules["pickup-settled"],
                },
            )
        )
        steps.append(("alerts", ALERTS, {}))
        steps.append(
            (
                "improvement actions",
                ACTIONS,
                {**common, "count": 40, "manager": users["manager"]},
            )
        )
        steps.append(("number counters", SEQUENCES, {}))
        # Kept by triggers, which the bulk load switches off: built once.
        from app.security.customer_scope import rebuild_sql

        steps.append(("customer scope", ";\n".join(rebuild_sql()), {}))
        for label, sql, params in steps:
            began = time.perf_counter()
            for statement in [s for s in sql.split(";\n") if s.strip()]:
                conn.execute(sa.text(statement), params)
            _log(f"  {label}: {time.perf_counter() - began:.1f} s")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        began = time.perf_counter()
        conn.execute(sa.text("VACUUM ANALYZE"))
        _log(f"  vacuum analyze: {time.perf_counter() - began:.1f} s")
        counts = {
            table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in (
                "customer",
                "service_case",
                "case_log",
                "pickup",
                "weigh_line",
                "inspection",
                "settlement",
                "followup",
                "notification",
                "ab_user",
            )
        }
    engine.dispose()
    return counts


def _mark(cases: int) -> str:
    return f"bench volume: {cases} cases, complete"


def is_built(url: sa.URL, cases: int) -> bool:
    """Whether `url` holds a complete load of `cases` cases (its comment says so)."""
    engine = sa.create_engine(url.set(database="postgres"))
    with engine.connect() as conn:
        comment = conn.execute(
            sa.text(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                "WHERE datname = :name"
            ),
            {"name": url.database},
        ).scalar()
    engine.dispose()
    return comment == _mark(cases)


def build(url: sa.URL, cases: int, replace: bool = True) -> dict[str, int] | None:
    """Create and fill the database of `url`; returns the row counts loaded.

    With `replace` False a complete earlier load of the same size is kept
    (returns None); an incomplete one is built again.
    """
    if not replace and is_built(url, cases):
        _log(f"{url.database}: kept as it is")
        return None
    create_database(url, replace=True)
    began = time.perf_counter()
    _log(f"{url.database}: schema, roles, reference data, demo users")
    prepare(url)
    _log(f"{url.database}: loading {cases:,} cases")
    counts = fill(url, cases)
    _admin(
        url.set(database="postgres"),
        f"COMMENT ON DATABASE \"{url.database}\" IS '{_mark(cases)}'",
    )
    _log(f"{url.database}: built in {time.perf_counter() - began:.0f} s: {counts}")
    return counts


def migrate(url: sa.URL) -> None:
    """Bring a kept database to the current schema and roles."""
    from flask_migrate import upgrade

    from app.extensions import db
    from app.services.core.setup import sync_roles

    app = app_for(url)
    with app.app_context():
        upgrade()
        sync_roles()
        db.session.remove()
        db.engine.dispose()


def main() -> int:
    if len(sys.argv) < 3:
        print("usage: python bench/volume.py DATABASE_URL CASES", file=sys.stderr)
        return 2
    build(sa.engine.make_url(sys.argv[1]), int(sys.argv[2]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
