"""Events for other systems (API.md): what one change of the table publishes. Pure Python, no I/O.

Events are made from the table's stream, so a change and its event can never disagree: each record
(a PO, an invoice or a notice, as it was and as it is) gives at most one event, whose ``eventId``
comes from the record itself and so is the same on every redelivery. A write that changes nothing
the API shows (the scheduled job moving a PO's next check) publishes nothing.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, NamedTuple

from pom.domain.audit import actor_view
from pom.domain.invoices import Invoice, invoice_view
from pom.domain.purchase_orders import PurchaseOrder, changes_between, purchase_order_view, with_balances

SOURCE = "purchase-order-management"
DETAIL_TYPES = (
    "Purchase Order Created", "Purchase Order Changed", "Purchase Order Status Changed", "Purchase Order Deleted",
    "Invoice Received", "Invoice Matched", "Invoice Unmatched", "Invoice Submitted", "Invoice Approved",
    "Invoice Rejected", "Notification Sent",
)  # fmt: skip
_APPROVAL_EVENTS = {"SUBMITTED": "Invoice Submitted", "APPROVED": "Invoice Approved", "REJECTED": "Invoice Rejected"}


class StreamChange(NamedTuple):
    """One stream record: the item as it was and as it is (None when created or removed)."""

    event_name: str  # INSERT | MODIFY | REMOVE
    sequence: str  # its sequence number in the shard: the same on a redelivery
    at: str  # when the change was made (the record's creation time), ISO-8601 UTC
    old: dict[str, Any] | None
    new: dict[str, Any] | None

    @property
    def entity(self) -> str | None:
        return (self.new or self.old or {}).get("entity")


class Event(NamedTuple):
    detail_type: str
    detail: dict[str, Any]

    @property
    def entry(self) -> dict[str, Any]:
        """The fields of a PutEvents entry (the bus is the caller's)."""
        return {"Source": SOURCE, "DetailType": self.detail_type, "Detail": self.detail}

    def without_resource(self) -> Event:
        """The event for a resource too large for EventBridge (a PO of thousands of periods): the same
        detail without ``resource`` and ``changes``, and ``resourceOmitted`` to say a GET shows them."""
        return Event(self.detail_type, {**self.detail, "resource": None, "changes": None, "resourceOmitted": True})


def event_of(change: StreamChange) -> Event | None:
    """The event a change publishes, if any; a deleted PO's actor is not on its image (the caller
    completes it from the PO's trail: ``with_actor``)."""
    if change.entity == "PO":
        return _purchase_order_event(change)
    if change.entity == "INVOICE":
        return _invoice_event(change)
    if change.entity == "NOTICE" and change.new and change.new.get("sentAt") and not (change.old or {}).get("sentAt"):
        notice = {name: change.new.get(name) for name in ("kind", "poId", "to", "subject", "sentAt")}
        notice["threshold"] = None if change.new.get("threshold") is None else int(change.new["threshold"])
        return _event("Notification Sent", change, change.new, {"poId": change.new.get("poId"), "resource": notice})
    return None


def as_purchase_order_change(change: StreamChange, po: PurchaseOrder) -> StreamChange | None:
    """A movement of a PO's balances (a match, an unmatch, a credit memo) as a change of the PO, read
    as it now is, with the balances before and after; None for a balances item written with its PO
    (created, replaced, deleted: the PO item's own record tells it)."""
    old, new = change.old, change.new
    if old is None or new is None or old.get("definitionRev") != new.get("definitionRev"):
        return None

    def image(balances: dict[str, Any]) -> dict[str, Any]:
        return {
            **with_balances(po, balances).to_document(),
            "entity": "PO",
            "changedBy": balances.get("changedBy"),
        }

    return StreamChange(change.event_name, change.sequence, change.at, image(old), image(new))


def with_actor(event: Event, actor: Any) -> Event:
    return Event(event.detail_type, {**event.detail, "actor": actor_view(actor)})


def _purchase_order_event(change: StreamChange) -> Event | None:
    old = _po_view(change.old, change.at)
    new = _po_view(change.new, change.at)
    image = change.new or change.old or {}
    if old is None or new is None:
        detail_type = "Purchase Order Created" if old is None else "Purchase Order Deleted"
        return _event(detail_type, change, image, {"poId": image["poId"], "resource": new or old, "changes": None})
    changes = changes_between(old, new)
    if not changes:
        return None
    detail_type = "Purchase Order Status Changed" if "status" in changes else "Purchase Order Changed"
    return _event(detail_type, change, image, {"poId": image["poId"], "resource": new, "changes": changes})


def _invoice_event(change: StreamChange) -> Event | None:
    new = _invoice_view(change.new)
    if new is None:
        return None  # invoices are never deleted
    old = _invoice_view(change.old)
    detail = {"invoiceId": new["invoiceId"], "resource": new, "changes": None}
    if old is None:
        return _event("Invoice Received", change, change.new, detail)  # type: ignore[arg-type]
    detail["changes"] = changes_between(_without_stamps(old), _without_stamps(new))
    if old["approvalStatus"] != new["approvalStatus"]:
        return _event(_APPROVAL_EVENTS[new["approvalStatus"]], change, change.new, detail)  # type: ignore[arg-type]
    if new["matchStatus"] == "MATCHED" and (old["matchStatus"], old["match"]) != ("MATCHED", new["match"]):
        return _event("Invoice Matched", change, change.new, detail)  # type: ignore[arg-type]
    if new["matchStatus"] == "UNMATCHED" and old["matchStatus"] != "UNMATCHED":
        return _event("Invoice Unmatched", change, change.new, detail)  # type: ignore[arg-type]
    return None  # a memo woken for the matcher, a credit recorded on its original: no event of their own


def _event(detail_type: str, change: StreamChange, image: dict[str, Any], detail: dict[str, Any]) -> Event:
    """The detail every event has: a stable id, the account, when, who, and what it is about."""
    identity = f"{image.get('accountId')}|{change.sequence}|{detail_type}"
    event_id = hashlib.sha256(identity.encode()).hexdigest()[:32]
    actor = actor_view(image.get("changedBy")) if change.new else None
    return Event(
        detail_type,
        {"eventId": event_id, "accountId": image.get("accountId"), "at": change.at, "actor": actor, **detail},
    )


def _po_view(image: dict[str, Any] | None, at: str) -> dict[str, Any] | None:
    """The PO as GET showed it when the change was made (its forecast as of then)."""
    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return None if image is None else purchase_order_view(PurchaseOrder.from_document(image), moment)


def _invoice_view(image: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if image is None else invoice_view(Invoice.from_document(image))


def _without_stamps(view: dict[str, Any]) -> dict[str, Any]:
    """What a change shows: ``updatedAt`` and ``version`` move with every write, so they are not listed."""
    return {name: value for name, value in view.items() if name not in ("updatedAt", "version")}
