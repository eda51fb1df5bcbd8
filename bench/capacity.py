"""Requests, items read and the capacity units a client's DynamoDB calls consume, by DynamoDB's formulas.

A ``CapacityMeter`` attached to a client (botocore events) reads, on a second client of its own, each
written item before and after the write, and each queried item whole, so it counts what DynamoDB
bills, which moto does not report:
- a write: a unit per started KB of the larger of the item's before and after images (a delete: the
  item's size), twice inside a transaction; a ConditionCheck as a write of the item it checks;
- each global secondary index the write changes (template.yaml's projections): a put of the new
  projection, a delete of the old one, or both when the index key moved; nothing when neither the
  index keys nor a projected attribute changed;
- a read: a unit per started 4 KB of the item (GetItem, each item of BatchGetItem), or of all the
  items a Query evaluated (filtered ones included, whole, whatever ``ProjectionExpression`` keeps),
  halved for an eventually consistent read (every index query).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3

from local_runner.dynamodb_sizes import dollars_per_million, item_size, read_units, write_units
from local_runner.template import resource

_WRITES = {"PutItem": "Put", "UpdateItem": "Update", "DeleteItem": "Delete"}
# The least a match can cost: one strongly consistent read and a transaction of three items under
# 1 KB (the invoice, the PO's balance, the ledger entry), with no index to rewrite.
FLOOR_WRITE_UNITS, FLOOR_READ_UNITS = 6, 1


def _indexes(logical_id: str = "Table") -> dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]]:
    """{index: (key attributes, projection type, projected non-key attributes)} from the template."""
    properties = resource(logical_id)["Properties"]
    indexes = {}
    for index in properties.get("GlobalSecondaryIndexes", []):
        projection = index["Projection"]
        keys = tuple(part["AttributeName"] for part in index["KeySchema"])
        indexes[index["IndexName"]] = (
            keys,
            projection["ProjectionType"],
            tuple(projection.get("NonKeyAttributes", [])),
        )
    return indexes


@dataclass
class CapacityMeter:
    operations: list[str] = field(default_factory=list)
    items_read: int = 0
    read_units: float = 0.0
    write_units: float = 0.0
    index_write_units: float = 0.0

    def __post_init__(self) -> None:
        self._peek = boto3.client("dynamodb")
        self._indexes = _indexes()
        self._table_keys = ("PK", "SK")

    def reset(self) -> None:
        self.operations.clear()
        self.items_read = 0
        self.read_units = self.write_units = self.index_write_units = 0.0

    @property
    def dollars_per_million(self) -> float:
        return dollars_per_million(self.write_units + self.index_write_units, self.read_units)

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-parameter-build.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def detach(self, client: Any) -> None:
        client.meta.events.unregister("before-parameter-build.dynamodb", self._before)
        client.meta.events.unregister("after-call.dynamodb", self._after)

    # --- events ---------------------------------------------------------------------------------

    def _before(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        self.operations.append(model.name)
        writes = self._write_actions(model.name, params)
        context["capacity_writes"] = [(kind, table, key, self._get(table, key)) for kind, table, key in writes]
        context["capacity_params"] = params

    def _after(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        name = model.name
        params = context.get("capacity_params", {})
        if name == "GetItem":
            item = parsed.get("Item")
            self.items_read += 1 if item else 0
            self.read_units += read_units(
                [item_size(item) if item else 0], consistent=bool(params.get("ConsistentRead"))
            )
        elif name == "BatchGetItem":
            for table, items in parsed.get("Responses", {}).items():
                consistent = bool(params["RequestItems"][table].get("ConsistentRead"))
                self.items_read += len(items)
                self.read_units += sum(read_units([item_size(item)], consistent=consistent) for item in items)
        elif name == "Query":
            self.items_read += parsed.get("Count", 0)
            evaluated = self._evaluated(params)
            consistent = bool(params.get("ConsistentRead")) and "IndexName" not in params
            self.read_units += read_units(map(item_size, evaluated), consistent=consistent)
        transactional = name == "TransactWriteItems"
        for kind, table, key, before in context.get("capacity_writes", []):
            after = None if kind == "Delete" else self._get(table, key)
            if kind == "ConditionCheck":
                self.write_units += write_units(item_size(before or {}), transactional=transactional)
                continue
            size = max(item_size(before or {}), item_size(after or {}))
            self.write_units += write_units(size, transactional=transactional)
            self.index_write_units += self._index_units(before, after)

    # --- what was written and read --------------------------------------------------------------

    def _write_actions(self, operation: str, params: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
        """(kind, table, key) of each item the request writes or checks."""
        if operation in _WRITES:
            kind = _WRITES[operation]
            return [(kind, params["TableName"], self._key_of(kind, params))]
        if operation == "TransactWriteItems":
            return [
                (kind, body["TableName"], self._key_of(kind, body))
                for action in params["TransactItems"]
                for kind, body in action.items()
            ]
        if operation == "BatchWriteItem":
            return [
                ("Put", table, self._key_of("Put", request["PutRequest"]))
                if "PutRequest" in request
                else ("Delete", table, request["DeleteRequest"]["Key"])
                for table, requests in params["RequestItems"].items()
                for request in requests
            ]
        return []

    def _key_of(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        source = body["Item"] if kind == "Put" else body["Key"]
        return {name: source[name] for name in self._table_keys}

    def _get(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        return self._peek.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")

    def _evaluated(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """The items a Query read: the same query without its projection and filter, whole items
        (an index's projection of them)."""
        query = {
            name: value
            for name, value in params.items()
            if name not in ("ProjectionExpression", "FilterExpression", "Select")
        }
        used = query.get("KeyConditionExpression", "")
        query["ExpressionAttributeValues"] = {
            name: value for name, value in params.get("ExpressionAttributeValues", {}).items() if name in used
        }
        if names := params.get("ExpressionAttributeNames"):
            query["ExpressionAttributeNames"] = {name: value for name, value in names.items() if name in used}
        if not query.get("ExpressionAttributeNames"):
            query.pop("ExpressionAttributeNames", None)
        items = self._peek.query(**query).get("Items", [])
        if index := params.get("IndexName"):
            return [self._projection(index, item) for item in items]
        return items

    def _projection(self, index: str, item: dict[str, Any]) -> dict[str, Any]:
        keys, kind, non_key = self._indexes[index]
        if kind == "ALL":
            return item
        kept = {*self._table_keys, *keys, *(non_key if kind == "INCLUDE" else ())}
        return {name: value for name, value in item.items() if name in kept}

    def _index_units(self, before: dict[str, Any] | None, after: dict[str, Any] | None) -> int:
        units = 0
        for index, (keys, _, _) in self._indexes.items():
            old = self._projection(index, before) if before and all(k in before for k in keys) else None
            new = self._projection(index, after) if after and all(k in after for k in keys) else None
            if old is not None and new is not None and all(old[k] == new[k] for k in keys):
                units += 0 if old == new else write_units(max(item_size(old), item_size(new)))
                continue
            units += write_units(item_size(old)) if old is not None else 0
            units += write_units(item_size(new)) if new is not None else 0
        return units


def floor_dollars_per_million() -> float:
    return dollars_per_million(FLOOR_WRITE_UNITS, FLOOR_READ_UNITS)
