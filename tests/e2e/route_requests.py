"""A valid request for every route of the API, for an account seeded with known ids.

The security, hostile-input and schema tests walk every route: the routes come from the OpenAPI
document, and ``route_requests`` refuses to leave one out, so a route added later is covered (or
the tests name the route that lacks a request here).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from tests.e2e.client import AWS, TIMEOUT, Client, drain, invoice_document, line_item
from tests.e2e.conftest import Runner

# Characters that need encoding in a path, and a '#', which separates the parts of the table's keys.
PO_ID = "Q3 2026#a%b"
INVOICE_ID = "INV-1"  # matched to the PO, a DRAFT
SUBMITTED_INVOICE_ID = "INV-2"  # matched to the PO, submitted for approval
SETTINGS = {"currency": "USD", "paymentTerms": "Net 45 (seeded)", "matching": {"tolerancePercent": "5"}}
PO_FIELDS = {
    "billFrom": [AWS],
    "effectiveMonth": "2026-01",
    "expirationMonth": "2026-12",
    "description": "seeded",
    "lineItems": [line_item("1", "ALL", "1000.00"), line_item("2", "ALL", "500.00")],
}

Send = Callable[[str, str, Any], int]  # (method, path, body) -> status code


def seed_account(send: Send, drain_events: Callable[[], object]) -> None:
    """Gives the account that ``send`` acts for the settings, PO and invoices named above."""
    assert send("PUT", "/settings", SETTINGS) == 200
    assert send("POST", "/purchase-orders", {**PO_FIELDS, "poId": PO_ID}) == 201
    for invoice_id in (INVOICE_ID, SUBMITTED_INVOICE_ID):
        assert send("POST", "/invoices", invoice_document(invoice_id, "100.00", "2026-03-15", poId=PO_ID)) == 202
    drain_events()
    assert send("POST", f"/invoices/{SUBMITTED_INVOICE_ID}/submit", None) == 200


def seeded_client(runner: Runner) -> Client:
    """A new account, seeded over HTTP."""
    client = Client(runner)
    seed_account(lambda method, path, body: client.call(method, path, body).status_code, lambda: drain(runner.base_url))
    return client


@dataclass(frozen=True)
class RouteRequest:
    method: str
    route: str  # as the OpenAPI document names it: /purchase-orders/{poId}
    parameters: dict[str, str] = field(default_factory=dict)  # the route's path parameters
    body: Any = None
    query: dict[str, str] | None = None

    @property
    def path(self) -> str:
        return self.route.format(**{name: quote(value, safe="") for name, value in self.parameters.items()})

    def send(self, base_url: str, headers: dict[str, str], **overrides: Any) -> requests.Response:
        arguments: dict[str, Any] = {"json": self.body, "params": self.query, "headers": headers, **overrides}
        return requests.request(self.method, f"{base_url}{self.path}", timeout=TIMEOUT, **arguments)


Operations = dict[tuple[str, str], dict[str, Any]]  # (METHOD, route) -> the OpenAPI operation


def operations(document: dict[str, Any]) -> Operations:
    return {
        (method.upper(), route): operation
        for route, item in document["paths"].items()
        for method, operation in item.items()
    }


def served_operations(base_url: str) -> Operations:
    """The operations of the OpenAPI document the runner serves."""
    return operations(requests.get(f"{base_url}/openapi.json", timeout=TIMEOUT).json())


def route_requests(documented: Operations) -> list[RouteRequest]:
    """One request per documented route, each of which succeeds for a seeded account when they are
    sent in this order (reads first, then changes, the PO's deletion last)."""
    po = {"poId": PO_ID}
    invoice = {"invoiceId": INVOICE_ID}
    new_line_item = line_item("3", "MONTHLY_USAGE", "10.00")
    in_order = [
        RouteRequest("GET", "/me"),
        RouteRequest("GET", "/settings"),
        RouteRequest("PUT", "/settings", body=SETTINGS),
        RouteRequest("GET", "/purchase-orders", query={"status": "ACTIVE"}),
        RouteRequest("GET", "/purchase-orders/{poId}", po),
        RouteRequest("GET", "/purchase-orders/{poId}/history", po),
        RouteRequest("GET", "/purchase-orders/{poId}/invoices", po),
        RouteRequest("GET", "/invoices", query={"poId": PO_ID}),
        RouteRequest("GET", "/invoices/{invoiceId}", invoice),
        RouteRequest("GET", "/invoices/{invoiceId}/document", invoice),
        RouteRequest("GET", "/invoices/{invoiceId}/history", invoice),
        RouteRequest("GET", "/invoice-uploads"),
        RouteRequest("PUT", "/purchase-orders/{poId}", po, PO_FIELDS),
        RouteRequest("POST", "/purchase-orders/{poId}/line-items", po, new_line_item),
        RouteRequest(
            "PUT",
            "/purchase-orders/{poId}/line-items/{lineItemId}",
            {**po, "lineItemId": "3"},
            {**new_line_item, "amount": "20.00"},
        ),
        RouteRequest("DELETE", "/purchase-orders/{poId}/line-items/{lineItemId}", {**po, "lineItemId": "3"}),
        RouteRequest("PUT", "/invoices/{invoiceId}/match", invoice, {"poId": PO_ID, "lineItemId": "2"}),
        RouteRequest("DELETE", "/invoices/{invoiceId}/match", invoice),
        RouteRequest("POST", "/invoices/{invoiceId}/submit", invoice),
        RouteRequest("POST", "/invoices/{invoiceId}/approve", invoice),
        RouteRequest("POST", "/invoices/{invoiceId}/reject", {"invoiceId": SUBMITTED_INVOICE_ID}, {"reason": "no PO"}),
        RouteRequest("POST", "/purchase-orders/{poId}/status", po, {"status": "SUSPENDED"}),
        RouteRequest("POST", "/invoices", body=invoice_document("INV-NEW", "10.00", "2026-04-01", poId=PO_ID)),
        RouteRequest("POST", "/aws-invoice-imports"),  # the import is off: a summary saying so
        RouteRequest("POST", "/purchase-orders", body={**PO_FIELDS, "poId": f"{PO_ID} copy"}),
        RouteRequest("DELETE", "/purchase-orders/{poId}", po),
    ]
    covered = {(request.method, request.route) for request in in_order}
    assert covered == set(documented), f"routes without a request here: {set(documented) - covered}"
    for request in in_order:
        takes_body = "requestBody" in documented[request.method, request.route]
        assert takes_body == (request.body is not None), f"{request.method} {request.route}: a body or not?"
    return in_order
