"""The emulator's DynamoDB made consistent under concurrent requests, and its costs not growing with
the table (moto 5.2.5, pinned). Applied once, by ``local_runner.emulator``, for local mode and the
tests alike.

**One request at a time.** moto's server handles each request in a thread of its own, and nothing
in its DynamoDB backend is locked: a transaction checked its conditions, then another request wrote,
then the transaction wrote over it. Here every DynamoDB and DynamoDB Streams request holds one lock
(``backend_lock``) from parsing to answer, so a transaction is atomic as DynamoDB's is. moto is pure
Python under the GIL, so this costs no parallelism.

**Rollbacks in place.** When moto's own ``transact_write_items`` fails, it rolls back by putting a
deep copy of each table, taken before it started, in the table's place. The copy has a stream
shard object of its own under the same shard id: a reader's shard iterators hold the old object,
so they read nothing ever again (every later invoice stayed PENDING), and the records of the writes
undone stay in the stream (DynamoDB never emits them). Here the copy's items go back into the
table itself and those records are dropped.

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
in case one of them fails on the way (a malformed update). Requests moto itself must judge
(malformed, more than 100 items, two operations on one item) go to moto's implementation.

**Answers.** moto writes every DynamoDB and DynamoDB Streams answer with its generic, shape-driven
serializer, which looks up each attribute of each item in the operation's model: about 7 ms for a
GetItem of 1 KB, and GetRecords for the table's two stream consumers was a third of the runner's
CPU. The items, keys and stream records of the operations that carry them are already in the wire
shape but for timestamps and binaries, so those are answered with ``json.dumps`` (timestamps and
binaries converted as moto converts them); everything else, errors included, as moto answers it.

**Building an item.** moto measures the whole item again each time it sets one attribute of a new
item (its 400 KB check), so building an item costs the square of its attributes: most of the time
of a transaction's writes. Here the item is built whole and measured once: the same check (sizes
only add up, so the sum passes the limit at the end exactly when it did at some step).

**Finding a request's service.** moto's server tells a request's service by listing its own
package's directories, on every request; that list is read once here.

**Every request's own costs.** moto lists the methods of the answering class (``inspect.getmembers``)
on every request to find the action's, and draws each request id one random character at a time
(52 calls into ``random``): about a tenth of the runner's CPU per invoice. The method names are listed
once per class here, and request ids are drawn at once.

**Counting an update's clauses.** moto checks that an UpdateExpression has at most one SET, one
REMOVE and one ADD clause at every node of its tree, each check walking the subtree below: a tenth of
a match's emulator time for a four-action SET. The root's check is the same verdict; it alone runs
here.

**Walking an update expression.** moto's validation walks the expression's tree ten times (one
per check), and at every node each walk asks its check for the kinds of node it handles, which
the check builds anew each time: a dictionary of its own bound methods, built twice per node. It is
the same dictionary for the check's whole life, so it is built once per check here.

**Parsing an update expression.** moto parses a transaction's update expression twice (to check
its names, then to apply it), and a service writes the same few expressions over and over. Each
expression is parsed once here: moto's validation works on a deep copy of the parsed tree, so the
tree itself is never changed. An expression moto refuses is not kept, and is refused again.
"""

from __future__ import annotations

import base64
import functools
import json
import secrets
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from moto import backends
from moto.core import responses as moto_core_responses
from moto.core.responses import ActionResult, BaseResponse
from moto.core.serialize import TimestampSerializer
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import ItemSizeTooLarge, TransactionCanceledException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, UpdateExpression
from moto.dynamodb.parsing.expressions import UpdateExpressionParser
from moto.dynamodb.parsing.validators import ActionCountValidator
from moto.dynamodb.responses import DynamoHandler, DynamoResult
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

_moto_list_of_moto_modules = backends.list_of_moto_modules
backend_lock = threading.RLock()  # held by every DynamoDB and DynamoDB Streams request
_moto_transact_write_items = DynamoDBBackend.transact_write_items
_moto_parse_update = UpdateExpressionParser.make.__func__  # type: ignore[attr-defined]
_OPERATIONS = {"ConditionCheck", "Put", "Delete", "Update"}
_MOTO_ITEM_LIMIT = 405000  # LimitedSizeDict's, in moto's own measure
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
    """Writes one action; its condition held (checked under the backend's lock), so it is not evaluated again."""
    table = request["TableName"]
    expression = {
        "expression_attribute_names": request.get("ExpressionAttributeNames"),
        "expression_attribute_values": request.get("ExpressionAttributeValues"),
    }
    if operation == "Put":
        backend.put_item(table, request["Item"], **expression)
    elif operation == "Delete":
        backend.delete_item(table, key, **expression)
    elif operation == "Update":
        backend.update_item(table, key, update_expression=request["UpdateExpression"], **expression)


def _stream_lengths(backend: DynamoDBBackend) -> dict[str, int]:
    return {name: len(table.stream_shard.items) for name, table in backend.tables.items() if table.stream_shard}


def _drop_records_since(backend: DynamoDBBackend, lengths: dict[str, int]) -> None:
    """Forgets the stream records written since ``lengths``: those of writes undone."""
    for name, length in lengths.items():
        del backend.tables[name].stream_shard.items[length:]  # type: ignore[union-attr]


