"""AWS limits moto does not enforce, enforced in front of it: what AWS would refuse is refused in local
mode and in the tests too, with DynamoDB's own error code and message, instead of passing here and
failing in production.

**Checked from the request, before it is sent** (a botocore hook on every DynamoDB client of the
process), each refused with a ``ClientError`` whose code is ``ValidationException``:

- every expression (``KeyConditionExpression``, ``FilterExpression``, ``ConditionExpression``,
  ``UpdateExpression``, ``ProjectionExpression``), at the top level, in each action of
  TransactWriteItems / TransactGetItems and in each table of BatchGetItem: at most 4,096 bytes of
  UTF-8, counted on the text as sent (names and values are not substituted);
- an item written whole (PutItem, each ``Put`` of a transaction, each ``PutRequest`` of
  BatchWriteItem): at most 400 KB (409,600 bytes) by DynamoDB's size formula
  (``local_runner.dynamodb_sizes``);
- TransactWriteItems: at most 100 actions, and at most 4 MB of items. The 4 MB figure is a lower
  bound of what DynamoDB counts: each Put's whole item, and the key of every other action (what an
  Update makes of its item is only known to the table);
- TransactGetItems: at most 100 actions; BatchWriteItem: at most 25 requests; BatchGetItem: at most
  100 keys.

The messages are DynamoDB's (captured from AWS by public conformance suites), except the 4 MB one,
whose wording is ours.

**Checked in the emulator** (moto, in this process: the tests' ``mock_aws`` and the runner's
server alike): the item an UpdateItem leaves, at most 400 KB by the same formula. The request alone
cannot tell, as it depends on the stored item. moto's own check counts only some of it (no list or
map overhead, not at all for a nested path) and leaves the item half-updated when it fires; here the
item is put back as it was and the update is refused as DynamoDB refuses it: ``ValidationException``
"Item size to update has exceeded the maximum allowed size" for UpdateItem, a
``TransactionCanceledException`` with a ``ValidationError`` reason for a transaction's Update.

**EventBridge's PutEvents**: at most 10 entries, and at most 256 KB of entries in a request (each
entry sized as EventBridge sizes it: ``pom.adapters.event_bus.entry_size``), refused as EventBridge
refuses it (``ValidationException``).

**Lambda's 6 MB response** (``lambda_response_refusal``): the runner's HTTP server and the tests' API
client answer 502, as API Gateway does, when a function's response is over 6,291,456 bytes of JSON.

Why ``ClientCreator``: a botocore client does not share its session's event emitter, it gets a copy
of it when it is created (``ClientArgsCreator``), so a hook registered on a session after a client
exists never reaches that client, and one registered on boto3's default session never reaches the
clients of another ``boto3.Session``. Every client of every session is built by
``botocore.client.ClientCreator.create_client``; wrapping it registers the hook on each DynamoDB
client as it is created, whatever its session. The hook runs last on ``before-parameter-build``,
after boto3's resource layer has turned Python values into DynamoDB's wire format. Clients created
before ``install()`` are not covered: install it first (``local_runner.emulator`` does, at import).

Cost: the request hook walks each item written whole once (0.6 ms for the PO item of 100 monthly
line items, 20 KB) and measures an expression only if it could be over (a length check otherwise).
The update check copies the item's attributes before the update and walks the item after (4 ms for
that PO item; moto itself spends 7 ms copying it on every update).
"""

from __future__ import annotations

import decimal
import json
import threading
from typing import Any

from botocore.client import ClientCreator
from botocore.exceptions import ClientError
from moto.dynamodb import responses as moto_responses
from moto.dynamodb.exceptions import ItemSizeTooLarge, ItemSizeToUpdateTooLarge, TransactionCanceledException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.parsing.executors import UpdateExpressionExecutor

from local_runner.dynamodb_sizes import ITEM_LIMIT, item_size, value_size

EXPRESSION_LIMIT = 4096  # bytes, each expression
TRANSACTION_ACTIONS = 100
TRANSACTION_BYTES = 4 * 1024 * 1024
BATCH_WRITE_REQUESTS = 25
BATCH_GET_KEYS = 100
LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024  # a synchronous invocation's response, as JSON

EXPRESSIONS = ("KeyConditionExpression", "FilterExpression", "ConditionExpression", "UpdateExpression",
               "ProjectionExpression")  # fmt: skip
