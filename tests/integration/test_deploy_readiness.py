"""What a first `sam deploy` into a real account needs, checked on the template as CloudFormation will
get it: transformed offline by SAM's own translator (``samtranslator``, no AWS call).

One test (or a few) per point of issue 13's "ready for a real AWS account" and of the template side of
users and roles: SES sending, the required sender, SigV4 document links, API Gateway's CloudWatch role,
a regional API, names that fit any stack name, failed work kept, alarms, the layer built for the
functions' platform, the user pool's groups, ``GET /me`` and the app clients the API trusts.
"""

from __future__ import annotations

import copy
import json
import re
import tomllib
from collections.abc import Iterator
from functools import cache
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider
from samtranslator.translator.arn_generator import ArnGenerator
from samtranslator.translator.transform import transform

from local_runner.events import local_claims
from local_runner.template import LOCAL_APP_CLIENT_ID, ROOT, function_environment, load_template, parameter_values
from pom.adapters.documents import LINK_SECONDS, DocumentStore
from tests.conftest import SENDER

REGION = "us-east-1"
# The failed work a person has to look at: each queue a redrive policy or an on-failure destination names.
FAILURE_QUEUES = {
    "InvoiceUploadDeadLetterQueue",
    "MatcherFailureQueue",
    "NotificationFailureQueue",
    "AwsInvoiceImportFailureQueue",
}
# shared/API.md, "Users and roles" (written here from the contract, not from the template).
ROLES = {"viewer", "buyer", "payables", "approver", "admin"}


class _NoManagedPolicies:
    """The translator's managed-policy loader: the functions name no managed policy, so none is looked up."""

    def load(self) -> dict[str, str]:
        return {}


@cache
def transformed() -> dict[str, Any]:
    """template.yaml as CloudFormation receives it from `sam deploy`: local code paths become the S3
    URIs `sam package` would upload them to, the region is fixed, nothing is asked of AWS."""
    template = copy.deepcopy(load_template())
    for definition in template["Resources"].values():
        properties = definition.get("Properties", {})
        for uri in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(uri), str):
                properties[uri] = f"s3://artifacts/{properties[uri]}"
    with mock.patch.object(ArnGenerator, "BOTO_SESSION_REGION_NAME", REGION):
        return transform(template, {}, _NoManagedPolicies())


def resources(resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: body for name, body in transformed()["Resources"].items() if body["Type"] == resource_type}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _references(node: Any) -> Iterator[str]:
    """The logical ids ``node`` refers to: ``Ref``, ``Fn::GetAtt`` and ``${X}`` / ``${X.Attr}`` in ``Fn::Sub``."""
    if isinstance(node, dict):
        if isinstance(node.get("Ref"), str):
            yield node["Ref"]
        if "Fn::GetAtt" in node:
            yield _listed(node["Fn::GetAtt"])[0].split(".")[0]
        if "Fn::Sub" in node:
            text = _listed(node["Fn::Sub"])[0]
            yield from (name.split(".")[0] for name in re.findall(r"\$\{([^!}][^}]*)\}", text))
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def depends_on(logical_id: str) -> set[str]:
    """Every resource CloudFormation creates before ``logical_id``: its DependsOn and references, and theirs."""
    all_resources = transformed()["Resources"]
    found: set[str] = set()
    pending = [logical_id]
    while pending:
        body = all_resources[pending.pop()]
        direct = set(_listed(body.get("DependsOn", []))) | set(_references(body))
        for name in direct & set(all_resources) - found:
            found.add(name)
            pending.append(name)
    return found


def statements(role: str) -> list[dict[str, Any]]:
    body = transformed()["Resources"][role]["Properties"]
    return [statement for policy in body.get("Policies", []) for statement in policy["PolicyDocument"]["Statement"]]


# --- 1. SES -----------------------------------------------------------------------------------------


