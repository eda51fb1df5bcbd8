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


def _statements(logical_id: str) -> list[dict[str, Any]]:
    return [statement for policy in resource(logical_id)["Properties"]["Policies"] for statement in policy["Statement"]]


def _actions(statement: dict[str, Any]) -> list[str]:
    return [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]


def test_api_function_policy_is_least_privilege():
    statements = _statements("ApiFunction")
    actions = {action for statement in statements for action in _actions(statement)}
    assert {action for action in actions if action.startswith("dynamodb:")} == {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:Query",
    }
    assert {action for action in actions if not action.startswith("dynamodb:")} == {
        "s3:PutObject",
        "s3:GetObject",
        "sts:AssumeRole",  # POST /aws-invoice-imports: the customer's role (tests/integration/test_security.py)
    }
    for statement in statements:
        resources = json.dumps(statement["Resource"])
        if "/index/" in resources:
            assert _actions(statement) == ["dynamodb:Query"]
        if _actions(statement) == ["sts:AssumeRole"]:
            continue
        if _actions(statement)[0].startswith("s3:"):
            assert resources.startswith('{"Fn::Sub": "${InvoiceBucket.Arn}/'), statement
        else:
            assert "*" not in resources.replace("/index/*", "")


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


INVOICE_ROUTES = {
    ("POST", "/invoices"),
    ("GET", "/invoices"),
    ("GET", "/invoices/{invoiceId}"),
    ("GET", "/invoices/{invoiceId}/document"),
    ("PUT", "/invoices/{invoiceId}/match"),
    ("DELETE", "/invoices/{invoiceId}/match"),
    ("POST", "/invoices/{invoiceId}/submit"),
    ("POST", "/invoices/{invoiceId}/approve"),
    ("POST", "/invoices/{invoiceId}/reject"),
    ("GET", "/purchase-orders/{poId}/invoices"),
    ("GET", "/invoice-uploads"),
}


def test_every_invoice_route_is_in_the_template():
    assert {(route.method, route.path) for route in api_routes()} >= INVOICE_ROUTES


def test_invoice_upload_queue_redrives_and_outlasts_the_ingest_function():
    queue = resource("InvoiceUploadQueue")["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["VisibilityTimeout"] >= 6 * resource("IngestFunction")["Properties"]["Timeout"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["InvoiceUploadDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 5,
    }
    for terminal in ("InvoiceUploadDeadLetterQueue", "MatcherFailureQueue"):
        assert resource(terminal)["Properties"] == {"SqsManagedSseEnabled": True, "MessageRetentionPeriod": 1209600}
    assert set(load_template()["Outputs"]) >= {
        "InvoiceUploadQueueUrl",
        "InvoiceUploadDeadLetterQueueUrl",
        "MatcherFailureQueueUrl",
    }


def test_only_the_invoice_bucket_may_notify_the_upload_queue_without_a_cycle():
    bucket = resource("InvoiceBucket")
    (notification,) = bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Event"] == "s3:ObjectCreated:*"
    assert notification["Queue"] == {"Fn::GetAtt": ["InvoiceUploadQueue", "Arn"]}
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "invoices/"}]  # any name
    (statement,) = resource("InvoiceUploadQueuePolicy")["Properties"]["PolicyDocument"]["Statement"]
    assert (statement["Principal"], statement["Action"]) == ({"Service": "s3.amazonaws.com"}, "sqs:SendMessage")
    # The policy rebuilds the bucket's ARN from the bucket's own name expression, never from the bucket.
    name, variables = bucket["Properties"]["BucketName"]["Fn::Sub"]
    source_arn = statement["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::Sub"]
    assert source_arn == [f"arn:${{AWS::Partition}}:s3:::{name}", variables]
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert bucket["DependsOn"] == "InvoiceUploadQueuePolicy"
    policy = json.dumps(resource("InvoiceUploadQueuePolicy"))
    assert '"InvoiceBucket"' not in policy  # no Ref or GetAtt
    assert "${InvoiceBucket" not in policy


