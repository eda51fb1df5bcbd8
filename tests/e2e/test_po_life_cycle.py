"""The PO life cycle through the local runner (API.md: purchase order): statuses through the API and
the schedule, billing status, tags and ?tag= across pages, quarterly and annual periods."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests

from tests.e2e.client import TIMEOUT, Client, drain, invoice_document, line_item
from tests.e2e.conftest import Runner

pytestmark = pytest.mark.e2e


def create(client: Client, po_id: str, **fields: object) -> dict:
    body = {
        "poId": po_id,
        "billFrom": ["Amazon Web Services, Inc."],
        "effectiveMonth": "2026-01",
        "expirationMonth": "2026-12",
        "lineItems": [line_item("1", "ALL", "1000.00")],
        **fields,
    }
    created = client.call("POST", "/purchase-orders", body)
    assert created.status_code == 201, created.text
    return created.json()


def listed(client: Client, **query: str) -> list[str]:
    ids, token = [], None
    while True:
        params = {**query, "limit": "2", **({"nextToken": token} if token else {})}
        page = requests.get(
            f"{client.base_url}/purchase-orders", params=params, headers=client.headers, timeout=TIMEOUT
        )
        assert page.status_code == 200, page.text
        ids += [po["poId"] for po in page.json()["items"]]
        token = page.json()["nextToken"]
        if token is None:
            return ids


def test_tags_filter_lists_across_pages(runner: Runner):
    client = Client(runner)
    for number in range(5):
        create(client, f"T-{number}", tags=[{"key": "cost center", "value": f"cc-{number % 2}"}])
    create(client, "PLAIN")

    assert sorted(listed(client, tag="cost center")) == [f"T-{n}" for n in range(5)]
    assert sorted(listed(client, tag="cost center:cc-1")) == ["T-1", "T-3"]
    assert listed(client, tag="cost center:cc-1", status="CLOSED") == []
    too_many = client.call("POST", "/purchase-orders", {
        "poId": "MANY", "billFrom": ["X"], "effectiveMonth": "2026-01", "expirationMonth": "2026-12",
        "lineItems": [line_item("1", "ALL", "1.00")], "tags": [{"key": f"k{n}", "value": ""} for n in range(51)],
    })  # fmt: skip
    assert too_many.status_code == 422
    assert "tags" in too_many.text


def test_close_reopen_and_the_schedule_keep_what_a_user_did(runner: Runner):
    client = Client(runner)
    create(client, "SUSPEND-ME", expirationMonth="2026-11")
    create(client, "CLOSE-ME", tags=[{"key": "team", "value": "data"}])  # updated last: it would rank first
    path = "/purchase-orders/CLOSE-ME/status"
    assert client.call("POST", path, {"status": "CLOSED"}).json()["status"] == "CLOSED"
    refused = client.call("POST", path, {"status": "SUSPENDED"})
    assert refused.status_code == 409
    invoice = client.post_invoice(invoice_document("INV-C", "10.00", "2026-03-01"))
    assert invoice.status_code == 202
    drain(client.base_url)
    assert client.invoice("INV-C")["matchStatus"] == "MATCHED"  # by SUSPEND-ME: CLOSE-ME takes nothing
    assert client.invoice("INV-C")["match"]["poId"] == "SUSPEND-ME"
    assert client.call("POST", path, {"status": "ACTIVE"}).json()["status"] == "ACTIVE"
    client.call("POST", "/purchase-orders/SUSPEND-ME/status", {"status": "SUSPENDED"})

    ran = requests.post(f"{runner.base_url}/_local/schedule", json={"time": "2026-12-01T00:15:00Z"}, timeout=60)

    assert ran.status_code == 200, ran.text
    assert client.po("SUSPEND-ME")["status"] == "SUSPENDED_EXPIRED"
    assert client.po("SUSPEND-ME")["billingStatus"] == "PARTIALLY_BILLED"


def test_quarterly_and_annual_line_items_show_their_periods(runner: Runner):
    client = Client(runner)
    create(
        client,
        "Q",
        effectiveMonth="2026-02",
        expirationMonth="2027-01",
        lineItems=[
            line_item("q", "MONTHLY_USAGE", "300.00", recurrence="QUARTERLY"),
            line_item("a", "SUBSCRIPTION_PURCHASE", "1200.00", recurrence="ANNUAL"),
        ],
    )
    client.upload(invoice_document("INV-Q", "120.00", "2026-06-02", "MONTHLY_USAGE", billingPeriod="2026-05"))

    po = client.po(quote("Q"))
    quarterly, annual = po["lineItems"]
    assert [(p["month"], p["endMonth"]) for p in quarterly["periods"]] == [
        ("2026-02", "2026-04"), ("2026-05", "2026-07"), ("2026-08", "2026-10"), ("2026-11", "2027-01"),
    ]  # fmt: skip
    assert [p["invoicedAmount"] for p in quarterly["periods"]] == ["0.00", "120.00", "0.00", "0.00"]
    assert (annual["periods"][0]["month"], annual["periods"][0]["endMonth"]) == ("2026-02", "2027-01")
    assert po["totalAmount"] == "2400.00"
    assert po["billingStatus"] == "PARTIALLY_BILLED"
