"""Invoices in DynamoDB, with the ledger: every balance movement is written here, atomically with
the invoice change that causes it, as the PO's audit entry for it (keys: ``pom.store.keys``).

Costs: upload one TransactWriteItems (the invoice and its supplier number, both conditional); a GET
one GetItem; a list page one Query; a change (a match, an unmatch, a credit memo, approval) one
TransactWriteItems: the invoice (version
condition), each PO's balances (rev condition), the audit entries (the PO's carrying the ledger
entry) and alerts due. The invoice's version condition is what makes a replayed change write nothing.
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Sequence
from typing import Any

from pom.domain import ledger
from pom.domain.audit import SYSTEM, Actor, AuditEvent, actor_view
from pom.domain.invoices import Invoice, originals_folder, service_month, supplier_identity
from pom.domain.ledger import PurchaseOrderMovement
from pom.store import keys
from pom.store.audit import audit_writes, trail_page
from pom.store.dynamo import Cancelled, Table, Write, from_item, to_item
from pom.store.outbox import notice_due
from pom.store.ports import InvoiceChanged, Page, PurchaseOrderChanged, StaleWrite
from pom.store.purchase_orders import balance_attributes, read_purchase_orders

# Written whatever their value: conditions, list filters and the stream's filters name them.
_ALWAYS_WRITTEN = ("matchStatus", "approvalStatus", "version", "movements")
_IN_KEYS = frozenset({"accountId", "createdAt"})  # read back from the key and the list sort key
# A match explanation's parts that are mostly empty, left out when they are.
_EXPLANATION_EMPTY: dict[str, Any] = {"excluded": [], "excludedCount": 0, "excludedByReason": {}}
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_BASE64_DIGEST = re.compile(r"[A-Za-z0-9_-]{43}")


def _match_echoes(document: dict[str, Any]) -> dict[str, Any]:
    """What a match usually repeats of its invoice (``document``: the invoice's fields), left out of
    the item when it does: when it was made (the invoice's last write, until another), the month it
    was made for, and the PO's currency."""
    return {
        "matchedAt": document["updatedAt"],
        "month": service_month(document.get("billingPeriod"), document["issueDate"]),
        "poCurrency": document["currency"],
    }


def _invoice_item(invoice: Invoice, actor: Actor | None = None) -> dict[str, Any]:
    """The invoice's item, under 1 KB in the common case (an item under 1 KB costs half the write
    units). Left out: fields at their defaults (at any depth), empty explanation parts, what the
    match repeats of the invoice, and what the keys hold (the account, the creation time); digests
    are kept in base64 and the original's key after its folder (``originals_folder``).
    ``invoice_document`` reads it back whole. ``changedBy``, who wrote it last, is what its event
    names as the actor; left out for the service itself."""
    written = invoice.to_document(exclude_defaults=True, exclude=_IN_KEYS)
    if match := written.get("match"):
        for name, value in _match_echoes(written).items():
            if match[name] == value:
                del match[name]
    if explanation := written.get("matchExplanation"):
        written["matchExplanation"] = {
            name: value for name, value in explanation.items() if _EXPLANATION_EMPTY.get(name, ...) != value
        }
    written["contentHash"] = _compact_digest(invoice.contentHash)
    folder = originals_folder(invoice.accountId, invoice.invoiceId)
    if invoice.documentKey.startswith(folder):
        name, dot, extension = invoice.documentKey.removeprefix(folder).partition(".")
        written["documentFile"] = _compact_digest(name) + dot + extension
        del written["documentKey"]
    changed_by = actor.audit() if actor is not None else invoice.receivedBy
    document: dict[str, Any] = {
        **{name: getattr(invoice, name) for name in _ALWAYS_WRITTEN},
        **written,
        **({"changedBy": changed_by} if changed_by and actor_view(changed_by)["userId"] != SYSTEM else {}),
        "PK": keys.account_pk(invoice.accountId),
        "SK": f"INV#{invoice.invoiceId}",
        "entity": "INVOICE",
        "GSI1PK": keys.invoice_list_partition(invoice.accountId),
        "GSI1SK": f"{invoice.createdAt}#{invoice.invoiceId}",
    }
    if invoice.match is not None:
        document["GSI3PK"] = keys.po_invoices_partition(invoice.accountId, invoice.match.poId)
    else:  # by match status: only the invoices that need someone (MATCHED ones are read from GSI1)
        document["GSI2PK"] = keys.invoice_list_partition(invoice.accountId, invoice.matchStatus)
    return to_item(document)


def invoice_document(item: dict[str, Any]) -> dict[str, Any]:
    """An invoice's item (a stream image too) as the model reads it: what ``_invoice_item`` left out
    put back."""
    document = from_item(item)
    if "accountId" not in document:
        document["accountId"] = keys.account_of(item["PK"]["S"])
    if "createdAt" not in document:
        document["createdAt"] = item["GSI1SK"]["S"].split("#", 1)[0]
    document["contentHash"] = _full_digest(document["contentHash"])
    if "documentFile" in document:
        name, dot, extension = document.pop("documentFile").partition(".")
        folder = originals_folder(document["accountId"], document["invoiceId"])
        document["documentKey"] = folder + _full_digest(name) + dot + extension
    if (match := document.get("match")) is not None:
        document["match"] = {**_match_echoes(document), **match}
    explanation = document.get("matchExplanation")
    if explanation is not None and ("candidates" in explanation or "lines" in explanation):
        document["matchExplanation"] = {**copy.deepcopy(_EXPLANATION_EMPTY), **explanation}
    return document


def _compact_digest(text: str) -> str:
    """A SHA-256 in hex as its 43 base64 characters; any other text as it is."""
    if _HEX_DIGEST.fullmatch(text):
        return base64.urlsafe_b64encode(bytes.fromhex(text)).decode().rstrip("=")
    return text


def _full_digest(text: str) -> str:
    if _BASE64_DIGEST.fullmatch(text):
        return base64.urlsafe_b64decode(text + "=").hex()
    return text


def _new_item(item: dict[str, Any]) -> dict[str, Any]:
    """A Put that writes only where nothing is, and says what is there otherwise."""
    return {
        "Item": item,
        "ConditionExpression": "attribute_not_exists(PK)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def _by_invoice(history: Sequence[tuple[str, AuditEvent]]) -> dict[str, list[AuditEvent]]:
    grouped: dict[str, list[AuditEvent]] = {}
    for invoice_id, event in history:
        grouped.setdefault(invoice_id, []).append(event)
    return grouped


def _invoice_from(item: dict[str, Any] | None) -> Invoice | None:
    return Invoice.from_document(invoice_document(item)) if item else None


def balance_update(change: PurchaseOrderMovement, actor: Actor) -> Write:
    """The PO's balances item as the movements leave it, conditioned on the PO's rev as read; the PO
    item (``updatedAt``, ``version``: a balance movement is not a user's change) is not written.
    ``changedBy`` is who moved them, for the PO's event."""
    after = ledger.apply(change.po, change.movements)
    attributes = to_item({**balance_attributes(after), "changedBy": actor.audit()})
    names = {"#rev": "rev", **{f"#{name}": name for name in attributes}}
    values = {":rev": {"N": str(change.po.rev)}, ":next": {"N": str(after.rev)}}
    values.update({f":{name}": value for name, value in attributes.items()})
    return Write(
        {
            "Update": {
                "Key": keys.po_balance_key(after.accountId, after.poId),
                "UpdateExpression": "SET #rev = :next, " + ", ".join(f"#{name} = :{name}" for name in attributes),
                "ConditionExpression": "#rev = :rev",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        },
        tag=("po", after.poId),
    )


def _ledger_entry(invoice: Invoice, change: PurchaseOrderMovement) -> dict[str, Any] | None:
    """The movement's ledger entry (None: no amount moved), kept on the PO's audit entry for it."""
    if change.ledger is None:
        return None
    entries = [
        {"lineItemId": m.line_item_id, "month": m.month, "amount": m.amount} for m in change.movements if m.amount
    ]
    return {"invoiceId": invoice.invoiceId, "at": invoice.updatedAt, "entries": entries, **change.ledger}


def _invoice_at(invoice: Invoice, actor: Actor, version: int, *, moving: bool) -> dict[str, Any]:
    """The invoice's Put if it is still at ``version``; when the change records a balance movement, also
    if it numbers the movement next (``numbered``), so that a movement replayed on a later version of
    the invoice is refused as its ledger entry's key once refused it."""
    condition = "#version = :version"
    names, values = {"#version": "version"}, {":version": {"N": str(version)}}
    if moving:
        condition += " AND #movements = :previous"
        names["#movements"] = "movements"
        values[":previous"] = {"N": str(invoice.movements - 1)}
    return {
        "Item": _invoice_item(invoice, actor),
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


class DynamoInvoiceStore:
    def __init__(self, table: Table):
        self.table = table

    def create(self, invoice: Invoice) -> Invoice | None:
        """Writes a new invoice and its supplier number in one transaction; if its id, or its
        (billing entity, document type, supplier number), is taken, writes nothing and returns the
        invoice that holds it (one more GetItem when it is the number)."""
        identity = supplier_identity(invoice.billingEntity, invoice.documentType, invoice.supplier_number)
        number = {
            **keys.supplier_number_key(invoice.accountId, identity),
            "entity": {"S": "SUPPLIERNO"},
            "invoiceId": {"S": invoice.invoiceId},
        }
        try:
            self.table.transact(
                [
                    Write({"Put": _new_item(_invoice_item(invoice))}, tag=("invoice", invoice.invoiceId)),
                    Write({"Put": _new_item(number)}, tag=("number", identity)),
                ]
            )
        except Cancelled as cancelled:
            holder = cancelled.failed.get(("number", identity))
            if holder:
                return self.get(invoice.accountId, holder["invoiceId"]["S"])
            if cancelled.failed.get(("invoice", invoice.invoiceId)):
                return _invoice_from(cancelled.failed[("invoice", invoice.invoiceId)])
            raise StaleWrite(invoice.invoiceId) from None
        return None

    def by_supplier_number(self, account_id: str, identity: str) -> Invoice | None:
        """The invoice holding a supplier number (``supplier_identity``): two GetItems when found."""
        number = self.table.get(keys.supplier_number_key(account_id, identity))
        return None if number is None else self.get(account_id, number["invoiceId"]["S"])

    def get(self, account_id: str, invoice_id: str) -> Invoice | None:
        return _invoice_from(self.table.get(keys.invoice_key(account_id, invoice_id)))

    def list(
        self, account_id: str, limit: int, token: str | None, *, match_status: str | None = None,
        approval_status: str | None = None, po_id: str | None = None,
    ) -> Page:  # fmt: skip
        """Newest first, from the index keyed by the most selective filter given (PO, then match status).
        The status index holds only the invoices not matched, so that a match moves one index entry
        fewer: MATCHED ones, most of an account's, are the all-invoices index filtered."""
        if po_id is not None:
            index, partition = "GSI3", keys.po_invoices_partition(account_id, po_id)
        elif match_status is not None and match_status != "MATCHED":
            index, partition = "GSI2", keys.invoice_list_partition(account_id, match_status)
        else:
            index, partition = "GSI1", keys.invoice_list_partition(account_id)
        filters = {"approvalStatus": approval_status} if approval_status else {}
        if match_status is not None and index != "GSI2":
            filters["matchStatus"] = match_status
        page = self.table.page(account_id, index, partition, limit, token, filters=filters, decode=invoice_document)
        return Page([Invoice.from_document(item) for item in page.items], page.next_token, page.resume)

    def save_change(
        self, invoice: Invoice, expected_version: int, changes: Sequence[PurchaseOrderMovement], actor: Actor,
        *, also: Sequence[tuple[Invoice, int]] = (), history: Sequence[tuple[str, AuditEvent]] = (),
    ) -> None:  # fmt: skip
        """One transaction: the invoice (if still at ``expected_version``), each PO's balances (if
        still at the rev read), their ledger and audit entries and alerts due, ``also`` other
        invoices (a credit memo's original), and ``history``: (invoice id, event) on the invoices'
        trails. A failed condition says which item moved and how it stands now (the invoice as the
        cancellation returns it; a PO read again, as its balances item alone does not show it), so
        the caller re-decides at once."""
        moving = any(change.ledger is not None for change in changes)
        writes = [
            Write(
                {"Put": _invoice_at(record, actor, version, moving=moving and record is invoice)},
                tag=("invoice", record.invoiceId),
            )
            for record, version in ((invoice, expected_version), *also)
        ]
        writes += [balance_update(change, actor) for change in changes]
        for change in changes:
            trail = keys.history_pk(change.po.accountId, change.po.poId)
            writes += audit_writes(
                trail, actor, invoice.updatedAt, change.events, ledger=_ledger_entry(invoice, change)
            )
            writes += [notice_due(notice) for notice in change.notices]
        for invoice_id, events in _by_invoice(history).items():
            trail = keys.invoice_history_pk(invoice.accountId, invoice_id)
            writes += audit_writes(trail, actor, invoice.updatedAt, events)  # numbered in order: one time
        try:
            self.table.transact(writes)
        except Cancelled as cancelled:
            for (kind, identifier), item in cancelled.failed.items():  # type: ignore[misc]
                if kind == "invoice":
                    current = _invoice_from(item)
                    if identifier == invoice.invoiceId and current is not None and current.version == expected_version:
                        raise StaleWrite(invoice.invoiceId) from None  # at the version read: a movement replayed
                    raise InvoiceChanged(current) from None
                found, _ = read_purchase_orders(self.table, [(invoice.accountId, identifier)])
                raise PurchaseOrderChanged(identifier, found[0].po if found else None) from None
            raise StaleWrite(invoice.invoiceId) from None

    def history(self, account_id: str, invoice_id: str, limit: int, token: str | None) -> Page:
        return trail_page(self.table, account_id, keys.invoice_history_pk(account_id, invoice_id), limit, token)

    def touch_pending(self, account_id: str, invoice_id: str, at: str) -> bool:
        """Writes ``replayedAt`` on an invoice that is still PENDING, so the stream delivers it to the
        matcher again (a replay); False if it is no longer pending (or gone)."""
        touched, _ = self.table.write_if(
            "update_item",
            Key=keys.invoice_key(account_id, invoice_id),
            UpdateExpression="SET replayedAt = :at",
            ConditionExpression="matchStatus = :pending",
            ExpressionAttributeValues={":at": {"S": at}, ":pending": {"S": "PENDING"}},
        )
        return touched

    def ledger_entries(self, account_id: str, po_id: str) -> list[dict[str, Any]]:
        """Every ledger entry of a PO, oldest first (for reconciliation and tests): kept on its audit entries."""
        items = self.table.query_all(
            KeyConditionExpression="PK = :pk",
            FilterExpression="attribute_exists(#ledger)",
            ExpressionAttributeNames={"#ledger": "ledger"},
            ExpressionAttributeValues={":pk": {"S": keys.history_pk(account_id, po_id)}},
            ConsistentRead=True,
        )
        return [from_item(item)["ledger"] for item in items]
