"""The strict layer in front of moto (``local_runner.aws_limits``): each AWS limit moto does not
enforce is enforced here, one byte or one request under it passes and one over is refused as
DynamoDB refuses it; a function response over Lambda's 6 MB is a 502, in the tests' API client and
the runner's HTTP server alike."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.client import ClientCreator
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item

from local_runner import aws_limits
from local_runner.dynamodb_sizes import ITEM_LIMIT, item_size
from local_runner.server import make_server
from pom.adapters.event_bus import entry_size
from tests.conftest import ApiClient, new_account

LIMIT = aws_limits.EXPRESSION_LIMIT
SIZE_EXCEEDED = "Expression size has exceeded the maximum allowed size;"


@pytest.fixture
def dynamodb(aws: dict[str, str]) -> Any:
    return boto3.client("dynamodb")


def key(pk: str, sk: str = "1") -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def sized_item(pk: str, size: int) -> dict[str, Any]:
    """An item of exactly ``size`` bytes by DynamoDB's formula. 1,300 empty lists are 5,203 bytes that
    moto's own check does not count (it counts no list overhead): moto alone would accept each of these."""
    item = {**key(pk), "pad": {"L": [{"L": []}] * 1300}, "fill": {"S": ""}}
    item["fill"]["S"] = "y" * (size - item_size(item))
    assert item_size(item) == size
    return item


def refusal(call: Callable[[], Any]) -> str:
    """The message of the ValidationException ``call`` raises."""
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["Error"]["Code"] == "ValidationException", raised.value.response
    return raised.value.response["Error"]["Message"]


# --- expressions: 4,096 bytes each ------------------------------------------------------------------

Sized = Callable[[str], str]
VALUES = {":v": {"S": "1"}}


def query(table: str, **expressions: str) -> dict[str, Any]:
    return {"TableName": table, "KeyConditionExpression": "PK = :v", "ExpressionAttributeValues": VALUES, **expressions}


def action(kind: str, table: str, pk: str, **fields: Any) -> dict[str, Any]:
    """One action of a transaction on the item ``pk``."""
    return {kind: {"TableName": table, ("Item" if kind == "Put" else "Key"): key(pk), **fields}}


# (the expression, the operation, its parameters given the table and a way to size the expression)
EXPRESSION_CASES: dict[str, tuple[str, str, Callable[[str, Sized], dict[str, Any]]]] = {
    "Query KeyConditionExpression": (
        "KeyConditionExpression",
        "query",
        lambda t, s: query(t, KeyConditionExpression=s("PK = :v")),
    ),
    "Query FilterExpression": (
        "FilterExpression",
        "query",
        lambda t, s: query(t, FilterExpression=s("attribute_exists(SK)")),
    ),
    "Query ProjectionExpression": (
        "ProjectionExpression",
        "query",
        lambda t, s: query(t, ProjectionExpression=s("PK, SK")),
    ),
    "GetItem ProjectionExpression": (
        "ProjectionExpression",
        "get_item",
        lambda t, s: {"TableName": t, "Key": key("g"), "ProjectionExpression": s("PK")},
    ),
    "PutItem ConditionExpression": (
        "ConditionExpression",
        "put_item",
        lambda t, s: {"TableName": t, "Item": key("p"), "ConditionExpression": s("attribute_not_exists(x)")},
    ),
    "UpdateItem UpdateExpression": (
        "UpdateExpression",
        "update_item",
        lambda t, s: {
            "TableName": t,
            "Key": key("u"),
            "UpdateExpression": s("SET x = :v"),
            "ExpressionAttributeValues": VALUES,
        },
    ),
    "UpdateItem ConditionExpression": (
        "ConditionExpression",
        "update_item",
        lambda t, s: {
            "TableName": t,
            "Key": key("u"),
            "UpdateExpression": "SET x = :v",
            "ConditionExpression": s("attribute_not_exists(y)"),
            "ExpressionAttributeValues": VALUES,
        },
    ),
    "DeleteItem ConditionExpression": (
        "ConditionExpression",
        "delete_item",
        lambda t, s: {"TableName": t, "Key": key("d"), "ConditionExpression": s("attribute_not_exists(x)")},
    ),
    "TransactWriteItems Put ConditionExpression": (
        "ConditionExpression",
        "transact_write_items",
        lambda t, s: {"TransactItems": [action("Put", t, "tp", ConditionExpression=s("attribute_not_exists(x)"))]},
    ),
    "TransactWriteItems Update UpdateExpression": (
        "UpdateExpression",
        "transact_write_items",
        lambda t, s: {
            "TransactItems": [
                action("Put", t, "tu-other"),
                action("Update", t, "tu", UpdateExpression=s("SET x = :v"), ExpressionAttributeValues=VALUES),
            ]
        },
    ),
    "TransactWriteItems Delete ConditionExpression": (
        "ConditionExpression",
        "transact_write_items",
        lambda t, s: {"TransactItems": [action("Delete", t, "td", ConditionExpression=s("attribute_not_exists(x)"))]},
    ),
    "TransactWriteItems ConditionCheck ConditionExpression": (
        "ConditionExpression",
        "transact_write_items",
        lambda t, s: {
            "TransactItems": [
                action("ConditionCheck", t, "tc", ConditionExpression=s("attribute_not_exists(PK)")),
                action("Put", t, "tc-put"),
            ]
        },
    ),
    "TransactGetItems ProjectionExpression": (
        "ProjectionExpression",
        "transact_get_items",
        lambda t, s: {"TransactItems": [action("Get", t, "g", ProjectionExpression=s("PK"))]},
    ),
    "BatchGetItem ProjectionExpression": (
        "ProjectionExpression",
        "batch_get_item",
        lambda t, s: {"RequestItems": {t: {"Keys": [key("g")], "ProjectionExpression": s("PK")}}},
    ),
}


