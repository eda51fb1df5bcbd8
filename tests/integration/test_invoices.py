"""Invoices through the real handlers (API, ingest, matcher) against the emulator, stream included."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest

from bench.capacity import CapacityMeter, floor_dollars_per_million
from bench.match_cost import FLOOR_RATIO_BAR, HUNDRED_MONTHLY, SIZE_RATIO_BAR, measure
from local_runner.event_sources import EventSources
from local_runner.events import LambdaContext
from pom.store.tables import dynamo_stores
from tests.conftest import (
    ApiClient,
    handler_invoker,
    invoice,
    ledger_total,
    new_account,
    po_path,
    purchase_order,
)

EVENTS = Path(__file__).resolve().parents[2] / "events"


def balance(client: ApiClient, po_id: str) -> str:
    return client.get(po_path(po_id)).body["balance"]


# --- upload ---------------------------------------------------------------------------------------


def test_upload_is_idempotent_by_content(client: ApiClient, pipeline: EventSources):
    client.post("/purchase-orders", purchase_order("PO"))
    first = client.post("/invoices", invoice())
    assert (first.status, first.body["matchStatus"], first.etag) == (202, "PENDING", '"1"')
    assert first.headers["Location"] == "/invoices/INV-1"
    reordered = json.dumps(dict(reversed(list(invoice().items()))))
    assert client.post("/invoices", raw_body=reordered).status == 200  # same content, other formatting
    other = client.post("/invoices", invoice(subtotal="101.00"))
    assert other.status == 409
    pipeline.drain()
    assert client.get("/invoices/INV-1").body["matchStatus"] == "MATCHED"
    assert balance(client, "PO") == "900.00"
    again = client.post("/invoices", invoice())
    assert (again.status, again.body["matchStatus"]) == (200, "MATCHED")
    pipeline.drain()
    assert balance(client, "PO") == "900.00"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"total": "99.00"}, "total"),
        ({"issueDate": "2026-02-30"}, "issueDate"),
        ({"currency": "JPY", "subtotal": "1.5", "total": "1.5"}, "subtotal"),
        ({"lines": [{"lineNumber": 1, "amount": "60.00"}]}, "lines"),
        ({"documentType": "CREDIT_MEMO"}, "originalInvoiceId"),
        ({"accountId": "someone-else"}, "accountId"),
        ({"invoiceType": "ALL"}, "invoiceType"),
        ({"subtotal": "-5.00", "total": "-5.00"}, "subtotal"),
    ],
)
def test_invalid_documents_are_422_naming_the_field(client: ApiClient, changes: dict[str, Any], field: str):
    reply = client.post("/invoices", invoice(**changes))
    assert reply.status == 422, reply.body
    assert field in {error["field"] for error in reply.body["detail"]}


def test_document_link_serves_the_original(client: ApiClient):
    client.post("/invoices", invoice(description="café ☕"))
    link = client.get("/invoices/INV-1/document").body
    assert link["expiresInSeconds"] == 300
    s3 = boto3.client("s3")
    key = link["url"].split(".amazonaws.com/", 1)[1].split("?", 1)[0]
    stored = json.loads(s3.get_object(Bucket="invoices-local", Key=key)["Body"].read())
    assert stored["description"] == "café ☕"
    assert stored["subtotal"] == "100.00"


# --- S3 ingestion -----------------------------------------------------------------------------------


def test_s3_uploads_are_ingested_once_and_bad_ones_kept_and_listed(client: ApiClient, pipeline: EventSources):
    client.post("/purchase-orders", purchase_order("PO"))
    s3 = boto3.client("s3")
    prefix = f"invoices/{client.account_id}"
    body = json.dumps(invoice("S3-1")).encode()
    s3.put_object(Bucket="invoices-local", Key=f"{prefix}/a.json", Body=body)
    s3.put_object(Bucket="invoices-local", Key=f"{prefix}/copy of a.json", Body=body)
    s3.put_object(Bucket="invoices-local", Key=f"{prefix}/broken.json", Body=b'{"invoiceId": "BAD"')
    claim = json.dumps(invoice("S3-2", accountId="someone-else")).encode()
    s3.put_object(Bucket="invoices-local", Key=f"{prefix}/claim.json", Body=claim)
    pipeline.drain()
    invoices = client.get("/invoices").body["items"]
    assert [(item["invoiceId"], item["matchStatus"]) for item in invoices] == [("S3-1", "MATCHED")]
    assert balance(client, "PO") == "900.00"
    rejected = {
        item["key"]: item for item in client.get("/invoice-uploads", query={"status": "REJECTED"}).body["items"]
    }
    assert set(rejected) == {f"{prefix}/broken.json", f"{prefix}/claim.json"}
    assert "JSON" in rejected[f"{prefix}/broken.json"]["error"]
    assert rejected[f"{prefix}/claim.json"]["error"][0]["field"] == "accountId"
    accepted = client.get("/invoice-uploads", query={"status": "ACCEPTED"}).body["items"]
    assert [(item["key"], item["invoiceId"]) for item in accepted] == [(f"{prefix}/a.json", "S3-1")]
    duplicates = client.get("/invoice-uploads", query={"status": "DUPLICATE"}).body["items"]
    assert [(item["key"], item["invoiceId"]) for item in duplicates] == [(f"{prefix}/copy of a.json", "S3-1")]
    assert s3.get_object(Bucket="invoices-local", Key=f"{prefix}/broken.json")["Body"].read() == b'{"invoiceId": "BAD"'
    stranger = ApiClient(client.handler, new_account())
    assert stranger.get("/invoice-uploads").body["items"] == []
    assert stranger.get("/invoices/S3-1").status == 404


def test_two_documents_put_under_one_key_are_two_invoices(client: ApiClient, pipeline: EventSources):
    """The bucket is versioned: each event is read at its own version, not at the key's latest."""
    s3, key = boto3.client("s3"), f"invoices/{client.account_id}/monthly.json"
    s3.put_object(Bucket="invoices-local", Key=key, Body=json.dumps(invoice("FIRST")).encode())
    s3.put_object(Bucket="invoices-local", Key=key, Body=json.dumps(invoice("SECOND")).encode())
    pipeline.drain()
    assert sorted(item["invoiceId"] for item in client.get("/invoices").body["items"]) == ["FIRST", "SECOND"]
    uploads = client.get("/invoice-uploads").body["items"]
    assert sorted((item["key"], item["status"], item["invoiceId"]) for item in uploads) == [
        (key, "ACCEPTED", "FIRST"),
        (key, "ACCEPTED", "SECOND"),
    ]


