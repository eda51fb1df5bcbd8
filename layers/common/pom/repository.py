"""DynamoDB access: the one module that knows item keys, indexes and conditions.

Single-table layout (every read is a GetItem or a Query, never a Scan):

- purchase order: PK ``ACCT#<acct>``, SK ``PO#<poId>``; GSI1 ``ACCT#<acct>#PO`` / ``<updatedAt>#<poId>``
  (list, newest first); GSI2 ``ACCT#<acct>#PO#<status>`` / same sort key (list by status, reads only matches).
- settings: PK ``ACCT#<acct>``, SK ``SETTINGS``.
- audit entry: PK ``ACCT#<acct>#POHIST#<poId>``, SK ``<at>#<n>#<random>``.

The audit trail has a partition of its own per PO: a PO id may contain ``#``, so a prefix query
on a shared partition could mix two POs' entries; a whole partition cannot.
"""

from __future__ import annotations

import base64
import binascii
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
from pom.models import AccountSettings
from pom.purchase_orders import AuditEvent, PurchaseOrder

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_KEY_ATTRIBUTES = ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK")


class StaleWrite(Exception):
    """The item changed since it was read (its ``rev``), or a concurrent transaction held it."""


class AlreadyExists(Exception):
    pass


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
        index, partition_key, sort_key = ("GSI2", "GSI2PK", "GSI2SK") if status else ("GSI1", "GSI1PK", "GSI1SK")
        partition = f"ACCT#{account_id}#PO#{status}" if status else f"ACCT#{account_id}#PO"
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": index,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": partition_key},
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        start = _decode_token(token, (partition_key, partition), account_id)
        if start:
            if set(start) != {"PK", "SK", partition_key, sort_key}:
                raise ValidationFailed([FieldError(("query", "nextToken"), "is not a token this list returned")])
            query["ExclusiveStartKey"] = start
        response = self.client.query(**query)
        items = [PurchaseOrder.model_validate(_from_item(item)) for item in response.get("Items", [])]
        return Page(items, _encode_token(response.get("LastEvaluatedKey")))

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

    def save_purchase_order(
        self, po: PurchaseOrder, expected_rev: int, actor: Actor, at: str, events: Sequence[AuditEvent]
    ) -> None:
        """Replaces the PO if nobody wrote it since ``expected_rev`` was read, with its audit entries."""
        put = {
            "TableName": self.table_name,
            "Item": _po_item(po),
            "ConditionExpression": "#rev = :rev",
            "ExpressionAttributeNames": {"#rev": "rev"},
            "ExpressionAttributeValues": {":rev": {"N": str(expected_rev)}},
        }
        self._transact([{"Put": put}, *_audit_puts(self.table_name, po, actor, at, events)], po.poId)

    def delete_purchase_order(self, po: PurchaseOrder, actor: Actor, at: str, events: Sequence[AuditEvent]) -> None:
        delete = {
            "TableName": self.table_name,
            "Key": _po_key(po.accountId, po.poId),
            "ConditionExpression": "#rev = :rev",
            "ExpressionAttributeNames": {"#rev": "rev"},
            "ExpressionAttributeValues": {":rev": {"N": str(po.rev)}},
        }
        self._transact([{"Delete": delete}, *_audit_puts(self.table_name, po, actor, at, events)], po.poId)

    def _transact(self, items: list[dict[str, Any]], po_id: str) -> None:
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise StaleWrite(po_id) from None
            raise

    def purchase_order_history(self, account_id: str, po_id: str, limit: int, token: str | None) -> Page:
        partition = _history_pk(account_id, po_id)
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        start = _decode_token(token, ("PK", partition), account_id)
        if start:
            query["ExclusiveStartKey"] = start
        response = self.client.query(**query)
        entries = []
        for item in response.get("Items", []):
            document = _from_item(item)
            entries.append(
                {
                    "at": document["at"][:19] + "Z",
                    "actor": document["actor"],
                    "action": document["action"],
                    "details": jsonio.loads(document["details"]),
                }
            )
        return Page(entries, _encode_token(response.get("LastEvaluatedKey")))

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
