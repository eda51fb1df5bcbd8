"""Shared fixtures: AWS emulated by moto (in-process), the real API handler, an HTTP-like client.

The emulated resources come from template.yaml itself (local_runner.emulator), the function's
environment from the template's Globals, and each test works in an account of its own (a uuid),
so tests share one emulator without seeing each other's data.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from bench.capacity import CapacityMeter
from local_runner import aws_limits, outbox
from local_runner.emulator import FAKE_CREDENTIALS, create_resources
from local_runner.events import LambdaContext, api_gateway_event, local_claims
from local_runner.template import find_route, function_environment, parameter_values, resources_of_type

os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.update(FAKE_CREDENTIALS)
os.environ.update({"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING"})
aws_limits.install()  # every test runs behind AWS's limits (also installed by local_runner.emulator)


@pytest.fixture(scope="session")
def aws() -> Iterator[dict[str, str]]:
    with mock_aws():
        resources = create_resources()
        for function in resources_of_type("AWS::Serverless::Function"):  # each handler reads its own
            os.environ.update(function_environment(function, resources, {"LogLevel": "WARNING"}))
        yield resources


def mails_to(address: str) -> list[dict[str, Any]]:
    """The e-mails the emulated SES accepted for ``address``, oldest first."""
    return [message for message in outbox.sent_messages() if address in message["to"]]


@pytest.fixture(scope="session")
def api_handler(aws: dict[str, str]) -> Any:
    import api_handler as module

    return module


@pytest.fixture(scope="session")
def pipeline(aws: dict[str, str], api_handler: Any) -> Any:
    """The table's stream → matcher and S3 → SQS → ingest, as the template wires them; ``drain()``
    delivers everything pending (synchronously, no threads)."""
    import ingest_handler
    import matcher_handler
    import notifier_handler

    from local_runner.event_sources import EventSources

    invokers = {
        "MatcherFunction": handler_invoker(matcher_handler),
        "IngestFunction": handler_invoker(ingest_handler),
        "NotifierFunction": handler_invoker(notifier_handler),
    }
    return EventSources.from_template(aws, invokers)


def handler_invoker(module: Any, *, times: int = 1) -> Any:
    """Calls a handler module as Lambda would; ``times`` > 1 delivers every batch again."""

    def invoke(event: dict[str, Any]) -> Any:
        responses = [module.lambda_handler(event, LambdaContext()) for _ in range(times)]
        return responses[0]

    return invoke


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def etag(self) -> str | None:
        return self.headers.get("ETag")


@dataclass
class ApiClient:
    """Sends requests through the real handler as API Gateway would, for one account."""

    handler: Any
    account_id: str
    default_headers: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
        raw_body: str | None = None,
        claims: dict[str, str] | None = None,
    ) -> Reply:
        matched = find_route(method, path)
        assert matched is not None, f"template.yaml has no route {method} {path}"
        route, parameters = matched
        text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
        all_headers = {**self.default_headers, **(headers or {})}
        if text is not None:
            all_headers.setdefault("Content-Type", "application/json")
        event = api_gateway_event(
            method,
            path,
            resource=route.path,
            path_parameters=parameters,
            query=urlencode(query or {}),
            headers=all_headers,
            body=text,
            claims=local_claims(self.account_id) if claims is None else claims,
        )
        response = self.handler.lambda_handler(event, LambdaContext())
        if (refusal := aws_limits.lambda_response_refusal(response)) is not None:  # as the runner answers it
            problem = {"status": 502, "title": "Bad gateway", "detail": refusal}
            return Reply(502, {"Content-Type": "application/json"}, problem)
        raw = response.get("body")
        headers = dict(response.get("headers") or {})
        for name, values in (response.get("multiValueHeaders") or {}).items():
            headers[name] = ", ".join(values)
        return Reply(response["statusCode"], headers, json.loads(raw) if raw else None)

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return self.request("PUT", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Reply:
        return self.request("DELETE", path, **kwargs)


def new_account() -> str:
    return f"acct-{uuid.uuid4().hex[:12]}"


def po_path(po_id: str, *rest: str) -> str:
    return "/".join([f"/purchase-orders/{quote(po_id, safe='')}", *rest])


@pytest.fixture
def client(api_handler: Any) -> ApiClient:
    return ApiClient(api_handler, new_account())


@pytest.fixture
def other_client(api_handler: Any) -> ApiClient:
    return ApiClient(api_handler, new_account())


def purchase_order(po_id: str = "PO-1", **overrides: Any) -> dict[str, Any]:
    """A valid create body; keyword arguments replace fields."""
    document: dict[str, Any] = {
        "poId": po_id,
        "billFrom": ["Amazon Web Services, Inc."],
        "effectiveMonth": "2026-01",
        "expirationMonth": "2026-12",
        "contacts": [{"name": "Ana", "email": "ana@example.com"}],
        "lineItems": [{"lineItemId": "1", "type": "ALL", "amount": "1000.00"}],
    }
    document.update(overrides)
    return document


@pytest.fixture
def dynamodb_calls(api_handler: Any) -> Iterator[CapacityMeter]:
    """The requests the API handler's DynamoDB client sends, the items they read, the units they use."""
    import api_support

    client = api_support.stores.purchase_orders.table.client
    meter = CapacityMeter()
    meter.attach(client)
    yield meter
    meter.detach(client)


# --- invoices and e-mail ----------------------------------------------------------------------------

AWS_INC = "Amazon Web Services, Inc."


def invoice(invoice_id: str = "INV-1", subtotal: str = "100.00", **fields: Any) -> dict[str, Any]:
    document = {
        "invoiceId": invoice_id,
        "billingEntity": AWS_INC,
        "invoiceType": "MONTHLY_USAGE",
        "issueDate": "2026-03-15",
        "currency": "USD",
        "subtotal": subtotal,
        "tax": "0.00",
        "total": subtotal,
    }
    return {**document, **fields}


def ledger_total(account_id: str, po_id: str) -> Decimal:
    import api_support

    entries = api_support.stores.invoices.ledger_entries(account_id, po_id)
    return sum((Decimal(entry["amount"]) for e in entries for entry in e["entries"]), Decimal(0))


SENDER = parameter_values()["NotificationSender"]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


THROTTLED = ClientError({"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}}, "SendEmail")


class FlakySes:
    """Wraps the SES client: the first ``failures`` sends raise ``error`` (by default refused as SES
    refuses them, throttled) instead of sending."""

    def __init__(self, failures: int, error: Exception = THROTTLED):
        self.real = boto3.client("ses")
        self.failures = failures
        self.error = error
        self.calls = 0

    def send_email(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return self.real.send_email(**kwargs)


@pytest.fixture
def own_table(aws: dict[str, str]) -> Iterator[str]:
    """A table of the test's own (from the template), for seeding thousands of items without
    putting them in the shared table's stream, which every later test's ``drain`` would read."""
    from local_runner.template import create_table_arguments

    name = f"own-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb")
    client.create_table(**{**create_table_arguments("Table", name), "DeletionProtectionEnabled": False})
    yield name
    client.delete_table(TableName=name)
