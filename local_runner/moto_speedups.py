"""Request costs that do not grow with the table, for the emulator (moto 5.2.5, pinned).

Two of moto's DynamoDB operations cost the whole table, whatever they touch, which makes local mode
and the tests slow down as data accumulates (the emulator's cost, not the service's):

**Queries.** A query on the table's own key walks and sorts every item of the table to find one
partition. Here a base-table query is handed just its partition; index queries are unchanged.

**Transactions.** moto's ``transact_write_items`` backs up every table a transaction touches with a deep copy, once
per item of the transaction, so that it can roll back. Each transaction then costs the whole
table: at a few thousand items, matching one invoice takes seconds and a few hundred invoices
take minutes, which is the emulator's cost, not the service's.

Here every condition is evaluated first, before anything is written: if one fails, the
transaction is cancelled with moto's own reasons (and items, for ALL_OLD) and nothing needs
undoing; if all hold, the writes are applied, keeping only the old state of the items they touch
in case one of them fails on the way. Requests moto itself must judge (malformed, more than 100
items, two operations on one item) go to moto's implementation unchanged. Applied once, by
``local_runner.emulator``, for local mode and the tests alike.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import TransactionCanceledException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

_moto_transact_write_items = DynamoDBBackend.transact_write_items
_OPERATIONS = {"ConditionCheck", "Put", "Delete", "Update"}
_FAILED = "The conditional request failed"


def _key(backend: DynamoDBBackend, operation: str, request: dict[str, Any]) -> dict[str, Any]:
    if operation != "Put":
        return request["Key"]
    table = backend.get_table(request["TableName"])
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    return {name: request["Item"][name] for name in names}


def _operations(backend: DynamoDBBackend, items: list[dict[str, Any]]) -> list[tuple[str, dict, dict]] | None:
    """(operation, request, key) for each item, or None when moto's own checks must speak."""
    operations, seen = [], set()
    for item in items:
        if len(item) != 1:
            return None
        operation, request = next(iter(item.items()))
        if operation not in _OPERATIONS or request.get("TableName") not in backend.tables:
            return None
        key = _key(backend, operation, request)
        identity = (request["TableName"], str(sorted(key.items())))
        if identity in seen:
            return None
        seen.add(identity)
        operations.append((operation, request, key))
    return operations


def _cancellation_reasons(backend: DynamoDBBackend, operations: list[tuple[str, dict, dict]]) -> list[tuple] | None:
    """moto's cancellation reasons if a condition fails (evaluated before anything is written, so
    there is nothing to roll back), else None."""
    reasons: list[tuple] = []
    for _, request, key in operations:
        condition = request.get("ConditionExpression")
        current = backend.get_item(request["TableName"], key)
        names, values = request.get("ExpressionAttributeNames"), request.get("ExpressionAttributeValues")
        if condition is None or get_filter_expression(condition, names, values).expr(current):
            reasons.append((None, None, None))
            continue
        wants_item = request.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current
        reasons.append(("ConditionalCheckFailed", _FAILED, current.to_json()["Attributes"] if wants_item else None))
    return reasons if any(code for code, _, _ in reasons) else None


def _apply(backend: DynamoDBBackend, operation: str, request: dict[str, Any], key: dict[str, Any]) -> None:
    table = request["TableName"]
    expression = {
        "condition_expression": request.get("ConditionExpression"),
        "expression_attribute_names": request.get("ExpressionAttributeNames"),
        "expression_attribute_values": request.get("ExpressionAttributeValues"),
    }
    if operation == "Put":
        backend.put_item(table, request["Item"], **expression)
    elif operation == "Delete":
        backend.delete_item(table, key, **expression)
    elif operation == "Update":
        backend.update_item(table, key, update_expression=request["UpdateExpression"], **expression)


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    operations = _operations(self, transact_items) if len(transact_items) <= 100 else None
    if operations is None:
        _moto_transact_write_items(self, transact_items)
        return
    reasons = _cancellation_reasons(self, operations)
    if reasons is not None:
        raise TransactionCanceledException(reasons)
    undo: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
    try:
        for operation, request, key in operations:
            if operation == "ConditionCheck":
                continue
            before = self.get_item(request["TableName"], key)
            undo.append((request["TableName"], key, before.to_json()["Attributes"] if before else None))
            _apply(self, operation, request, key)  # conditions are checked again: another thread may have written
    except Exception:
        for table, key, attributes in reversed(undo):
            if attributes is None:
                self.delete_item(table, key)
            else:
                self.put_item(table, attributes)
        _moto_transact_write_items(self, transact_items)


_moto_query = Table.query
_moto_all_items = Table.all_items
_partition = threading.local()  # the partition a base-table query in this thread reads


def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    _partition.of = (self, hash_key) if index_name is None and self.range_key_attr else None
    try:
        return _moto_query(self, hash_key, *args, **kwargs)
    finally:
        _partition.of = None


def all_items(self: Table) -> list[Any]:
    """Inside a base-table query, only the queried partition (sorted as moto sorts it)."""
    hint = getattr(_partition, "of", None)
    if hint is None or hint[0] is not self:
        return _moto_all_items(self)
    return sorted(self.items.get(hint[1], {}).values(), key=lambda item: item.range_key)


def install() -> None:
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
