"""A finance team's account as issue 17 tried it: 8 purchase orders and 36 invoices, through the API.

Among them: a monthly line item, a PO over its balance, one expiring this month, a credit memo, an
invoice in another currency than its PO, unmatched invoices, and invoices submitted and approved.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests

AWS = "Amazon Web Services, Inc."
EMEA = "Amazon Web Services EMEA SARL"
MARKETPLACE = "AWS Marketplace"


def month(offset: int = 0) -> str:
    """This month (UTC) moved by offset months, as "YYYY-MM"."""
    now = datetime.now(UTC)
    index = now.year * 12 + now.month - 1 + offset
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def issue_date(offset: int = 0) -> str:
    return f"{month(offset)}-02"


def invoice(invoice_id: str, subtotal: str, entity: str = AWS, **fields: Any) -> dict[str, Any]:
    body = {
        "invoiceId": invoice_id,
        "billingEntity": entity,
        "invoiceType": "MONTHLY_USAGE",
        "issueDate": issue_date(),
        "currency": "USD",
        "subtotal": subtotal,
        "tax": "0.00",
        "total": subtotal,
    }
    body.update(fields)
    return body


def purchase_orders() -> list[dict[str, Any]]:
    return [
        {
            "poId": "CLOUD-2026",
            "description": "AWS usage and support for the platform team",
            "billFrom": [AWS],
            "effectiveMonth": month(-2),
            "expirationMonth": month(9),
            "contacts": [{"name": "Ana", "email": "ana@example.com"}],
            "lineItems": [
                {"lineItemId": "1", "type": "MONTHLY_USAGE", "recurrence": "MONTHLY", "amount": "2000.00"},
                {"lineItemId": "2", "type": "SUBSCRIPTION_PURCHASE", "amount": "24000.00"},
            ],
        },
        {
            "poId": "EU-OPS",
            "billFrom": [EMEA],
            "currency": "EUR",
            "effectiveMonth": month(-1),
            "expirationMonth": month(5),
            "lineItems": [{"lineItemId": "1", "type": "ALL", "amount": "18000.00"}],
        },
        {
            "poId": "OVER-1",
            "billFrom": ["Tiny Vendor Ltd"],
            "effectiveMonth": month(-1),
            "expirationMonth": month(3),
            "lineItems": [{"lineItemId": "1", "type": "ALL", "amount": "1000.00"}],
        },
        {
            "poId": "ENDING-SOON",
            "billFrom": ["Short Term Co"],
            "effectiveMonth": month(-3),
            "expirationMonth": month(0),
            "lineItems": [{"lineItemId": "1", "type": "ALL", "amount": "5000.00"}],
        },
        {
            "poId": "MKT-2026",
            "billFrom": [MARKETPLACE],
            "effectiveMonth": month(-1),
            "expirationMonth": month(11),
            "lineItems": [{"lineItemId": "1", "type": "MARKETPLACE_PURCHASE", "amount": "12500.00"}],
        },
        {
            "poId": "TRAINING",
            "billFrom": ["Training Partner GmbH"],
            "effectiveMonth": month(-1),
            "expirationMonth": month(1),
            "lineItems": [{"lineItemId": "1", "type": "PROFESSIONAL_SERVICES", "amount": "8000.00"}],
        },
        {
            "poId": "LOW-BAL",
            "billFrom": ["Low Balance Inc"],
            "effectiveMonth": month(-1),
            "expirationMonth": month(2),
            "lineItems": [{"lineItemId": "1", "type": "ALL", "amount": "3000.00"}],
        },
        {
            "poId": "PAUSED",
            "billFrom": ["Paused Supplier"],
            "effectiveMonth": month(-1),
            "expirationMonth": month(6),
            "lineItems": [{"lineItemId": "1", "type": "ALL", "amount": "4000.00"}],
        },
    ]


def invoices() -> list[dict[str, Any]]:
    documents = []
    # 12 monthly usage invoices for CLOUD-2026 (two months back to this month, several per month)
    for number in range(12):
        offset = -(number % 3)
        documents.append(
            invoice(f"INV-USG-{number + 1:03d}", f"{400 + number * 13}.{number:02d}", issueDate=issue_date(offset))
        )
    documents.append(invoice("INV-SUB-001", "1234.56", invoiceType="SUBSCRIPTION_PURCHASE"))
    documents.append(invoice("INV-SUB-002", "2400.00", invoiceType="SUBSCRIPTION_PURCHASE"))
    # a credit memo of INV-SUB-002, and an invoice in EUR from the USD PO's entity (not debited)
    documents.append(
        invoice(
            "CM-SUB-002",
            "2400.00",
            invoiceType="SUBSCRIPTION_PURCHASE",
            documentType="CREDIT_MEMO",
            originalInvoiceId="INV-SUB-002",
        )
    )
    documents.append(invoice("INV-EUR-AWS", "4610.40", currency="EUR", invoiceType="SUBSCRIPTION_PURCHASE"))
    # EU-OPS: 6 EUR invoices
    for number in range(6):
        documents.append(invoice(f"INV-EU-{number + 1:03d}", f"{1500 + number * 111}.00", entity=EMEA, currency="EUR"))
    # OVER-1: two invoices that take it past its balance
    documents.append(invoice("INV-OVER-1", "800.00", entity="Tiny Vendor Ltd"))
    documents.append(invoice("INV-OVER-2", "310.00", entity="Tiny Vendor Ltd"))
    # ENDING-SOON, MKT, TRAINING, LOW-BAL
    documents.append(invoice("INV-END-1", "1200.00", entity="Short Term Co"))
    documents.append(invoice("INV-MKT-1", "2500.00", entity=MARKETPLACE, invoiceType="MARKETPLACE_PURCHASE"))
    documents.append(invoice("INV-MKT-2", "1999.99", entity=MARKETPLACE, invoiceType="MARKETPLACE_PURCHASE"))
    documents.append(
        invoice("INV-TRN-1", "3500.00", entity="Training Partner GmbH", invoiceType="PROFESSIONAL_SERVICES")
    )
    documents.append(
        invoice("INV-TRN-2", "1250.00", entity="Training Partner GmbH", invoiceType="PROFESSIONAL_SERVICES")
    )
    documents.append(invoice("INV-LOW-1", "2850.00", entity="Low Balance Inc"))
    documents.append(
        invoice("INV-SUB-003", "980.00", invoiceType="SUBSCRIPTION_PURCHASE", supplierInvoiceNumber="AWS-2026/0042")
    )
    # unmatched: unknown entities
    for number in range(5):
        documents.append(
            invoice(f"INV-UNK-{number + 1:03d}", f"{99 + number}.00", entity=f"Unknown Seller {number + 1}")
        )
    return documents


def seed(api: Callable[..., requests.Response], drain: Callable[[], None]) -> dict[str, Any]:
    """Creates the 8 POs and 36 invoices; submits four invoices and approves two of them."""
    for body in purchase_orders():
        answer = api("POST", "/purchase-orders", json=body)
        assert answer.status_code == 201, answer.text
    documents = invoices()
    assert len(documents) == 36
    for body in documents:
        if body["invoiceId"] == "CM-SUB-002":
            drain()  # its original is matched first
        answer = api("POST", "/invoices", json=body)
        assert answer.status_code == 202, answer.text
    drain()
    for invoice_id in ("INV-USG-001", "INV-USG-002", "INV-EU-001", "INV-MKT-1"):
        current = api("GET", f"/invoices/{invoice_id}").json()
        assert api("POST", f"/invoices/{invoice_id}/submit", headers={"If-Match": str(current["version"])}).ok
    for invoice_id in ("INV-USG-001", "INV-EU-001"):
        current = api("GET", f"/invoices/{invoice_id}").json()
        assert api("POST", f"/invoices/{invoice_id}/approve", headers={"If-Match": str(current["version"])}).ok
    paused = api("GET", "/purchase-orders/PAUSED").json()
    assert api(
        "POST",
        "/purchase-orders/PAUSED/status",
        json={"status": "SUSPENDED"},
        headers={"If-Match": str(paused["version"])},
    ).ok
    return {"purchaseOrders": 8, "invoices": 36}


if __name__ == "__main__":  # seeds a running local runner: python -m tests.browser.seed [base] [account]
    import sys

    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:3000"
    account = sys.argv[2] if len(sys.argv) > 2 else "acme"

    def call(method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer local:{account}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{base}{path}", headers=headers, timeout=30, **kwargs)

    print(seed(call, lambda: requests.post(f"{base}/_local/drain", timeout=60)))
