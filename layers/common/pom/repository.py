"""DynamoDB access: the one module that knows item keys, indexes and conditions.

Single-table layout (every read is a GetItem or a Query, never a Scan):

- purchase order: PK ``ACCT#<acct>``, SK ``PO#<poId>``; GSI1 ``ACCT#<acct>#PO`` / ``<updatedAt>#<poId>``
  (list, newest first); GSI2 ``ACCT#<acct>#PO#<status>`` / same sort key (list by status, reads only matches).
- settings: PK ``ACCT#<acct>``, SK ``SETTINGS``.
- audit entry: PK ``ACCT#<acct>#POHIST#<poId>``, SK ``<at>#<n>#<random>``.
- bill-from pointer (one per entity of an ACTIVE PO, written with the PO): PK ``ACCT#<acct>#BILLFROM#<entity>``,
  SK ``<expirationMonth>#<poId>``: the matcher reads only POs that can take an invoice from that entity.
- invoice: PK ``ACCT#<acct>``, SK ``INV#<invoiceId>``; GSI1 ``ACCT#<acct>#INV`` (all), GSI2
  ``ACCT#<acct>#INV#<matchStatus>``, GSI3 ``ACCT#<acct>#POINV#<poId>`` (matched to that PO), each by creation.
- ledger entry (one per balance movement, immutable): PK ``ACCT#<acct>#LEDGER#<poId>``, SK ``<invoiceId>#<n>``.
- invoice upload (S3): PK ``ACCT#<acct>``, SK ``UPLOAD#<sha256 of key and version>``; GSI1/GSI2 by status, by arrival.
- balance alert due: PK ``ACCT#<acct>``, SK ``NOTICE#BALANCE_ALERT#<percent>#<poId>`` (first crossing kept).

Keys end with the user-chosen id, so no two ids share a key. The audit trail has a partition of
its own per PO: a PO id may contain ``#``, so a prefix query
on a shared partition could mix two POs' entries; a whole partition cannot.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from pom import jsonio
from pom.errors import FieldError, ValidationFailed
from pom.invoices import Invoice
from pom.ledger import LineItemMovement
from pom.models import AccountSettings
from pom.purchase_orders import AuditEvent, PurchaseOrder

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_KEY_ATTRIBUTES = ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK")


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
    """A PO moved since it was read; carries the current one (None: deleted), learnt without a re-read."""

    def __init__(self, po_id: str, current: PurchaseOrder | None):
        super().__init__(f"PO {po_id} changed")
        self.po_id = po_id
        self.current = current


@dataclass(frozen=True)
class PurchaseOrderMovement:
    """What one invoice change does to one PO: balances, audit entries, a ledger entry, alerts due."""

    po: PurchaseOrder  # as read: its rev is the write's condition
    movements: list[LineItemMovement]
    events: list[AuditEvent]
    ledger: dict[str, Any] | None  # None: no amount moved
    alerts: list[int]  # balanceAlertPercents this movement made the PO reach


class SettingsChanged(Exception):
    """The settings a write assumed are no longer current; carries the current ones."""

    def __init__(self, current: VersionedSettings):
        super().__init__("account settings changed")
        self.current = current


@dataclass(frozen=True)
class VersionedSettings:
    settings: AccountSettings
    version: int | None  # None: never saved, the defaults apply


@dataclass(frozen=True)
class Actor:
    """Who acts: the account (tenant) and the caller's identity, both from the authorizer."""

    account_id: str
    name: str


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_token: str | None


def account_pk(account_id: str) -> str:
    return f"ACCT#{account_id}"


def _history_pk(account_id: str, po_id: str) -> str:
    return f"ACCT#{account_id}#POHIST#{po_id}"


def _to_item(document: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in document.items()}


def _from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in item.items() if key not in _KEY_ATTRIBUTES}


def _po_item(po: PurchaseOrder) -> dict[str, Any]:
    recency = f"{po.updatedAt}#{po.poId}"
    return _to_item(
        {
            **po.model_dump(mode="python"),
            "PK": account_pk(po.accountId),
            "SK": f"PO#{po.poId}",
            "GSI1PK": f"ACCT#{po.accountId}#PO",
            "GSI1SK": recency,
            "GSI2PK": f"ACCT#{po.accountId}#PO#{po.status}",
            "GSI2SK": recency,
            "entity": "PO",
        }
    )


