"""An invoice's item: under 1 KB when matched in the common case (half the write units of a match),
and read back whole whatever it holds, from the table and from the stream."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import boto3

from local_runner.dynamodb_sizes import item_size
from pom.domain.audit import Actor, system_actor
from pom.domain.inputs import InvoiceDocument
from pom.domain.invoices import Invoice, Match, MatchLine, new_invoice, originals_folder
from pom.store import keys
from pom.store.dynamo import Table
from pom.store.invoices import DynamoInvoiceStore
from pom.store.streams import stream_image
from tests.conftest import invoice as invoice_body
from tests.store.builders import NOW

ACCOUNT = "123456789012"
CLERK = Actor(ACCOUNT, "7c9e6679-7425-40de-944b-e07fc1f90ae7", "ap.clerk@example.com")


def _posted(invoice_id: str) -> Invoice:
    """An invoice as POST /invoices records it: the original's key and digest, the user who sent it."""
    digest = hashlib.sha256(invoice_id.encode()).hexdigest()
    document = InvoiceDocument.model_validate(invoice_body(invoice_id))
    key = f"{originals_folder(ACCOUNT, invoice_id)}{digest}.json"
    return new_invoice(ACCOUNT, document, NOW, key, digest, received_by=CLERK)


def _matched(invoice: Invoice) -> Invoice:
    match = Match(
        poId="PO-2026-CLOUD", lineItemId="1", amount=Decimal("100.00"), availableBalance=Decimal("1000.00"),
        matchedAt="2026-03-15T10:00:00.123456Z", month="2026-03", poCurrency="USD",
        poCreatedAt="2026-01-02T08:00:00.000000Z",
        debits=[MatchLine(lineNumber=0, lineItemId="1", amount=Decimal(100))],
    )  # fmt: skip
    explanation = {
        "candidates": [{"poId": "PO-2026-CLOUD", "lineItemId": "1", "exactType": False, "covers": True,
                        "availableBalance": "1000.00", "poUpdatedAt": "2026-01-02T08:00:00Z", "outcome": "SELECTED"}],
        "candidateCount": 1, "excluded": [], "excludedCount": 0, "excludedByReason": {},
    }  # fmt: skip
    return invoice.replace(
        **{"matchStatus": "MATCHED", "match": match, "matchExplanation": explanation, "version": 2,
                "movements": 1, "matchUntrailed": True, "updatedAt": "2026-03-15T10:00:00.123456Z"}
    )  # fmt: skip


def _stored(own_table: str, invoice: Invoice, received: Invoice | None = None) -> dict:
    """The item of ``invoice``, written as the matcher writes it over ``received`` (if given)."""
    store = DynamoInvoiceStore(Table(own_table))
    if received is None:
        store.create(invoice)
    else:
        store.create(received)
        store.save_change(invoice, received.version, [], system_actor(ACCOUNT))
    return boto3.client("dynamodb").get_item(TableName=own_table, Key=keys.invoice_key(ACCOUNT, invoice.invoiceId))[
        "Item"
    ]


def test_a_matched_invoice_posted_by_a_user_is_an_item_under_1_kb(own_table: str):
    posted = _posted("INV-2026-03-0001")  # a 16-character id; matched with its explanation
    matched = _matched(posted)
    item = _stored(own_table, matched, posted)
    assert item_size(item) < 1024
    assert DynamoInvoiceStore(Table(own_table)).get(ACCOUNT, matched.invoiceId) == matched


def test_an_invoice_with_every_field_reads_back_whole_from_the_table_and_the_stream(own_table: str):
    posted = _posted("INV-FULL")
    full = _matched(posted).replace(
        **{
            "supplierInvoiceNumber": "2026/03 0001", "documentType": "CREDIT_MEMO", "originalInvoiceId": "INV-0",
            "billingPeriod": "2026-02", "allowanceTotal": Decimal("1.00"), "chargeTotal": Decimal("0"),
            "poId": "PO-2026-CLOUD", "poReference": "PO-2026-CLOUD", "sourceFormat": "UBL", "description": "d",
            "unmatchedReason": None, "approvalStatus": "SUBMITTED", "creditedAmount": Decimal("3.50"),
            "submittedBy": "ana", "receivedFrom": "invoices/x.xml?versionId=1", "rejectionReason": None,
            "waitingMemos": ["CM-1"], "matchExplanation": {"creditMemo": {"credited": "3.50", "excluded": []}},
            "documentKey": "elsewhere/INV-FULL.xml", "contentHash": "not-a-digest",
        }
    )  # fmt: skip
    item = _stored(own_table, full, posted)
    assert DynamoInvoiceStore(Table(own_table)).get(ACCOUNT, "INV-FULL") == full
    assert Invoice.from_document(stream_image(item)) == full
    # An item written before the compact form (every field, the account and creation time too) reads the same.
    written_whole = {"accountId": ACCOUNT, "createdAt": full.createdAt, "contentHash": "not-a-digest"}
    legacy = {**item, **{name: {"S": value} for name, value in written_whole.items()}}
    assert Invoice.from_document(stream_image(legacy)) == full
    pending = posted.replace(invoiceId="INV-PENDING")
    item = _stored(own_table, pending)
    assert {"waitingMemos", "creditedAmount", "match", "accountId", "createdAt"}.isdisjoint(item)
    assert Invoice.from_document(stream_image(item)) == pending
