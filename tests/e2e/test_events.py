"""Events for other systems through the local runner (API.md: events; GET /_local/events)."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.client import TIMEOUT, Client, invoice_document, line_item
from tests.e2e.conftest import Runner

pytestmark = pytest.mark.e2e


def account_events(runner: Runner, account: str) -> list[dict]:
    entries = requests.get(f"{runner.base_url}/_local/events", timeout=TIMEOUT).json()["items"]
    return [entry for entry in entries if entry["detail"]["accountId"] == account]


def test_a_po_and_its_invoice_publish_their_changes_in_order(runner: Runner):
    client = Client(runner)
    client.create_po("EV-1", [line_item("1", "ALL", "1000.00")])
    client.upload(invoice_document("INV-EV", "100.00", "2026-03-15"))
    client.call("DELETE", "/purchase-orders/EV-1")
    requests.post(f"{runner.base_url}/_local/drain", timeout=60)

    published = account_events(runner, client.account)

    def of(key: str, identifier: str) -> list[str]:
        return [entry["detail-type"] for entry in published if entry["detail"].get(key) == identifier]

    # In order per resource (a PO's and an invoice's changes lie on different items, so they interleave).
    assert of("poId", "EV-1") == ["Purchase Order Created", "Purchase Order Changed", "Purchase Order Deleted"]
    assert of("invoiceId", "INV-EV") == ["Invoice Received", "Invoice Matched"]
    assert all(entry["source"] == "purchase-order-management" for entry in published)
    assert len({entry["detail"]["eventId"] for entry in published}) == len(published)
    created, changed, deleted = [entry for entry in published if entry["detail"].get("poId") == "EV-1"]
    # The match moved the PO's balances (an item of their own): the PO's event shows them moved.
    assert changed["detail"]["changes"]["invoicedAmount"] == {"old": "0.00", "new": "100.00"}
    assert changed["detail"]["resource"]["balance"] == "900.00"
    assert created["detail"]["actor"] == {"userId": client.account, "email": None}
    assert deleted["detail"]["actor"] == {"userId": client.account, "email": None}  # from the PO's trail
    matched = next(entry for entry in published if entry["detail-type"] == "Invoice Matched")
    assert matched["detail"]["resource"]["match"]["poId"] == "EV-1"
    assert matched["detail"]["changes"]["matchStatus"] == {"old": "PENDING", "new": "MATCHED"}
