"""The store ports in memory, with injectable faults: domain and service tests without moto.

``memory_stores()`` gives one ``Stores`` over one shared state, so a write spanning POs, invoices,
ledger, audit and notices is atomic as a DynamoDB transaction is: every condition is checked
before anything is applied. It keeps the DynamoDB stores' promises (``pom.store.ports``): the same
conditions (a PO's ``rev``, an invoice's ``version``, a ledger key, a notice's claim) failing with
the same port failures and current items, lists newest first with tokens only their own list
takes, the schedule a run reads. Values are copied in and out: a caller never holds stored state.

``Faults`` counts each port call (what the moto tests count as requests) and injects, per
operation (``"invoices.save_change"``): a throttle before the write, a failed condition as if
someone wrote meanwhile, or a crash right after the write.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import count
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from pom.core import jsonio
from pom.core.errors import FieldError, ValidationFailed
from pom.core.months import iso_timestamp
from pom.core.records import Record
from pom.domain.audit import Actor, AuditEvent, system_actor
from pom.domain.invoices import Invoice, supplier_identity
from pom.domain.ledger import PurchaseOrderMovement, apply
from pom.domain.models import Settings
from pom.domain.notices import Notice, first_check
from pom.domain.purchase_orders import OPEN_STATUSES, PurchaseOrder
from pom.store.ports import (
    AlreadyExists,
    Claim,
    DueWork,
    InvoiceChanged,
    NoticeKey,
    Page,
    PurchaseOrderChanged,
    ScheduledPurchaseOrder,
    SettingsChanged,
    StaleWrite,
    Stores,
    VersionedSettings,
)

Model = TypeVar("Model", bound=Record)
Key = tuple[str, str]  # (account id, item id)

# The operations whose condition ``Faults.conflict_next`` can fail; each reports it as DynamoDB's would.
CONDITIONAL_WRITES = frozenset(
    {
        "purchase_orders.create",  # AlreadyExists
        "purchase_orders.save",  # StaleWrite
        "purchase_orders.delete",  # StaleWrite
        "invoices.save_change",  # InvoiceChanged(current)
        "invoices.touch_pending",  # False
        "schedule.plan_next_check",  # False
    }
)


class Crash(BaseException):
    """The caller dies right after its write committed (a Lambda timeout after the transaction).
    Not an ``Exception``, as a timeout is not one: no ``except Exception`` under test survives it."""


def throttle(operation: str) -> ClientError:
    """DynamoDB refusing a request for throughput: nothing was written, a retry may succeed."""
    error = {"Code": "ProvisionedThroughputExceededException", "Message": "The level of configured provisioned "
             "throughput for the table was exceeded."}  # fmt: skip
    return ClientError({"Error": error}, operation)


_CONFLICT = object()  # a queued fault: the call's condition fails


class Faults:
    """Counts the port calls (``calls["invoices.save_change"]``) and holds the faults to inject,
    each for the next call of its operation that has none queued before it."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        # Per operation: an Exception to raise before writing, _CONFLICT, or a Crash to raise after.
        self._queued: defaultdict[str, deque[object]] = defaultdict(deque)

    def fail_next(self, operation: str, error: Exception | None = None) -> None:
        """The next call raises ``error`` (a throttle by default) and writes nothing."""
        self._queue(operation, error or throttle(operation))

    def conflict_next(self, operation: str) -> None:
        """The next call finds its condition failed, as if someone wrote meanwhile, and writes nothing."""
        if operation not in CONDITIONAL_WRITES:
            raise ValueError(f"{operation} has no condition to fail; one of {sorted(CONDITIONAL_WRITES)}")
        self._queue(operation, _CONFLICT)

    def crash_after(self, operation: str) -> None:
        """The next call writes, then raises ``Crash`` instead of returning."""
        self._queue(operation, Crash(operation))

    def _queue(self, operation: str, fault: object) -> None:
        prefix, _, method = operation.partition(".")
        if prefix not in _STORES or method.startswith("_") or not hasattr(_STORES[prefix], method):
            raise ValueError(f"no store operation {operation!r}")
        self._queued[operation].append(fault)

    @contextmanager
    def operation(self, name: str) -> Iterator[bool]:
        """Around one port call: counts it, applies its fault; yields whether its condition must fail."""
        self.calls[name] += 1
        fault = self._queued[name].popleft() if self._queued[name] else None
        if isinstance(fault, Exception):
            raise fault
        yield fault is _CONFLICT
        if isinstance(fault, Crash):
            raise fault