def _po_key(account_id: str, po_id: str) -> dict[str, Any]:
    return {"PK": {"S": account_pk(account_id)}, "SK": {"S": f"PO#{po_id}"}}


def _pointer_keys(po: PurchaseOrder | None) -> set[tuple[str, str]]:
    """The bill-from pointers a PO in this state has: one per entity while it is ACTIVE."""
    if po is None or po.status != "ACTIVE":
        return set()
    return {(f"ACCT#{po.accountId}#BILLFROM#{entity}", f"{po.expirationMonth}#{po.poId}") for entity in po.billFrom}


def _pointer_writes(table: str, before: PurchaseOrder | None, after: PurchaseOrder | None) -> list[dict[str, Any]]:
    """Transaction items that move the pointers from ``before``'s set to ``after``'s."""
    old, new = _pointer_keys(before), _pointer_keys(after)
    writes: list[dict[str, Any]] = [
        {"Delete": {"TableName": table, "Key": {"PK": {"S": pk}, "SK": {"S": sk}}}} for pk, sk in sorted(old - new)
    ]
    for pk, sk in sorted(new - old):
        assert after is not None  # noqa: S101 - new pointers come from a PO that exists
        item = {"PK": pk, "SK": sk, "entity": "BILLFROM", "poId": after.poId, "effectiveMonth": after.effectiveMonth}
        writes.append({"Put": {"TableName": table, "Item": _to_item(item)}})
    return writes


def _settings_key(account_id: str) -> dict[str, Any]:
    return {"PK": {"S": account_pk(account_id)}, "SK": {"S": "SETTINGS"}}


def _versioned_settings(item: dict[str, Any] | None) -> VersionedSettings:
    if not item:
        return VersionedSettings(AccountSettings(), None)
    document = _from_item(item)
    return VersionedSettings(AccountSettings.model_validate_json(document["settings"]), int(document["version"]))


