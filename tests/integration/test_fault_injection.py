"""Faults injected around the real clients, with the template's own retry settings (in-process moto).

After each fault the invariants hold: every invoice ends MATCHED or UNMATCHED exactly once, each
line item's invoiced amount equals the sum of its ledger entries, no mail goes out twice, and what
was given up on reaches the on-failure queue with what a replay needs.
(Every stream batch delivered twice, and a second consumer of the stream, are in test_invoices.py.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local_runner.event_sources import EventSources
from local_runner.events import LambdaContext
from pom.adapters.event_bus import EventsNotPublished
from pom.adapters.mail import Mailer
from pom.core.months import iso_timestamp
from pom.services.delivery import Notifier
from tests.conftest import SENDER, ApiClient, FlakySes, invoice, ledger_total, mails_to, purchase_order
from tools.replay_failed_matches import replay


class FaultyClient:
    """A boto3 client whose ``operation`` runs ``fault(call, kwargs)`` instead (the call is the real one)."""

    def __init__(self, real: Any, operation: str, fault: Callable[[Callable[..., Any], dict[str, Any]], Any]):
        self._real = real
        self._operation = operation
        self._fault = fault

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._real, name)
        if name != self._operation:
            return real
        return lambda **kwargs: self._fault(real, kwargs)


def first_calls(count: int, effect: Callable[[Callable[..., Any], dict[str, Any]], Any]) -> Any:
    """A fault that applies ``effect`` to the first ``count`` calls, then lets calls through."""
    calls = {"n": 0}

    def fault(call: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        calls["n"] += 1
        if calls["n"] <= count:
            return effect(call, kwargs)
        return call(**kwargs)

    return fault


def throttled(call: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    error = {"Error": {"Code": "ThrottlingException", "Message": "Rate of requests exceeds the allowed throughput."}}
    raise ClientError(error, "TransactWriteItems")


def crash_after(call: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    call(**kwargs)  # the transaction commits...
    raise RuntimeError("container killed before the batch returned")  # ...and the invocation dies


@pytest.fixture
def matcher_client(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, Any], None]:
    import matcher_handler

    table = matcher_handler.stores.invoices.table
    real = table.client

    def inject(operation: str, fault: Any) -> None:
        monkeypatch.setattr(table, "_client", FaultyClient(real, operation, fault))

    return inject


def assert_invariants(client: ApiClient, po_ids: list[str]) -> None:
    invoices = client.get("/invoices", query={"limit": 100}).body["items"]
    assert {item["matchStatus"] for item in invoices} <= {"MATCHED", "UNMATCHED"}
    for po_id in po_ids:
        po = client.get(f"/purchase-orders/{po_id}").body
        assert Decimal(po["invoicedAmount"]) == ledger_total(client.account_id, po_id)
        matched = [item for item in invoices if item["match"] and item["match"]["poId"] == po_id]
        assert Decimal(po["invoicedAmount"]) == sum((Decimal(item["subtotal"]) for item in matched), Decimal(0))


def test_a_throttled_transaction_mid_match_is_retried_and_debits_once(
    client: ApiClient, pipeline: EventSources, matcher_client: Any
):
    client.post("/purchase-orders", purchase_order("PO-T"))
    matcher_client("transact_write_items", first_calls(2, throttled))
    for number in range(3):
        client.post("/invoices", invoice(f"T-{number}", "100.00"))
    pipeline.drain()
    assert [client.get(f"/invoices/T-{n}").body["matchStatus"] for n in range(3)] == ["MATCHED"] * 3
    assert client.get("/purchase-orders/PO-T").body["invoicedAmount"] == "300.00"
    assert_invariants(client, ["PO-T"])


def test_a_crash_after_the_transaction_redelivers_without_a_second_debit(
    client: ApiClient, pipeline: EventSources, matcher_client: Any
):
    client.post("/purchase-orders", purchase_order("PO-C"))
    matcher_client("transact_write_items", first_calls(1, crash_after))
    client.post("/invoices", invoice("C-1", "250.00"))
    pipeline.drain()
    assert client.get("/invoices/C-1").body["matchStatus"] == "MATCHED"
    assert client.get("/purchase-orders/PO-C").body["invoicedAmount"] == "250.00"
    assert_invariants(client, ["PO-C"])


def test_a_record_that_keeps_failing_reaches_the_failure_queue_and_replays(
    client: ApiClient, pipeline: EventSources, matcher_client: Any, aws: dict[str, str]
):
    sqs = boto3.client("sqs")
    sqs.purge_queue(QueueUrl=aws["MatcherFailureQueue"])  # what other tests gave up on is not this test's
    client.post("/purchase-orders", purchase_order("PO-R"))
    matcher_client("transact_write_items", first_calls(1000, throttled))  # an outage beyond the retries
    client.post("/invoices", invoice("R-1", "40.00"))
    pipeline.drain()
    assert client.get("/invoices/R-1").body["matchStatus"] == "PENDING"  # not lost: still there, still pending
    peek = sqs.receive_message(QueueUrl=aws["MatcherFailureQueue"], VisibilityTimeout=0)["Messages"]
    batch = json.loads(peek[0]["Body"])["DDBStreamBatchInfo"]
    assert {"shardId", "startSequenceNumber", "endSequenceNumber", "streamArn"} <= batch.keys()
    matcher_client("transact_write_items", first_calls(0, throttled))  # the outage is over
    import matcher_handler

    invoices = matcher_handler.stores.invoices
    report = replay(aws["MatcherFailureQueue"], invoices, sqs, boto3.client("dynamodbstreams"))
    assert (report.invoices_replayed, report.messages) == (1, 1)
    pipeline.drain()
    assert client.get("/invoices/R-1").body["matchStatus"] == "MATCHED"
    again = replay(aws["MatcherFailureQueue"], invoices, sqs, boto3.client("dynamodbstreams"))
    assert again.messages == 0
    assert_invariants(client, ["PO-R"])


def test_s3_events_duplicated_and_reordered_ingest_each_object_once(
    client: ApiClient, pipeline: EventSources, aws: dict[str, str]
):
    import ingest_handler

    pipeline.drain()  # nothing of other tests' left in the queue
    sqs, keys = boto3.client("sqs"), []
    for number in range(6):
        keys.append(f"invoices/{client.account_id}/dup-{number}.json")
        boto3.client("s3").put_object(
            Bucket=aws["InvoiceBucket"], Key=keys[-1], Body=json.dumps(invoice(f"D-{number}"))
        )
    notifications: list[dict[str, Any]] = []  # what S3 really sent, taken off the queue before the function
    while len(notifications) < len(keys):
        for message in sqs.receive_message(QueueUrl=aws["InvoiceUploadQueue"], MaxNumberOfMessages=10)["Messages"]:
            notifications.append({"messageId": message["MessageId"], "body": message["Body"], "eventSource": "aws:sqs"})
            sqs.delete_message(QueueUrl=aws["InvoiceUploadQueue"], ReceiptHandle=message["ReceiptHandle"])
    deliveries = [*reversed(notifications), *notifications[::2], *notifications, *notifications[1::2]]
    for chunk in range(0, len(deliveries), 5):  # each delivered up to three times, out of order
        response = ingest_handler.lambda_handler({"Records": deliveries[chunk : chunk + 5]}, LambdaContext())
        assert response["batchItemFailures"] == []
    pipeline.drain()
    listed = client.get("/invoices", query={"limit": 100}).body["items"]
    assert sorted(item["invoiceId"] for item in listed) == [f"D-{n}" for n in range(6)]
    uploads = client.get("/invoice-uploads", query={"limit": 100}).body["items"]
    assert sorted(upload["key"] for upload in uploads) == keys
    assert_invariants(client, [])


def s3_unavailable(call: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    error = {"Error": {"Code": "ServiceUnavailable", "Message": "Please reduce your request rate."}}
    raise ClientError(error, "GetObject")


def test_s3_unavailable_fails_the_upload_message_and_the_retry_ingests_it(
    client: ApiClient, pipeline: EventSources, monkeypatch: pytest.MonkeyPatch
):
    import ingest_handler

    pipeline.drain()  # nothing of other tests' left in the queue
    documents = ingest_handler.documents
    faulty = FaultyClient(documents.client, "get_object", first_calls(1, s3_unavailable))
    monkeypatch.setattr(documents, "_client", faulty)
    key = f"invoices/{client.account_id}/later.json"
    boto3.client("s3").put_object(Bucket=documents.bucket, Key=key, Body=json.dumps(invoice("LATER")))
    assert pipeline.drain()["queueMessages"] == 2  # failed (not recorded as gone), then delivered again
    assert client.get("/invoices/LATER").status == 200
    uploads = client.get("/invoice-uploads").body["items"]
    assert [(item["key"], item["status"], item["invoiceId"]) for item in uploads] == [(key, "ACCEPTED", "LATER")]


def test_ses_failing_then_recovering_sends_a_balance_alert_once(
    client: ApiClient, pipeline: EventSources, monkeypatch: pytest.MonkeyPatch, aws: dict[str, str]
):
    import notifier_handler

    email = f"{client.account_id}@example.com"
    client.post("/purchase-orders", purchase_order("PO-S", contacts=[{"name": "Bo", "email": email}]))
    monkeypatch.setattr(notifier_handler.notifier, "mailer", Mailer(FlakySes(failures=2)))  # both tries of the delivery
    monkeypatch.setattr(notifier_handler.notifier, "pause_seconds", 0)
    client.post("/invoices", invoice("S-1", "800.00"))
    pipeline.drain()
    assert mails_to(email) == []  # SES refused: the alert stays due
    import api_support

    stores = api_support.stores
    notifier = Notifier(stores.outbox, SENDER, pause_seconds=0)
    for _ in range(2):  # the scheduled run's outbox sweep, twice: sent once
        notifier.deliver(stores.schedule.due(iso_timestamp(datetime.now(UTC))).notices)
    assert [mail["subject"] for mail in mails_to(email)] == ["Purchase order PO-S has reached 75% of its amount"]
    assert_invariants(client, ["PO-S"])


def test_a_record_whose_events_are_refused_fails_with_the_ones_after_it(aws: dict[str, str], monkeypatch: Any):
    """EventBridge refusing an event (FailedEntryCount > 0, every retry) fails that record and leaves the
    records after it for the redelivery, so a resource's events keep their order and none is lost."""
    import notifier_handler

    from pom.domain.events import Event

    published: list[str] = []

    class RefusesTheSecond:
        """Publishes the events before the batch's second and refuses it (the ones after it may pass)."""

        def publish(self, events: list[Event]) -> None:
            published.extend(event.detail["invoiceId"] for event in events[:1])
            if len(events) > 1:
                raise EventsNotPublished("refused", published=1)

    monkeypatch.setattr(notifier_handler.publisher, "bus", RefusesTheSecond())
    records = [_invoice_insert(f"INV-{n}", str(100 + n)) for n in range(3)]

    response = notifier_handler.lambda_handler({"Records": records}, LambdaContext())

    assert response == {"batchItemFailures": [{"itemIdentifier": "101"}]}
    assert published == ["INV-0"]


def _invoice_insert(invoice_id: str, sequence: str) -> dict[str, Any]:
    from pom.domain.inputs import InvoiceDocument
    from pom.domain.invoices import content_hash, new_invoice
    from pom.store.dynamo import to_item

    document = InvoiceDocument.model_validate(invoice(invoice_id))
    stored = new_invoice("acct-events", document, datetime(2026, 3, 1, tzinfo=UTC), "k", content_hash(document))
    image = to_item({**stored.to_document(), "entity": "INVOICE", "PK": "ACCT#a", "SK": f"INV#{invoice_id}"})
    keys = {"PK": image["PK"], "SK": image["SK"]}
    return {
        "eventName": "INSERT",
        "dynamodb": {"Keys": keys, "NewImage": image, "SequenceNumber": sequence, "ApproximateCreationDateTime": 1.7e9},
    }
