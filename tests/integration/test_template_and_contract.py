"""template.yaml, the contract's routes and the generated OpenAPI document agree with each other."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local_runner.events import LambdaContext
from local_runner.sample_events import EVENTS_DIR, SAMPLES, sample_event
from local_runner.template import api_routes, load_template, resource
from tests.conftest import new_account

# The purchase-order and settings routes of shared/API.md (this service's part of it so far).
CONTRACT_ROUTES = {
    ("POST", "/purchase-orders"),
    ("GET", "/purchase-orders"),
    ("GET", "/purchase-orders/{poId}"),
    ("PUT", "/purchase-orders/{poId}"),
    ("DELETE", "/purchase-orders/{poId}"),
    ("POST", "/purchase-orders/{poId}/status"),
    ("POST", "/purchase-orders/{poId}/line-items"),
    ("PUT", "/purchase-orders/{poId}/line-items/{lineItemId}"),
    ("DELETE", "/purchase-orders/{poId}/line-items/{lineItemId}"),
    ("GET", "/purchase-orders/{poId}/history"),
    ("GET", "/settings"),
    ("PUT", "/settings"),
}


def test_every_contract_route_is_in_the_template():
    assert {(route.method, route.path) for route in api_routes()} >= CONTRACT_ROUTES


def test_every_contract_route_is_in_the_openapi_document(api_handler: Any):
    document = api_handler.openapi_document()
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert documented >= CONTRACT_ROUTES
    assert documented == {(route.method, route.path) for route in api_routes()}, "the template and the code differ"
    create = document["paths"]["/purchase-orders"]["post"]
    assert set(create["responses"]) >= {"201", "401", "409", "422"}
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_every_route_requires_the_cognito_authorizer():
    api = resource("Api")["Properties"]
    assert api["Auth"]["DefaultAuthorizer"] == "CognitoAuthorizer"
    for event in resource("ApiFunction")["Properties"]["Events"].values():
        assert "Auth" not in event["Properties"], "no route may opt out of the default authorizer"


def test_api_function_policy_is_least_privilege():
    statements = [
        statement
        for policy in resource("ApiFunction")["Properties"]["Policies"]
        for statement in policy.get("Statement", [])
    ]

    def actions_of(statement: dict[str, Any]) -> list[str]:
        return [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]

    actions = {action for statement in statements for action in actions_of(statement)}
    assert actions == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:Query",
    }
    for statement in statements:
        resources = json.dumps(statement["Resource"])
        assert "*" not in resources.replace("/index/*", "")
        if "/index/" in resources:
            assert actions_of(statement) == ["dynamodb:Query"]


def test_table_and_runtime_settings():
    template = load_template()
    table = resource("Table")["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["DeletionProtectionEnabled"] is True
    assert table["SSESpecification"]["SSEEnabled"] is True
    function = template["Globals"]["Function"]
    assert function["Architectures"] == ["arm64"]
    assert function["Runtime"] in {"python3.12", "python3.13"}
    assert set(template["Outputs"]) >= {"ApiUrl", "TableName", "UserPoolId", "UserPoolClientId"}


def test_sample_event_files_match_their_builder():
    files = {path.stem for path in EVENTS_DIR.glob("*.json")}
    assert files == {sample.name for sample in SAMPLES}, "run `make events`"
    for sample in SAMPLES:
        on_disk = json.loads((EVENTS_DIR / f"{sample.name}.json").read_text())
        assert on_disk == sample_event(sample), f"events/api/{sample.name}.json is stale: run `make events`"


def test_sample_events_work_against_the_handler(api_handler: Any):
    """Each file, as `sam local invoke` would send it, in an account of this test's own."""
    account = new_account()
    for sample in SAMPLES:
        event = json.loads((EVENTS_DIR / f"{sample.name}.json").read_text())
        event["requestContext"]["authorizer"]["claims"]["custom:accountId"] = account
        response = api_handler.lambda_handler(event, LambdaContext())
        assert response["statusCode"] == sample.expected_status, (sample.name, response["body"])


@pytest.mark.parametrize("sample", SAMPLES, ids=[sample.name for sample in SAMPLES])
def test_sample_events_route_in_the_template(sample: Any):
    event = sample_event(sample)
    assert event["resource"] in {route.path for route in api_routes()}
