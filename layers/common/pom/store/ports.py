"""What the services ask of storage: one port per aggregate, the values they exchange, the failures.

Two implementations: the DynamoDB stores (``pom.store.tables.dynamo_stores``), and an in-memory fake
for the domain and service tests (``tests/fakes``). Both keep the same promises: every write is
conditional (a PO's ``rev``, an invoice's ``version``) and atomic with its audit and ledger
entries, and a failed condition says which item moved and how it stands now.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

from pom.domain.audit import Actor, AuditEvent
from pom.domain.invoices import Invoice
from pom.domain.ledger import PurchaseOrderMovement
from pom.domain.models import Settings
from pom.domain.notices import Notice
from pom.domain.purchase_orders import PurchaseOrder

NoticeKey = tuple[str, str]  # opaque to the services: where the outbox keeps a notice


class Page(NamedTuple):
    items: list[Any]
    next_token: str | None
    # The token that resumes the list right after each item (aligned with ``items``; empty when the
    # store cannot tell): a page cut short, to fit a response, continues from the last item it shows.
    resume: Sequence[str] = ()


class VersionedSettings(NamedTuple):
    settings: Settings
    version: int | None  # None: never saved, the defaults apply


class ScheduledPurchaseOrder(NamedTuple):
    po: PurchaseOrder
    check_key: str | None  # its schedule key as read: a re-plan applies only if no write moved it since


class DueWork(NamedTuple):
    """What one run of the scheduled job found due."""

    purchase_orders: list[tuple[str, str]]  # (account id, PO id)
    notices: list[NoticeKey]
    settings_accounts: list[str]


class Claim(NamedTuple):
    """The outcome of claiming a notice for sending: ``item`` is set when this caller may send it."""

    item: dict[str, Any] | None
    state: str  # CLAIMED | SENT (already) | IN_FLIGHT (another sender holds it) | IN_DOUBT | GONE


# --- failures -------------------------------------------------------------------------------------


class StaleWrite(Exception):
    """The item changed since it was read (its ``rev``), or a concurrent transaction held it."""


class AlreadyExists(Exception):
    pass


class InvoiceChanged(Exception):
    """The invoice is not at the version a change was based on; carries the current one (None: gone)."""

    def __init__(self, current: Invoice | None):
        super().__init__("invoice changed")
        self.current = current


class PurchaseOrderChanged(Exception):
    """A PO moved since it was read; carries the current one (None: deleted)."""

    def __init__(self, po_id: str, current: PurchaseOrder | None):
        super().__init__(f"PO {po_id} changed")
        self.po_id = po_id
        self.current = current


class SettingsChanged(Exception):
    """The settings a write assumed are no longer current; carries the current ones."""

    def __init__(self, current: VersionedSettings):
        super().__init__("account settings changed")
        self.current = current


# --- the ports ------------------------------------------------------------------------------------


class PurchaseOrderStore(Protocol):
    """POs with their bill-from pointers and audit trail."""

    def get(self, account_id: str, po_id: str) -> PurchaseOrder | None: ...

    def list(
        self, account_id: str, status: str | None, limit: int, token: str | None,
        *, tag: tuple[str, str | None] | None = None,
    ) -> Page:  # fmt: skip
        """Newest first, by status; with ``tag`` (key, and value or None for any) only the POs carrying it."""

    def create(
        self, po: PurchaseOrder, actor: Actor, events: Sequence[AuditEvent], settings_version: int | None
    ) -> None:
        """Raises AlreadyExists, SettingsChanged (the copied settings are stale) or StaleWrite."""

    def import_many(self, pos: Sequence[PurchaseOrder], actor: Actor) -> None: ...

    def save(
        self, before: PurchaseOrder, po: PurchaseOrder, actor: Actor, at: str, events: Sequence[AuditEvent],
        *, notices: Sequence[Notice] = (),
    ) -> None:  # fmt: skip
        """Replaces the PO if its rev is still ``before``'s; raises StaleWrite otherwise."""

    def delete(self, po: PurchaseOrder, actor: Actor, at: str, events: Sequence[AuditEvent]) -> None: ...

    def history(self, account_id: str, po_id: str, limit: int, token: str | None) -> Page: ...

    def candidate_ids(self, account_id: str, entity: str, month: str) -> list[str]:
        """ACTIVE POs naming ``entity`` and in effect in ``month``."""

    def with_settings(self, account_id: str, po_ids: Sequence[str]) -> tuple[VersionedSettings, list[PurchaseOrder]]:
        """The account's settings and these POs, read together."""

    def in_effect(self, account_id: str, month: str, limit: int) -> list[PurchaseOrder]:
        """At most ``limit`` ACTIVE POs of any entity in effect in ``month``."""