def test_an_object_deleted_before_it_is_read_is_rejected_not_retried(client: ApiClient, pipeline: EventSources):
    pipeline.drain()  # nothing of other tests' left in the queue
    s3, key = boto3.client("s3"), f"invoices/{client.account_id}/withdrawn.json"
    put = s3.put_object(Bucket="invoices-local", Key=key, Body=json.dumps(invoice("GONE")).encode())
    s3.delete_object(Bucket="invoices-local", Key=key, VersionId=put["VersionId"])  # the version itself
    assert pipeline.drain()["queueMessages"] == 1  # delivered once: not failed, so not retried
    assert client.get("/invoices").body["items"] == []
    uploads = client.get("/invoice-uploads").body["items"]
    assert [(item["key"], item["status"], item["error"]) for item in uploads] == [
        (key, "REJECTED", "the object (version) no longer exists")
    ]


# --- matching, balances and the ledger -------------------------------------------------------------


def alert_due(aws: dict[str, str], account_id: str, po_id: str, percent: int) -> bool:
    key = {"PK": {"S": f"ACCT#{account_id}"}, "SK": {"S": f"NOTICE#BALANCE_ALERT#{percent:03d}#{po_id}"}}
    return "Item" in boto3.client("dynamodb").get_item(TableName=aws["Table"], Key=key)