def test_ingest_matcher_scheduler_and_notifier_policies_are_least_privilege():
    expected = {
        "IngestFunction": {"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "dynamodb:PutItem"},
        "MatcherFunction": {
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:Query",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
        },
        "SchedulerFunction": {
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:Query",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "ses:SendEmail",
        },
        "AwsInvoiceImportFunction": {
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:Query",
            "s3:PutObject",
            "sts:AssumeRole",
        },
        "NotifierFunction": {
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:Query",
            "ses:SendEmail",
            "events:PutEvents",
        },
    }
    for function, actions in expected.items():
        statements = _statements(function)
        assert {action for statement in statements for action in _actions(statement)} == actions
        for statement in statements:
            resources = json.dumps(statement["Resource"])
            if "/index/" in resources:
                assert _actions(statement) == ["dynamodb:Query"]
            if _actions(statement) == ["ses:SendEmail"]:
                continue  # any identity, only from the sender: test_mail_is_sent_only_from_the_configured_sender
            if _actions(statement) == ["sts:AssumeRole"]:
                continue  # the customers' roles, never this account's: test_security
            assert "*" not in resources.replace("/index/*", "").replace("/invoices/*", "").replace("/originals/*", "")


def test_matcher_event_source_gives_up_instead_of_retrying_forever():
    event = resource("MatcherFunction")["Properties"]["Events"]["InvoiceStream"]
    assert event["Type"] == "DynamoDB"
    settings = event["Properties"]
    assert settings["Stream"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert settings["MaximumRetryAttempts"] >= 0
    assert settings["MaximumRecordAgeInSeconds"] > 0
    assert settings["BisectBatchOnFunctionError"] is True
    assert settings["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert settings["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",  # SAM then grants the function sqs:SendMessage on the destination
        "Destination": {"Fn::GetAtt": ["MatcherFailureQueue", "Arn"]},
    }
    ingest = resource("IngestFunction")["Properties"]["Events"]["InvoiceUploads"]["Properties"]
    assert ingest["Queue"] == {"Fn::GetAtt": ["InvoiceUploadQueue", "Arn"]}
    assert ingest["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_invoices_matched_to_a_po_have_an_index():
    table = resource("Table")["Properties"]
    (index,) = [index for index in table["GlobalSecondaryIndexes"] if index["IndexName"] == "GSI3"]
    assert [key["AttributeName"] for key in index["KeySchema"]] == ["GSI3PK", "GSI1SK"]
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}  # a match writes no index but its keys
    assert {"AttributeName": "GSI3PK", "AttributeType": "S"} in table["AttributeDefinitions"]
    assert {"AttributeName": "GSI1SK", "AttributeType": "S"} in table["AttributeDefinitions"]


def test_mail_is_sent_only_from_the_configured_sender():
    for function in ("SchedulerFunction", "NotifierFunction"):
        (statement,) = [st for st in _statements(function) if _actions(st) == ["ses:SendEmail"]]
        assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": {"Ref": "NotificationSender"}}}
        # SES authorizes against whichever identity covers the sender and any configuration set.
        assert [arn["Fn::Sub"].rsplit(":", 1)[1] for arn in statement["Resource"]] == [
            "identity/*",
            "configuration-set/*",
        ]
    schedule = resource("SchedulerFunction")["Properties"]["Events"]["ExpirySchedule"]
    assert schedule["Properties"]["ScheduleExpression"] == {"Ref": "ScheduleExpression"}
    notices = resource("NotifierFunction")["Properties"]["Events"]["NoticeStream"]["Properties"]
    assert notices["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["NotificationFailureQueue", "Arn"]
    }


def test_the_schedule_index_is_keys_only():
    table = resource("Table")["Properties"]
    (index,) = [index for index in table["GlobalSecondaryIndexes"] if index["IndexName"] == "GSI4"]
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}  # balance updates never write to it