_SIZE_IN_MESSAGE = {"FilterExpression", "ConditionExpression"}  # DynamoDB appends the size to these two only
ITEM_TOO_LARGE = "Item size has exceeded the maximum allowed size"
_UPDATE_TOO_LARGE = "Item size to update has exceeded the maximum allowed size"
_HOOK = "before-parameter-build.dynamodb"
_EVENTS_HOOK = "before-parameter-build.events.PutEvents"
EVENT_ENTRIES = 10
EVENT_BYTES = 256 * 1024
_HOOK_ID = "local_runner.aws_limits"


def install() -> None:
    """Every DynamoDB client created in this process from now on, and the emulator, refuse what AWS
    refuses (idempotent)."""
    if getattr(ClientCreator.create_client, "enforces_aws_limits", False):
        return
    create_client = ClientCreator.create_client

    def create_client_with_limits(self: ClientCreator, *args: Any, **kwargs: Any) -> Any:
        client = create_client(self, *args, **kwargs)
        service = client.meta.service_model.service_name
        if service == "dynamodb":
            client.meta.events.register_last(_HOOK, refuse_over_limits, unique_id=_HOOK_ID)
        elif service == "events":
            client.meta.events.register_last(_EVENTS_HOOK, refuse_events_over_limits, unique_id=_HOOK_ID)
        return client

    create_client_with_limits.enforces_aws_limits = True  # type: ignore[attr-defined]
    ClientCreator.create_client = create_client_with_limits  # type: ignore[method-assign]
    _install_emulator_checks()


# --- requests ---------------------------------------------------------------------------------------


def refused(message: str, operation: str) -> ClientError:
    """The error botocore raises when DynamoDB answers 400 ValidationException."""
    error = {"Code": "ValidationException", "Message": message}
    return ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)  # type: ignore[typeddict-item]


def refuse_over_limits(params: Any, model: Any, **_: Any) -> None:
    """The hook: raises what DynamoDB would answer to a request over one of its limits. Shapes
    botocore itself will reject (a missing or mistyped parameter) are left to it."""
    if not isinstance(params, dict):
        return
    message = _over_limit(model.name, params)
    if message is not None:
        raise refused(message, model.name)


def _over_limit(operation: str, params: dict[str, Any]) -> str | None:  # noqa: PLR0911 - one answer per check
    if operation == "TransactWriteItems":
        return _transact_write_over_limit(params.get("TransactItems"))
    if operation == "TransactGetItems":
        actions = params.get("TransactItems")
        if not isinstance(actions, list):
            return None
        if len(actions) > TRANSACTION_ACTIONS:
            return _too_many("TransactItems", TRANSACTION_ACTIONS)
        return _first(_expression_over_limit(action.get("Get")) for action in actions if isinstance(action, dict))
    if operation == "BatchWriteItem":
        return _batch_write_over_limit(params.get("RequestItems"))
    if operation == "BatchGetItem":
        return _batch_get_over_limit(params.get("RequestItems"))
    if (message := _expression_over_limit(params)) is not None:
        return message
    if operation == "PutItem" and _item_over_limit(params.get("Item")):
        return ITEM_TOO_LARGE
    return None


def _transact_write_over_limit(actions: Any) -> str | None:
    if not isinstance(actions, list):
        return None
    if len(actions) > TRANSACTION_ACTIONS:
        return _too_many("TransactItems", TRANSACTION_ACTIONS)
    total = 0
    for action in actions:
        for kind, request in action.items() if isinstance(action, dict) else ():
            if not isinstance(request, dict):
                continue
            if (message := _expression_over_limit(request)) is not None:
                return message
            if kind == "Put":
                size = _size(request.get("Item"))
                if size > ITEM_LIMIT:
                    return ITEM_TOO_LARGE
            else:
                size = _size(request.get("Key"))
            total += size
    if total > TRANSACTION_BYTES:
        return f"Transaction size has exceeded the maximum allowed size of 4 MB; size: {total}"
    return None


def _batch_write_over_limit(tables: Any) -> str | None:
    if not isinstance(tables, dict):
        return None
    for table, requests in tables.items():
        if isinstance(requests, list) and len(requests) > BATCH_WRITE_REQUESTS:
            return _too_many(f"RequestItems.{table}.member", BATCH_WRITE_REQUESTS)
    requests = [request for each in tables.values() if isinstance(each, list) for request in each]
    if len(requests) > BATCH_WRITE_REQUESTS:
        return "Too many items requested for the BatchWriteItem call"
    for request in requests:
        put = request.get("PutRequest") if isinstance(request, dict) else None
        if isinstance(put, dict) and _item_over_limit(put.get("Item")):
            return ITEM_TOO_LARGE
    return None