# --- the shared state -----------------------------------------------------------------------------


@dataclass
class _Table:
    pos: dict[Key, PurchaseOrder] = field(default_factory=dict)
    settings: dict[str, VersionedSettings] = field(default_factory=dict)
    invoices: dict[Key, Invoice] = field(default_factory=dict)
    supplier_numbers: dict[Key, str] = field(default_factory=dict)  # (account, supplier identity) -> invoiceId
    ledger: dict[Key, dict[str, dict[str, Any]]] = field(default_factory=dict)  # PO -> invoice#number -> entry
    audit: dict[Key, dict[str, dict[str, Any]]] = field(default_factory=dict)  # PO -> at#index#n -> entry
    invoice_history: dict[Key, dict[str, dict[str, Any]]] = field(default_factory=dict)  # invoice -> same
    notices: dict[NoticeKey, dict[str, Any]] = field(default_factory=dict)
    uploads: dict[Key, dict[str, Any]] = field(default_factory=dict)  # (account, digest of key and version)
    # The schedule (DynamoDB's sparse GSI4): from when on the job must look at each open PO,
    # each notice not yet sent (the outbox), and the settings after a change of expiryNoticeDays.
    checks: dict[Key, str] = field(default_factory=dict)
    outbox: dict[NoticeKey, str] = field(default_factory=dict)
    replans: dict[str, str] = field(default_factory=dict)
    # The AWS invoice import: the accounts in its index (DynamoDB's GSI1 ``AWSINVOICES``), how far each got.
    aws_importing: set[str] = field(default_factory=set)
    aws_imported_through: dict[str, str] = field(default_factory=dict)
    transactions: Iterator[int] = field(default_factory=count)  # the audit keys' unique suffix

    def put_po(self, po: PurchaseOrder) -> None:
        """Stores a PO as a user's change or the job's does; its next check restarts from the earliest
        moment any notice setting could make a notice due (see ``_po_item`` in the DynamoDB store)."""
        key = (po.accountId, po.poId)
        self.pos[key] = _copy(po)
        if po.status in OPEN_STATUSES:
            self.checks[key] = iso_timestamp(first_check(po.expirationMonth))
        else:
            self.checks.pop(key, None)

    def add_audit(
        self, po_key: Key, actor: Actor, at: str, events: Sequence[AuditEvent], *, trails: dict | None = None
    ) -> None:
        suffix = next(self.transactions)
        trail = (self.audit if trails is None else trails).setdefault(po_key, {})
        for index, event in enumerate(events):
            by = system_actor(actor.account_id) if event.by_service else actor
            when = event.at or at
            entry = {"at": when, "actor": by.audit(), "action": event.action, "details": jsonio.dumps(event.details)}
            trail[f"{when}#{index:02d}#{suffix:08d}"] = entry

    def notice_due(self, notice: Notice) -> None:
        """Records a notice as due unless recorded before (its first rendering and due time stay) and
        puts it in the outbox; one already sent is taken out again, unsent, by ``claim``."""
        key = _notice_key(notice)
        item = self.notices.setdefault(key, {})
        kept = {
            "dueAt": notice.due_at,
            "to": list(notice.to),
            "subject": notice.subject,
            "text": notice.text,
            "html": notice.html,
            # DynamoDB reads numbers back as Decimal: so do claims here (and the NOTIFIED entry's details).
            "threshold": None if notice.threshold is None else Decimal(notice.threshold),
            "expirationMonth": notice.expiration_month,
        }
        for name, value in kept.items():
            item.setdefault(name, value)
        item.update(kind=notice.kind, poId=notice.po_id, accountId=notice.account_id)
        self.outbox[key] = notice.due_at

    def pos_of(self, account_id: str) -> list[PurchaseOrder]:
        return [po for (account, _), po in self.pos.items() if account == account_id]

    def settings_of(self, account_id: str) -> VersionedSettings:
        current = self.settings.get(account_id)
        if current is None:
            return VersionedSettings(Settings(), None)
        return VersionedSettings(_copy(current.settings), current.version)


def _copy(model: Model) -> Model:
    return copy.deepcopy(model)


def _json_copy(value: Any) -> Any:
    """What the DynamoDB stores keep as a JSON string comes back as JSON reads it."""
    return jsonio.loads(jsonio.dumps(value))


