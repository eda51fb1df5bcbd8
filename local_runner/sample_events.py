"""The sample events under ``events/``, for ``sam local invoke`` and for the tests.

``python -m local_runner.sample_events`` rewrites them from the same builder the runner uses;
a test invokes each one, in this order, and checks its status, so they cannot rot.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from typing import Any

from local_runner.event_schemas import write_schemas
from local_runner.events import api_gateway_event, local_claims, scheduled_event
from local_runner.template import ROOT, find_route

EVENTS_DIR = ROOT / "events" / "api"
SCHEDULED_EVENT = ROOT / "events" / "schedule" / "daily_run.json"
SAMPLE_ACCOUNT = "acme"

_PO = {
    "poId": "Q3_2020",
    "billTo": {"name": "Acme Corp", "line1": "1 Main St", "city": "Seattle", "region": "WA",
               "postalCode": "98101", "country": "US"},
    "billFrom": ["Amazon Web Services, Inc."],
    "currency": "USD",
    "effectiveMonth": "2020-07",
    "expirationMonth": "2020-09",
    "contacts": [{"name": "Ana", "email": "ana@example.com"}],
    "lineItems": [
        {"lineItemId": "1", "type": "SUBSCRIPTION_PURCHASE", "amount": "3000.00"},
        {"lineItemId": "2", "type": "MONTHLY_USAGE", "recurrence": "MONTHLY", "amount": "500.00"},
    ],
}  # fmt: skip


@dataclass(frozen=True)
class Sample:
    name: str
    method: str
    path: str
    expected_status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    query: str = ""


SAMPLES = (
    Sample("create_purchase_order", "POST", "/purchase-orders", 201, _PO),
    Sample("get_purchase_order", "GET", "/purchase-orders/Q3_2020", 200),
    Sample("list_purchase_orders", "GET", "/purchase-orders", 200, query="status=ACTIVE&limit=10"),
    Sample(
        "replace_purchase_order",
        "PUT",
        "/purchase-orders/Q3_2020",
        200,
        {**_PO, "expirationMonth": "2020-12"},
        {"If-Match": '"1"'},
    ),
    Sample("suspend_purchase_order", "POST", "/purchase-orders/Q3_2020/status", 200, {"status": "SUSPENDED"}),
    Sample(
        "add_line_item",
        "POST",
        "/purchase-orders/Q3_2020/line-items",
        201,
        {"lineItemId": "3", "type": "MARKETPLACE_PURCHASE", "amount": "250.00"},
    ),
    Sample("purchase_order_history", "GET", "/purchase-orders/Q3_2020/history", 200),
    Sample(
        "put_settings",
        "PUT",
        "/settings",
        200,
        {"currency": "USD", "matching": {"blockExceedingBalance": True, "tolerancePercent": "10"}},
    ),
    Sample("get_settings", "GET", "/settings", 200),
    Sample("delete_purchase_order", "DELETE", "/purchase-orders/Q3_2020", 204),
)


def sample_event(sample: Sample, account_id: str = SAMPLE_ACCOUNT) -> dict[str, Any]:
    matched = find_route(sample.method, sample.path)
    if matched is None:
        raise LookupError(f"template.yaml has no route for {sample.method} {sample.path}")
    route, parameters = matched
    headers = {"Content-Type": "application/json", **(sample.headers or {})} if sample.body else sample.headers
    return api_gateway_event(
        sample.method,
        sample.path,
        resource=route.path,
        path_parameters=parameters,
        query=sample.query,
        headers=headers,
        body=json.dumps(sample.body) if sample.body is not None else None,
        claims=local_claims(account_id),
        request_id=f"sample-{sample.name}",
        request_time_epoch_ms=1_700_000_000_000,
    )


SAMPLE_INVOICE = {
    "invoiceId": "INV-SAMPLE",
    "billingEntity": "Amazon Web Services, Inc.",
    "invoiceType": "SUBSCRIPTION_PURCHASE",
    "issueDate": "2020-07-15",
    "currency": "USD",
    "subtotal": "1000.00",
    "tax": "100.00",
    "total": "1100.00",
}


# An EN 16931 e-invoice (CII XML) put in the bucket: the ingest function's event for an XML upload.
SAMPLE_EINVOICE = ROOT / "tests" / "documents" / "cii_invoice.xml"
PIPELINE_EVENTS = {
    "stream": ROOT / "events" / "stream" / "new_invoice.json",
    "sqs": ROOT / "events" / "sqs" / "s3_object_created.json",
    "sqs-xml": ROOT / "events" / "sqs" / "s3_xml_object_created.json",
}


def capture_pipeline_events() -> dict[str, dict[str, Any]]:
    """The first event the matcher and the ingest function receive when ``SAMPLE_INVOICE`` is put
    under ``invoices/acme/``, and the ingest function's event for ``SAMPLE_EINVOICE`` put there next,
    captured from the emulated pipeline itself (so they are real-shaped)."""
    import boto3  # noqa: PLC0415 - only this generator needs them
    from moto import mock_aws  # noqa: PLC0415

    from local_runner.emulator import FAKE_CREDENTIALS, create_resources  # noqa: PLC0415
    from local_runner.event_sources import EventSources  # noqa: PLC0415
    from local_runner.server import LocalFunction  # noqa: PLC0415

    captured: dict[str, dict[str, Any]] = {}

    def recorder(name: str, forward: Any = None) -> Any:
        def invoke(event: dict[str, Any]) -> dict[str, Any]:
            captured.setdefault(name, event)
            return forward(event) if forward else {"batchItemFailures": []}

        return invoke

    os.environ.update(FAKE_CREDENTIALS)
    with mock_aws():
        references = create_resources()
        ingest = LocalFunction("IngestFunction", references, {"LogLevel": "WARNING"})
        sources = EventSources.from_template(references, {"IngestFunction": recorder("sqs", ingest.invoke)})
        sources.drain()  # the S3 test event
        captured.clear()
        key = f"invoices/{SAMPLE_ACCOUNT}/{SAMPLE_INVOICE['invoiceId']}.json"
        boto3.client("s3").put_object(Bucket=references["InvoiceBucket"], Key=key, Body=json.dumps(SAMPLE_INVOICE))
        sources.drain()  # the real ingest function writes the invoice: its INSERT is the stream sample
        EventSources.from_template(references, {"MatcherFunction": recorder("stream")}).drain()
        key = f"invoices/{SAMPLE_ACCOUNT}/INV-2024-0042.xml"
        boto3.client("s3").put_object(Bucket=references["InvoiceBucket"], Key=key, Body=SAMPLE_EINVOICE.read_bytes())
        EventSources.from_template(references, {"IngestFunction": recorder("sqs-xml")}).drain()
    return captured


def scheduled_sample() -> dict[str, Any]:
    """The daily schedule's event on the first run of December 2026 (every November PO expires)."""
    event = scheduled_event(
        "2026-12-01T00:15:00Z", "arn:aws:scheduler:us-east-1:123456789012:schedule/default/po-expiry"
    )
    return {**event, "id": "5f1c1a9e-6a49-4c58-9d2e-3a1f0b7c2d10"}  # fixed, so the file does not churn


def main() -> None:
    EVENTS_DIR.mkdir(parents=True, exist_ok=True)
    for sample in SAMPLES:
        path = EVENTS_DIR / f"{sample.name}.json"
        path.write_text(json.dumps(sample_event(sample), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    for name, event in capture_pipeline_events().items():
        path = PIPELINE_EVENTS[name]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(event, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    SCHEDULED_EVENT.parent.mkdir(parents=True, exist_ok=True)
    SCHEDULED_EVENT.write_text(json.dumps(scheduled_sample(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {SCHEDULED_EVENT.relative_to(ROOT)}")
    sys.path.insert(0, str(ROOT / "layers" / "common"))
    for path in write_schemas():
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