def _moto_transaction(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """moto's own transaction, with its rollback undone in place (see the module's docstring)."""
    tables, lengths = dict(backend.tables), _stream_lengths(backend)
    try:
        _moto_transact_write_items(backend, transact_items)
    except Exception:
        for name, table in tables.items():
            if (restored := backend.tables.get(name)) is not table and restored is not None:
                table.items = restored.items
                backend.tables[name] = table
        _drop_records_since(backend, lengths)
        raise


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    operations = _operations(self, transact_items) if len(transact_items) <= 100 else None
    if operations is None:
        _moto_transaction(self, transact_items)
        return
    reasons = _cancellation_reasons(self, operations)
    if reasons is not None:
        raise TransactionCanceledException(reasons)
    undo: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
    lengths = _stream_lengths(self)
    try:
        for operation, request, key in operations:
            if operation == "ConditionCheck":
                continue
            before = self.get_item(request["TableName"], key)
            undo.append((request["TableName"], key, before.to_json()["Attributes"] if before else None))
            _apply(self, operation, request, key)
    except Exception:
        for table, key, attributes in reversed(undo):
            if attributes is None:
                self.delete_item(table, key)
            else:
                self.put_item(table, attributes)
        _drop_records_since(self, lengths)
        _moto_transaction(self, transact_items)  # moto's own answer to what it refused


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


# Operations whose results moto builds in the wire shape already: items in DynamoDB JSON, names as sent.
_WIRE_SHAPED = {
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
    "TransactGetItems", "TransactWriteItems", "GetRecords",
}  # fmt: skip
_moto_serialized = BaseResponse.serialized


def serialized(self: BaseResponse, action_result: ActionResult) -> Any:
    wire_shaped = type(action_result) in (ActionResult, DynamoResult) and isinstance(action_result.result, dict)
    if wire_shaped and self._get_action() in _WIRE_SHAPED:
        try:
            body = json.dumps(action_result.result, default=_wire_value)
        except TypeError:  # something moto's serializer must shape after all
            return _moto_serialized(self, action_result)
        return 200, {"Content-Type": "application/x-amz-json-1.0", **self.response_headers}, body
    return _moto_serialized(self, action_result)


def _wire_value(value: Any) -> int | float | str:
    """What moto's serializer writes for the two kinds of value JSON has no form for."""
    if isinstance(value, datetime):
        return TimestampSerializer._timestamp_unixtimestamp(value)  # epoch seconds
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")  # a binary attribute (B, BS)
    raise TypeError(f"not in the wire shape: {value!r}")


def item_init(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    self.hash_key, self.range_key = hash_key, range_key
    self.attrs = LimitedSizeDict()
    dict.update(self.attrs, {key: DynamoType(value) for key, value in attrs.items()})  # not measured one by one
    if self.size() > _MOTO_ITEM_LIMIT:
        raise ItemSizeTooLarge


def _one_at_a_time(call_action: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(call_action)
    def locked(self: Any) -> Any:
        with backend_lock:
            return call_action(self)

    locked.one_at_a_time = True  # type: ignore[attr-defined]
    return locked


def count_clauses_once(self: ActionCountValidator, node: Any) -> Any:
    """``ActionCountValidator.traverse``: the clauses of the whole expression counted once."""
    if isinstance(node, UpdateExpression):
        self.verify_action_counts(node)
    return node


def processing_map(self: DepthFirstTraverser) -> dict[type, Callable[[Any], Any]]:
    """The check's ``_processing_map``, built once (moto's checks return a constant map of their methods)."""
    if (built := self.__dict__.get("_built_processing_map")) is None:
        built = self.__dict__["_built_processing_map"] = self._processing_map()
    return built


def nodes_to_be_processed(self: DepthFirstTraverser) -> tuple[type, ...]:
    """``DepthFirstTraverser.nodes_to_be_processed``, from the map built once."""
    if (kinds := self.__dict__.get("_built_node_kinds")) is None:
        kinds = self.__dict__["_built_node_kinds"] = tuple(processing_map(self))
    return kinds


def process(self: DepthFirstTraverser, node: Any) -> Any:
    """``DepthFirstTraverser.process``, from the map built once."""
    for kind, processor in processing_map(self).items():
        if isinstance(node, kind):
            return processor(node)
    return None


@functools.lru_cache(maxsize=1024)
def _parsed_update(expression: str) -> UpdateExpression:
    return _moto_parse_update(UpdateExpressionParser, expression)


def parse_update_once(_: type, expression: str) -> UpdateExpression:
    """``UpdateExpressionParser.make``: each expression's tree parsed once (moto validates a copy)."""
    return _parsed_update(expression)


def request_id(headers: dict[str, Any] | None = None) -> str:
    """``gen_amzn_requestid_long``: 52 random characters, put in ``headers`` as moto does."""
    identifier = secrets.token_hex(26).upper()
    if headers is not None:
        headers["x-amzn-requestid"] = identifier
    return identifier


def install() -> None:
    if getattr(DynamoHandler.call_action, "one_at_a_time", False):
        return  # installed already
    DynamoHandler.call_action = _one_at_a_time(DynamoHandler.call_action)  # type: ignore[method-assign]
    DynamoDBStreamsHandler.call_action = _one_at_a_time(DynamoDBStreamsHandler.call_action)  # type: ignore[method-assign]
    DynamoHandler.serialized = serialized  # type: ignore[method-assign]
    DynamoDBStreamsHandler.serialized = serialized  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
    Item.__init__ = item_init  # type: ignore[method-assign]
    backends.list_of_moto_modules = functools.cache(lambda: tuple(_moto_list_of_moto_modules()))
    moto_core_responses.method_names_from_class = functools.cache(moto_core_responses.method_names_from_class)
    moto_core_responses.gen_amzn_requestid_long = request_id
    ActionCountValidator.traverse = count_clauses_once  # type: ignore[method-assign]
    UpdateExpressionParser.make = classmethod(parse_update_once)  # type: ignore[method-assign, assignment]
    DepthFirstTraverser.nodes_to_be_processed = nodes_to_be_processed  # type: ignore[method-assign]
    DepthFirstTraverser.process = process  # type: ignore[method-assign]