def test_match_records_explanation_ledger_and_audit(client: ApiClient, pipeline: EventSources, aws: dict[str, str]):
    client.post("/purchase-orders", purchase_order("ALL-PO"))
    specific = purchase_order("USAGE-PO", lineItems=[{"lineItemId": "7", "type": "MONTHLY_USAGE", "amount": "500"}])
    client.post("/purchase-orders", specific)
    client.post("/invoices", invoice(subtotal="400.00"))
    pipeline.drain()
    matched = client.get("/invoices/INV-1").body
    assert matched["match"]["poId"] == "USAGE-PO"  # the exact type ranks first
    assert (matched["match"]["availableBalance"], matched["match"]["flags"]) == ("500.00", [])
    outcomes = {(c["poId"], c["outcome"]) for c in matched["matchExplanation"]["candidates"]}
    assert outcomes == {("USAGE-PO", "SELECTED"), ("ALL-PO", "OUTRANKED")}
    assert client.get("/purchase-orders/USAGE-PO/invoices").body["items"][0]["invoiceId"] == "INV-1"
    assert client.get("/purchase-orders/ALL-PO/invoices").body["items"] == []
    assert client.get("/invoices", query={"poId": "USAGE-PO", "matchStatus": "MATCHED"}).body["items"]
    assert ledger_total(client.account_id, "USAGE-PO") == Decimal("400.00")
    history = client.get(po_path("USAGE-PO", "history")).body["items"]
    system = {"userId": "system", "email": None}
    assert [(entry["action"], entry["actor"]) for entry in history[:2]] == [
        ("NOTIFIED", system),  # the 75% balance alert (the contact was mailed after the match)
        ("INVOICE_MATCHED", system),
    ]
    assert history[1]["details"]["movements"] == [{"lineItemId": "7", "month": None, "amount": "400.00"}]
    assert alert_due(aws, client.account_id, "USAGE-PO", 75)  # 80% reached
    assert not alert_due(aws, client.account_id, "USAGE-PO", 100)
    client.post("/invoices", invoice("INV-2", subtotal="200.00"))  # the exact type, exceeding: still first
    pipeline.drain()
    second = client.get("/invoices/INV-2").body["match"]
    assert (second["poId"], second["availableBalance"], second["flags"]) == ("USAGE-PO", "100.00", ["EXCEEDS_BALANCE"])
    assert alert_due(aws, client.account_id, "USAGE-PO", 100)
    assert not alert_due(aws, client.account_id, "ALL-PO", 75)


def test_unmatched_reasons(client: ApiClient, pipeline: EventSources):
    client.post("/invoices", invoice("NONE"))
    pipeline.drain()  # matched while the account has no PO at all
    client.post("/purchase-orders", purchase_order("PO", billFrom=["Someone Else"]))
    client.post("/invoices", invoice("ENTITY"))
    client.post("/invoices", invoice("PICKED", poId="NOT-THERE"))
    pipeline.drain()
    reasons = {
        i["invoiceId"]: i["unmatchedReason"]
        for i in client.get("/invoices", query={"matchStatus": "UNMATCHED"}).body["items"]
    }
    assert reasons == {"NONE": "NO_ACTIVE_PO", "ENTITY": "NO_BILL_FROM_MATCH", "PICKED": "PO_NOT_ELIGIBLE"}


def test_currency_mismatch_matches_without_debit(client: ApiClient, pipeline: EventSources):
    client.post("/purchase-orders", purchase_order("PO"))
    client.post("/invoices", invoice(currency="EUR"))
    pipeline.drain()
    body = client.get("/invoices/INV-1").body
    assert (body["matchStatus"], body["match"]["flags"]) == ("MATCHED", ["CURRENCY_MISMATCH"])
    assert balance(client, "PO") == "1000.00"
    assert client.delete(po_path("PO", "line-items", "1")).status == 409  # an invoice is matched to it


