"""The services over the in-memory stores, with a clock the test moves and stand-ins for S3 and SES."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from pom.adapters.documents import DocumentGone
from pom.domain.audit import Actor
from pom.domain.inputs import InvoiceDocument
from pom.domain.invoices import Invoice
from pom.domain.purchase_orders import PurchaseOrder, purchase_order_view
from pom.domain.requests import PurchaseOrderCreate
from pom.services.delivery import Notifier
from pom.services.expiry import ExpiryJob
from pom.services.invoices import InvoiceService
from pom.services.matcher import MatcherService
from pom.services.purchase_orders import PurchaseOrderService
from pom.store.ports import Stores
from tests.conftest import invoice, purchase_order
from tests.fakes.memory_store import Faults, memory_stores

ACCOUNT = "acct-services"
USER = Actor(ACCOUNT, "ana", "ana@example.com")
SENDER = "po-notices@example.com"


class Clock:
    """Each reading is one second after the last, so that every write has a time of its own (a PO
    created again under its old id is told from the deleted one by its creation time)."""

    def __init__(self, start: datetime = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)):
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class Documents:
    """The invoice bucket (``pom.adapters.documents.DocumentStore``) in a dict."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, body: bytes, content_type: str = "application/json") -> None:
        self.objects[key] = body

    def get(self, key: str, version_id: str | None = None) -> bytes:
        if key not in self.objects:
            raise DocumentGone(key)
        return self.objects[key]

    def link(self, key: str) -> str:
        return f"https://invoices.example.com/{key}"


class Ses:
    """An SES client that accepts every mail and keeps its recipients and subjects."""

    def __init__(self) -> None:
        self.recipients: list[list[str]] = []
        self.subjects: list[str] = []

    def send_email(self, **request: Any) -> dict[str, str]:
        self.recipients.append(request["Destination"]["ToAddresses"])
        self.subjects.append(request["Message"]["Subject"]["Data"])
        return {"MessageId": f"message-{len(self.recipients)}"}


@dataclass
class Services:
    stores: Stores
    faults: Faults
    clock: Clock
    ses: Ses
    purchase_orders: PurchaseOrderService = field(init=False)
    invoices: InvoiceService = field(init=False)
    matcher: MatcherService = field(init=False)

    def __post_init__(self) -> None:
        stores, clock = self.stores, self.clock
        self.purchase_orders = PurchaseOrderService(stores.purchase_orders, stores.settings, clock=clock)
        self.invoices = InvoiceService(
            stores.purchase_orders, stores.invoices, stores.settings, stores.uploads, Documents(), clock=clock
        )
        self.matcher = MatcherService(stores.purchase_orders, stores.invoices, clock=clock)

    def expiry_job(self, schedule: Any = None) -> ExpiryJob:
        """The scheduled job; ``schedule``: a stand-in for the schedule store, to act between its calls."""
        notifier = Notifier(self.stores.outbox, SENDER, ses=self.ses, clock=self.clock, pause_seconds=0)
        return ExpiryJob(self.stores.purchase_orders, schedule or self.stores.schedule, self.stores.outbox, notifier)

    # --- what a test does, as the API and the stream would ----------------------------------------

    def create_po(self, po_id: str = "P", **fields: Any) -> PurchaseOrder:
        return self.purchase_orders.create(USER, po_body(po_id, **fields))

    def upload(self, invoice_id: str = "INV-1", subtotal: str = "100.00", **fields: Any) -> Invoice:
        """``POST /invoices``: the invoice as written, PENDING."""
        document = InvoiceDocument.model_validate(invoice_body(invoice_id, subtotal, **fields))
        invoice, _ = self.invoices.upload(USER, document.model_dump_json().encode(), "application/json")
        return invoice

    def receive(self, invoice_id: str = "INV-1", subtotal: str = "100.00", **fields: Any) -> Invoice:
        """Uploads an invoice and runs the matcher on it, as the table's stream delivers it."""
        self.upload(invoice_id, subtotal, **fields)
        self.matcher.process(self.invoice(invoice_id))
        return self.invoice(invoice_id)

    def submit_and_reject(self, invoice_id: str) -> Invoice:
        self.invoices.submit(USER, invoice_id, None)
        return self.invoices.reject(USER, invoice_id, None)

    def invoice(self, invoice_id: str) -> Invoice:
        invoice = self.stores.invoices.get(ACCOUNT, invoice_id)
        assert invoice is not None
        return invoice

    def view(self, po_id: str = "P") -> dict[str, Any]:
        """The PO as ``GET /purchase-orders/{poId}`` returns it."""
        return purchase_order_view(self.purchase_orders.get(ACCOUNT, po_id))

    def invoiced(self, po_id: str = "P") -> dict[str, str | None]:
        """The PO's invoiced amount, as a whole (key ``""``) and per line item."""
        view = self.view(po_id)
        return {
            "": view["invoicedAmount"],
            **{item["lineItemId"]: item["invoicedAmount"] for item in view["lineItems"]},
        }

    def ledger_total(self, po_id: str = "P") -> Decimal:
        """What the PO's ledger entries add up to: a line item's invoiced amount always equals it."""
        entries = self.stores.invoices.ledger_entries(ACCOUNT, po_id)
        return sum((Decimal(part["amount"]) for entry in entries for part in entry["entries"]), Decimal(0))


def po_body(po_id: str = "P", **fields: Any) -> PurchaseOrderCreate:
    return PurchaseOrderCreate.model_validate(purchase_order(po_id, **fields))


def invoice_body(invoice_id: str, subtotal: str, **fields: Any) -> dict[str, Any]:
    return invoice(invoice_id, subtotal, **fields)


@pytest.fixture
def services() -> Services:
    faults = Faults()
    return Services(memory_stores(faults), faults, Clock(), Ses())