def _notice_key(notice: Notice) -> NoticeKey:
    """One notice per kind, PO, threshold and expiration month (a new month may notify again)."""
    threshold = "-" if notice.threshold is None else str(notice.threshold)
    return notice.account_id, "#".join([notice.kind, notice.expiration_month or "-", threshold, notice.po_id])


def _carries(po: PurchaseOrder, tag_key: str, tag_value: str | None) -> bool:
    return any(tag["key"] == tag_key and tag_value in (None, tag["value"]) for tag in po.tags)


def _recency(po: PurchaseOrder) -> str:
    return f"{po.updatedAt}#{po.poId}"


def _page(
    rows: Iterable[tuple[str, Any]], partition: Sequence[str | None], limit: int, token: str | None,
    keep: Callable[[Any], bool] | None = None,
) -> Page:  # fmt: skip
    """One page of a partition's rows (sort key, value), newest first. As a DynamoDB Query with a
    filter, ``keep`` narrows what a page returns, not what it reads: a page may come back short."""
    ordered = sorted(rows, key=lambda row: row[0], reverse=True)
    start = _token_start(token, partition)
    if start is not None:
        ordered = [row for row in ordered if row[0] < start]
    read = ordered[:limit]
    next_token = None
    if len(ordered) > limit:
        next_token = base64.urlsafe_b64encode(json.dumps([list(partition), read[-1][0]]).encode()).decode()
    return Page([value for _, value in read if keep is None or keep(value)], next_token)


def _trail_page(
    trails: dict[Key, dict[str, dict[str, Any]]], kind: str, key: Key, limit: int, token: str | None
) -> Page:
    page = _page(trails.get(key, {}).items(), [kind, *key], limit, token)
    entries = [
        {**entry, "at": entry["at"][:19] + "Z", "details": jsonio.loads(entry["details"])} for entry in page.items
    ]
    return Page(entries, page.next_token)


def _token_start(token: str | None, partition: Sequence[str | None]) -> str | None:
    """Where a page starts, if the token came from this very list (a token is the caller's input)."""
    if token is None:
        return None
    try:
        listed, start = json.loads(base64.urlsafe_b64decode(token.encode()))
        valid = listed == list(partition) and isinstance(start, str)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        valid = False
    if not valid:
        raise ValidationFailed([FieldError(("query", "nextToken"), "is not a token this list returned")])
    return start


class _Store:
    def __init__(self, table: _Table, faults: Faults, prefix: str):
        self._table = table
        self._faults = faults
        self._prefix = prefix

    def _op(self, name: str) -> AbstractContextManager[bool]:
        return self._faults.operation(f"{self._prefix}.{name}")


# --- the ports ------------------------------------------------------------------------------------