def test_manual_rematch_unmatch_and_approval_rules(client: ApiClient, pipeline: EventSources):
    client.post("/purchase-orders", purchase_order("A"))
    client.post("/purchase-orders", purchase_order("B", lineItems=[{"lineItemId": "x", "type": "ALL", "amount": "50"}]))
    client.post("/invoices", invoice(subtotal="100.00"))
    pipeline.drain()
    assert client.get("/invoices/INV-1").body["match"]["poId"] == "A"
    assert (
        client.put("/invoices/INV-1/match", {"poId": "B", "lineItemId": "x"}, headers={"If-Match": '"1"'}).status == 412
    )
    moved = client.put("/invoices/INV-1/match", {"poId": "B", "lineItemId": "x"})
    assert moved.status == 200, moved.body
    assert (moved.body["match"]["poId"], moved.body["match"]["manual"], moved.body["match"]["flags"]) == (
        "B", True, ["EXCEEDS_BALANCE"],
    )  # fmt: skip
    assert (balance(client, "A"), balance(client, "B")) == ("1000.00", "-50.00")
    assert client.put("/invoices/INV-1/match", {"poId": "NOPE", "lineItemId": "x"}).status == 422
    assert client.put("/invoices/INV-1/match", {"poId": "A", "lineItemId": "nope"}).status == 422
    client.put("/settings", {"matching": {"blockExceedingBalance": True}})
    assert client.post("/invoices/INV-1/submit").status == 409  # exceeds B's balance: judged by today's settings
    client.put("/settings", {"matching": {"blockExceedingBalance": True, "tolerancePercent": "99"}})
    assert client.post("/invoices/INV-1/submit").status == 409  # the $50 excess is 100% of the $50 balance
    assert client.put("/invoices/INV-1/match", {"poId": "B", "lineItemId": "x"}).status == 200  # no change
    unmatched = client.delete("/invoices/INV-1/match")
    assert (unmatched.body["matchStatus"], unmatched.body["unmatchedReason"]) == ("UNMATCHED", "UNMATCHED_BY_USER")
    assert balance(client, "B") == "50.00"
    assert client.delete("/invoices/INV-1/match").status == 409
    client.put("/settings", {"matching": {"requirePurchaseOrder": True}})
    assert client.post("/invoices/INV-1/submit").status == 409
    rematched = client.put("/invoices/INV-1/match", {"poId": "A", "lineItemId": "1"})
    assert rematched.body["matchStatus"] == "MATCHED"
    submitted = client.post("/invoices/INV-1/submit")
    assert (submitted.status, submitted.body["approvalStatus"]) == (200, "SUBMITTED")
    assert client.put("/invoices/INV-1/match", {"poId": "B", "lineItemId": "x"}).status == 409  # not DRAFT
    assert client.post("/invoices/INV-1/submit").status == 409
    approved = client.post("/invoices/INV-1/approve")
    assert (approved.body["approvalStatus"], approved.body["matchStatus"]) == ("APPROVED", "MATCHED")
    assert client.post("/invoices/INV-1/reject").status == 409
    assert ledger_total(client.account_id, "A") == Decimal("100.00")
    assert ledger_total(client.account_id, "B") == Decimal(0)


def test_reject_credits_back(client: ApiClient, pipeline: EventSources):
    client.post("/purchase-orders", purchase_order("PO"))
    client.post("/invoices", invoice(subtotal="250.00"))
    pipeline.drain()
    client.post("/invoices/INV-1/submit")
    rejected = client.post("/invoices/INV-1/reject").body
    assert (rejected["approvalStatus"], rejected["matchStatus"], rejected["match"]) == ("REJECTED", "UNMATCHED", None)
    assert balance(client, "PO") == "1000.00"
    assert ledger_total(client.account_id, "PO") == Decimal(0)