def test_mail_may_be_sent_from_the_sender_whichever_identity_or_configuration_set_covers_it():
    """SES checks SendEmail against the identities that cover the sender (its address or its domain)
    and any configuration set: only the sender's own identity ARN is denied in several set-ups."""
    senders = set()
    for role in resources("AWS::IAM::Role"):
        for statement in statements(role):
            if "ses:SendEmail" not in _listed(statement["Action"]):
                continue
            senders.add(role)
            assert statement["Sid"] == "SendFromTheNotificationSender"
            assert _listed(statement["Action"]) == ["ses:SendEmail"]
            assert statement["Resource"] == [
                {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"},
                {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/*"},
            ]
            # What keeps it to the sender: the From address.
            assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": {"Ref": "NotificationSender"}}}
    assert senders == {"SchedulerFunctionRole", "NotifierFunctionRole"}


# --- 2. the sender is required --------------------------------------------------------------------


def test_the_notification_sender_has_no_default_so_a_guided_deploy_asks_for_it():
    parameter = transformed()["Parameters"]["NotificationSender"]
    assert "Default" not in parameter
    pattern = re.compile(parameter["AllowedPattern"])
    assert pattern.fullmatch("po-notifications@finance.example.org")
    assert not pattern.fullmatch("")
    assert not pattern.fullmatch("po-notifications")
    # Local mode and the tests still have one.
    assert parameter_values()["NotificationSender"] == SENDER == "po-notifications@example.com"
    assert (
        function_environment("SchedulerFunction", {"Table": "t", "InvoiceBucket": "b"})["NOTIFICATION_SENDER"] == SENDER
    )


# --- 3. pre-signed document links -----------------------------------------------------------------


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_document_links_are_sigv4_on_the_regional_host_of_the_bucket(monkeypatch: pytest.MonkeyPatch, region: str):
    for variable in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_REGION", region)
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    bucket = f"po-invoices-123456789012-{region}-0a1b2c3d"
    link = urlsplit(DocumentStore(bucket).link("originals/acme/INV 1.xml"))
    query = {name: values[0] for name, values in parse_qs(link.query).items()}
    assert (link.scheme, link.hostname) == ("https", f"{bucket}.s3.{region}.amazonaws.com")
    assert link.path == "/originals/acme/INV%201.xml"
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Credential"].endswith(f"/{region}/s3/aws4_request")
    assert query["X-Amz-Expires"] == str(LINK_SECONDS)
    assert not {"Signature", "AWSAccessKeyId"} & set(query)  # no SigV2


def test_document_links_in_local_mode_address_the_emulator_by_path(monkeypatch: pytest.MonkeyPatch):
    """A bucket name cannot go in front of the emulator's IP address; tests/e2e downloads such a link."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    monkeypatch.setenv("AWS_REGION", REGION)
    link = urlsplit(DocumentStore("invoices-local").link("originals/acme/INV-1.json"))
    assert (link.netloc, link.path) == ("127.0.0.1:4566", "/invoices-local/originals/acme/INV-1.json")
    assert parse_qs(link.query)["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]


# --- 4. API Gateway's CloudWatch Logs role --------------------------------------------------------


def test_a_first_deploy_sets_api_gateways_cloudwatch_role_before_the_stage_that_logs():
    template = transformed()
    parameter = template["Parameters"]["ApiGatewayCloudWatchRole"]
    assert (parameter["Default"], parameter["AllowedValues"]) == ("create", ["create", "existing"])
    assert template["Conditions"]["CreateApiGatewayCloudWatchRole"] == {
        "Fn::Equals": [{"Ref": "ApiGatewayCloudWatchRole"}, "create"]
    }
    all_resources = template["Resources"]
    role = all_resources["ApiGatewayCloudWatchLogsRole"]
    account = all_resources["ApiGatewayAccount"]
    for body in (role, account):
        assert body["Condition"] == "CreateApiGatewayCloudWatchRole"
        # The setting is the account's: other APIs may come to rely on it, so it outlives the stack.
        assert (body["DeletionPolicy"], body["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert role["Type"] == "AWS::IAM::Role"
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert (trust["Principal"], trust["Action"]) == ({"Service": "apigateway.amazonaws.com"}, "sts:AssumeRole")
    assert role["Properties"]["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"}
    ]
    assert "Policies" not in role["Properties"]
    assert account["Type"] == "AWS::ApiGateway::Account"
    assert account["Properties"] == {"CloudWatchRoleArn": {"Fn::GetAtt": ["ApiGatewayCloudWatchLogsRole", "Arn"]}}
    stages = resources("AWS::ApiGateway::Stage")
    assert stages
    for name, stage in stages.items():
        assert "AccessLogSetting" in stage["Properties"]
        assert "ApiGatewayAccount" in depends_on(name), f"{name} may be created before the account setting"
    # Only conditional references: with "existing" the stack names no ApiGatewayAccount at all.
    for name, body in all_resources.items():
        if name != "ApiGatewayAccountReady" and body.get("Condition") != "CreateApiGatewayCloudWatchRole":
            assert "ApiGatewayAccount" not in set(_references(body)) | set(_listed(body.get("DependsOn", []))), name
    assert all_resources["ApiGatewayAccountReady"]["Metadata"] == {
        "ApiGatewayAccount": {
            "Fn::If": ["CreateApiGatewayCloudWatchRole", {"Ref": "ApiGatewayAccount"}, {"Ref": "AWS::NoValue"}]
        }
    }


# --- 5. a regional API ----------------------------------------------------------------------------


def test_the_api_is_regional_behind_the_consoles_distribution():
    (api,) = resources("AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    origins = transformed()["Resources"]["ConsoleDistribution"]["Properties"]["DistributionConfig"]["Origins"]
    assert {"Fn::Sub": "${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}"} in [
        origin["DomainName"] for origin in origins
    ]


# --- 6. names that fit any stack name -------------------------------------------------------------

# The longest a stack name may be, and a region name longer than any there is.
PSEUDO = {
    "AWS::StackName": "s" * 128,
    "AWS::StackId": "arn:aws:cloudformation:ap-southeast-4:123456789012:stack/"
    + "s" * 128
    + "/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
    "AWS::Region": "ap-southeast-4-long",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws-iso-b",
    "AWS::URLSuffix": "amazonaws.com",
}
# The most each property that a stack's name or id goes into may hold (the services' limits).
NAME_LIMITS = {
    ("AWS::S3::Bucket", "BucketName"): 63,
    ("AWS::CloudFront::OriginAccessControl", "OriginAccessControlConfig.Name"): 64,
    ("AWS::CloudFront::Distribution", "DistributionConfig.Comment"): 128,
    ("AWS::Cognito::UserPool", "UserPoolName"): 128,
    ("AWS::Events::EventBus", "Name"): 256,
    ("AWS::Cognito::UserPoolClient", "ClientName"): 128,
    ("AWS::Cognito::UserPoolDomain", "Domain"): 63,
    ("AWS::Scheduler::Schedule", "Name"): 64,
    ("AWS::ApiGateway::RestApi", "Body.info.title"): 1024,
}
# Where a stack's id or name goes into something that is not a name (an ARN in a policy condition).
NOT_NAMES = {("AWS::SQS::QueuePolicy", "PolicyDocument.Statement.Condition.ArnEquals.aws:SourceArn")}


def _sub(argument: Any) -> str:
    text, variables = (argument, {}) if isinstance(argument, str) else argument
    values = {**PSEUDO, **{name: _evaluate(value) for name, value in variables.items()}}
    return re.sub(r"\$\{([^}]+)\}", lambda found: values[found[1]], text)


_NAME_FUNCTIONS = {
    "Ref": lambda argument: PSEUDO[argument],
    "Fn::Sub": _sub,
    "Fn::Join": lambda argument: argument[0].join(_evaluate(argument[1])),
    "Fn::Split": lambda argument: _evaluate(argument[1]).split(argument[0]),
    "Fn::Select": lambda argument: _evaluate(argument[1])[int(argument[0])],
}


def _evaluate(node: Any) -> Any:
    """A name expression, with the longest pseudo parameters; anything else it names is refused."""
    if isinstance(node, str | int):
        return str(node)
    if isinstance(node, list):
        return [_evaluate(item) for item in node]
    (function, argument), *_ = node.items()
    assert function in _NAME_FUNCTIONS, f"a name built from {function}: {node}"
    return _NAME_FUNCTIONS[function](argument)


def _stack_named(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(property path, expression) of every intrinsic in ``node`` that uses the stack's name or id."""
    if isinstance(node, dict):
        if any(key == "Ref" or key.startswith("Fn::") for key in node):
            if "AWS::StackName" in json.dumps(node) or "AWS::StackId" in json.dumps(node):
                yield path, node
            return
        for key, value in node.items():
            yield from _stack_named(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for item in node:
            yield from _stack_named(item, path)


def test_names_built_from_the_stack_fit_a_128_character_stack_name():
    checked = set()
    for name, body in transformed()["Resources"].items():
        for path, expression in _stack_named(body.get("Properties", {})):
            key = (body["Type"], path)
            if key in NOT_NAMES:
                continue
            assert key in NAME_LIMITS, f"{name}.{path} is built from the stack's name or id: what is its limit?"
            value = _evaluate(expression)
            assert 1 <= len(value) <= NAME_LIMITS[key], f"{name}.{path}: {len(value)} characters"
            checked.add(key)
    assert ("AWS::S3::Bucket", "BucketName") in checked
    assert ("AWS::Cognito::UserPool", "UserPoolName") in checked
    # The schedule's name is CloudFormation's (stack name cut to fit): SAM would use the event's
    # logical id, the same in every stack of the account.
    schedules = resources("AWS::Scheduler::Schedule").values()
    assert len(schedules) == 2  # the expiry job's and the AWS invoice import's
    for schedule in schedules:
        assert "Name" not in schedule["Properties"]
    # Literal names are short.
    for client in resources("AWS::Cognito::UserPoolClient").values():
        assert isinstance(client["Properties"]["ClientName"], str)


# --- 7. failed work is kept -----------------------------------------------------------------------


def failure_queues() -> set[str]:
    """Queues named as a redrive target or an on-failure destination in the transformed template."""
    found = set()
    for body in transformed()["Resources"].values():
        properties = body.get("Properties", {})
        if target := properties.get("RedrivePolicy", {}).get("deadLetterTargetArn"):
            found.add(target["Fn::GetAtt"][0])
        if destination := properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"):
            found.add(destination["Fn::GetAtt"][0])
    return found


def test_queues_of_failed_work_outlive_the_stack_and_a_replacement():
    assert failure_queues() == FAILURE_QUEUES
    for queue in FAILURE_QUEUES:
        body = transformed()["Resources"][queue]
        assert body["Type"] == "AWS::SQS::Queue"
        assert (body.get("DeletionPolicy"), body.get("UpdateReplacePolicy")) == ("Retain", "Retain"), queue


# --- 8. alarms ------------------------------------------------------------------------------------


def alarms() -> list[dict[str, Any]]:
    return [body["Properties"] for body in resources("AWS::CloudWatch::Alarm").values()]


def _alarm_on(namespace: str, metric: str, dimensions: list[dict[str, Any]]) -> dict[str, Any]:
    """The one alarm on this metric."""
    found = [
        alarm
        for alarm in alarms()
        if (alarm["Namespace"], alarm["MetricName"], alarm["Dimensions"]) == (namespace, metric, dimensions)
    ]
    assert len(found) == 1, f"{len(found)} alarms on {namespace} {metric} {json.dumps(dimensions)}"
    return found[0]


def test_alarm_topic_is_encrypted_with_a_key_cloudwatch_alarms_may_use():
    """Not alias/aws/sns: CloudWatch alarms cannot publish to a topic under that key (its key policy,
    which no one can edit, does not let CloudWatch use it)."""
    all_resources = transformed()["Resources"]
    (topic,) = resources("AWS::SNS::Topic").values()
    key_reference = topic["Properties"]["KmsMasterKeyId"]
    assert key_reference != "alias/aws/sns"
    key = all_resources[key_reference["Ref"]]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    (cloudwatch,) = [
        statement
        for statement in key["Properties"]["KeyPolicy"]["Statement"]
        if statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert set(cloudwatch["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey"}
    assert cloudwatch["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert not [s for s in key["Properties"]["KeyPolicy"]["Statement"] if s["Principal"] in ("*", {"AWS": "*"})]


def test_alarm_email_is_subscribed_only_when_given():
    template = transformed()
    parameter = template["Parameters"]["AlarmEmail"]
    assert parameter["Default"] == ""
    assert re.fullmatch(parameter["AllowedPattern"], "")
    assert re.fullmatch(parameter["AllowedPattern"], "ops@finance.example.org")
    (subscription,) = resources("AWS::SNS::Subscription").values()
    assert template["Conditions"][subscription["Condition"]] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]
    }
    (topic,) = resources("AWS::SNS::Topic")
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": topic},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }


def test_every_alarm_goes_to_the_topic_on_the_first_occurrence_and_ignores_quiet_periods():
    (topic,) = resources("AWS::SNS::Topic")
    assert alarms()
    for alarm in alarms():
        assert alarm["AlarmActions"] == [{"Ref": topic}]
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
        assert (alarm["Period"], alarm["EvaluationPeriods"]) == (300, 1)
        assert alarm["TreatMissingData"] == "notBreaching"


def test_every_queue_of_failed_work_has_an_alarm():
    for queue in failure_queues():
        dimensions = [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
        alarm = _alarm_on("AWS/SQS", "ApproximateNumberOfMessagesVisible", dimensions)
        assert alarm["Statistic"] == "Maximum"


def test_every_function_has_an_errors_and_a_throttles_alarm():
    functions = resources("AWS::Lambda::Function")
    assert set(functions) == {
        "ApiFunction",
        "IngestFunction",
        "MatcherFunction",
        "SchedulerFunction",
        "NotifierFunction",
        "AwsInvoiceImportFunction",
    }
    for function in functions:
        for metric in ("Errors", "Throttles"):
            dimensions = [{"Name": "FunctionName", "Value": {"Ref": function}}]
            alarm = _alarm_on("AWS/Lambda", metric, dimensions)
            assert alarm["Statistic"] == "Sum", (function, metric)


def test_notifications_in_doubt_alarm_watches_the_metric_the_scheduler_publishes():
    """The namespace and dimensions are those of the embedded metric format that Powertools writes
    with the functions' environment (Globals): the alarm would otherwise watch a metric nobody publishes."""
    source = (ROOT / "functions/scheduler/scheduler_handler.py").read_text(encoding="utf-8")
    assert 'name="NotificationsInDoubt"' in source
    environment = function_environment("SchedulerFunction", {"Table": "t", "InvoiceBucket": "b"})
    # What Metrics() builds from POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME, with sets
    # of its own (Metrics() shares one set with the handlers).
    metrics = AmazonCloudWatchEMFProvider(
        metric_set={},
        dimension_set={},
        metadata_set={},
        namespace=environment["POWERTOOLS_METRICS_NAMESPACE"],
        service=environment["POWERTOOLS_SERVICE_NAME"],
    )
    metrics.add_metric(name="NotificationsInDoubt", unit=MetricUnit.Count, value=1)
    emf = metrics.serialize_metric_set()
    (directive,) = emf["_aws"]["CloudWatchMetrics"]
    (dimension_names,) = directive["Dimensions"]
    dimensions = [{"Name": name, "Value": emf[name]} for name in dimension_names]
    alarm = _alarm_on(directive["Namespace"], "NotificationsInDoubt", dimensions)
    assert dimensions == [{"Name": "service", "Value": "purchase-orders"}]
    assert alarm["Statistic"] == "Sum"


# --- 9. the layer is built for the functions' platform --------------------------------------------


def test_the_layer_is_built_for_every_functions_architecture_and_runtime():
    layer = load_template()["Resources"]["CommonLayer"]
    build_architecture = layer["Metadata"]["BuildArchitecture"]
    build_runtime = layer["Metadata"]["BuildMethod"]
    globals_function = load_template()["Globals"]["Function"]
    assert globals_function["Architectures"] == [build_architecture]
    assert globals_function["Runtime"] == build_runtime
    assert layer["Properties"]["CompatibleArchitectures"] == [build_architecture]
    assert layer["Properties"]["CompatibleRuntimes"] == [build_runtime]
    # As deployed: no function overrides Globals.
    for name, function in resources("AWS::Lambda::Function").items():
        assert function["Properties"]["Architectures"] == [build_architecture], name
        assert function["Properties"]["Runtime"] == build_runtime, name


# --- 10. the user pool's groups and verified e-mail -----------------------------------------------


def test_the_created_user_pool_has_a_group_per_role():
    groups = resources("AWS::Cognito::UserPoolGroup")
    assert {group["Properties"]["GroupName"] for group in groups.values()} == ROLES
    for name, group in groups.items():
        assert group["Condition"] == "CreateUserPool", name
        assert group["Properties"]["UserPoolId"] == {"Ref": "UserPool"}, name
        assert len(group["Properties"]["Description"]) >= 20, name
        # Memberships are user data, kept with the (retained) pool.
        assert (group["DeletionPolicy"], group["UpdateReplacePolicy"]) == ("Retain", "Retain"), name


def test_an_email_address_is_changed_only_once_verified_and_tokens_carry_it():
    pool = transformed()["Resources"]["UserPool"]["Properties"]
    assert "email" in pool["AutoVerifiedAttributes"]
    assert pool["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": ["email"]}
    clients = resources("AWS::Cognito::UserPoolClient")
    assert set(clients) == {"UserPoolClient", "ConsoleUserPoolClient"}
    for name, client in clients.items():
        assert {"email", "email_verified", "custom:accountId"} <= set(client["Properties"]["ReadAttributes"]), name
        assert "custom:accountId" not in client["Properties"]["WriteAttributes"], name


# --- 11. GET /me ----------------------------------------------------------------------------------


def test_get_me_is_a_route_of_the_api_function_behind_the_authorizer():
    event = load_template()["Resources"]["ApiFunction"]["Properties"]["Events"]["GetMe"]
    assert event == {"Type": "Api", "Properties": {"RestApiId": {"Ref": "Api"}, "Path": "/me", "Method": "GET"}}
    (api,) = resources("AWS::ApiGateway::RestApi").values()
    operation = api["Properties"]["Body"]["paths"]["/me"]["get"]
    assert "${ApiFunction.Arn}" in operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
    assert operation["security"] == [{"CognitoAuthorizer": []}]


# --- 12. the app clients the API trusts -----------------------------------------------------------


def test_only_the_api_function_is_told_which_app_clients_to_trust():
    template = transformed()
    parameter = template["Parameters"]["ExistingUserPoolClientIds"]
    assert (parameter["Type"], parameter["Default"]) == ("CommaDelimitedList", "")
    assert "custom:accountId" in parameter["Description"]
    assert "TRUSTED_CLIENT_IDS" not in load_template()["Globals"]["Function"]["Environment"]["Variables"]
    for name, function in resources("AWS::Lambda::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        if name != "ApiFunction":
            assert "TRUSTED_CLIENT_IDS" not in variables, name
            continue
        assert variables["TRUSTED_CLIENT_IDS"] == {
            "Fn::If": ["CreateUserPool", "", {"Fn::Join": [",", {"Ref": "ExistingUserPoolClientIds"}]}]
        }


def test_the_transformed_template_has_no_dependency_cycle():
    """CloudFormation refuses a template whose resources refer to each other in a cycle (the pinned
    cfn-lint misses some: the API's environment once named the console's app client)."""
    graph = {name: _references(resource) for name, resource in transformed()["Resources"].items()}
    visiting, done = set(), set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in visiting, f"a dependency cycle: {' -> '.join((*path, name))}"
        if name in done or name not in graph:
            return
        visiting.add(name)
        for target in graph[name]:
            visit(target, (*path, name))
        visiting.discard(name)
        done.add(name)

    for name in graph:
        visit(name, ())


def _references(node: Any) -> set[str]:
    """The resources a template node depends on: Ref, Fn::GetAtt, ${...} in Fn::Sub, DependsOn."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                found |= {match.split(".")[0] for match in re.findall(r"\$\{([A-Za-z0-9.]+)\}", text)}
                found |= _references(value[1] if isinstance(value, list) else {})
            elif key == "DependsOn":
                found |= {value} if isinstance(value, str) else set(value)
            else:
                found |= _references(value)
    elif isinstance(node, list):
        for item in node:
            found |= _references(item)
    return found


def test_local_mode_trusts_any_client_of_its_own_pool_and_only_named_ones_of_another():
    references = {"Table": "t", "InvoiceBucket": "b"}
    assert function_environment("ApiFunction", references)["TRUSTED_CLIENT_IDS"] == ""
    assert local_claims("acme")["aud"] == LOCAL_APP_CLIENT_ID
    existing = {"ExistingUserPoolArn": "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_X"}
    existing["ExistingUserPoolClientIds"] = "client1,client2"
    assert function_environment("ApiFunction", references, existing)["TRUSTED_CLIENT_IDS"] == "client1,client2"


def _rule_holds(expression: Any, values: dict[str, Any]) -> bool:
    """CloudFormation's rule functions used in the template, over parameter values (lists as lists)."""
    (function, argument), *_ = expression.items()
    if function == "Ref":
        return values[argument]
    if function == "Fn::Equals":
        return _rule_value(argument[0], values) == _rule_value(argument[1], values)
    if function == "Fn::Not":
        return not _rule_holds(argument[0], values)
    if function == "Fn::And":
        return all(_rule_holds(part, values) for part in argument)
    if function == "Fn::Contains":
        return _rule_value(argument[1], values) in _rule_value(argument[0], values)
    if function == "Fn::EachMemberEquals":
        return all(member == _rule_value(argument[1], values) for member in _rule_value(argument[0], values))
    raise AssertionError(f"not a rule function: {function}")


def _rule_value(node: Any, values: dict[str, Any]) -> Any:
    return values[node["Ref"]] if isinstance(node, dict) else node


@pytest.mark.parametrize(
    ("pool", "clients", "accepted"),
    [
        ("", [""], True),  # the stack's own pool
        ("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_X", ["abc123"], True),
        ("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_X", ["abc123", "def456"], True),
        ("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_X", [""], False),  # empty as CFN gives it
        ("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_X", [], False),
        ("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_X", ["abc123", ""], False),
    ],
)
def test_an_existing_user_pool_needs_its_trusted_clients(pool: str, clients: list[str], accepted: bool):
    (rule,) = transformed()["Rules"].values()
    values = {"ExistingUserPoolArn": pool, "ExistingUserPoolClientIds": clients}
    applies = _rule_holds(rule["RuleCondition"], values)
    assert applies == bool(pool)
    assert (not applies or all(_rule_holds(a["Assert"], values) for a in rule["Assertions"])) == accepted


def test_the_template_parameters_are_all_documented_in_the_readme():
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Deploy", 1)[1].split("### Parameters", 1)[1]
    table = {row.split("|")[1].strip() for row in section.split("\n\n")[1].splitlines() if row.startswith("| `")}
    documented = {name.strip("` ") for row in table for name in row.split("/")}
    assert documented == set(load_template()["Parameters"]), "README, Deploy: the parameters table"


def test_samconfig_leaves_the_sender_to_the_guided_deploy():
    config = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    deploy = config["default"]["deploy"]["parameters"]
    assert "NotificationSender" not in deploy.get("parameter_overrides", "")
    assert deploy["capabilities"] == "CAPABILITY_IAM"  # the roles are unnamed