class _PurchaseOrders(_Store):
    def get(self, account_id: str, po_id: str) -> PurchaseOrder | None:
        with self._op("get"):
            po = self._table.pos.get((account_id, po_id))
            return None if po is None else _copy(po)

    def list(
        self, account_id: str, status: str | None, limit: int, token: str | None,
        *, tag: tuple[str, str | None] | None = None,
    ) -> Page:  # fmt: skip
        with self._op("list"):
            rows = [
                (_recency(po), _copy(po))
                for po in self._table.pos_of(account_id)
                if status in (None, po.status) and (tag is None or _carries(po, *tag))
            ]
            return _page(rows, ["PO", account_id, status, *(tag or ())], limit, token)

    def create(
        self, po: PurchaseOrder, actor: Actor, events: Sequence[AuditEvent], settings_version: int | None
    ) -> None:
        with self._op("create") as conflicted:
            if conflicted or (po.accountId, po.poId) in self._table.pos:
                raise AlreadyExists(po.poId)
            current = self._table.settings_of(po.accountId)
            if current.version != settings_version:
                raise SettingsChanged(current)
            self._table.put_po(po)
            self._table.add_audit((po.accountId, po.poId), actor, po.updatedAt, events)

    def import_many(self, pos: Sequence[PurchaseOrder], actor: Actor) -> None:
        """Overwrites, without conditions, each PO with a CREATED audit entry (a bulk load)."""
        with self._op("import_many"):
            imported = [AuditEvent("CREATED", {"imported": True})]
            for po in pos:
                self._table.put_po(po)
                self._table.add_audit((po.accountId, po.poId), actor, po.updatedAt, imported)

    def save(
        self, before: PurchaseOrder, po: PurchaseOrder, actor: Actor, at: str, events: Sequence[AuditEvent],
        *, notices: Sequence[Notice] = (),
    ) -> None:  # fmt: skip
        with self._op("save") as conflicted:
            self._check_rev(before, conflicted)
            self._table.put_po(po)
            self._table.add_audit((po.accountId, po.poId), actor, at, events)
            for notice in notices:
                self._table.notice_due(notice)

    def delete(self, po: PurchaseOrder, actor: Actor, at: str, events: Sequence[AuditEvent]) -> None:
        """Deletes the PO (its audit trail and ledger stay) if nobody wrote it since it was read."""
        with self._op("delete") as conflicted:
            self._check_rev(po, conflicted)
            key = (po.accountId, po.poId)
            del self._table.pos[key]
            self._table.checks.pop(key, None)
            self._table.add_audit(key, actor, at, events)

    def _check_rev(self, read: PurchaseOrder, conflicted: bool) -> None:
        current = self._table.pos.get((read.accountId, read.poId))
        if conflicted or current is None or current.rev != read.rev:
            raise StaleWrite(read.poId)

    def history(self, account_id: str, po_id: str, limit: int, token: str | None) -> Page:
        with self._op("history"):
            return _trail_page(self._table.audit, "POHIST", (account_id, po_id), limit, token)

    def candidate_ids(self, account_id: str, entity: str, month: str) -> list[str]:
        """What the DynamoDB store's bill-from pointers hold (one per entity of an ACTIVE PO), by
        expiration month: derived from the POs here, as the pointers move with them."""
        with self._op("candidate_ids"):
            candidates = [
                po for po in self._table.pos_of(account_id)
                if po.status == "ACTIVE" and entity in po.billFrom and po.effectiveMonth <= month <= po.expirationMonth
            ]  # fmt: skip
            return [po.poId for po in sorted(candidates, key=lambda po: f"{po.expirationMonth}#{po.poId}")]

    def with_settings(self, account_id: str, po_ids: Sequence[str]) -> tuple[VersionedSettings, list[PurchaseOrder]]:
        with self._op("with_settings"):
            found = [self._table.pos.get((account_id, po_id)) for po_id in dict.fromkeys(po_ids)]
            return self._table.settings_of(account_id), [_copy(po) for po in found if po is not None]

    def in_effect(self, account_id: str, month: str, limit: int) -> list[PurchaseOrder]:
        with self._op("in_effect"):
            pos = [
                po
                for po in self._table.pos_of(account_id)
                if po.status == "ACTIVE" and po.effectiveMonth <= month <= po.expirationMonth
            ]
            return [_copy(po) for po in sorted(pos, key=_recency, reverse=True)[:limit]]


class _Settings(_Store):
    def get(self, account_id: str) -> VersionedSettings:
        with self._op("get"):
            return self._table.settings_of(account_id)

    def put(self, account_id: str, settings: Settings, now: str) -> VersionedSettings:
        """Replaces the settings (no condition); a change of ``expiryNoticeDays`` puts the account in the
        schedule, for the next run to re-plan its open POs."""
        with self._op("put"):
            old = self._table.settings_of(account_id)
            saved = VersionedSettings(_copy(settings), (old.version or 0) + 1)
            self._table.settings[account_id] = saved
            if old.settings.notifications.expiryNoticeDays != settings.notifications.expiryNoticeDays:
                self._table.replans[account_id] = now
            if settings.awsInvoices.enabled:
                self._table.aws_importing.add(account_id)
            else:
                self._table.aws_importing.discard(account_id)
            return VersionedSettings(_copy(settings), saved.version)