def test_the_invoice_history_records_each_change_with_who_and_why(client: ApiClient, pipeline: EventSources):
    client.post("/purchase-orders", purchase_order("PO"))
    client.post("/invoices", invoice(subtotal="250.00"))
    pipeline.drain()
    client.post("/invoices/INV-1/submit")
    rejected = client.post("/invoices/INV-1/reject", {"reason": "billed twice"})
    assert (rejected.status, rejected.body["rejectionReason"]) == (200, "billed twice")
    history = client.get("/invoices/INV-1/history").body["items"]
    assert [entry["action"] for entry in history] == ["REJECTED", "UNMATCHED", "SUBMITTED", "MATCHED", "RECEIVED"]
    assert history[0]["details"]["reason"] == "billed twice"
    assert history[3]["details"]["poId"] == "PO"
    assert history[3]["actor"] == {"userId": "system", "email": None}  # the matcher
    user = {"userId": client.account_id, "email": None}  # local:<account>: a user named after the account
    assert history[0]["actor"] == history[-1]["actor"] == user
    first = client.get("/invoices/INV-1/history", query={"limit": "2"}).body
    rest = client.get("/invoices/INV-1/history", query={"limit": "50", "nextToken": first["nextToken"]}).body
    assert [e["action"] for e in first["items"] + rest["items"]] == [e["action"] for e in history]
    assert client.get("/invoices/NOPE/history").status == 404
    assert client.post("/invoices/INV-1/reject", {"reason": "x" * 501}).status == 422


def test_lists_by_match_status_page_through_every_invoice_of_that_status(client: ApiClient, pipeline: EventSources):
    """MATCHED invoices are the all-invoices index filtered (the status index keeps the others, so a
    match moves one index entry less): a page fills from further keys when the filter drops some."""
    client.post("/purchase-orders", purchase_order("PO", billFrom=["Another Seller LLC"]))
    entity = {"billingEntity": "Another Seller LLC"}
    for number in range(7):  # newest first: M-6, U-5, U-4, U-3, M-2, U-1, M-0
        matched = number % 4 in (0, 2) and number != 4
        client.post("/invoices", invoice(f"{'M' if matched else 'U'}-{number}", **(entity if matched else {})))
    pipeline.drain()

    def listed(query: dict[str, str]) -> list[list[str]]:
        pages, token = [], None
        while True:
            page = client.get("/invoices", query={**query, **({"nextToken": token} if token else {})}).body
            pages.append([item["invoiceId"] for item in page["items"]])
            if not (token := page["nextToken"]):
                return pages

    assert listed({"matchStatus": "MATCHED", "limit": "2"})[:2] == [["M-6", "M-2"], ["M-0"]]
    unmatched = listed({"matchStatus": "UNMATCHED", "limit": "2"})
    assert [i for page in unmatched for i in page] == ["U-5", "U-4", "U-3", "U-1"]
    drafts = listed({"matchStatus": "MATCHED", "approvalStatus": "DRAFT", "limit": "5"})
    assert [i for page in drafts for i in page] == ["M-6", "M-2", "M-0"]
    assert listed({"matchStatus": "PENDING"}) == [[]]


def test_a_match_standing_since_receipt_is_in_the_history_from_the_invoice_itself(
    client: ApiClient, pipeline: EventSources
):
    """The matcher's match of an invoice as received writes no trail item (one item less per match):
    the history shows it from the invoice, in its place, at every page size; superseded, it is written."""
    client.post("/purchase-orders", purchase_order("PO"))
    client.post("/invoices", invoice(subtotal="250.00"))
    pipeline.drain()
    client.post("/invoices/INV-1/submit")
    history = client.get("/invoices/INV-1/history").body
    assert [entry["action"] for entry in history["items"]] == ["SUBMITTED", "MATCHED", "RECEIVED"]
    assert history["nextToken"] is None
    matched = history["items"][1]
    assert matched["actor"] == {"userId": "system", "email": None}
    assert (matched["details"]["poId"], matched["details"]["amount"]) == ("PO", "250.00")
    assert matched["at"] == client.get("/invoices/INV-1").body["match"]["matchedAt"]
    for limit in (1, 2, 3):
        pages, token = [], None
        while True:
            query = {"limit": str(limit), **({"nextToken": token} if token else {})}
            page = client.get("/invoices/INV-1/history", query=query).body
            assert len(page["items"]) <= limit
            pages += page["items"]
            token = page["nextToken"]
            if token is None:
                break
        assert pages == history["items"], limit
    client.post("/invoices", invoice("INV-2", subtotal="1.00"))
    pipeline.drain()
    other = client.get("/invoices/INV-2/history", query={"limit": "1"}).body["nextToken"]
    assert client.get("/invoices/INV-1/history", query={"nextToken": other}).status == 422  # another's token
    client.post("/invoices/INV-2/submit")
    client.post("/invoices/INV-2/reject", {"reason": "a test"})
    superseded = [entry["action"] for entry in client.get("/invoices/INV-2/history").body["items"]]
    assert superseded == ["REJECTED", "UNMATCHED", "SUBMITTED", "MATCHED", "RECEIVED"]