def _audit_puts(table: str, po: PurchaseOrder, actor: Actor, at: str, events: Sequence[AuditEvent]) -> list[dict]:
    """One Put per audit event; the SK orders them by time and never collides (random suffix)."""
    suffix = secrets.token_hex(4)
    return [
        {
            "Put": {
                "TableName": table,
                "Item": _to_item(
                    {
                        "PK": _history_pk(po.accountId, po.poId),
                        "SK": f"{at}#{index:02d}#{suffix}",
                        "entity": "AUDIT",
                        "at": at,
                        "actor": actor.name,
                        "action": event.action,
                        "details": jsonio.dumps(event.details),
                    }
                ),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }
        for index, event in enumerate(events)
    ]


def _invoice_item(invoice: Invoice) -> dict[str, Any]:
    created = f"{invoice.createdAt}#{invoice.invoiceId}"
    document: dict[str, Any] = {
        **invoice.model_dump(mode="python"),
        "PK": account_pk(invoice.accountId),
        "SK": f"INV#{invoice.invoiceId}",
        "entity": "INVOICE",
        "GSI1PK": f"ACCT#{invoice.accountId}#INV",
        "GSI1SK": created,
        "GSI2PK": f"ACCT#{invoice.accountId}#INV#{invoice.matchStatus}",
        "GSI2SK": created,
    }
    if invoice.match is not None:
        document["GSI3PK"] = f"ACCT#{invoice.accountId}#POINV#{invoice.match.poId}"
        document["GSI3SK"] = created
    return _to_item(document)


def _invoice_key(account_id: str, invoice_id: str) -> dict[str, Any]:
    return {"PK": {"S": account_pk(account_id)}, "SK": {"S": f"INV#{invoice_id}"}}


def _invoice_from(item: dict[str, Any] | None) -> Invoice | None:
    return Invoice.model_validate(_from_item(item)) if item else None


def _po_from(item: dict[str, Any] | None) -> PurchaseOrder | None:
    return PurchaseOrder.model_validate(_from_item(item)) if item else None


def _balance_update(table: str, change: PurchaseOrderMovement) -> dict[str, Any]:
    """One UpdateItem moving the line items' invoiced amounts (and periods), conditioned on the
    PO's rev as read; ``updatedAt`` and ``version`` stay (a balance movement is not a user's change)."""
    po = change.po
    names = {"#li": "lineItems", "#inv": "invoiced", "#count": "matchCount", "#rev": "rev"}
    values: dict[str, Any] = {":rev": {"N": str(po.rev)}, ":one": {"N": "1"}, ":zero": {"N": "0"}}
    sets = ["#rev = #rev + :one"]
    totals: dict[int, tuple[Any, int]] = {}
    periods: dict[tuple[int, str], Any] = {}
    for movement in change.movements:
        index = next(i for i, item in enumerate(po.lineItems) if item.lineItemId == movement.line_item_id)
        amount, matches = totals.get(index, (0, 0))
        totals[index] = (amount + movement.amount, matches + movement.matches)
        if movement.month:
            periods[(index, movement.month)] = periods.get((index, movement.month), 0) + movement.amount
    for index, (amount, matches) in sorted(totals.items()):
        values[f":a{index}"] = {"N": str(amount)}
        values[f":c{index}"] = {"N": str(matches)}
        sets.append(f"#li[{index}].#inv = #li[{index}].#inv + :a{index}")
        sets.append(f"#li[{index}].#count = #li[{index}].#count + :c{index}")
    for number, ((index, month), amount) in enumerate(sorted(periods.items())):
        names["#periods"] = "periodInvoiced"
        names[f"#m{number}"] = month
        values[f":p{number}"] = {"N": str(amount)}
        path = f"#li[{index}].#periods.#m{number}"
        sets.append(f"{path} = if_not_exists({path}, :zero) + :p{number}")
    return {
        "Update": {
            "TableName": table,
            "Key": _po_key(po.accountId, po.poId),
            "UpdateExpression": "SET " + ", ".join(sets),
            "ConditionExpression": "#rev = :rev",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def _cancellation_codes(error: ClientError) -> list[str]:
    return [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]


def _encode_token(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    plain = {name: value["S"] for name, value in last_key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_token(token: str | None, partition: tuple[str, str], account_id: str) -> dict[str, Any] | None:
    """The start key a token encodes, but only if it lies in the very partition being queried.

    A token is the caller's input: a forged one must not reach another account's items.
    """
    if token is None:
        return None
    try:
        plain = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        index_pk, expected = partition
        valid = (
            isinstance(plain, dict)
            and all(isinstance(value, str) for value in plain.values())
            and plain.get(index_pk) == expected
            and plain.get("PK", "").startswith(account_pk(account_id))
        )
    except (binascii.Error, ValueError, UnicodeDecodeError):
        valid = False
    if not valid:
        raise ValidationFailed([FieldError(("query", "nextToken"), "is not a token this list returned")])
    return {name: {"S": value} for name, value in plain.items()}


class Repository:
    def __init__(self, table_name: str, client: Any = None):
        self.table_name = table_name
        self._client = client

    @property
    def client(self) -> Any:
        # Created on first use: a cold start that fails validation never pays for it.
        if self._client is None:
            self._client = boto3.client("dynamodb")
        return self._client

    # --- purchase orders ----------------------------------------------------------------------

    def get_purchase_order(self, account_id: str, po_id: str) -> PurchaseOrder | None:
        response = self.client.get_item(TableName=self.table_name, Key=_po_key(account_id, po_id), ConsistentRead=True)
        item = response.get("Item")
        return PurchaseOrder.model_validate(_from_item(item)) if item else None

    def list_purchase_orders(self, account_id: str, status: str | None, limit: int, token: str | None) -> Page:
        """Newest ``updatedAt`` first; with a status, from the index keyed by it (reads only matches)."""
        index, partition = ("GSI2", f"ACCT#{account_id}#PO#{status}") if status else ("GSI1", f"ACCT#{account_id}#PO")
        page = self._page(account_id, index, partition, limit, token)
        return Page([PurchaseOrder.model_validate(item) for item in page.items], page.next_token)

    def _page(
        self,
        account_id: str,
        index: str | None,
        partition: str,
        limit: int,
        token: str | None,
        *,
        filters: dict[str, str] | None = None,
    ) -> Page:
        """One page of a partition, newest first: one Query. ``filters`` (attribute = value) narrow
        what is returned, not what is read, so they are only used beside a key that does the work."""
        partition_key = f"{index}PK" if index else "PK"
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": partition_key},
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if index:
            query["IndexName"] = index
        else:
            query["ConsistentRead"] = True
        for number, (name, value) in enumerate(sorted((filters or {}).items())):
            query["ExpressionAttributeNames"][f"#f{number}"] = name
            query["ExpressionAttributeValues"][f":f{number}"] = {"S": value}
        if filters:
            query["FilterExpression"] = " AND ".join(f"#f{n} = :f{n}" for n in range(len(filters)))
        start = _decode_token(token, (partition_key, partition), account_id)
        if start:
            expected = {"PK", "SK"} | ({partition_key, f"{index}SK"} if index else set())
            if set(start) != expected:
                raise ValidationFailed([FieldError(("query", "nextToken"), "is not a token this list returned")])
            query["ExclusiveStartKey"] = start
        response = self.client.query(**query)
        return Page(
            [_from_item(item) for item in response.get("Items", [])], _encode_token(response.get("LastEvaluatedKey"))
        )

    def create_purchase_order(
        self, po: PurchaseOrder, actor: Actor, events: Sequence[AuditEvent], settings_version: int | None
    ) -> None:
        """One transaction: the PO (if its id is new), its audit entry, and a check that the
        settings it copied (currency, payment terms) are still the current ones."""
        settings_check: dict[str, Any] = {"TableName": self.table_name, "Key": _settings_key(po.accountId)}
        if settings_version is None:
            settings_check["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            settings_check["ConditionExpression"] = "#version = :version"
            settings_check["ExpressionAttributeNames"] = {"#version": "version"}
            settings_check["ExpressionAttributeValues"] = {":version": {"N": str(settings_version)}}
        settings_check["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        items = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": _po_item(po),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            {"ConditionCheck": settings_check},
            *_audit_puts(self.table_name, po, actor, po.updatedAt, events),
            *_pointer_writes(self.table_name, None, po),
        ]
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            codes = _cancellation_codes(error)
            if codes[0] == "ConditionalCheckFailed":
                raise AlreadyExists(po.poId) from None
            if codes[1] == "ConditionalCheckFailed":
                current = error.response["CancellationReasons"][1].get("Item")
                raise SettingsChanged(_versioned_settings(current)) from None
            raise StaleWrite(po.poId) from None

    def import_purchase_orders(self, pos: Sequence[PurchaseOrder], actor: Actor) -> None:
        """Bulk load (a migration, a benchmark's seed): each PO with its pointers and a CREATED audit
        entry, 25 items per BatchWriteItem. Not atomic per PO and it overwrites: re-run it to finish."""
        items: list[dict[str, Any]] = []
        for po in pos:
            items.append(_po_item(po))
            event = AuditEvent("CREATED", {"imported": True})
            items += [write["Put"]["Item"] for write in _audit_puts(self.table_name, po, actor, po.updatedAt, [event])]
            items += [write["Put"]["Item"] for write in _pointer_writes(self.table_name, None, po)]
        for offset in range(0, len(items), 25):
            pending = {self.table_name: [{"PutRequest": {"Item": item}} for item in items[offset : offset + 25]]}
            while pending:
                pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def save_purchase_order(
        self, before: PurchaseOrder, po: PurchaseOrder, actor: Actor, at: str, events: Sequence[AuditEvent]
    ) -> None:
        """Replaces the PO if nobody wrote it since ``before`` was read, with its audit entries and pointers."""
        put = {
            "TableName": self.table_name,
            "Item": _po_item(po),
            "ConditionExpression": "#rev = :rev",
            "ExpressionAttributeNames": {"#rev": "rev"},
            "ExpressionAttributeValues": {":rev": {"N": str(before.rev)}},
        }
        writes = [{"Put": put}, *_audit_puts(self.table_name, po, actor, at, events)]
        self._transact([*writes, *_pointer_writes(self.table_name, before, po)], po.poId)

    def delete_purchase_order(self, po: PurchaseOrder, actor: Actor, at: str, events: Sequence[AuditEvent]) -> None:
        delete = {
            "TableName": self.table_name,
            "Key": _po_key(po.accountId, po.poId),
            "ConditionExpression": "#rev = :rev",
            "ExpressionAttributeNames": {"#rev": "rev"},
            "ExpressionAttributeValues": {":rev": {"N": str(po.rev)}},
        }
        writes = [{"Delete": delete}, *_audit_puts(self.table_name, po, actor, at, events)]
        self._transact([*writes, *_pointer_writes(self.table_name, po, None)], po.poId)

    def _transact(self, items: list[dict[str, Any]], po_id: str) -> None:
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise StaleWrite(po_id) from None
            raise

    def purchase_order_history(self, account_id: str, po_id: str, limit: int, token: str | None) -> Page:
        page = self._page(account_id, None, _history_pk(account_id, po_id), limit, token)
        entries = [
            {
                "at": document["at"][:19] + "Z",
                "actor": document["actor"],
                "action": document["action"],
                "details": jsonio.loads(document["details"]),
            }
            for document in page.items
        ]
        return Page(entries, page.next_token)

    # --- account settings ---------------------------------------------------------------------

    def get_settings(self, account_id: str) -> VersionedSettings:
        response = self.client.get_item(TableName=self.table_name, Key=_settings_key(account_id), ConsistentRead=True)
        return _versioned_settings(response.get("Item"))

    def put_settings(self, account_id: str, settings: AccountSettings) -> VersionedSettings:
        response = self.client.update_item(
            TableName=self.table_name,
            Key=_settings_key(account_id),
            UpdateExpression="SET #settings = :settings, #entity = :entity ADD #version :one",
            ExpressionAttributeNames={"#settings": "settings", "#version": "version", "#entity": "entity"},
            ExpressionAttributeValues={
                # Kept as the JSON document the API validated: exact, and read back through the same model.
                ":settings": {"S": settings.model_dump_json()},
                ":entity": {"S": "SETTINGS"},
                ":one": {"N": "1"},
            },
            ReturnValues="ALL_NEW",
        )
        return _versioned_settings(response["Attributes"])

    # --- invoices -------------------------------------------------------------------------------

    def create_invoice(self, invoice: Invoice) -> Invoice | None:
        """Writes a new invoice; if its id exists, writes nothing and returns the existing one."""
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=_invoice_item(invoice),
                ConditionExpression="attribute_not_exists(PK)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return _invoice_from(error.response.get("Item"))
        return None

    def get_invoice(self, account_id: str, invoice_id: str) -> Invoice | None:
        response = self.client.get_item(
            TableName=self.table_name, Key=_invoice_key(account_id, invoice_id), ConsistentRead=True
        )
        return _invoice_from(response.get("Item"))

    def list_invoices(
        self, account_id: str, limit: int, token: str | None, *, match_status: str | None = None,
        approval_status: str | None = None, po_id: str | None = None,
    ) -> Page:  # fmt: skip
        """Newest first, from the index keyed by the most selective filter given (PO, then match status)."""
        if po_id is not None:
            index, partition = "GSI3", f"ACCT#{account_id}#POINV#{po_id}"
        elif match_status is not None:
            index, partition = "GSI2", f"ACCT#{account_id}#INV#{match_status}"
        else:
            index, partition = "GSI1", f"ACCT#{account_id}#INV"
        filters = {"approvalStatus": approval_status} if approval_status else {}
        if po_id is not None and match_status is not None:
            filters["matchStatus"] = match_status
        page = self._page(account_id, index, partition, limit, token, filters=filters)
        return Page([Invoice.model_validate(item) for item in page.items], page.next_token)

    def save_invoice_change(
        self,
        invoice: Invoice,
        expected_version: int,
        changes: Sequence[PurchaseOrderMovement],
        actor: Actor,
        *,
        also: Sequence[tuple[Invoice, int]] = (),
    ) -> None:
        """One transaction: the invoice (if still at ``expected_version``), each PO's balances (if
        still at the rev read), their ledger and audit entries and alerts due, and ``also`` other
        invoices (a credit memo's original). A failed condition says which item moved and how it
        stands now (ReturnValuesOnConditionCheckFailure), so the caller re-decides without a re-read."""
        writes: list[dict[str, Any]] = []
        for record, version in ((invoice, expected_version), *also):
            writes.append(
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": _invoice_item(record),
                        "ConditionExpression": "#version = :version",
                        "ExpressionAttributeNames": {"#version": "version"},
                        "ExpressionAttributeValues": {":version": {"N": str(version)}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
            )
        balance_at = len(writes)
        writes += [_balance_update(self.table_name, change) for change in changes]
        for change in changes:
            writes += _audit_puts(self.table_name, change.po, actor, invoice.updatedAt, change.events)
            if change.ledger is not None:
                writes.append(self._ledger_put(invoice, change))
            writes += [self._alert_due(change.po, percent, invoice.updatedAt) for percent in change.alerts]
        try:
            self.client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons", [])
            for position, reason in enumerate(reasons):
                if reason.get("Code") != "ConditionalCheckFailed":
                    continue
                if position < balance_at:
                    raise InvoiceChanged(_invoice_from(reason.get("Item"))) from None
                if position < balance_at + len(changes):
                    po_id = changes[position - balance_at].po.poId
                    raise PurchaseOrderChanged(po_id, _po_from(reason.get("Item"))) from None
            raise StaleWrite(invoice.invoiceId) from None

    def _ledger_put(self, invoice: Invoice, change: PurchaseOrderMovement) -> dict[str, Any]:
        """The movement's immutable ledger entry; its key comes from the invoice and its movement
        number, so a retried or duplicated write can never record it twice."""
        po = change.po
        item = {
            "PK": f"ACCT#{po.accountId}#LEDGER#{po.poId}",
            "SK": f"{invoice.invoiceId}#{invoice.movements:06d}",
            "entity": "LEDGER",
            "invoiceId": invoice.invoiceId,
            "at": invoice.updatedAt,
            "entries": [
                {"lineItemId": m.line_item_id, "month": m.month, "amount": m.amount}
                for m in change.movements
                if m.amount != 0
            ],
            **change.ledger,
        }
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": _to_item(item),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }

    def _alert_due(self, po: PurchaseOrder, percent: int, at: str) -> dict[str, Any]:
        """Records that the PO's invoiced share reached ``percent``; the first crossing's time is kept."""
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": {
                    "PK": {"S": account_pk(po.accountId)},
                    "SK": {"S": f"NOTICE#BALANCE_ALERT#{percent:03d}#{po.poId}"},
                },
                "UpdateExpression": "SET #due = if_not_exists(#due, :at), #po = :po, #percent = :p, #entity = :e",
                "ExpressionAttributeNames": {
                    "#due": "dueAt",
                    "#po": "poId",
                    "#percent": "percent",
                    "#entity": "entity",
                },
                "ExpressionAttributeValues": {
                    ":at": {"S": at},
                    ":po": {"S": po.poId},
                    ":p": {"N": str(percent)},
                    ":e": {"S": "NOTICE"},
                },
            }
        }

    def ledger_entries(self, account_id: str, po_id: str) -> list[dict[str, Any]]:
        """Every ledger entry of a PO (for reconciliation and tests)."""
        entries: list[dict[str, Any]] = []
        start = None
        while True:
            query: dict[str, Any] = {
                "TableName": self.table_name,
                "KeyConditionExpression": "PK = :pk",
                "ExpressionAttributeValues": {":pk": {"S": f"ACCT#{account_id}#LEDGER#{po_id}"}},
                "ConsistentRead": True,
            }
            if start:
                query["ExclusiveStartKey"] = start
            response = self.client.query(**query)
            entries += [_from_item(item) for item in response.get("Items", [])]
            start = response.get("LastEvaluatedKey")
            if not start:
                return entries

    # --- what the matcher reads -----------------------------------------------------------------

    def candidate_po_ids(self, account_id: str, entity: str, month: str) -> list[str]:
        """ACTIVE POs naming ``entity`` whose expiration month is not before ``month`` (one Query)."""
        ids: list[str] = []
        start = None
        while True:
            query: dict[str, Any] = {
                "TableName": self.table_name,
                "KeyConditionExpression": "PK = :pk AND SK >= :month",
                "ExpressionAttributeValues": {
                    ":pk": {"S": f"ACCT#{account_id}#BILLFROM#{entity}"},
                    ":month": {"S": month},
                    ":effective": {"S": month},
                },
                # Only the pointers' own attributes are read; a PO not yet in effect is dropped here.
                "FilterExpression": "effectiveMonth <= :effective",
                "ProjectionExpression": "poId",
                "ConsistentRead": True,
            }
            if start:
                query["ExclusiveStartKey"] = start
            response = self.client.query(**query)
            ids += [item["poId"]["S"] for item in response.get("Items", [])]
            start = response.get("LastEvaluatedKey")
            if not start:
                return ids

    def settings_and_purchase_orders(
        self, account_id: str, po_ids: Sequence[str]
    ) -> tuple[VersionedSettings, list[PurchaseOrder]]:
        """The account's settings and these POs, strongly consistent, in one BatchGetItem (per 100)."""
        keys = [_settings_key(account_id), *(_po_key(account_id, po_id) for po_id in dict.fromkeys(po_ids))]
        items: list[dict[str, Any]] = []
        for offset in range(0, len(keys), 100):
            pending: dict[str, Any] = {self.table_name: {"Keys": keys[offset : offset + 100], "ConsistentRead": True}}
            while pending:
                response = self.client.batch_get_item(RequestItems=pending)
                items += response.get("Responses", {}).get(self.table_name, [])
                pending = response.get("UnprocessedKeys") or {}
        settings_item = next((item for item in items if item["SK"]["S"] == "SETTINGS"), None)
        pos = [PurchaseOrder.model_validate(_from_item(item)) for item in items if item["SK"]["S"].startswith("PO#")]
        return _versioned_settings(settings_item), pos

    def active_purchase_orders(self, account_id: str) -> list[PurchaseOrder]:
        """Every ACTIVE PO of the account: read only to tell why an invoice found no PO at all."""
        pos: list[PurchaseOrder] = []
        token = None
        while True:
            page = self._page(account_id, "GSI2", f"ACCT#{account_id}#PO#ACTIVE", 100, token)
            pos += [PurchaseOrder.model_validate(item) for item in page.items]
            token = page.next_token
            if token is None:
                return pos

    # --- uploads --------------------------------------------------------------------------------

    def record_upload(self, account_id: str, version: str, upload: dict[str, Any]) -> None:
        """The outcome of one S3 object version (``key``, ``status``, ``invoiceId``, ``error``,
        ``receivedAt``); recording the same version again overwrites it with the same outcome."""
        digest = hashlib.sha256(f"{upload['key']}#{version}".encode()).hexdigest()
        received = f"{upload['receivedAt']}#{digest[:16]}"
        item = {
            **upload,
            "error": None if upload.get("error") is None else jsonio.dumps(upload["error"]),
            "PK": account_pk(account_id),
            "SK": f"UPLOAD#{digest}",
            "entity": "UPLOAD",
            "GSI1PK": f"ACCT#{account_id}#UPLOAD",
            "GSI1SK": received,
            "GSI2PK": f"ACCT#{account_id}#UPLOAD#{upload['status']}",
            "GSI2SK": received,
        }
        self.client.put_item(TableName=self.table_name, Item=_to_item(item))

    def list_uploads(self, account_id: str, status: str | None, limit: int, token: str | None) -> Page:
        index, partition = (
            ("GSI2", f"ACCT#{account_id}#UPLOAD#{status}") if status else ("GSI1", f"ACCT#{account_id}#UPLOAD")
        )
        page = self._page(account_id, index, partition, limit, token)
        uploads = [
            {
                "key": item["key"],
                "status": item["status"],
                "invoiceId": item.get("invoiceId"),
                "error": None if item.get("error") is None else jsonio.loads(item["error"]),
                "receivedAt": item["receivedAt"],
            }
            for item in page.items
        ]
        return Page(uploads, page.next_token)
