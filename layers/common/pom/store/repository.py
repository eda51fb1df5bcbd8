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
- notice (e-mail, at most one per key): PK ``ACCT#<acct>``, SK ``NOTICE#BALANCE_ALERT#<percent>#<poId>``,
  ``NOTICE#PO_EXPIRING#<expirationMonth>#<days>#<poId>`` or ``NOTICE#PO_EXPIRED#<expirationMonth>#<poId>``;
  it keeps the message rendered when it fell due, and ``sentAt`` once SES accepted it.
- schedule (GSI4, keys only, sparse): ``SCHEDULE#<shard of acct>`` / ``<when>#<acct>#<SK>`` on what the
  scheduled job must look at from ``when`` on: each ACTIVE or SUSPENDED PO (its next expiry check),
  each notice not yet sent (the outbox), and the settings after a change of ``expiryNoticeDays``.
  A run reads only what is due: one Query per shard, ``GSI4SK < now``. The shards spread the writes of
  all accounts over a few partitions.

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
from collections.abc import Iterator, Sequence
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from pom.core import jsonio
from pom.core.errors import FieldError, ValidationFailed
from pom.core.months import iso_timestamp
from pom.domain.audit import SYSTEM, Actor, AuditEvent
from pom.domain.invoices import Invoice
from pom.domain.ledger import PurchaseOrderMovement
from pom.domain.models import AccountSettings
from pom.domain.notices import Notice, first_check
from pom.domain.purchase_orders import OPEN_STATUSES, PurchaseOrder
from pom.store.ports import (
    AlreadyExists,
    Claim,
    DueWork,
    InvoiceChanged,
    Page,
    PurchaseOrderChanged,
    ScheduledPurchaseOrder,
    SettingsChanged,
    StaleWrite,
    VersionedSettings,
)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_KEY_ATTRIBUTES = ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI4PK", "GSI4SK")
SCHEDULE_SHARDS = 4


def account_pk(account_id: str) -> str:
    return f"ACCT#{account_id}"


def _history_pk(account_id: str, po_id: str) -> str:
    return f"ACCT#{account_id}#POHIST#{po_id}"


def _to_item(document: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in document.items()}


def _from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in item.items() if key not in _KEY_ATTRIBUTES}


def _schedule_keys(account_id: str, at: str, sk: str) -> dict[str, str]:
    shard = int(hashlib.sha256(account_id.encode()).hexdigest()[:8], 16) % SCHEDULE_SHARDS
    return {"GSI4PK": f"SCHEDULE#{shard}", "GSI4SK": f"{at}#{account_id}#{sk}"}


def _po_item(po: PurchaseOrder) -> dict[str, Any]:
    recency = f"{po.updatedAt}#{po.poId}"
    document = {
        **po.model_dump(mode="python"),
        "PK": account_pk(po.accountId),
        "SK": f"PO#{po.poId}",
        "GSI1PK": f"ACCT#{po.accountId}#PO",
        "GSI1SK": recency,
        "GSI2PK": f"ACCT#{po.accountId}#PO#{po.status}",
        "GSI2SK": recency,
        "entity": "PO",
    }
    if po.status in OPEN_STATUSES:
        # Any write may change what the job must do (expiration month, contacts, status): it looks
        # again from the earliest moment any notice setting could make a notice due.
        first = iso_timestamp(first_check(po.expirationMonth))
        document.update(_schedule_keys(po.accountId, first, f"PO#{po.poId}"))
    return _to_item(document)


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
    return _audit_entries(table, (po.accountId, po.poId), actor, at, events)


