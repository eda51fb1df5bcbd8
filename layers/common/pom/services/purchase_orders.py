"""Use cases of the purchase-order API: read, decide (pure domain), write with a condition.

Every change is read-modify-write guarded by the PO's internal ``rev``: if the matcher moved a
balance in between, the change is re-applied to the fresh state (a few times) instead of
overwriting it. A stale ``If-Match`` is the user's conflict and is reported (412), never retried.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from pom.core.errors import Conflict, NotFound
from pom.core.months import iso_timestamp, utc_now
from pom.core.retry import pause
from pom.domain import aws_invoices
from pom.domain import purchase_orders as domain
from pom.domain.audit import Actor, AuditEvent
from pom.domain.models import Settings
from pom.domain.purchase_orders import PurchaseOrder
from pom.domain.requests import LineItemInput, PurchaseOrderCreate, PurchaseOrderFields
from pom.store.ports import (
    AlreadyExists,
    Page,
    PurchaseOrderStore,
    SettingsChanged,
    SettingsStore,
    StaleWrite,
    VersionedSettings,
)

Change = Callable[[PurchaseOrder, datetime], tuple[PurchaseOrder, list[AuditEvent]]]
_ATTEMPTS = 8  # a change that keeps losing to matches of the same PO is tried again, after a pause


class _SettingsCache:
    """The last settings seen per account, in this container.

    Creating a PO copies the account's currency and payment terms; the create transaction checks
    that the settings version it used is still current, so a stale entry costs one retry, never a
    wrong copy, and the common case is a single request.
    """

    def __init__(self, capacity: int = 1024):
        self._entries: OrderedDict[str, VersionedSettings] = OrderedDict()
        self._capacity = capacity

    def get(self, account_id: str) -> VersionedSettings:
        entry = self._entries.get(account_id)
        if entry is None:
            return VersionedSettings(Settings(), None)
        self._entries.move_to_end(account_id)
        return entry

    def put(self, account_id: str, entry: VersionedSettings) -> None:
        self._entries[account_id] = entry
        self._entries.move_to_end(account_id)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)


class PurchaseOrderService:
    def __init__(
        self, purchase_orders: PurchaseOrderStore, settings: SettingsStore, clock: Callable[[], datetime] = utc_now
    ):
        self.purchase_orders = purchase_orders
        self.settings = settings
        self.clock = clock
        self._known_settings = _SettingsCache()

    def create(self, actor: Actor, data: PurchaseOrderCreate) -> PurchaseOrder:
        for _ in range(_ATTEMPTS):
            known = self._known_settings.get(actor.account_id)
            po, event = domain.new_purchase_order(actor.account_id, data, known.settings, self.clock())
            try:
                self.purchase_orders.create(po, actor, [event], known.version)
            except AlreadyExists:
                raise Conflict(f"PO {data.poId!r} already exists") from None
            except SettingsChanged as changed:
                self._known_settings.put(actor.account_id, changed.current)
                continue
            except StaleWrite:
                continue
            return po
        raise Conflict("the account's settings kept changing while the PO was created: retry")

    def get(self, account_id: str, po_id: str) -> PurchaseOrder:
        po = self.purchase_orders.get(account_id, po_id)
        if po is None:
            raise NotFound(f"PO {po_id!r} not found")
        return po

    def list(
        self, account_id: str, status: str | None, limit: int, token: str | None, *, tag: str | None = None
    ) -> Page:
        """``tag``: ``key`` (any value) or ``key:value``, split at the first colon."""
        if tag is None:
            return self.purchase_orders.list(account_id, status, limit, token)
        tag_key, colon, tag_value = tag.partition(":")
        return self.purchase_orders.list(account_id, status, limit, token, tag=(tag_key, tag_value if colon else None))

    def history(self, account_id: str, po_id: str, limit: int, token: str | None) -> Page:
        page = self.purchase_orders.history(account_id, po_id, limit, token)
        if not page.items and token is None:
            raise NotFound(f"PO {po_id!r} not found")
        return page

    def replace(self, actor: Actor, po_id: str, data: PurchaseOrderFields, if_match: str | None) -> PurchaseOrder:
        return self._change(actor, po_id, if_match, lambda po, now: domain.replace_purchase_order(po, data, now))

    def change_status(self, actor: Actor, po_id: str, status: str, if_match: str | None) -> PurchaseOrder:
        return self._change(actor, po_id, if_match, lambda po, now: domain.change_status(po, status, now))

    def add_line_item(self, actor: Actor, po_id: str, item: LineItemInput, if_match: str | None) -> PurchaseOrder:
        return self._change(actor, po_id, if_match, lambda po, now: domain.add_line_item(po, item, now))

    def replace_line_item(
        self, actor: Actor, po_id: str, line_item_id: str, item: LineItemInput, if_match: str | None
    ) -> PurchaseOrder:
        return self._change(
            actor, po_id, if_match, lambda po, now: domain.replace_line_item(po, line_item_id, item, now)
        )

    def delete_line_item(self, actor: Actor, po_id: str, line_item_id: str, if_match: str | None) -> PurchaseOrder:
        return self._change(actor, po_id, if_match, lambda po, now: domain.delete_line_item(po, line_item_id, now))

    def delete(self, actor: Actor, po_id: str, if_match: str | None) -> None:
        for _ in range(_ATTEMPTS):
            po = self.get(actor.account_id, po_id)
            domain.check_if_match(po, if_match)
            now = self.clock()
            event = AuditEvent("DELETED", {"purchaseOrder": domain.editable_view(po)})
            try:
                self.purchase_orders.delete(po, actor, domain.precise_timestamp(now), [event])
            except StaleWrite:
                pause()
                continue
            return
        raise Conflict(f"PO {po_id!r} kept changing while it was deleted: retry")

    def _change(self, actor: Actor, po_id: str, if_match: str | None, change: Change) -> PurchaseOrder:
        for _ in range(_ATTEMPTS):
            po = self.get(actor.account_id, po_id)
            domain.check_if_match(po, if_match)
            now = self.clock()
            updated, events = change(po, now)
            if updated is po:
                return po  # nothing to change: no write, no audit entry
            try:
                self.purchase_orders.save(po, updated, actor, updated.updatedAt, events)
            except StaleWrite:
                pause()
                continue
            return updated
        raise Conflict(f"PO {po_id!r} kept changing while it was updated: retry")

    # --- settings -----------------------------------------------------------------------------

    def get_settings(self, account_id: str) -> Settings:
        current = self.settings.get(account_id)
        self._known_settings.put(account_id, current)
        return current.settings

    def put_settings(self, account_id: str, settings: Settings) -> Settings:
        domain.check_settings(settings)
        aws_invoices.check_settings(settings, account_id)
        saved = self.settings.put(account_id, settings, iso_timestamp(self.clock()))
        self._known_settings.put(account_id, saved)
        return saved.settings