def padded(size: int) -> Sized:
    """An expression padded with spaces to ``size`` bytes: DynamoDB counts the text as sent."""
    return lambda text: text + " " * (size - len(text.encode()))


@pytest.mark.parametrize("case", EXPRESSION_CASES)
def test_an_expression_of_4096_bytes_passes_and_one_byte_more_is_refused(dynamodb: Any, own_table: str, case: str):
    name, operation, params = EXPRESSION_CASES[case]
    getattr(dynamodb, operation)(**params(own_table, padded(LIMIT)))  # accepted, and moto evaluates it

    message = refusal(lambda: getattr(dynamodb, operation)(**params(own_table, padded(LIMIT + 1))))

    tail = " expression size: 4097" if name in ("FilterExpression", "ConditionExpression") else ""
    assert message == f"Invalid {name}: {SIZE_EXCEEDED}{tail}"


def test_expressions_are_measured_in_utf8_bytes(dynamodb: Any, own_table: str):
    projection = "PK" + " " * 2046 + "é" * 1025  # 3,073 characters, 4,098 bytes
    message = refusal(lambda: dynamodb.get_item(TableName=own_table, Key=key("g"), ProjectionExpression=projection))
    assert message == f"Invalid ProjectionExpression: {SIZE_EXCEEDED}"


# --- items written whole: 400 KB -------------------------------------------------------------------


WHOLE_ITEM_WRITES: dict[str, Callable[[Any, str, dict[str, Any]], Any]] = {
    "PutItem": lambda c, t, item: c.put_item(TableName=t, Item=item),
    "TransactWriteItems Put": lambda c, t, item: c.transact_write_items(
        TransactItems=[{"Put": {"TableName": t, "Item": item}}]
    ),
    "BatchWriteItem PutRequest": lambda c, t, item: c.batch_write_item(
        RequestItems={t: [{"PutRequest": {"Item": item}}]}
    ),
}


@pytest.mark.parametrize("write", WHOLE_ITEM_WRITES)
def test_an_item_of_400_kb_is_written_and_one_byte_more_is_refused(dynamodb: Any, own_table: str, write: str):
    WHOLE_ITEM_WRITES[write](dynamodb, own_table, sized_item("at-limit", ITEM_LIMIT))
    stored = dynamodb.get_item(TableName=own_table, Key=key("at-limit"), ConsistentRead=True)["Item"]
    assert item_size(stored) == ITEM_LIMIT

    over = sized_item("over-limit", ITEM_LIMIT + 1)
    message = refusal(lambda: WHOLE_ITEM_WRITES[write](dynamodb, own_table, over))

    assert message == "Item size has exceeded the maximum allowed size"
    assert "Item" not in dynamodb.get_item(TableName=own_table, Key=key("over-limit"), ConsistentRead=True)