class _Invoices(_Store):
    def create(self, invoice: Invoice) -> Invoice | None:
        with self._op("create"):
            identity = supplier_identity(invoice.billingEntity, invoice.documentType, invoice.supplier_number)
            holder = self._table.supplier_numbers.get((invoice.accountId, identity))
            existing = self._table.invoices.get((invoice.accountId, holder or invoice.invoiceId))
            if existing is not None:
                return _copy(existing)
            self._table.invoices[(invoice.accountId, invoice.invoiceId)] = _copy(invoice)
            self._table.supplier_numbers[(invoice.accountId, identity)] = invoice.invoiceId
            return None

    def by_supplier_number(self, account_id: str, identity: str) -> Invoice | None:
        with self._op("by_supplier_number"):
            holder = self._table.supplier_numbers.get((account_id, identity))
            invoice = None if holder is None else self._table.invoices.get((account_id, holder))
            return None if invoice is None else _copy(invoice)

    def get(self, account_id: str, invoice_id: str) -> Invoice | None:
        with self._op("get"):
            invoice = self._table.invoices.get((account_id, invoice_id))
            return None if invoice is None else _copy(invoice)

    def list(
        self, account_id: str, limit: int, token: str | None, *, match_status: str | None = None,
        approval_status: str | None = None, po_id: str | None = None,
    ) -> Page:  # fmt: skip
        """Newest first, from the partition of the most selective filter (PO, then match status), the
        other filters narrowing each page as the DynamoDB store's filter expression does."""
        with self._op("list"):
            mine = [invoice for (account, _), invoice in self._table.invoices.items() if account == account_id]
            if po_id is not None:
                partition = ["POINV", account_id, po_id]
                mine = [invoice for invoice in mine if invoice.match is not None and invoice.match.poId == po_id]
            elif match_status is not None:
                partition = ["INV", account_id, match_status]
                mine = [invoice for invoice in mine if invoice.matchStatus == match_status]
            else:
                partition = ["INV", account_id, None]

            def keep(invoice: Invoice) -> bool:
                return approval_status in (None, invoice.approvalStatus) and match_status in (None, invoice.matchStatus)

            rows = [(f"{invoice.createdAt}#{invoice.invoiceId}", _copy(invoice)) for invoice in mine]
            return _page(rows, partition, limit, token, keep)

    def save_change(
        self, invoice: Invoice, expected_version: int, changes: Sequence[PurchaseOrderMovement], actor: Actor,
        *, also: Sequence[tuple[Invoice, int]] = (), history: Sequence[tuple[str, AuditEvent]] = (),
    ) -> None:  # fmt: skip
        """The invoices (each if still at its version), each PO's balances (if still at the rev read),
        their ledger and audit entries, the alerts due and the invoices' history: all of it, or nothing."""
        with self._op("save_change") as conflicted:
            records = [(invoice, expected_version), *also]
            _one_write_per_item(records, changes)
            for position, (record, version) in enumerate(records):
                current = self._table.invoices.get((record.accountId, record.invoiceId))
                if (conflicted and position == 0) or current is None or current.version != version:
                    raise InvoiceChanged(None if current is None else _copy(current))
            for change in changes:
                current_po = self._table.pos.get((change.po.accountId, change.po.poId))
                if current_po is None or current_po.rev != change.po.rev:
                    raise PurchaseOrderChanged(change.po.poId, None if current_po is None else _copy(current_po))
            # The ledger key comes from the invoice and its movement number: a replayed write cannot record twice.
            number = f"{invoice.invoiceId}#{invoice.movements:06d}"
            if any(number in self._table.ledger.get((c.po.accountId, c.po.poId), {}) for c in changes if c.ledger):
                raise StaleWrite(invoice.invoiceId)
            for record, _ in records:
                self._table.invoices[(record.accountId, record.invoiceId)] = _copy(record)
            for change in changes:
                self._apply(invoice, number, change, actor)
            for invoice_id in dict.fromkeys(invoice_id for invoice_id, _ in history):
                events = [event for named, event in history if named == invoice_id]
                key = (invoice.accountId, invoice_id)
                self._table.add_audit(key, actor, invoice.updatedAt, events, trails=self._table.invoice_history)

    def history(self, account_id: str, invoice_id: str, limit: int, token: str | None) -> Page:
        with self._op("history"):
            return _trail_page(self._table.invoice_history, "INVHIST", (account_id, invoice_id), limit, token)

    def _apply(self, invoice: Invoice, number: str, change: PurchaseOrderMovement, actor: Actor) -> None:
        key = (change.po.accountId, change.po.poId)
        # A balance movement keeps the PO's updatedAt, version and next check: only rev moves.
        self._table.pos[key] = apply(self._table.pos[key], change.movements)
        self._table.add_audit(key, actor, invoice.updatedAt, change.events)
        if change.ledger is not None:
            entries = [
                {"lineItemId": movement.line_item_id, "month": movement.month, "amount": movement.amount}
                for movement in change.movements
                if movement.amount != 0
            ]
            entry = {"invoiceId": invoice.invoiceId, "at": invoice.updatedAt, "entries": entries, **change.ledger}
            self._table.ledger.setdefault(key, {})[number] = copy.deepcopy(entry)
        for notice in change.notices:
            self._table.notice_due(notice)

    def touch_pending(self, account_id: str, invoice_id: str, at: str) -> bool:
        """Whether the invoice is still PENDING (the DynamoDB store also writes ``replayedAt``, for its
        stream to deliver it again: nothing a port reads)."""
        with self._op("touch_pending") as conflicted:
            current = self._table.invoices.get((account_id, invoice_id))
            return not conflicted and current is not None and current.matchStatus == "PENDING"

    def ledger_entries(self, account_id: str, po_id: str) -> list[dict[str, Any]]:
        with self._op("ledger_entries"):
            entries = self._table.ledger.get((account_id, po_id), {})
            return [copy.deepcopy(entries[number]) for number in sorted(entries)]


