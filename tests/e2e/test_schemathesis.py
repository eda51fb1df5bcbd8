"""The API against its own OpenAPI document, over HTTP on the local runner (schemathesis).

Generated requests (schema-valid and schema-violating) must never get a 5xx, and every response
must be one the document declares: its status code, content type and body schema. Random ids
only ever reach "not found", so a second test sends one valid request per route for an account
with real data and checks the successful responses against the document the same way.
"""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from schemathesis import BaseSchema, Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.conftest import Runner
from tests.e2e.route_requests import route_requests, seeded_client, served_operations

pytestmark = pytest.mark.e2e

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Fuzzed requests per route; with the coverage phase's own cases, the run takes about 20 s on two cores.
MAX_EXAMPLES = 20


@pytest.fixture(scope="session")
def api_schema(runner: Runner) -> BaseSchema:
    config = schemathesis.Config.from_dict(
        {
            "headers": {"Authorization": f"Bearer local:fuzz-{uuid.uuid4().hex[:10]}"},
            "generation": {"mode": "all", "max-examples": MAX_EXAMPLES},
            # Methods a route does not have must be refused. TRACE and QUERY are left out: the runner's
            # http.server answers them itself (501), and API Gateway never passes them to a function.
            "phases": {"coverage": {"unexpected-methods": ["get", "put", "post", "delete", "patch", "options"]}},
        }
    )
    return schemathesis.openapi.from_url(f"{runner.base_url}/openapi.json", config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_generated_requests_get_documented_responses_and_never_a_5xx(case: Case):
    case.call_and_validate(checks=CHECKS)


def test_every_route_succeeds_with_a_documented_response(runner: Runner, api_schema: BaseSchema):
    client = seeded_client(runner)
    for request in route_requests(served_operations(runner.base_url)):
        response = request.send(runner.base_url, client.headers)
        assert 200 <= response.status_code < 300, (request.method, request.path, response.text)
        sent = {"path_parameters": request.parameters, "query": request.query}
        if request.body is not None:
            sent.update(body=request.body, media_type="application/json")
        case = api_schema[request.route][request.method].Case(**sent)
        case.validate_response(response, checks=CHECKS)