def test_credit_memos_never_credit_more_than_the_original(client: ApiClient, pipeline: EventSources):
    client.post("/purchase-orders", purchase_order("PO"))
    client.post("/invoices", invoice("ORIG", subtotal="800.00"))
    pipeline.drain()
    memo = {"documentType": "CREDIT_MEMO", "originalInvoiceId": "ORIG"}
    client.post("/invoices", invoice("CM-1", subtotal="300.00", **memo))
    pipeline.drain()
    assert balance(client, "PO") == "500.00"
    client.post("/invoices", invoice("CM-2", subtotal="600.00", **memo))
    pipeline.drain()
    second = client.get("/invoices/CM-2").body
    assert (second["matchStatus"], second["match"]["amount"]) == ("MATCHED", "500.00")
    assert balance(client, "PO") == "1000.00"
    client.post("/invoices", invoice("CM-3", subtotal="1.00", **memo))
    client.post("/invoices", invoice("CM-4", subtotal="1.00", documentType="CREDIT_MEMO", originalInvoiceId="NONE"))
    pipeline.drain()
    assert client.get("/invoices/CM-3").body["unmatchedReason"] == "INSUFFICIENT_BALANCE"
    assert client.get("/invoices/CM-4").body["unmatchedReason"] == "NO_LINE_ITEM_MATCH"
    assert client.get("/invoices/ORIG").body["creditedAmount"] == "800.00"
    assert client.delete("/invoices/ORIG/match").status == 409  # credits were applied against it
    assert ledger_total(client.account_id, "PO") == Decimal(0)


def test_invoice_routes_are_tenant_isolated(client: ApiClient, other_client: ApiClient, pipeline: EventSources):
    client.post("/purchase-orders", purchase_order("PO"))
    client.post("/invoices", invoice())
    pipeline.drain()
    for method, path, body in [
        ("GET", "/invoices/INV-1", None),
        ("GET", "/invoices/INV-1/document", None),
        ("PUT", "/invoices/INV-1/match", {"poId": "PO", "lineItemId": "1"}),
        ("DELETE", "/invoices/INV-1/match", None),
        ("POST", "/invoices/INV-1/submit", None),
        ("GET", "/purchase-orders/PO/invoices", None),
    ]:
        assert other_client.request(method, path, body).status == 404, (method, path)
    assert other_client.get("/invoices").body["items"] == []
    assert other_client.post("/invoices", invoice(poId="PO")).status == 202  # same id, its own account
    pipeline.drain()
    assert other_client.get("/invoices/INV-1").body["unmatchedReason"] == "PO_NOT_ELIGIBLE"
    assert balance(client, "PO") == "900.00"


# --- cost ---------------------------------------------------------------------------------------------


def test_matcher_cost_is_three_requests_and_ignores_ineligible_pos(own_table: str):
    stores = dynamo_stores(own_table)
    none, many = (measure(stores, count) for count in (0, 1000))
    elsewhere = measure(stores, 1000, elsewhere=True)
    for run in (many, elsewhere):
        assert none["operations"] == run["operations"] == ["Query", "BatchGetItem", "TransactWriteItems"]
        assert none["outcome"] == run["outcome"] == "MATCHED"
        assert run["items_read"] <= 2 * none["items_read"]


def test_upload_costs_one_dynamodb_request(client: ApiClient, dynamodb_calls: CapacityMeter):
    dynamodb_calls.reset()
    assert client.post("/invoices", invoice()).status == 202
    assert dynamodb_calls.operations == ["TransactWriteItems"]  # the invoice and its supplier number


# --- concurrency and duplicate delivery ----------------------------------------------------------------