def _one_write_per_item(records: Sequence[tuple[Invoice, int]], changes: Sequence[PurchaseOrderMovement]) -> None:
    """DynamoDB refuses a transaction that writes one item twice: so does the fake, so that fast tests see it."""
    items = [("INV", record.accountId, record.invoiceId) for record, _ in records]
    items += [("PO", change.po.accountId, change.po.poId) for change in changes]
    if len(set(items)) < len(items):
        error = {"Code": "ValidationException", "Message": "Transaction request cannot include multiple operations "
                 "on one item"}  # fmt: skip
        raise ClientError({"Error": error}, "TransactWriteItems")


class _Schedule(_Store):
    def due(self, now: str) -> DueWork:
        with self._op("due"):

            def due_keys(schedule: dict[Any, str]) -> list[Any]:
                return [key for key, when in sorted(schedule.items(), key=lambda entry: entry[::-1]) if when <= now]

            table = self._table
            return DueWork(due_keys(table.checks), due_keys(table.outbox), due_keys(table.replans))

    def scheduled(
        self, po_keys: Sequence[tuple[str, str]], account_ids: Sequence[str]
    ) -> tuple[dict[str, VersionedSettings], list[ScheduledPurchaseOrder]]:
        with self._op("scheduled"):
            settings = {account_id: self._table.settings_of(account_id) for account_id in dict.fromkeys(account_ids)}
            return settings, [self._scheduled(key) for key in dict.fromkeys(po_keys) if key in self._table.pos]

    def open_purchase_orders(self, account_id: str) -> list[ScheduledPurchaseOrder]:
        with self._op("open_purchase_orders"):
            by_recency = sorted(self._table.pos_of(account_id), key=_recency)
            in_order = [po for status in OPEN_STATUSES for po in by_recency if po.status == status]
            return [self._scheduled((account_id, po.poId)) for po in in_order]

    def _scheduled(self, key: Key) -> ScheduledPurchaseOrder:
        return ScheduledPurchaseOrder(_copy(self._table.pos[key]), self._table.checks.get(key))

    def plan_next_check(self, scheduled: ScheduledPurchaseOrder, next_check: str, notices: Sequence[Notice]) -> bool:
        """Applies only if the PO's next check is still the one read and the PO was not written since."""
        with self._op("plan_next_check") as conflicted:
            key = (scheduled.po.accountId, scheduled.po.poId)
            current = self._table.pos.get(key)
            read = scheduled.check_key
            if conflicted or current is None or read is None or self._table.checks.get(key) != read:
                return False
            if current.rev != scheduled.po.rev:
                return False
            self._table.checks[key] = next_check
            for notice in notices:
                self._table.notice_due(notice)
            return True

    def settings_replanned(self, account_id: str, version: int | None) -> None:
        """Takes the account out of the schedule, unless its settings changed again since ``version``."""
        with self._op("settings_replanned"):
            current = self._table.settings.get(account_id)
            if current is not None and current.version == version:
                self._table.replans.pop(account_id, None)


