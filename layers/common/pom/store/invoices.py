"""Invoices in DynamoDB, with the ledger: every balance movement is written here, atomically with
the invoice change that causes it (keys: ``pom.store.keys``).

Costs: upload one TransactWriteItems (the invoice and its supplier number, both conditional); a GET
one GetItem; a list page one Query; a change (a match, an unmatch, a credit memo, approval) one
TransactWriteItems: the invoice (version
condition), each PO's balances (rev condition), the ledger and audit entries and alerts due.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pom.domain.audit import Actor, AuditEvent
from pom.domain.invoices import Invoice, supplier_identity
from pom.domain.ledger import PurchaseOrderMovement, monthly_sums
from pom.store import keys
from pom.store.audit import audit_writes, trail_page
from pom.store.dynamo import Cancelled, Table, Write, from_item, to_item
from pom.store.outbox import notice_due
from pom.store.ports import InvoiceChanged, Page, PurchaseOrderChanged, StaleWrite
from pom.store.purchase_orders import po_from


def _invoice_item(invoice: Invoice, actor: Actor | None = None) -> dict[str, Any]:
    """The invoice's item; ``changedBy``, who wrote it last, is what its event names as the actor."""
    created = f"{invoice.createdAt}#{invoice.invoiceId}"
    document: dict[str, Any] = {
        **invoice.model_dump(mode="python"),
        "changedBy": actor.audit() if actor is not None else invoice.receivedBy,
        "PK": keys.account_pk(invoice.accountId),
        "SK": f"INV#{invoice.invoiceId}",
        "entity": "INVOICE",
        "GSI1PK": keys.invoice_list_partition(invoice.accountId),
        "GSI1SK": created,
        "GSI2PK": keys.invoice_list_partition(invoice.accountId, invoice.matchStatus),
        "GSI2SK": created,
    }
    if invoice.match is not None:
        document["GSI3PK"] = keys.po_invoices_partition(invoice.accountId, invoice.match.poId)
        document["GSI3SK"] = created
    return to_item(document)


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
    return Invoice.model_validate(from_item(item)) if item else None


