"""Publishing what the table's stream shows to the stack's event bus (API.md: events for other systems).

One event per record at the most, published before the next record is looked at, so a PO's or an
invoice's events go out in the order of its changes. Costs one PutEvents per event; a deleted PO's
event also reads the latest entry of its trail (one Query), where who deleted it is recorded; a
movement of a PO's balances (its own item) reads the PO (one BatchGetItem) to show it whole.
"""

from __future__ import annotations

from typing import Protocol

from pom.domain.events import Event, StreamChange, as_purchase_order_change, event_of, with_actor
from pom.store.ports import PurchaseOrderStore


class Bus(Protocol):
    def publish(self, events: list[Event]) -> None: ...


class EventPublisher:
    def __init__(self, bus: Bus, purchase_orders: PurchaseOrderStore):
        self.bus = bus
        self.purchase_orders = purchase_orders

    def publish(self, change: StreamChange) -> Event | None:
        """Publishes the change's event, if it has one; raises if the bus keeps refusing it."""
        if change.entity == "POBALANCE":
            image = change.new or change.old or {}
            po = self.purchase_orders.get(image["accountId"], image["poId"])
            moved = None if po is None else as_purchase_order_change(change, po)
            if moved is None:
                return None  # the PO's own record tells it (or it is gone: its deletion does)
            change = moved
        event = event_of(change)
        if event is None:
            return None
        if event.detail["actor"] is None:  # a removed item: who removed it is on its trail
            account_id, po_id = event.detail["accountId"], event.detail["poId"]
            latest = self.purchase_orders.history(account_id, po_id, 1, None).items
            event = with_actor(event, latest[0]["actor"] if latest else None)
        self.bus.publish([event])
        return event