def _audit_entries(
    table: str, po_key: tuple[str, str], actor: Actor, at: str, events: Sequence[AuditEvent]
) -> list[dict]:
    """One Put per audit event; the SK orders them by time and never collides (random suffix)."""
    account_id, po_id = po_key
    suffix = secrets.token_hex(4)
    return [
        {
            "Put": {
                "TableName": table,
                "Item": _to_item(
                    {
                        "PK": _history_pk(account_id, po_id),
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


def _scheduled(item: dict[str, Any]) -> ScheduledPurchaseOrder:
    return ScheduledPurchaseOrder(PurchaseOrder.model_validate(_from_item(item)), item.get("GSI4SK", {}).get("S"))


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


def notice_key(notice: Notice) -> tuple[str, str]:
    return account_pk(notice.account_id), _notice_sk(notice)


def _notice_sk(notice: Notice) -> str:
    if notice.kind == "BALANCE_ALERT":
        return f"NOTICE#BALANCE_ALERT#{notice.threshold:03d}#{notice.po_id}"
    if notice.kind == "PO_EXPIRING":
        return f"NOTICE#PO_EXPIRING#{notice.expiration_month}#{notice.threshold:03d}#{notice.po_id}"
    return f"NOTICE#{notice.kind}#{notice.expiration_month}#{notice.po_id}"


def _notice_due(table: str, notice: Notice) -> dict[str, Any]:
    """Records a notice as due, unless it was recorded before: the first rendering and due time are
    kept. It enters the outbox (schedule index); one already sent is taken out again, unsent, by
    the sender (``Repository.claim_notice``)."""
    sk = _notice_sk(notice)
    kept = {
        "dueAt": notice.due_at,
        "to": notice.to,
        "subject": notice.subject,
        "text": notice.text,
        "html": notice.html,
        "threshold": notice.threshold,
        "expirationMonth": notice.expiration_month,
    }
    fixed = {"entity": "NOTICE", "kind": notice.kind, "poId": notice.po_id, "accountId": notice.account_id}
    fixed.update(_schedule_keys(notice.account_id, notice.due_at, sk))
    names = {f"#k{n}": name for n, name in enumerate([*kept, *fixed])}
    values = _to_item({f":k{n}": value for n, value in enumerate([*kept.values(), *fixed.values()])})
    sets = [f"#k{n} = if_not_exists(#k{n}, :k{n})" for n in range(len(kept))]
    sets += [f"#k{n} = :k{n}" for n in range(len(kept), len(names))]
    return {
        "Update": {
            "TableName": table,
            "Key": {"PK": {"S": account_pk(notice.account_id)}, "SK": {"S": sk}},
            "UpdateExpression": "SET " + ", ".join(sets),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
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
        self, before: PurchaseOrder, po: PurchaseOrder, actor: Actor, at: str, events: Sequence[AuditEvent],
        *, notices: Sequence[Notice] = (),
    ) -> None:  # fmt: skip
        """Replaces the PO if nobody wrote it since ``before`` was read, with its audit entries, pointers
        and the notices the change makes due."""
        put = {
            "TableName": self.table_name,
            "Item": _po_item(po),
            "ConditionExpression": "#rev = :rev",
            "ExpressionAttributeNames": {"#rev": "rev"},
            "ExpressionAttributeValues": {":rev": {"N": str(before.rev)}},
        }
        writes = [{"Put": put}, *_audit_puts(self.table_name, po, actor, at, events)]
        writes += [_notice_due(self.table_name, notice) for notice in notices]
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

    def put_settings(self, account_id: str, settings: AccountSettings, now: str) -> VersionedSettings:
        """Replaces the settings. If ``expiryNoticeDays`` changed, a second write puts the settings in
        the schedule, so that the next run re-plans the account's open POs under the new days."""
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
            ReturnValues="ALL_OLD",
        )
        old = _versioned_settings(response.get("Attributes"))
        if old.settings.notifications.expiryNoticeDays != settings.notifications.expiryNoticeDays:
            keys = _schedule_keys(account_id, now, "SETTINGS")
            self.client.update_item(
                TableName=self.table_name,
                Key=_settings_key(account_id),
                UpdateExpression="SET GSI4PK = :pk, GSI4SK = :sk",
                ExpressionAttributeValues={":pk": {"S": keys["GSI4PK"]}, ":sk": {"S": keys["GSI4SK"]}},
            )
        return VersionedSettings(settings, (old.version or 0) + 1)

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

    def touch_pending_invoice(self, key: dict[str, Any], at: str) -> bool:
        """Writes ``replayedAt`` on an invoice that is still PENDING, so the stream delivers it to the
        matcher again (a replay); False if it is no longer pending (or gone)."""
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=key,
                UpdateExpression="SET replayedAt = :at",
                ConditionExpression="matchStatus = :pending",
                ExpressionAttributeValues={":at": {"S": at}, ":pending": {"S": "PENDING"}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True

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
            writes += [_notice_due(self.table_name, notice) for notice in change.notices]
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

    def ledger_entries(self, account_id: str, po_id: str) -> list[dict[str, Any]]:
        """Every ledger entry of a PO (for reconciliation and tests)."""
        query = {
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"ACCT#{account_id}#LEDGER#{po_id}"}},
            "ConsistentRead": True,
        }
        return [_from_item(item) for item in self._query_all(query)]

    def _query_all(self, query: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item a Query returns, page after page."""
        start = None
        while True:
            response = self.client.query(
                TableName=self.table_name, **query, **({"ExclusiveStartKey": start} if start else {})
            )
            yield from response.get("Items", [])
            start = response.get("LastEvaluatedKey")
            if not start:
                return

    # --- what the matcher reads -----------------------------------------------------------------

    def candidate_po_ids(self, account_id: str, entity: str, month: str) -> list[str]:
        """ACTIVE POs naming ``entity`` whose expiration month is not before ``month`` (one Query)."""
        query = {
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
        return [item["poId"]["S"] for item in self._query_all(query)]

    def settings_and_purchase_orders(
        self, account_id: str, po_ids: Sequence[str]
    ) -> tuple[VersionedSettings, list[PurchaseOrder]]:
        """The account's settings and these POs, strongly consistent, in one BatchGetItem (per 100)."""
        keys = [_settings_key(account_id), *(_po_key(account_id, po_id) for po_id in dict.fromkeys(po_ids))]
        items = self._batch_get(keys)
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

    # --- the scheduled job and notices ----------------------------------------------------------

    def due_work(self, now: str) -> DueWork:
        """Everything due at ``now`` in the schedule index: one Query per shard (keys only)."""
        keys: list[tuple[str, str]] = []
        for shard in range(SCHEDULE_SHARDS):
            query = {
                "IndexName": "GSI4",
                "KeyConditionExpression": "GSI4PK = :pk AND GSI4SK < :bound",
                # "$" sorts right after "#": every key whose time is at or before now.
                "ExpressionAttributeValues": {":pk": {"S": f"SCHEDULE#{shard}"}, ":bound": {"S": f"{now}$"}},
            }
            keys += [(item["PK"]["S"], item["SK"]["S"]) for item in self._query_all(query)]
        return DueWork(
            purchase_orders=[key for key in keys if key[1].startswith("PO#")],
            notices=[key for key in keys if key[1].startswith("NOTICE#")],
            settings_accounts=[pk.removeprefix("ACCT#") for pk, sk in keys if sk == "SETTINGS"],
        )

    def _batch_get(self, keys: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Items by key, strongly consistent, 100 keys per BatchGetItem (unprocessed keys retried)."""
        items: list[dict[str, Any]] = []
        for offset in range(0, len(keys), 100):
            pending: dict[str, Any] = {self.table_name: {"Keys": keys[offset : offset + 100], "ConsistentRead": True}}
            while pending:
                response = self.client.batch_get_item(RequestItems=pending)
                items += response.get("Responses", {}).get(self.table_name, [])
                pending = response.get("UnprocessedKeys") or {}
        return items

    def scheduled_purchase_orders(
        self, po_keys: Sequence[tuple[str, str]], account_ids: Sequence[str]
    ) -> tuple[dict[str, VersionedSettings], list[ScheduledPurchaseOrder]]:
        """These POs and the settings of these accounts, in one BatchGetItem per 100 items."""
        settings_keys = [_settings_key(account_id) for account_id in dict.fromkeys(account_ids)]
        po_item_keys = [{"PK": {"S": pk}, "SK": {"S": sk}} for pk, sk in dict.fromkeys(po_keys)]
        items = self._batch_get([*settings_keys, *po_item_keys])
        settings = {
            item["PK"]["S"].removeprefix("ACCT#"): _versioned_settings(item)
            for item in items
            if item["SK"]["S"] == "SETTINGS"
        }
        for account_id in account_ids:
            settings.setdefault(account_id, VersionedSettings(AccountSettings(), None))
        pos = [_scheduled(item) for item in items if item["SK"]["S"].startswith("PO#")]
        return settings, pos

    def open_purchase_orders(self, account_id: str) -> list[ScheduledPurchaseOrder]:
        """The account's ACTIVE and SUSPENDED POs (after a change of its notice settings)."""
        return [
            _scheduled(item)
            for status in OPEN_STATUSES
            for item in self._query_all(
                {
                    "IndexName": "GSI2",
                    "KeyConditionExpression": "GSI2PK = :pk",
                    "ExpressionAttributeValues": {":pk": {"S": f"ACCT#{account_id}#PO#{status}"}},
                }
            )
        ]

    def plan_next_check(self, scheduled: ScheduledPurchaseOrder, next_check: str, notices: Sequence[Notice]) -> bool:
        """Moves the PO's next expiry check and records the notices now due, in one transaction,
        unless a write moved the PO's schedule since it was read (that write's own key stands).
        Returns whether it applied."""
        po = scheduled.po
        keys = _schedule_keys(po.accountId, next_check, f"PO#{po.poId}")
        update: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": _po_key(po.accountId, po.poId),
            "UpdateExpression": "SET GSI4SK = :next",
            "ConditionExpression": "GSI4SK = :read AND expirationMonth = :month",
            "ExpressionAttributeValues": {
                ":next": {"S": keys["GSI4SK"]},
                ":read": {"S": scheduled.check_key or ""},
                ":month": {"S": po.expirationMonth},
            },
        }
        writes = [{"Update": update}, *(_notice_due(self.table_name, notice) for notice in notices)]
        try:
            if len(writes) == 1:
                self.client.update_item(**update)
            else:
                self.client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("ConditionalCheckFailedException", "TransactionCanceledException"):
                return False
            raise
        return True

    def settings_replanned(self, account_id: str, version: int | None) -> None:
        """Takes the settings out of the schedule once its POs were re-planned (unless changed again)."""
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=_settings_key(account_id),
                UpdateExpression="REMOVE GSI4PK, GSI4SK",
                ConditionExpression="#version = :version",
                ExpressionAttributeNames={"#version": "version"},
                ExpressionAttributeValues={":version": {"N": str(version or 0)}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def claim_notice(self, key: tuple[str, str], now: str, abandoned_before: str) -> Claim:
        """Marks an unsent notice as being sent by this caller (a conditional write), and returns it.

        The claim comes before the SES call, so two senders never both send it. A sender that
        dies between the claim and recording the outcome leaves it claimed, never resent: a notice
        is sent at most once. A claim older than ``abandoned_before`` (longer than any sender
        lives) is such a case: the notice leaves the outbox marked ``inDoubtSince`` (IN_DOUBT)."""
        pk, sk = key
        try:
            response = self.client.update_item(
                TableName=self.table_name,
                Key={"PK": {"S": pk}, "SK": {"S": sk}},
                UpdateExpression="SET claimedAt = :now ADD attempts :one",
                ConditionExpression="attribute_exists(PK) AND attribute_not_exists(sentAt) "
                "AND attribute_not_exists(claimedAt)",
                ExpressionAttributeValues={":now": {"S": now}, ":one": {"N": "1"}},
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            current = error.response.get("Item")
            if not current:
                return Claim(None, "GONE")
            if "sentAt" in current:
                if "GSI4PK" in current:  # due again after it was sent (a second crossing): not resent
                    self._leave_outbox(key, "attribute_exists(sentAt)", {})
                return Claim(None, "SENT")
            claimed = current["claimedAt"]["S"]
            if claimed < abandoned_before and "GSI4PK" in current:
                values = {":claimed": {"S": claimed}, ":now": {"S": now}}
                self._leave_outbox(key, "claimedAt = :claimed", values, "SET inDoubtSince = :now")
                return Claim(None, "IN_DOUBT")
            return Claim(None, "IN_FLIGHT")
        return Claim(_from_item(response["Attributes"]), "CLAIMED")

    def release_notice(self, key: tuple[str, str], claimed_at: str, error: str, *, give_up: bool) -> None:
        """SES refused the notice (it was not sent): it stays in the outbox for a later try, or,
        after too many tries, leaves it as FAILED."""
        pk, sk = key
        values = {":error": {"S": error[:1000]}, ":claimed": {"S": claimed_at}}
        expression = "REMOVE claimedAt SET lastError = :error"
        if give_up:
            expression = "REMOVE claimedAt, GSI4PK, GSI4SK SET lastError = :error, failedAt = :claimed"
        self.client.update_item(
            TableName=self.table_name,
            Key={"PK": {"S": pk}, "SK": {"S": sk}},
            UpdateExpression=expression,
            ConditionExpression="claimedAt = :claimed",
            ExpressionAttributeValues=values,
        )

    def notice_sent(self, notice: dict[str, Any], key: tuple[str, str], sent_at: str, message_id: str) -> None:
        """Records that SES accepted the notice, with the PO's NOTIFIED audit entry, in one transaction."""
        pk, sk = key
        update = {
            "TableName": self.table_name,
            "Key": {"PK": {"S": pk}, "SK": {"S": sk}},
            "UpdateExpression": "SET sentAt = :at, messageId = :id REMOVE GSI4PK, GSI4SK",
            "ConditionExpression": "claimedAt = :claimed",
            "ExpressionAttributeValues": {
                ":at": {"S": sent_at},
                ":id": {"S": message_id},
                ":claimed": {"S": notice["claimedAt"]},
            },
        }
        details = {"kind": notice["kind"], "to": notice["to"], "subject": notice["subject"]}
        if notice.get("threshold") is not None:
            details["threshold"] = notice["threshold"]
        event = AuditEvent("NOTIFIED", details)
        actor = Actor(notice["accountId"], SYSTEM)
        audit = _audit_entries(self.table_name, (notice["accountId"], notice["poId"]), actor, sent_at, [event])
        self.client.transact_write_items(TransactItems=[{"Update": update}, *audit])

    def _leave_outbox(self, key: tuple[str, str], condition: str, values: dict[str, Any], also: str = "") -> None:
        pk, sk = key
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={"PK": {"S": pk}, "SK": {"S": sk}},
                UpdateExpression=f"REMOVE GSI4PK, GSI4SK {also}".strip(),
                ConditionExpression=condition,
                **({"ExpressionAttributeValues": values} if values else {}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

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
