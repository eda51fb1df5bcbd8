"""Security properties of the template (authorizer, IAM, throttling) and of the code's data access.

The data-access test records every AWS request the functions make while they serve another
account's requests for the first account's ids, and checks each key against the table layout of
``pom.store``: every partition a request names is the caller's own.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.client import BaseClient

from local_runner.template import function_events, load_template, resource, resources_of_type
from tests.conftest import ApiClient
from tests.e2e.route_requests import operations, route_requests, seed_account

# Entry points that would bypass the REST API's Cognito authorizer.
OTHER_ENTRY_POINTS = {
    "AWS::Serverless::HttpApi",
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGatewayV2::Api",
    "AWS::Lambda::Url",
    "AWS::AppSync::GraphQLApi",
}
# Actions that read a whole table (PartiQL's SELECT scans when its WHERE names no key).
TABLE_READS = {"dynamodb:Scan", "dynamodb:PartiQLSelect", "dynamodb:*", "*"}
# Resource types a function's policy may name (its own table, bucket and queues).
OWN_RESOURCE_TYPES = {"AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::Events::EventBus"}


def test_every_route_of_every_function_uses_the_cognito_authorizer():
    template = load_template()
    assert resources_of_type("AWS::Serverless::Api") == ["Api"]
    assert not {definition["Type"] for definition in template["Resources"].values()} & OTHER_ENTRY_POINTS
    api = resource("Api")["Properties"]
    assert "DefinitionBody" not in api, "routes come only from the functions' Api events"
    assert "DefinitionUri" not in api
    assert "Auth" not in template["Globals"].get("Api", {})
    assert api["Auth"]["DefaultAuthorizer"] == "CognitoAuthorizer"
    (authorizer,) = api["Auth"]["Authorizers"].values()
    assert set(authorizer) == {"UserPoolArn"}  # a Cognito user-pool authorizer
    events = function_events("Api")
    assert events
    for event in events:
        # Without RestApiId, SAM would put the route on an implicit API that has no authorizer.
        assert event.properties["RestApiId"] == {"Ref": "Api"}, event
        assert event.properties.get("Auth", {}).get("Authorizer", "CognitoAuthorizer") == "CognitoAuthorizer", event
    for function in resources_of_type("AWS::Serverless::Function"):
        assert "FunctionUrlConfig" not in resource(function)["Properties"]
        assert not [event for event in function_events("HttpApi") if event.function == function]
    assert "FunctionUrlConfig" not in template["Globals"]["Function"]


def _function_statements() -> Iterator[tuple[str, dict[str, Any]]]:
    for function in resources_of_type("AWS::Serverless::Function"):
        for policy in resource(function)["Properties"].get("Policies", []):
            # Inline documents only: a SAM policy template or a managed policy is not checked here
            # (DynamoDBCrudPolicy and DynamoDBReadPolicy, for one, grant Scan).
            assert isinstance(policy, dict), f"{function}: {policy}"
            assert set(policy) == {"Version", "Statement"}, f"{function}: {policy}"
            for statement in policy["Statement"]:
                yield function, statement


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _allowed_actions(node: Any) -> Iterator[str]:
    """Every action an ``Allow`` statement anywhere in the template grants: functions' policies, roles,
    bucket and queue policies (their ``Deny`` statements may use wildcards)."""
    if isinstance(node, dict):
        if node.get("Effect") == "Allow":
            assert "NotAction" not in node, node
            yield from _listed(node["Action"])
        for value in node.values():
            yield from _allowed_actions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _allowed_actions(item)


def test_no_policy_grants_a_table_scan_or_a_wildcard_action():
    actions = set(_allowed_actions(load_template()["Resources"]))
    assert "dynamodb:Query" in actions
    assert not actions & TABLE_READS
    assert all(isinstance(action, str) and "*" not in action for action in actions), actions


def _is_own_resource(expression: Any, statement: dict[str, Any] | None = None) -> bool:
    """A reference to this template's table, bucket or queue (a sub-path of it may end in ``/*``),
    or an ARN in this account and region without a wildcard; or SES identities and configuration
    sets of this account and region for ``ses:SendEmail`` alone, held to the sender by ``ses:FromAddress``
    (SES authorizes a send against every identity that covers the address, its domain's included)."""
    resources = load_template()["Resources"]

    def own(logical_id: str) -> bool:
        return resources.get(logical_id, {}).get("Type") in OWN_RESOURCE_TYPES

    if "Fn::GetAtt" in expression:
        return own(expression["Fn::GetAtt"][0])
    if "Ref" in expression:
        return own(expression["Ref"])
    if "Fn::Sub" in expression:
        text = _listed(expression["Fn::Sub"])[0]
        if match := re.fullmatch(r"\$\{(\w+)\.Arn\}(/[\w/-]+)?(/\*)?", text):
            return own(match[1])
        if re.fullmatch(
            r"arn:\$\{AWS::Partition\}:ses:\$\{AWS::Region\}:\$\{AWS::AccountId\}:(identity|configuration-set)/\*", text
        ):
            return _sends_only_from_the_sender(statement or {})
        return "*" not in text and text.startswith("arn:${AWS::Partition}:") and ":${AWS::AccountId}:" in text
    return False


def _sends_only_from_the_sender(statement: dict[str, Any]) -> bool:
    condition = statement.get("Condition", {}).get("StringEquals", {})
    return _listed(statement["Action"]) == ["ses:SendEmail"] and condition.get("ses:FromAddress") == {
        "Ref": "NotificationSender"
    }


# The AWS invoice import assumes the role each account names, in the customer's AWS account: any role
# ARN, which the role's trust policy (this account, the account's external id) guards, never one of
# this account (a Deny beside it), and with no other action.
CUSTOMER_ROLES = {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/*"}
OWN_ROLES = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"}


def _assumes_only_customers_roles(function: str, statements: list[dict[str, Any]]) -> bool:
    assumes = [statement for statement in statements if "sts:AssumeRole" in _listed(statement["Action"])]
    allowed = [(statement["Effect"], statement["Resource"], _listed(statement["Action"])) for statement in assumes]
    assert sorted(allowed, key=str) == [
        ("Allow", CUSTOMER_ROLES, ["sts:AssumeRole"]),
        ("Deny", OWN_ROLES, ["sts:AssumeRole"]),
    ], function
    return True


def test_each_function_may_touch_only_its_own_resources():
    statements = list(_function_statements())
    assert {function for function, _ in statements} == set(resources_of_type("AWS::Serverless::Function"))
    importers = {function for function, statement in statements if "sts:AssumeRole" in _listed(statement["Action"])}
    assert importers == {"ApiFunction", "AwsInvoiceImportFunction"}
    for function in importers:
        assert _assumes_only_customers_roles(function, [st for name, st in statements if name == function])
    for function, statement in statements:
        if "sts:AssumeRole" in _listed(statement["Action"]):
            continue
        assert statement["Effect"] == "Allow"
        assert "NotResource" not in statement
        for expression in _listed(statement["Resource"]):
            assert isinstance(expression, dict), f"{function}: a literal resource {expression!r}"
            assert _is_own_resource(expression, statement), f"{function}: {json.dumps(expression)}"


def test_the_api_stage_is_throttled():
    (setting,) = resource("Api")["Properties"]["MethodSettings"]
    assert (setting["ResourcePath"], setting["HttpMethod"]) == ("/*", "*")  # every route and method
    parameters = load_template()["Parameters"]
    limits = {"ThrottlingRateLimit": "ApiThrottlingRateLimit", "ThrottlingBurstLimit": "ApiThrottlingBurstLimit"}
    for name, parameter in limits.items():
        assert setting[name] == {"Ref": parameter}
        assert 1 <= parameters[parameter]["MinValue"] <= parameters[parameter]["Default"]
    assert parameters["ApiThrottlingRateLimit"]["Default"] <= parameters["ApiThrottlingBurstLimit"]["Default"]
    assert resource("Api")["Properties"]["GatewayResponses"]["THROTTLED"]["StatusCode"] == "429"


def test_every_checkov_suppression_says_why():
    """``make lint`` fails on any failed checkov check; an exception is written on its resource, with a reason."""
    for logical_id, definition in load_template()["Resources"].items():
        for skip in definition.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (logical_id, skip)
            assert len(skip.get("comment", "")) >= 40, (logical_id, skip)


# --- data access ------------------------------------------------------------------------------------

PARTITION_KEY = re.compile(r"^(PK|GSI\d+PK)$")


@pytest.fixture
def aws_requests(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, dict[str, Any]]]:
    """(service, operation, parameters) of every AWS request made in this process from now on. Each
    function builds its own clients, so events registered on one client would miss the others."""
    recorded: list[tuple[str, str, dict[str, Any]]] = []
    send = BaseClient._make_api_call

    def record(client: BaseClient, operation: str, parameters: dict[str, Any]) -> Any:
        recorded.append((client.meta.service_model.service_name, operation, copy.deepcopy(parameters)))
        return send(client, operation, parameters)

    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    return recorded


def _keys_and_items(operation: str, parameters: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every item key or whole item a request names."""
    for name in ("Key", "Item", "ExclusiveStartKey"):
        if name in parameters:
            yield parameters[name]
    for table in parameters.get("RequestItems", {}).values():
        if isinstance(table, dict):  # BatchGetItem
            yield from table["Keys"]
        else:  # BatchWriteItem
            yield from (
                request.get("PutRequest", {}).get("Item") or request["DeleteRequest"]["Key"] for request in table
            )
    for entry in parameters.get("TransactItems", []):
        for action in entry.values():
            yield action.get("Key") or action["Item"]


def _queried_partition(parameters: dict[str, Any]) -> str:
    names = parameters.get("ExpressionAttributeNames", {})
    for clause in re.split(r"\s+AND\s+", parameters["KeyConditionExpression"], flags=re.IGNORECASE):
        if (match := re.fullmatch(r"\s*(\S+)\s*=\s*(:\w+)\s*", clause)) and PARTITION_KEY.match(
            names.get(match[1], match[1])
        ):
            return parameters["ExpressionAttributeValues"][match[2]]["S"]
    raise AssertionError(f"no partition in {parameters['KeyConditionExpression']}")


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def test_serving_an_account_reads_and_writes_only_its_own_partitions(
    client: ApiClient, other_client: ApiClient, pipeline: Any, api_handler: Any, aws_requests: list
):
    seed_account(lambda method, path, body: client.request(method, path, body).status, pipeline.drain)
    aws_requests.clear()
    for request in route_requests(operations(api_handler.openapi_document())):
        reply = other_client.request(request.method, request.path, request.body, query=request.query)
        assert reply.status == 404 if request.parameters else reply.status < 300, (request, reply.body)
    pipeline.drain()  # the matcher, for the invoice the other account uploaded

    account = other_client.account_id

    def own(partition: str) -> bool:
        return partition == f"ACCT#{account}" or partition.startswith(f"ACCT#{account}#")

    dynamodb = [(operation, parameters) for service, operation, parameters in aws_requests if service == "dynamodb"]
    assert {operation for operation, _ in dynamodb} >= {"GetItem", "Query", "TransactWriteItems", "BatchGetItem"}
    for operation, parameters in dynamodb:
        assert operation not in {"Scan", "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"}
        if operation == "Query":
            assert own(_queried_partition(parameters)), parameters
        for item in _keys_and_items(operation, parameters):
            assert own(item["PK"]["S"]), (operation, item)
            if "GSI4SK" in item:  # the schedule index is shared by all accounts; its sort key names one
                assert f"#{account}#" in item["GSI4SK"]["S"], (operation, item)
        for text in _strings(parameters):
            assert not text.startswith("ACCT#") or own(text), (operation, text)
    objects = [parameters["Key"] for service, _, parameters in aws_requests if service == "s3" and "Key" in parameters]
    assert objects  # the uploaded invoice's original
    assert all(key.split("/")[1] == account for key in objects), objects