def _batch_get_over_limit(tables: Any) -> str | None:
    if not isinstance(tables, dict):
        return None
    total = 0
    for table, read in tables.items():
        keys = read.get("Keys") if isinstance(read, dict) else None
        if isinstance(keys, list):
            if len(keys) > BATCH_GET_KEYS:
                return _too_many(f"RequestItems.{table}.member.Keys", BATCH_GET_KEYS)
            total += len(keys)
    if total > BATCH_GET_KEYS:
        return "Too many items requested for the BatchGetItem call"
    return _first(_expression_over_limit(read) for read in tables.values())


def _too_many(member: str, limit: int) -> str:
    return (
        f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
        f"Member must have length less than or equal to {limit}"
    )


def _expression_over_limit(request: Any) -> str | None:
    if not isinstance(request, dict):
        return None
    for name in EXPRESSIONS:
        text = request.get(name)
        # Four bytes per character at most: a text of 1,024 characters or fewer cannot be over.
        if isinstance(text, str) and len(text) > EXPRESSION_LIMIT // 4 and len(text.encode()) > EXPRESSION_LIMIT:
            size = f" expression size: {len(text.encode())}" if name in _SIZE_IN_MESSAGE else ""
            return f"Invalid {name}: Expression size has exceeded the maximum allowed size;{size}"
    return None


def _item_over_limit(item: Any) -> bool:
    return _size(item) > ITEM_LIMIT


def _size(item: Any) -> int:
    """DynamoDB's size of an item in the wire format, 0 for what is not one (botocore will say so)."""
    if not isinstance(item, dict):
        return 0
    try:
        return item_size(item)
    except (ValueError, TypeError, AttributeError):
        return 0


def _first(messages: Any) -> str | None:
    return next((message for message in messages if message is not None), None)


def refuse_events_over_limits(params: Any, **_: Any) -> None:
    """The PutEvents hook: more than 10 entries, or more than 256 KB of them, is refused."""
    from pom.adapters.event_bus import entry_size  # noqa: PLC0415 - the layer is on the path only when run

    entries = params.get("Entries") if isinstance(params, dict) else None
    if not isinstance(entries, list):
        return
    if len(entries) > EVENT_ENTRIES:
        raise refused(_too_many("entries", EVENT_ENTRIES), "PutEvents")
    if sum(entry_size(entry) for entry in entries if isinstance(entry, dict)) > EVENT_BYTES:
        raise refused("Total size of the entries in the request is over the limit.", "PutEvents")


# --- updates, in the emulator -----------------------------------------------------------------------

_refused_update = threading.local()  # (table, key) of the update last refused in this thread


def stored_item_size(item: Item) -> int:
    """DynamoDB's size of an item as moto stores it (``DynamoType`` values)."""
    return sum(len(name.encode()) + _stored_size(value) for name, value in item.attrs.items())


def _stored_size(value: Any) -> int:
    if not isinstance(value, DynamoType):
        return value_size(value)  # already the wire format
    if value.type == "M":
        return 3 + sum(1 + len(name.encode()) + _stored_size(element) for name, element in value.value.items())
    if value.type == "L":
        return 3 + sum(1 + _stored_size(element) for element in value.value)
    return value_size({value.type: value.value})


def _copy(value: DynamoType) -> DynamoType:
    """A deep copy of a stored value, twice as fast as ``copy.deepcopy``'s (no memo: values are trees)."""
    copied = object.__new__(DynamoType)
    copied.type, inner = value.type, value.value
    if value.type == "M":
        copied.value = {name: _copy(element) for name, element in inner.items()}
    elif value.type == "L":
        copied.value = [_copy(element) for element in inner]
    else:
        copied.value = list(inner) if isinstance(inner, list) else inner  # a set's list, or a scalar
    return copied