class _Outbox(_Store):
    def key(self, notice: Notice) -> NoticeKey:
        return _notice_key(notice)  # no request: not counted

    def claim(self, key: NoticeKey, now: str, abandoned_before: str) -> Claim:
        """Claims an unsent, unclaimed notice; a sent one due again, or one whose sender's claim is older
        than ``abandoned_before``, leaves the outbox instead (SENT, IN_DOUBT): a notice goes out once."""
        with self._op("claim"):
            item = self._table.notices.get(key)
            if item is None:
                return Claim(None, "GONE")
            if "sentAt" in item:
                self._table.outbox.pop(key, None)
                return Claim(None, "SENT")
            if "claimedAt" in item:
                if item["claimedAt"] < abandoned_before and key in self._table.outbox:
                    del self._table.outbox[key]
                    item["inDoubtSince"] = now
                    return Claim(None, "IN_DOUBT")
                return Claim(None, "IN_FLIGHT")
            item.update(claimedAt=now, attempts=item.get("attempts", Decimal(0)) + 1)
            return Claim(copy.deepcopy(item), "CLAIMED")

    def release(self, key: NoticeKey, claimed_at: str, error: str, *, give_up: bool) -> None:
        """Not sent: stays in the outbox for a later try or, giving up, leaves it as failed."""
        with self._op("release"):
            item = self._held(key, claimed_at)
            del item["claimedAt"]
            item["lastError"] = error[:1000]
            if give_up:
                self._table.outbox.pop(key, None)
                item["failedAt"] = claimed_at

    def sent(self, notice: dict[str, Any], key: NoticeKey, sent_at: str, message_id: str) -> None:
        """Records the notice as sent, with the PO's NOTIFIED audit entry."""
        with self._op("sent"):
            item = self._held(key, notice["claimedAt"])
            item.update(sentAt=sent_at, messageId=message_id)
            self._table.outbox.pop(key, None)
            details = {"kind": notice["kind"], "to": notice["to"], "subject": notice["subject"]}
            if notice.get("threshold") is not None:
                details["threshold"] = notice["threshold"]
            account_id = notice["accountId"]
            self._table.add_audit(
                (account_id, notice["poId"]), system_actor(account_id), sent_at, [AuditEvent("NOTIFIED", details)]
            )

    def _held(self, key: NoticeKey, claimed_at: str) -> dict[str, Any]:
        """The notice, if the claim made at ``claimed_at`` still holds it."""
        item = self._table.notices.get(key)
        if item is None or item.get("claimedAt") != claimed_at:
            raise StaleWrite(key[1])
        return item


class _Uploads(_Store):
    def record(self, account_id: str, version: str, upload: dict[str, Any]) -> None:
        """One S3 object version's outcome; the same version again overwrites it."""
        with self._op("record"):
            digest = hashlib.sha256(f"{upload['key']}#{version}".encode()).hexdigest()
            error = upload.get("error")
            stored = {**copy.deepcopy(upload), "error": None if error is None else _json_copy(error)}
            self._table.uploads[(account_id, digest)] = stored

    def list(self, account_id: str, status: str | None, limit: int, token: str | None) -> Page:
        with self._op("list"):
            rows = [
                (f"{upload['receivedAt']}#{digest[:16]}", _upload_view(upload))
                for (account, digest), upload in self._table.uploads.items()
                if account == account_id and status in (None, upload["status"])
            ]
            return _page(rows, ["UPLOAD", account_id, status], limit, token)


class _AwsImports(_Store):
    def accounts(self) -> list[str]:
        with self._op("accounts"):
            return sorted(self._table.aws_importing)

    def imported_through(self, account_id: str) -> str | None:
        with self._op("imported_through"):
            return self._table.aws_imported_through.get(account_id)

    def advance(self, account_id: str, through: str) -> None:
        """Forward only, as the DynamoDB store's condition has it."""
        with self._op("advance"):
            current = self._table.aws_imported_through.get(account_id)
            if current is None or current < through:
                self._table.aws_imported_through[account_id] = through


def _upload_view(upload: dict[str, Any]) -> dict[str, Any]:
    names = ("key", "status", "invoiceId", "error", "receivedAt")
    return {name: copy.deepcopy(upload.get(name)) for name in names}


_STORES: dict[str, type[_Store]] = {
    "purchase_orders": _PurchaseOrders,
    "settings": _Settings,
    "invoices": _Invoices,
    "schedule": _Schedule,
    "outbox": _Outbox,
    "uploads": _Uploads,
    "aws_imports": _AwsImports,
}


def memory_stores(faults: Faults | None = None) -> Stores:
    """Every store over one fresh in-memory state; pass ``faults`` to count calls and inject faults."""
    table, faults = _Table(), faults if faults is not None else Faults()
    return Stores(**{name: store(table, faults, name) for name, store in _STORES.items()})  # type: ignore[arg-type]