def test_concurrent_uploads_and_duplicated_deliveries_debit_exactly_once(aws: dict[str, str], api_handler: Any):
    """20 threads upload 200 invoices against one PO; every stream batch reaches the matcher twice,
    and a second consumer reads the whole stream again."""
    import api_support
    import matcher_handler

    from pom.domain.audit import Actor
    from pom.domain.inputs import InvoiceDocument
    from pom.domain.requests import PurchaseOrderCreate

    actor = Actor(new_account(), "load")
    body = purchase_order("BIG", lineItems=[{"lineItemId": "1", "type": "ALL", "amount": "1000000.00"}])
    api_support.service.create(actor, PurchaseOrderCreate.model_validate(body))
    amounts = [Decimal(index) + Decimal(index % 100) / 100 for index in range(1, 201)]
    documents = [InvoiceDocument.model_validate(invoice(f"L-{n}", f"{amount:.2f}")) for n, amount in enumerate(amounts)]
    errors: list[BaseException] = []
    # Two consumers of the stream from now on: one delivers every batch twice, the other again.
    twice = EventSources.from_template(
        aws, {"MatcherFunction": handler_invoker(matcher_handler, times=2)}, starting_position="LATEST"
    )
    again = EventSources.from_template(
        aws, {"MatcherFunction": handler_invoker(matcher_handler)}, starting_position="LATEST"
    )

    def upload(chunk: list[InvoiceDocument]) -> None:
        try:
            for document in chunk:
                api_support.invoice_service.upload(actor, document.model_dump_json().encode(), "application/json")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=upload, args=(documents[n::20],)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    twice.drain(timeout=600)  # a correctness test: a busy machine must not make it fail
    again.drain(timeout=600)
    page = api_support.stores.invoices.list(actor.account_id, 100, None)
    matched = list(page.items)
    while page.next_token:
        page = api_support.stores.invoices.list(actor.account_id, 100, page.next_token)
        matched += page.items
    assert len(matched) == 200
    assert {i.matchStatus for i in matched} == {"MATCHED"}
    po = api_support.stores.purchase_orders.get(actor.account_id, "BIG")
    assert po is not None
    assert po.lineItems[0].invoiced == sum(amounts) == sum(i.subtotal for i in matched)
    assert po.lineItems[0].matchCount == 200
    assert ledger_total(actor.account_id, "BIG") == sum(amounts)


# --- sample events ----------------------------------------------------------------------------------


def test_sample_stream_and_sqs_events_run_against_the_handlers(api_handler: Any, aws: dict[str, str]):
    """events/stream and events/sqs (captured from the pipeline by `make events`) are what
    `sam local invoke` users feed the matcher and the ingest function: they must still work."""
    import ingest_handler
    import matcher_handler

    account = new_account()
    client = ApiClient(api_handler, account)
    client.post("/purchase-orders", purchase_order("PO", effectiveMonth="2020-01", expirationMonth="2020-12"))
    stream = json.loads((EVENTS / "stream" / "new_invoice.json").read_text().replace("acme", account))
    image = stream["Records"][0]["dynamodb"]["NewImage"]
    boto3.client("dynamodb").put_item(TableName=aws["Table"], Item=image)  # the write the record reports
    assert matcher_handler.lambda_handler(stream, LambdaContext()) == {"batchItemFailures": []}
    assert client.get("/invoices/INV-SAMPLE").body["match"]["poId"] == "PO"

    sqs = json.loads((EVENTS / "sqs" / "s3_object_created.json").read_text().replace("acme", account))
    body = json.dumps(invoice("INV-S3", issueDate="2020-07-15")).encode()
    key = f"invoices/{account}/INV-SAMPLE.json"
    put = boto3.client("s3").put_object(Bucket=aws["InvoiceBucket"], Key=key, Body=body)
    notification = json.loads(sqs["Records"][0]["body"])
    notification["Records"][0]["s3"]["object"]["versionId"] = put["VersionId"]  # the version just put
    sqs["Records"][0]["body"] = json.dumps(notification)
    assert ingest_handler.lambda_handler(sqs, LambdaContext()) == {"batchItemFailures": []}
    assert client.get("/invoice-uploads").body["items"][0]["invoiceId"] == "INV-S3"