def _install_emulator_checks() -> None:
    # moto 5.2.5 refuses TransactGetItems over 25 actions, DynamoDB's limit before September 2022: 100 now.
    moto_responses.TRANSACTION_MAX_ITEMS = TRANSACTION_ACTIONS
    if getattr(UpdateExpressionExecutor.execute, "enforces_aws_limits", False):
        return
    execute, update_item = UpdateExpressionExecutor.execute, DynamoDBBackend.update_item
    transact_write_items = DynamoDBBackend.transact_write_items

    def execute_within_limit(self: UpdateExpressionExecutor, node: Any = None) -> None:
        """The whole update, or none of it: the item as it was if it fails or ends over 400 KB."""
        if node is not None:  # a part of the expression (moto recurses)
            execute(self, node)
            return
        attributes = self.item.attrs
        before = {name: _copy(value) for name, value in attributes.items()}
        try:
            execute(self)
            if stored_item_size(self.item) > ITEM_LIMIT:
                raise ItemSizeTooLarge  # moto's UpdateItem answers it as "Item size to update ..."
        except Exception:
            dict.clear(attributes)  # as dict's: moto's own size check would run on each attribute put back
            dict.update(attributes, before)
            raise

    def update_item_within_limit(self: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kw: Any):
        table, created = _existing(self, table_name, key)
        try:
            return update_item(self, table_name, key, *args, **kw)
        except ItemSizeToUpdateTooLarge:
            _refused_update.key = (table_name, key)
            if created is not None:
                _forget(table, key, *created)
            raise

    def transact_write_items_within_limit(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> Any:
        """An Update that would leave an item over 400 KB cancels the transaction, as in DynamoDB."""
        _refused_update.key = None
        try:
            return transact_write_items(self, transact_items)
        except ItemSizeToUpdateTooLarge:
            table_name, key = _refused_update.key or (None, None)
            too_large = {"TableName": table_name, "Key": key}
            reasons: list[tuple[Any, Any, Any]] = [
                ("ValidationError", _UPDATE_TOO_LARGE, None) if _targets(action, too_large) else (None, None, None)
                for action in transact_items
            ]
            raise TransactionCanceledException(reasons) from None

    for function in (execute_within_limit, update_item_within_limit, transact_write_items_within_limit):
        function.enforces_aws_limits = True  # type: ignore[attr-defined]
    UpdateExpressionExecutor.execute = execute_within_limit  # type: ignore[method-assign]
    DynamoDBBackend.update_item = update_item_within_limit  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = transact_write_items_within_limit  # type: ignore[method-assign]


def _targets(action: dict[str, Any], update: dict[str, Any]) -> bool:
    """Whether a transaction's ``action`` is the Update of ``update``'s table and key."""
    request = action.get("Update") or {}
    return request.get("TableName") == update["TableName"] and request.get("Key") == update["Key"]


def _existing(backend: DynamoDBBackend, table: str, key: dict[str, Any]) -> tuple[Any, tuple[Any, Any, int] | None]:
    """The table, and (hash, range, stream length) when the item does not exist yet: moto then
    creates it (and streams an INSERT) before applying the update."""
    try:
        stored = backend.get_table(table)
        hash_value, range_value = backend.get_keys_value(stored, key)
        if stored.get_item(hash_value, range_value) is not None:
            return stored, None
    except Exception:  # moto's update_item will say what is wrong with the request
        return None, None
    return stored, (hash_value, range_value, len(stored.stream_shard.items) if stored.stream_shard else 0)


def _forget(table: Any, key: dict[str, Any], hash_value: Any, range_value: Any, streamed: int) -> None:
    """Removes the item a refused update created, and the stream records it made."""
    if range_value is None:
        table.items.pop(hash_value, None)
    else:
        table.items.get(hash_value, {}).pop(range_value, None)
    if table.stream_shard is not None:
        records = table.stream_shard.items
        records[streamed:] = [record for record in records[streamed:] if record.record["dynamodb"]["Keys"] != key]


# --- Lambda -----------------------------------------------------------------------------------------


def _decimal(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):  # as Lambda's Python runtime serializes them
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def lambda_response_refusal(response: Any) -> str | None:
    """Why Lambda would not return this function response (API Gateway then answers 502), or None:
    over 6 MB as the runtime serializes it, or not serializable at all."""
    try:
        size = len(json.dumps(response, default=_decimal, ensure_ascii=False).encode())
    except (TypeError, ValueError) as error:
        return f"the function's response is not JSON (Runtime.MarshalError): {error}"
    if size > LAMBDA_RESPONSE_LIMIT:
        return (
            f"the function's response is {size:,} bytes, over Lambda's limit of {LAMBDA_RESPONSE_LIMIT:,} "
            "(Response payload size exceeded maximum allowed payload size)"
        )
    return None
