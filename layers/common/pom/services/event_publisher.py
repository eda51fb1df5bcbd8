"""Publishing what the table's stream shows to the stack's event bus (API.md: events for other systems).

One event per record at the most. The events of a batch of records are published together, in the
records' order, as few PutEvents as EventBridge's limits allow (10 entries, 256 KB), so a PO's or an
invoice's events go out in the order of its changes; a record whose event is not published is
reported with the ones after it, for Lambda to deliver again. A deleted PO's event also reads the
latest entry of its trail (one Query), where who deleted it is recorded; a movement of a PO's
balances (its own item) reads the PO (one BatchGetItem, once per PO in a batch) to show it whole.
"""

from __future__ import annotations

from typing import Protocol

from pom.adapters.event_bus import EventsNotPublished
from pom.domain.events import Event, StreamChange, as_purchase_order_change, event_of, with_actor
from pom.domain.purchase_orders import PurchaseOrder
from pom.store.ports import PurchaseOrderStore


class Bus(Protocol):
    def publish(self, events: list[Event]) -> None: ...


class EventPublisher:
    def __init__(self, bus: Bus, purchase_orders: PurchaseOrderStore):
        self.bus = bus
        self.purchase_orders = purchase_orders

    def batch(self) -> EventBatch:
        return EventBatch(self)


class EventBatch:
    """The events of one batch of stream records, published together by ``publish``."""

    def __init__(self, publisher: EventPublisher):
        self.publisher = publisher
        self.events: list[tuple[str, Event]] = []  # (the record's sequence number, its event)
        self._pos: dict[tuple[str, str], PurchaseOrder | None] = {}  # the POs read, as they now are

    def add(self, sequence: str, change: StreamChange) -> None:
        """Adds the record's event, if it has one, to the batch's."""
        if change.entity == "POBALANCE":
            image = change.new or change.old or {}
            key = (image["accountId"], image["poId"])
            if key not in self._pos:
                self._pos[key] = self.publisher.purchase_orders.get(*key)
            po = self._pos[key]
            moved = None if po is None else as_purchase_order_change(change, po)
            if moved is None:
                return  # the PO's own record tells it (or it is gone: its deletion does)
            change = moved
        event = event_of(change)
        if event is None:
            return
        if event.detail["actor"] is None:  # a removed item: who removed it is on its trail
            account_id, po_id = event.detail["accountId"], event.detail["poId"]
            latest = self.publisher.purchase_orders.history(account_id, po_id, 1, None).items
            event = with_actor(event, latest[0]["actor"] if latest else None)
        self.events.append((sequence, event))

    def publish(self) -> int:
        """Publishes the events added, in order; how many were: all, or those before the first refused."""
        try:
            self.publisher.bus.publish([event for _, event in self.events])
        except EventsNotPublished as refused:
            return refused.published
        return len(self.events)