def test_the_sample_xml_upload_event_ingests_an_e_invoice(aws: dict[str, str], api_handler: Any):
    """events/sqs/s3_xml_object_created.json: an EN 16931 CII document put under any name is read by its content."""
    import ingest_handler

    account = new_account()
    client = ApiClient(api_handler, account)
    sqs = json.loads((EVENTS / "sqs" / "s3_xml_object_created.json").read_text().replace("acme", account))
    notification = json.loads(sqs["Records"][0]["body"])
    s3_object = notification["Records"][0]["s3"]["object"]
    document = (Path(__file__).resolve().parents[1] / "documents" / "cii_invoice.xml").read_bytes()
    put = boto3.client("s3").put_object(Bucket=aws["InvoiceBucket"], Key=unquote_plus(s3_object["key"]), Body=document)
    s3_object["versionId"] = put["VersionId"]  # the version just put
    sqs["Records"][0]["body"] = json.dumps(notification)

    assert ingest_handler.lambda_handler(sqs, LambdaContext()) == {"batchItemFailures": []}
    (upload,) = client.get("/invoice-uploads").body["items"]
    assert (upload["status"], upload["key"]) == ("ACCEPTED", f"invoices/{account}/INV-2024-0042.xml")
    invoice = client.get(f"/invoices/{upload['invoiceId']}").body
    assert (invoice["supplierInvoiceNumber"], invoice["sourceFormat"]) == ("INV-2024-0042", "CII")


# --- the contract's largest shapes, behind AWS's limits (local_runner.aws_limits) ----------------------------


def test_an_invoice_of_100_lines_naming_100_line_items_is_debited_line_by_line(
    client: ApiClient, pipeline: EventSources
):
    """The balance update once passed DynamoDB's 4 KB expression limit at 55 named line items."""
    line_items = [
        {"lineItemId": f"{n:032d}", "type": "ALL", "recurrence": "MONTHLY", "amount": "10.00"} for n in range(100)
    ]
    client.post("/purchase-orders", purchase_order("WIDE", expirationMonth="2035-12", lineItems=line_items))
    lines = [{"lineNumber": n + 1, "amount": "1.00", "poLineItemId": f"{n:032d}"} for n in range(100)]
    assert client.post("/invoices", invoice("WIDE-1", subtotal="100.00", poId="WIDE", lines=lines)).status == 202
    pipeline.drain()
    assert client.get("/invoices/WIDE-1").body["matchStatus"] == "MATCHED"
    po = client.get(po_path("WIDE")).body
    assert {item["invoicedAmount"] for item in po["lineItems"]} == {"1.00"}
    assert po["invoicedAmount"] == "100.00"
    assert ledger_total(client.account_id, "WIDE") == Decimal("100.00")


def test_an_unmatched_invoice_reads_a_few_of_many_active_pos_not_all(own_table: str):
    stores = dynamo_stores(own_table)
    few, many = (measure(stores, count, unmatched=True) for count in (20, 600))
    assert few["outcome"] == many["outcome"] == "UNMATCHED"
    assert many["requests"] == few["requests"]
    assert many["items_read"] <= few["items_read"] + 100  # a page of pointers more, at the most


def test_a_match_costs_the_same_on_a_po_of_100_line_items_as_on_one_of_1(own_table: str):
    stores = dynamo_stores(own_table)
    one, hundred = measure(stores, 0), measure(stores, 0, line_items=HUNDRED_MONTHLY)
    assert hundred["dollars"] <= SIZE_RATIO_BAR * one["dollars"]
    # The floor's three items, each under 1 KB and written once; the invoice leaves the status
    # index and enters its PO's list (2 WRU); one read of the PO's pointers, two of its items.
    assert (one["write_units"], one["index_write_units"], one["read_units"]) == (6, 2, 3)
    assert one["dollars"] <= FLOOR_RATIO_BAR * floor_dollars_per_million()
