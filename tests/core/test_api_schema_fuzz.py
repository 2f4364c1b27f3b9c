"""The REST API against its own OpenAPI document, fuzzed by schemathesis.

Every operation of the live application's `/api/v1/_openapi` is called with
generated requests (valid ones and ones the document forbids), signed in as a
customer-service clerk and as an administrator, on a database holding a few
records of every kind so that reads, edits and steps reach real rows. A
response fails the run when it is a server error (5xx) or does not match the
response schema the document declares for its status.

The number of examples per operation is bounded (`API_FUZZ_EXAMPLES`, default
below) and the generation is derandomised, so a CI run is repeatable and takes
about a minute per database; the counts are printed in pytest's summary.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import OpenAPIV30SpecValidator
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.security import login_guard
from tests.conftest import PASSWORD
from tests.factories import (
    CaseFactory,
    FollowUpFactory,
    InspectionFactory,
    PickupFactory,
    SettlementFactory,
)

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "4"))
CHECKS = [not_a_server_error, response_schema_conformance]


def token(client: Any, username: str) -> str:
    reply = client.post(
        "/api/v1/security/login",
        json={"username": username, "password": PASSWORD, "provider": "db"},
    )
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()["access_token"]


def some_records() -> dict[str, list[int]]:
    """A few rows of every resource (made as the clerk, in the clerk's scope)."""
    cases = [CaseFactory() for _ in range(3)]
    pickups = [PickupFactory(_as="ops") for _ in range(2)]
    inspections = [InspectionFactory(_as="qc") for _ in range(2)]
    settlements = [SettlementFactory(_as="finance") for _ in range(2)]
    followups = [FollowUpFactory() for _ in range(2)]
    customers = [case.customer for case in cases]
    return {
        "customer": [c.id for c in customers],
        "case": [c.id for c in cases],
        "pickup": [p.id for p in pickups],
        "inspection": [i.id for i in inspections],
        "settlement": [s.id for s in settlements],
        "followup": [f.id for f in followups],
    }


def openapi_document(client: Any, admin_token: str) -> dict[str, Any]:
    reply = client.get(
        "/api/v1/_openapi", headers={"Authorization": f"Bearer {admin_token}"}
    )
    assert reply.status_code == 200
    return reply.get_json()


def test_the_openapi_document_is_valid(app, db):
    client = app.test_client()
    document = openapi_document(client, token(client, "admin"))
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message[:200]}"
        for error in OpenAPIV30SpecValidator(document).iter_errors()
    ]
    assert errors == []
    # Decimal bounds are numbers (they were strings such as "0.00").
    put = document["components"]["schemas"]["CaseApi.put"]["properties"]
    assert put["compensation_amount"]["minimum"] == 0


def order(operation: Any) -> tuple[int, str]:
    """Sign-out last (it ends the token the rest of the run uses), deletes
    late (they remove the rows the others read)."""
    method = operation.method.upper()
    if operation.path.endswith("/security/logout"):
        return (3, operation.label)
    if method == "DELETE":
        return (2, operation.label)
    return (1, operation.label)


def pk_strategy(operation: Any, ids: dict[str, list[int]]) -> Any:
    """Mostly an existing row of the operation's resource, sometimes anything."""
    resource = operation.path.split("/")[3]
    known = ids.get(resource)
    if not known or "{pk}" not in operation.path:
        return st.none()
    return st.one_of(st.sampled_from(known), st.sampled_from(known), st.none())


def step_names(operation: Any) -> Any:
    from app.api import APIS

    resource = operation.path.split("/")[3]
    for api in APIS:
        if api.resource_name == resource and api.workflow is not None:
            names = [step.name for step in api.workflow.steps]
            return st.one_of(st.sampled_from(names), st.none())
    return st.none()


def fuzz(operation: Any, mode: Any, ids: dict[str, list[int]], call: Any) -> Any:
    """A Hypothesis test calling one operation with generated requests."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=operation.as_strategy(generation_mode=mode),
        pk=pk_strategy(operation, ids),
        step=step_names(operation),
    )
    def run(case: Any, pk: Any, step: Any) -> None:
        if pk is not None:
            case.path_parameters["pk"] = pk
        if step is not None and "{name}" in operation.path:
            case.path_parameters["name"] = step
        call(case)

    return run


@pytest.mark.parametrize("username", ["cs", "admin"])
def test_every_operation_answers_without_server_error(app, db, username, pytestconfig):
    client = app.test_client()
    ids = some_records()
    document = openapi_document(client, token(client, "admin"))
    schema = schemathesis.openapi.from_dict(document)
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()), key=order
    )
    bearer = {"Authorization": f"Bearer {token(client, username)}"}
    session = app.test_client()  # one request, one app context (IsolatedClient)
    counts: Counter = Counter()
    failures: dict[str, str] = {}

    def call(case: Any) -> None:
        counts["cases"] += 1
        try:
            case.call_and_validate(
                session=session, headers=bearer, checks=CHECKS, app=app
            )
        except (Exception, BaseExceptionGroup) as error:  # checks' failures
            counts["failed"] += 1
            found = getattr(error, "exceptions", None) or [error]
            kinds = ", ".join(
                sorted({getattr(f, "title", type(f).__name__) for f in found})
            )
            key = f"{case.operation.label}: {kinds}"
            if key not in failures:
                failures[key] = (
                    f"{key}\n  path={json.dumps(case.path_parameters)}"
                    f" query={str(case.query)[:300]} body={str(case.body)[:300]}\n"
                    f"{str(error)[:1200]}"
                )

    began = time.monotonic()
    for operation in operations:
        for mode in (
            schemathesis.GenerationMode.POSITIVE,
            schemathesis.GenerationMode.NEGATIVE,
        ):
            fuzz(operation, mode, ids, call)()
        counts["operations"] += 1
        login_guard.reset(app)  # sign-in failures from fuzzed logins forgotten

    counts["seconds"] = round(time.monotonic() - began)
    # Read by the closing summary (tests/core/conftest.py).
    totals = getattr(pytestconfig, "api_fuzz_totals", {})
    totals[username] = counts
    pytestconfig.api_fuzz_totals = totals
    print(
        f"\nschemathesis as {username}: {counts['operations']} operations, "
        f"{counts['cases']} cases, {counts['failed']} failed, "
        f"{counts['seconds']} s"
    )
    assert not failures, "\n\n".join(failures.values())