def test_moto_alone_counts_these_items_short():
    """Why the layer is needed: moto's own check (405,000 by its count) would take the item over 400 KB."""
    over = sized_item("over-limit", ITEM_LIMIT + 1)
    moto_count = Item(DynamoType(over["PK"]), DynamoType(over["SK"]), over).size()
    assert moto_count < 405_000 < ITEM_LIMIT + 1


# --- updates: the item they leave, 400 KB ------------------------------------------------------------


def stream_records(table: str) -> list[Any]:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables[table].stream_shard.items


def grow(dynamodb: Any, table: str, pk: str, to_size: int) -> Any:
    """Sets ``m.grown`` (a nested path, which moto does not check at all) so the item is ``to_size``."""
    current = dynamodb.get_item(TableName=table, Key=key(pk), ConsistentRead=True).get(
        "Item", {**key(pk), "m": {"M": {}}}
    )
    value = {"S": ""}
    with_value = {**current, "m": {"M": {**current["m"]["M"], "grown": value}}}
    value["S"] = "z" * (to_size - item_size(with_value))
    return dynamodb.update_item(
        TableName=table, Key=key(pk), UpdateExpression="SET m.grown = :v", ExpressionAttributeValues={":v": value}
    )


def test_an_update_may_leave_an_item_of_400_kb_not_one_byte_more(dynamodb: Any, own_table: str):
    base = sized_item("grown", 300_000)
    dynamodb.put_item(TableName=own_table, Item={**base, "m": {"M": {"kept": {"S": "yes"}}}})
    before = dynamodb.get_item(TableName=own_table, Key=key("grown"), ConsistentRead=True)["Item"]
    streamed = len(stream_records(own_table))

    message = refusal(lambda: grow(dynamodb, own_table, "grown", ITEM_LIMIT + 1))

    assert message == "Item size to update has exceeded the maximum allowed size"
    assert dynamodb.get_item(TableName=own_table, Key=key("grown"), ConsistentRead=True)["Item"] == before
    assert len(stream_records(own_table)) == streamed  # nothing happened, nothing streamed
    grow(dynamodb, own_table, "grown", ITEM_LIMIT)
    assert (
        item_size(dynamodb.get_item(TableName=own_table, Key=key("grown"), ConsistentRead=True)["Item"]) == ITEM_LIMIT
    )


def test_an_update_that_would_create_an_item_over_400_kb_creates_nothing(dynamodb: Any, own_table: str):
    streamed = len(stream_records(own_table))
    big = sized_item("absent", ITEM_LIMIT + 1)

    message = refusal(
        lambda: dynamodb.update_item(
            TableName=own_table, Key=key("absent"), UpdateExpression="SET #pad = :pad, #fill = :fill",
            ExpressionAttributeNames={"#pad": "pad", "#fill": "fill"},
            ExpressionAttributeValues={":pad": big["pad"], ":fill": big["fill"]},
        )
    )  # fmt: skip

    assert message == "Item size to update has exceeded the maximum allowed size"
    assert "Item" not in dynamodb.get_item(TableName=own_table, Key=key("absent"), ConsistentRead=True)
    assert len(stream_records(own_table)) == streamed


def test_a_transaction_whose_update_would_pass_400_kb_is_cancelled_as_dynamodb_cancels_it(
    dynamodb: Any, own_table: str
):
    dynamodb.put_item(TableName=own_table, Item={**sized_item("tx-grown", 300_000), "m": {"M": {}}})
    value = {"S": "x" * 110_000}  # 410,000 bytes in all

    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": own_table, "Item": key("tx-first")}},
                {"Update": {"TableName": own_table, "Key": key("tx-grown"), "UpdateExpression": "SET m.more = :v",
                            "ExpressionAttributeValues": {":v": value}}},
            ]
        )  # fmt: skip

    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert raised.value.response["CancellationReasons"] == [
        {"Code": "None"},
        {"Code": "ValidationError", "Message": "Item size to update has exceeded the maximum allowed size"},
    ]
    assert "Item" not in dynamodb.get_item(TableName=own_table, Key=key("tx-first"), ConsistentRead=True)
    assert (
        "more" not in dynamodb.get_item(TableName=own_table, Key=key("tx-grown"), ConsistentRead=True)["Item"]["m"]["M"]
    )


# --- transactions and batches: actions, requests, keys, 4 MB -----------------------------------------


