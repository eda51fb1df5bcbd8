"""One account's HTTP client for the running local runner, and the documents the e2e tests send."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import requests

from tests.e2e.conftest import Runner

AWS = "Amazon Web Services, Inc."
EMEA = "Amazon Web Services EMEA SARL"
TIMEOUT = 10
DRAIN_TIMEOUT = 70


def new_account() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}"


def invoice_document(
    invoice_id: str,
    subtotal: str,
    issue_date: str,
    invoice_type: str = "MONTHLY_USAGE",
    entity: str = AWS,
    **extra: Any,
) -> dict[str, Any]:
    """A USD invoice without tax (so subtotal == total), as ``POST /invoices`` and S3 take it."""
    return {
        "invoiceId": invoice_id,
        "billingEntity": entity,
        "invoiceType": invoice_type,
        "issueDate": issue_date,
        "currency": "USD",
        "subtotal": subtotal,
        "tax": "0.00",
        "total": subtotal,
        **extra,
    }


def line_item(line_item_id: str, item_type: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {"lineItemId": line_item_id, "type": item_type, "amount": amount, **extra}


class Client:
    """One account's view of the running service."""

    def __init__(self, runner: Runner, account: str | None = None):
        self.base_url = runner.base_url
        self.account = account or new_account()
        self.headers = {"Authorization": f"Bearer local:{self.account}"}

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(method, f"{self.base_url}{path}", json=body, headers=self.headers, timeout=TIMEOUT)

    # --- purchase orders -------------------------------------------------------------------------

    def create_po(
        self,
        po_id: str,
        line_items: list[dict[str, Any]],
        effective: str = "2026-01",
        expiration: str = "2026-12",
        bill_from: tuple[str, ...] = (AWS,),
    ) -> dict[str, Any]:
        body = {
            "poId": po_id,
            "billFrom": list(bill_from),
            "effectiveMonth": effective,
            "expirationMonth": expiration,
            "lineItems": line_items,
        }
        created = self.call("POST", "/purchase-orders", body)
        assert created.status_code == 201, created.text
        return created.json()

    def po(self, po_id: str) -> dict[str, Any]:
        reply = self.call("GET", f"/purchase-orders/{quote(po_id, safe='')}")
        assert reply.status_code == 200, reply.text
        return reply.json()

    def line_item_balances(self, po_id: str) -> dict[str, str]:
        return {item["lineItemId"]: item["balance"] for item in self.po(po_id)["lineItems"]}

    def set_status(self, po_id: str, status: str) -> dict[str, Any]:
        reply = self.call("POST", f"/purchase-orders/{quote(po_id, safe='')}/status", {"status": status})
        assert reply.status_code == 200, reply.text
        assert reply.json()["status"] == status
        return reply.json()

    def history(self, po_id: str) -> list[dict[str, Any]]:
        reply = self.call("GET", f"/purchase-orders/{quote(po_id, safe='')}/history")
        assert reply.status_code == 200, reply.text
        return reply.json()["items"]

    # --- invoices --------------------------------------------------------------------------------

    def post_invoice(self, document: dict[str, Any]) -> requests.Response:
        return self.call("POST", "/invoices", document)

    def upload(self, document: dict[str, Any]) -> dict[str, Any]:
        """Uploads a new invoice (202, PENDING) and returns it once the matcher has processed it."""
        uploaded = self.post_invoice(document)
        assert uploaded.status_code == 202, uploaded.text
        assert uploaded.json()["matchStatus"] == "PENDING"
        drain(self.base_url)
        return self.invoice(document["invoiceId"])

    def invoice(self, invoice_id: str) -> dict[str, Any]:
        reply = self.call("GET", f"/invoices/{invoice_id}")
        assert reply.status_code == 200, reply.text
        return reply.json()

    def invoices(self, **query: str) -> list[dict[str, Any]]:
        reply = requests.get(f"{self.base_url}/invoices", params=query, headers=self.headers, timeout=TIMEOUT)
        assert reply.status_code == 200, reply.text
        return reply.json()["items"]

    def uploads(self, status: str) -> list[dict[str, Any]]:
        reply = requests.get(
            f"{self.base_url}/invoice-uploads", params={"status": status}, headers=self.headers, timeout=TIMEOUT
        )
        assert reply.status_code == 200, reply.text
        return reply.json()["items"]

    # --- settings --------------------------------------------------------------------------------

    def put_matching(self, **matching: Any) -> dict[str, Any]:
        saved = self.call("PUT", "/settings", {"matching": matching})
        assert saved.status_code == 200, saved.text
        for name, value in matching.items():
            assert saved.json()["matching"][name] == value
        return saved.json()


def drain(base_url: str) -> dict[str, Any]:
    drained = requests.post(f"{base_url}/_local/drain", timeout=DRAIN_TIMEOUT)
    assert drained.status_code == 200, drained.text
    return drained.json()