def _balance_update(change: PurchaseOrderMovement, actor: Actor) -> Write:
    """One UpdateItem moving the line items' invoiced amounts (and periods), conditioned on the
    PO's rev as read; ``updatedAt`` and ``version`` stay (a balance movement is not a user's change)."""
    po = change.po
    names = {"#li": "lineItems", "#inv": "invoiced", "#count": "matchCount", "#rev": "rev", "#by": "changedBy"}
    values: dict[str, Any] = {
        ":rev": {"N": str(po.rev)}, ":one": {"N": "1"}, ":zero": {"N": "0"}, ":by": to_item({"a": actor.audit()})["a"],
    }  # fmt: skip
    sets = ["#rev = #rev + :one", "#by = :by"]
    totals: dict[int, tuple[Any, int]] = {}
    periods: dict[tuple[int, str], Any] = {}
    positions = {item.lineItemId: index for index, item in enumerate(po.lineItems)}
    for movement in change.movements:
        index = positions[movement.line_item_id]
        amount, matches = totals.get(index, (0, 0))
        totals[index] = (amount + movement.amount, matches + movement.matches)
        if movement.month:
            periods[(index, movement.month)] = periods.get((index, movement.month), 0) + movement.amount
    for index, (amount, matches) in sorted(totals.items()):
        values[f":a{index}"] = {"N": str(amount)}
        values[f":c{index}"] = {"N": str(matches)}
        sets.append(f"#li[{index}].#inv = #li[{index}].#inv + :a{index}")
        sets.append(f"#li[{index}].#count = #li[{index}].#count + :c{index}")
    sets += _monthly_sums_update(change, names, values)
    for number, ((index, month), amount) in enumerate(sorted(periods.items())):
        names["#periods"] = "periodInvoiced"
        names[f"#m{number}"] = month
        values[f":p{number}"] = {"N": str(amount)}
        path = f"#li[{index}].#periods.#m{number}"
        sets.append(f"{path} = if_not_exists({path}, :zero) + :p{number}")
    return Write(
        {
            "Update": {
                "Key": keys.po_key(po.accountId, po.poId),
                "UpdateExpression": "SET " + ", ".join(sets),
                "ConditionExpression": "#rev = :rev",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        },
        tag=("po", po.poId),
    )


def _monthly_sums_update(change: PurchaseOrderMovement, names: dict[str, str], values: dict[str, Any]) -> list[str]:
    """The update of the PO's net debits per service month: each month's sum moved in place, or the
    whole map written on a PO stored before it was kept (the rev condition rules out a race)."""
    moved: dict[str, Any] = {}
    for movement in change.movements:
        if movement.service_month and movement.amount:
            moved[movement.service_month] = moved.get(movement.service_month, 0) + movement.amount
    if not moved:
        return []
    names["#monthly"] = "monthlyInvoiced"
    if change.po.monthlyInvoiced is None:
        values[":monthly"] = to_item({"m": monthly_sums(change.po, list(change.movements))})["m"]
        return ["#monthly = :monthly"]
    sets = []
    for number, (month, amount) in enumerate(sorted(moved.items())):
        names[f"#sm{number}"] = month
        values[f":sm{number}"] = {"N": str(amount)}
        sets.append(f"#monthly.#sm{number} = if_not_exists(#monthly.#sm{number}, :zero) + :sm{number}")
    return sets


def _ledger_write(invoice: Invoice, change: PurchaseOrderMovement) -> Write:
    """The movement's immutable ledger entry; its key comes from the invoice and its movement
    number, so a retried or duplicated write can never record it twice."""
    po = change.po
    item = {
        "PK": keys.ledger_pk(po.accountId, po.poId),
        "SK": keys.ledger_sk(invoice.invoiceId, invoice.movements),
        "entity": "LEDGER",
        "invoiceId": invoice.invoiceId,
        "at": invoice.updatedAt,
        "entries": [
            {"lineItemId": m.line_item_id, "month": m.month, "amount": m.amount} for m in change.movements if m.amount
        ],
        **(change.ledger or {}),
    }
    return Write({"Put": {"Item": to_item(item), "ConditionExpression": "attribute_not_exists(PK)"}})


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
        """Newest first, from the index keyed by the most selective filter given (PO, then match status)."""
        if po_id is not None:
            index, partition = "GSI3", keys.po_invoices_partition(account_id, po_id)
        elif match_status is not None:
            index, partition = "GSI2", keys.invoice_list_partition(account_id, match_status)
        else:
            index, partition = "GSI1", keys.invoice_list_partition(account_id)
        filters = {"approvalStatus": approval_status} if approval_status else {}
        if po_id is not None and match_status is not None:
            filters["matchStatus"] = match_status
        page = self.table.page(account_id, index, partition, limit, token, filters=filters)
        return Page([Invoice.model_validate(item) for item in page.items], page.next_token)

    def save_change(
        self, invoice: Invoice, expected_version: int, changes: Sequence[PurchaseOrderMovement], actor: Actor,
        *, also: Sequence[tuple[Invoice, int]] = (), history: Sequence[tuple[str, AuditEvent]] = (),
    ) -> None:  # fmt: skip
        """One transaction: the invoice (if still at ``expected_version``), each PO's balances (if
        still at the rev read), their ledger and audit entries and alerts due, ``also`` other
        invoices (a credit memo's original), and ``history``: (invoice id, event) on the invoices'
        trails. A failed condition says which item moved and how it stands now
        (ReturnValuesOnConditionCheckFailure), so the caller re-decides without a re-read."""
        writes = [
            Write(
                {
                    "Put": {
                        "Item": _invoice_item(record, actor),
                        "ConditionExpression": "#version = :version",
                        "ExpressionAttributeNames": {"#version": "version"},
                        "ExpressionAttributeValues": {":version": {"N": str(version)}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                tag=("invoice", record.invoiceId),
            )
            for record, version in ((invoice, expected_version), *also)
        ]
        writes += [_balance_update(change, actor) for change in changes]
        for change in changes:
            writes += audit_writes(
                keys.history_pk(change.po.accountId, change.po.poId), actor, invoice.updatedAt, change.events
            )
            if change.ledger is not None:
                writes.append(_ledger_write(invoice, change))
            writes += [notice_due(notice) for notice in change.notices]
        for invoice_id, events in _by_invoice(history).items():
            trail = keys.invoice_history_pk(invoice.accountId, invoice_id)
            writes += audit_writes(trail, actor, invoice.updatedAt, events)  # numbered in order: one time
        try:
            self.table.transact(writes)
        except Cancelled as cancelled:
            for (kind, identifier), item in cancelled.failed.items():  # type: ignore[misc]
                if kind == "invoice":
                    raise InvoiceChanged(_invoice_from(item)) from None
                raise PurchaseOrderChanged(identifier, po_from(item)) from None
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
        """Every ledger entry of a PO (for reconciliation and tests)."""
        items = self.table.query_all(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.ledger_pk(account_id, po_id)}},
            ConsistentRead=True,
        )
        return [{name: value for name, value in from_item(item).items() if name != "entity"} for item in items]