def test_a_transaction_of_100_actions_passes_and_101_are_refused(dynamodb: Any, own_table: str):
    def puts(count: int) -> list[dict[str, Any]]:
        return [{"Put": {"TableName": own_table, "Item": key("tx100", f"{n:03d}")}} for n in range(count)]

    dynamodb.transact_write_items(TransactItems=puts(100))
    message = refusal(lambda: dynamodb.transact_write_items(TransactItems=puts(101)))
    assert message == (
        "1 validation error detected: Value at 'TransactItems' failed to satisfy constraint: "
        "Member must have length less than or equal to 100"
    )


def test_a_transaction_of_4_mb_of_items_passes_and_one_byte_more_is_refused(dynamodb: Any, own_table: str):
    def puts(total: int) -> list[dict[str, Any]]:
        sizes = [ITEM_LIMIT] * 10 + [total - 10 * ITEM_LIMIT]
        return [
            {"Put": {"TableName": own_table, "Item": sized_item(f"tx4mb-{n}", size)}} for n, size in enumerate(sizes)
        ]

    dynamodb.transact_write_items(TransactItems=puts(aws_limits.TRANSACTION_BYTES))
    message = refusal(lambda: dynamodb.transact_write_items(TransactItems=puts(aws_limits.TRANSACTION_BYTES + 1)))
    assert message == "Transaction size has exceeded the maximum allowed size of 4 MB; size: 4194305"


def test_a_transactional_read_of_100_items_passes_and_101_are_refused(dynamodb: Any, own_table: str):
    def gets(count: int) -> list[dict[str, Any]]:
        return [{"Get": {"TableName": own_table, "Key": key("tg", f"{n:03d}")}} for n in range(count)]

    dynamodb.transact_get_items(TransactItems=gets(100))
    message = refusal(lambda: dynamodb.transact_get_items(TransactItems=gets(101)))
    assert message.endswith(
        "at 'TransactItems' failed to satisfy constraint: Member must have length less than or equal to 100"
    )


def test_a_batch_write_of_25_requests_passes_and_26_are_refused(dynamodb: Any, own_table: str, aws: dict[str, str]):
    def puts(count: int) -> list[dict[str, Any]]:
        return [{"PutRequest": {"Item": key("bw", f"{n:03d}")}} for n in range(count)]

    dynamodb.batch_write_item(RequestItems={own_table: puts(25)})
    message = refusal(lambda: dynamodb.batch_write_item(RequestItems={own_table: puts(26)}))
    assert message == (
        f"1 validation error detected: Value at 'RequestItems.{own_table}.member' failed to satisfy constraint: "
        "Member must have length less than or equal to 25"
    )
    across_tables = {own_table: puts(13), aws["Table"]: puts(13)}
    message = refusal(lambda: dynamodb.batch_write_item(RequestItems=across_tables))
    assert message == "Too many items requested for the BatchWriteItem call"


def test_a_batch_read_of_100_keys_passes_and_101_are_refused(dynamodb: Any, own_table: str, aws: dict[str, str]):
    def keys(count: int) -> dict[str, Any]:
        return {"Keys": [key("bg", f"{n:03d}") for n in range(count)]}

    dynamodb.batch_get_item(RequestItems={own_table: keys(100)})
    message = refusal(lambda: dynamodb.batch_get_item(RequestItems={own_table: keys(101)}))
    assert message == (
        f"1 validation error detected: Value at 'RequestItems.{own_table}.member.Keys' failed to satisfy constraint: "
        "Member must have length less than or equal to 100"
    )
    message = refusal(lambda: dynamodb.batch_get_item(RequestItems={own_table: keys(50), aws["Table"]: keys(51)}))
    assert message == "Too many items requested for the BatchGetItem call"


# --- which clients ---------------------------------------------------------------------------------


def test_every_client_is_behind_the_layer_whatever_its_session(own_table: str):
    over = padded(LIMIT + 1)("PK")
    session_client = boto3.Session(region_name="us-east-1").client("dynamodb")
    refusal(lambda: session_client.get_item(TableName=own_table, Key=key("g"), ProjectionExpression=over))

    table = boto3.resource("dynamodb").Table(own_table)  # Python values, made wire format by boto3 first
    message = refusal(lambda: table.put_item(Item={"PK": "resource", "SK": "1", "big": "x" * ITEM_LIMIT}))
    assert message == "Item size has exceeded the maximum allowed size"


