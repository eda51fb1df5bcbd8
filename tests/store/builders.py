"""Store values built with the domain's own constructors, as the services build them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pom.domain import invoices
from pom.domain.audit import Actor, AuditEvent
from pom.domain.inputs import InvoiceDocument
from pom.domain.invoices import Invoice, content_hash, new_invoice
from pom.domain.ledger import PurchaseOrderMovement, debits_of, numbered, po_movement
from pom.domain.matching import select
from pom.domain.models import Settings
from pom.domain.purchase_orders import PurchaseOrder, change_status, new_purchase_order
from pom.domain.requests import PurchaseOrderCreate
from pom.store.ports import Stores
from tests.conftest import invoice, purchase_order

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def actor(account: str) -> Actor:
    return Actor(account, "ana", "ana@example.com")


def later(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def body(po_id: str = "PO-1", **fields: Any) -> PurchaseOrderCreate:
    return PurchaseOrderCreate.model_validate(purchase_order(po_id, **fields))


def new_po(account: str, po_id: str = "PO-1", at: datetime = NOW, **fields: Any) -> tuple[PurchaseOrder, AuditEvent]:
    return new_purchase_order(account, body(po_id, **fields), Settings(), at)


def created(stores: Stores, account: str, po_id: str = "PO-1", at: datetime = NOW, **fields: Any) -> PurchaseOrder:
    po, event = new_po(account, po_id, at, **fields)
    stores.purchase_orders.create(po, actor(account), [event], None)
    return po


def saved(stores: Stores, before: PurchaseOrder, change: tuple[PurchaseOrder, list[AuditEvent]]) -> PurchaseOrder:
    po, events = change
    stores.purchase_orders.save(before, po, actor(po.accountId), po.updatedAt, events)
    return po


def suspended(stores: Stores, po: PurchaseOrder, at: datetime) -> PurchaseOrder:
    return saved(stores, po, change_status(po, "SUSPENDED", at))


def new_inv(account: str, invoice_id: str = "INV-1", subtotal: str = "100.00", at: datetime = NOW) -> Invoice:
    document = InvoiceDocument.model_validate(invoice(invoice_id, subtotal))
    return new_invoice(account, document, at, f"incoming/{invoice_id}.json", content_hash(document))


def matched(invoice: Invoice, po: PurchaseOrder, at: datetime) -> tuple[Invoice, PurchaseOrderMovement]:
    """The invoice matched to ``po`` as the matcher decides it, and the PO's debit."""
    decision = select(invoice.facts(), [po], Settings().matching, account_currency="USD")
    after = invoices.matched(invoice, decision, at)
    change = po_movement(
        po, debits_of(after, po), after, action="INVOICE_MATCHED", reason="MATCHED", alert_percents=[10]
    )
    return numbered(after, [change]), change