class SettingsStore(Protocol):
    def get(self, account_id: str) -> VersionedSettings: ...

    def put(self, account_id: str, settings: Settings, now: str) -> VersionedSettings: ...


class InvoiceStore(Protocol):
    """Invoices with the ledger: every balance movement is written here, with the POs it moves."""

    def create(self, invoice: Invoice) -> Invoice | None:
        """Writes a new invoice with its supplier number, atomically; if its id or its supplier number
        (``supplier_identity``) is taken, writes nothing and returns the invoice holding it."""

    def by_supplier_number(self, account_id: str, identity: str) -> Invoice | None:
        """The invoice holding a supplier number (``supplier_identity``), if any."""

    def get(self, account_id: str, invoice_id: str) -> Invoice | None: ...

    def list(
        self, account_id: str, limit: int, token: str | None, *, match_status: str | None = None,
        approval_status: str | None = None, po_id: str | None = None,
    ) -> Page: ...  # fmt: skip

    def save_change(
        self, invoice: Invoice, expected_version: int, changes: Sequence[PurchaseOrderMovement], actor: Actor,
        *, also: Sequence[tuple[Invoice, int]] = (), history: Sequence[tuple[str, AuditEvent]] = (),
    ) -> None:  # fmt: skip
        """One atomic write, with ``history`` (invoice id, event) on the invoices' own trails;
        raises InvoiceChanged, PurchaseOrderChanged or StaleWrite."""

    def history(self, account_id: str, invoice_id: str, limit: int, token: str | None) -> Page:
        """The invoice's own trail, newest first (what ``save_change`` wrote on it)."""

    def touch_pending(self, account_id: str, invoice_id: str, at: str) -> bool:
        """Makes a PENDING invoice go through the matcher again; False if it is no longer pending."""

    def ledger_entries(self, account_id: str, po_id: str) -> list[dict[str, Any]]: ...


class ScheduleStore(Protocol):
    def due(self, now: str) -> DueWork: ...

    def scheduled(
        self, po_keys: Sequence[tuple[str, str]], account_ids: Sequence[str]
    ) -> tuple[dict[str, VersionedSettings], list[ScheduledPurchaseOrder]]: ...

    def open_purchase_orders(self, account_id: str) -> list[ScheduledPurchaseOrder]: ...

    def plan_next_check(self, scheduled: ScheduledPurchaseOrder, next_check: str, notices: Sequence[Notice]) -> bool:
        """Moves the PO's next check and records the notices due, unless a write moved it since."""

    def settings_replanned(self, account_id: str, version: int | None) -> None: ...


class OutboxStore(Protocol):
    def key(self, notice: Notice) -> NoticeKey: ...

    def claim(self, key: NoticeKey, now: str, abandoned_before: str) -> Claim: ...

    def release(self, key: NoticeKey, claimed_at: str, error: str, *, give_up: bool) -> None: ...

    def sent(self, notice: dict[str, Any], key: NoticeKey, sent_at: str, message_id: str) -> None: ...


class UploadStore(Protocol):
    def record(self, account_id: str, version: str, upload: dict[str, Any]) -> None: ...

    def list(self, account_id: str, status: str | None, limit: int, token: str | None) -> Page: ...


class AwsImportStore(Protocol):
    """The AWS invoice import: the accounts with ``settings.awsInvoices.enabled`` (kept by the settings
    store as settings are saved) and how far each account's import got."""

    def accounts(self) -> list[str]:
        """Every account in the import's index (its settings decide whether it still imports)."""

    def imported_through(self, account_id: str) -> str | None:
        """Invoices issued before this instant (ISO-8601 UTC) have all been read; None: never imported."""

    def advance(self, account_id: str, through: str) -> None:
        """Moves it forward to ``through``; never back."""


class Stores(NamedTuple):
    """Every store of one table (or of one fake): what a function wires its services from."""

    purchase_orders: PurchaseOrderStore
    settings: SettingsStore
    invoices: InvoiceStore
    schedule: ScheduleStore
    outbox: OutboxStore
    uploads: UploadStore
    aws_imports: AwsImportStore