def test_the_handlers_own_clients_are_behind_the_layer(api_handler: Any, aws: dict[str, str]):
    import api_support

    handler_client = api_support.stores.purchase_orders.table.client  # created lazily, by pom.store.dynamo
    over = padded(LIMIT + 1)("PK")
    refusal(lambda: handler_client.get_item(TableName=aws["Table"], Key=key("g"), ProjectionExpression=over))


def test_install_is_idempotent(own_table: str, monkeypatch: pytest.MonkeyPatch):
    wrapped = ClientCreator.create_client
    aws_limits.install()
    assert ClientCreator.create_client is wrapped
    checks: list[str] = []
    check = aws_limits.refuse_over_limits
    monkeypatch.setattr(
        aws_limits,
        "refuse_over_limits",
        lambda params, model, **kw: checks.append(model.name) or check(params, model, **kw),
    )

    boto3.client("dynamodb").get_item(TableName=own_table, Key=key("g"))

    assert checks == ["GetItem"]


# --- Lambda's 6 MB response ---------------------------------------------------------------------------


def response_of(size: int) -> dict[str, Any]:
    """An API Gateway proxy response (a JSON string body) whose JSON, as Lambda serializes it, is ``size`` bytes."""
    empty = {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '""'}
    return {**empty, "body": '"' + "x" * (size - len(json.dumps(empty).encode())) + '"'}


def stub_handler(size: int) -> Any:
    return SimpleNamespace(lambda_handler=lambda event, context: response_of(size))


def test_the_api_client_answers_502_for_a_response_over_6_mb():
    limit = aws_limits.LAMBDA_RESPONSE_LIMIT
    assert ApiClient(stub_handler(limit), new_account()).get("/purchase-orders").status == 200

    reply = ApiClient(stub_handler(limit + 1), new_account()).get("/purchase-orders")

    assert reply.status == 502
    assert reply.body["title"] == "Bad gateway"
    assert "6,291,457 bytes, over Lambda's limit of 6,291,456" in reply.body["detail"]


@pytest.fixture
def runner_with_stub() -> Iterator[tuple[str, dict[str, int]]]:
    """The runner's HTTP server in front of a stub ApiFunction answering ``size["bytes"]`` of JSON."""
    size = {"bytes": 100}
    function = SimpleNamespace(invoke=lambda event: response_of(size["bytes"]))
    api = SimpleNamespace(functions={"ApiFunction": function}, local_endpoint=lambda *_: None)
    server = make_server(api, 0)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", size
    server.shutdown()
    server.server_close()


def test_the_runner_answers_502_for_a_response_over_6_mb(runner_with_stub: tuple[str, dict[str, int]]):
    base_url, size = runner_with_stub

    def get() -> tuple[int, bytes]:
        url, headers = f"{base_url}/purchase-orders", {"Authorization": "Bearer local:acme"}
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    size["bytes"] = aws_limits.LAMBDA_RESPONSE_LIMIT
    status, body = get()
    assert status == 200
    assert len(body) > 6_000_000

    size["bytes"] = aws_limits.LAMBDA_RESPONSE_LIMIT + 1
    status, body = get()
    assert status == 502
    assert json.loads(body)["title"] == "Bad gateway"


# --- EventBridge: 10 entries and 256 KB a PutEvents request ------------------------------------------


def event_entry(aws: dict[str, str], padding: int) -> dict[str, Any]:
    detail = json.dumps({"x": "y" * padding})
    return {"Source": "s", "DetailType": "d", "Detail": detail, "EventBusName": aws["EventBus"]}


def test_put_events_takes_ten_entries_of_256_kb_at_most(aws: dict[str, str]):
    events = boto3.client("events")
    events.put_events(Entries=[event_entry(aws, 100)] * 10)
    assert "less than or equal to 10" in refusal(lambda: events.put_events(Entries=[event_entry(aws, 100)] * 11))
    padding = aws_limits.EVENT_BYTES - entry_size(event_entry(aws, 0))
    assert entry_size(event_entry(aws, padding)) == aws_limits.EVENT_BYTES
    events.put_events(Entries=[event_entry(aws, padding)])
    assert "over the limit" in refusal(lambda: events.put_events(Entries=[event_entry(aws, padding + 1)]))
