"""The emulator's own fixes (``local_runner.moto_speedups``), through boto3 against the session's moto:
a transaction moto rolls back leaves the table, its items and its stream in place, the fast
answers parse exactly as moto's own serializer's do, and an update expression parsed once applies
each time with its own values. Also the runner's in-process answers (``local_runner.in_process``)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.handlers import BUILTIN_HANDLERS
from moto.core.responses import BaseResponse
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from local_runner import in_process
from local_runner.template import create_table_arguments

RICH = {  # every kind of attribute value
    "text": {"S": "text"},
    "amount": {"N": "12.50"},
    "blob": {"B": b"\x00\xff"},
    "texts": {"SS": ["a", "b"]},
    "amounts": {"NS": ["1", "2.5"]},
    "blobs": {"BS": [b"\x01", b"\x02"]},
    "flag": {"BOOL": True},
    "nothing": {"NULL": True},
    "sequence": {"L": [{"S": "x"}, {"N": "3"}, {"M": {"deep": {"B": b"\x03"}}}]},
    "document": {"M": {"inner": {"L": [{"BOOL": False}]}, "n": {"N": "-7"}}},
}


@pytest.fixture
def table(aws: dict[str, str]) -> Iterator[str]:
    """A table of the template's shape, of this test's own."""
    dynamodb = boto3.client("dynamodb")
    arguments = create_table_arguments("Table", f"emulator-{uuid.uuid4().hex[:8]}")
    name = dynamodb.create_table(**{**arguments, "DeletionProtectionEnabled": False})["TableDescription"]["TableName"]
    yield name
    dynamodb.delete_table(TableName=name)


def key(sort: str) -> dict[str, Any]:
    return {"PK": {"S": "ACCT#emulator"}, "SK": {"S": sort}}


def stream_records(
    table: str, iterator_type: str = "TRIM_HORIZON", client: Callable[[str], Any] = boto3.client
) -> Callable[[], list[dict[str, Any]]]:
    """A reader of the table's stream from now on, through ``client``'s clients: each call returns
    the records written since the last."""
    streams = client("dynamodbstreams")
    arn = client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType=iterator_type)
    position = {"iterator": iterator["ShardIterator"]}

    def read() -> list[dict[str, Any]]:
        page = streams.get_records(ShardIterator=position["iterator"])
        position["iterator"] = page["NextShardIterator"]
        return page["Records"]

    return read


def test_a_transaction_moto_rolls_back_leaves_the_stream_readable_and_the_table_as_it_was(table: str):
    dynamodb = boto3.client("dynamodb")
    dynamodb.put_item(TableName=table, Item={**key("KEPT"), "n": {"N": "1"}})
    read = stream_records(table)
    assert [record["eventName"] for record in read()] == ["INSERT"]

    # Two actions on one item: moto applies the first, then refuses the second and rolls back.
    put = {"Put": {"TableName": table, "Item": {**key("UNDONE"), "n": {"N": "2"}}}}
    update = {"Update": {"TableName": table, "Key": key("UNDONE"), "UpdateExpression": "SET n = :n",
                         "ExpressionAttributeValues": {":n": {"N": "3"}}}}  # fmt: skip
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=[put, update])
    assert refused.value.response["Error"]["Code"] == "ValidationException"

    assert "Item" not in dynamodb.get_item(TableName=table, Key=key("UNDONE"))
    dynamodb.put_item(TableName=table, Item={**key("LATER"), "n": {"N": "4"}})
    later = read()  # the iterator taken before the rollback still reads the table's stream
    assert [record["dynamodb"]["Keys"]["SK"]["S"] for record in later] == ["LATER"]  # nothing of the undone Put
    assert dynamodb.get_item(TableName=table, Key=key("KEPT"))["Item"]["n"] == {"N": "1"}


def test_a_cancelled_transaction_writes_nothing_to_the_stream(table: str):
    dynamodb = boto3.client("dynamodb")
    read = stream_records(table)
    put = {"Put": {"TableName": table, "Item": {**key("A"), "n": {"N": "1"}}}}
    failing = {"Put": {"TableName": table, "Item": key("B"), "ConditionExpression": "attribute_exists(PK)"}}

    with pytest.raises(ClientError, match="TransactionCanceledException"):
        dynamodb.transact_write_items(TransactItems=[put, failing])

    assert read() == []
    assert "Item" not in dynamodb.get_item(TableName=table, Key=key("A"))


def test_conditional_transactions_racing_on_one_item_commit_one_at_a_time(table: str):
    """Optimistic concurrency as the service uses it (read a version, write on condition of it),
    from 8 threads at once: each version is committed by exactly one of them."""
    dynamodb = boto3.client("dynamodb")
    dynamodb.put_item(TableName=table, Item={**key("COUNTER"), "version": {"N": "0"}, "n": {"N": "0"}})
    clients = [boto3.client("dynamodb") for _ in range(8)]  # one each: created up front, as creating is not thread-safe

    def bump(client: Any, times: int = 15) -> int:
        for _ in range(times):
            while True:
                seen = int(client.get_item(TableName=table, Key=key("COUNTER"))["Item"]["version"]["N"])
                update = {
                    "TableName": table,
                    "Key": key("COUNTER"),
                    "UpdateExpression": "SET version = :next, n = n + :one",
                    "ConditionExpression": "version = :seen",
                    "ExpressionAttributeValues": {":next": {"N": str(seen + 1)}, ":one": {"N": "1"},
                                                  ":seen": {"N": str(seen)}},
                }  # fmt: skip
                try:
                    client.transact_write_items(TransactItems=[{"Update": update}])
                    break
                except ClientError as error:
                    if error.response["Error"]["Code"] != "TransactionCanceledException":
                        raise
        return times

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch as often as they can: a race shows at once
    try:
        with ThreadPoolExecutor(max_workers=len(clients)) as pool:
            committed = sum(pool.map(bump, clients))
    finally:
        sys.setswitchinterval(interval)

    item = dynamodb.get_item(TableName=table, Key=key("COUNTER"))["Item"]
    assert (int(item["version"]["N"]), int(item["n"]["N"])) == (committed, committed)


def without_fast_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DynamoHandler, "serialized", BaseResponse.serialized)
    monkeypatch.setattr(DynamoDBStreamsHandler, "serialized", BaseResponse.serialized)


def test_fast_answers_parse_as_motos_own(table: str, monkeypatch: pytest.MonkeyPatch):
    dynamodb = boto3.client("dynamodb")
    items = [{**key(f"ITEM#{number}"), "entity": {"S": "RICH"}, **RICH} for number in range(3)]
    keys = [key(f"ITEM#{number}") for number in range(3)]
    rich_update = {"UpdateExpression": "SET amount = :n", "ExpressionAttributeValues": {":n": {"N": "99"}}}
    calls: dict[str, Callable[[], dict[str, Any]]] = {
        "GetItem": lambda: dynamodb.get_item(TableName=table, Key=keys[0]),
        "PutItem": lambda: dynamodb.put_item(TableName=table, Item=items[0], ReturnValues="ALL_OLD"),
        "UpdateItem": lambda: dynamodb.update_item(TableName=table, Key=keys[1], ReturnValues="ALL_NEW", **rich_update),
        "DeleteItem": lambda: dynamodb.delete_item(TableName=table, Key=keys[2], ReturnValues="ALL_OLD"),
        "Query": lambda: dynamodb.query(
            TableName=table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": keys[0]["PK"]},
            Limit=2,
        ),
        "Scan": lambda: dynamodb.scan(TableName=table),
        "BatchGetItem": lambda: dynamodb.batch_get_item(RequestItems={table: {"Keys": keys}}),
        "BatchWriteItem": lambda: dynamodb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": items[2]}}]}),
        "TransactGetItems": lambda: dynamodb.transact_get_items(
            TransactItems=[{"Get": {"TableName": table, "Key": k}} for k in keys]
        ),
        "TransactWriteItems": lambda: dynamodb.transact_write_items(
            TransactItems=[{"Put": {"TableName": table, "Item": items[1]}}]
        ),
        "GetRecords": lambda: {"Records": stream_records(table)()[: len(items)]},  # the first writes, never changed
    }

    def answers() -> dict[str, Any]:
        for item in items:  # the same table before each operation, whichever serializer answers
            dynamodb.put_item(TableName=table, Item=item)
        answered = {}
        for operation, call in calls.items():
            answer = call()
            answer.pop("ResponseMetadata", None)
            answered[operation] = answer
        return answered

    fast = answers()
    without_fast_answers(monkeypatch)
    assert fast == answers()
    assert fast["GetItem"]["Item"] == items[0]  # and both are what was written
    assert fast["GetRecords"]["Records"][0]["dynamodb"]["NewImage"] == items[0]


def test_update_expressions_parsed_once_apply_each_time_with_their_own_values(table: str):
    dynamodb = boto3.client("dynamodb")
    update = {"TableName": table, "UpdateExpression": "SET n = n + :step, label = :label"}
    dynamodb.put_item(TableName=table, Item={**key("A"), "n": {"N": "1"}})
    dynamodb.put_item(TableName=table, Item={**key("B"), "n": {"N": "10"}})
    for sort, step in (("A", "2"), ("B", "5"), ("A", "3")):
        values = {":step": {"N": step}, ":label": {"S": f"{sort}+{step}"}}
        dynamodb.transact_write_items(TransactItems=[{"Update": {**update, "Key": key(sort),
                                                                 "ExpressionAttributeValues": values}}])  # fmt: skip

    items = {sort: dynamodb.get_item(TableName=table, Key=key(sort))["Item"] for sort in ("A", "B")}
    assert (items["A"]["n"], items["A"]["label"]) == ({"N": "6"}, {"S": "A+3"})
    assert (items["B"]["n"], items["B"]["label"]) == ({"N": "15"}, {"S": "B+5"})
    for _ in range(2):  # an expression moto refuses is refused every time, not remembered as parsed
        with pytest.raises(ClientError, match="ValidationException"):
            dynamodb.update_item(TableName=table, Key=key("A"), UpdateExpression="SET n = = :x",
                                 ExpressionAttributeValues={":x": {"N": "1"}})  # fmt: skip


@pytest.fixture
def in_process_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Any]]:
    """Clients (by service name) of an endpoint answered in process, as the runner's are;
    botocore's built-in handlers as they were afterwards."""
    endpoint = "http://127.0.0.1:9"  # never connected to: answered in process
    monkeypatch.setattr(in_process, "_applications", {})
    handlers = list(BUILTIN_HANDLERS)
    in_process.serve(endpoint, DomainDispatcherApplication(create_backend_app))
    session = boto3.session.Session()  # a session created after serve() has its handler
    yield lambda service: session.client(service, endpoint_url=endpoint)
    BUILTIN_HANDLERS[:] = handlers


def test_the_runners_own_requests_answered_directly_as_the_server_answers_them(
    table: str,
    aws: dict[str, str],
    in_process_client: Callable[[str], Any],
    monkeypatch: pytest.MonkeyPatch,
):
    """The runner's clients reach moto in process (``local_runner.in_process``): DynamoDB, its
    streams, SQS and EventBridge straight from the service's handler, the rest through the server's
    routing. Both give the same answers, errors included."""
    dynamodb, sqs, events = map(in_process_client, ("dynamodb", "sqs", "events"))
    queue = sqs.create_queue(QueueName=f"emulator-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    failing = {"TableName": table, "Item": key("A"), "ConditionExpression": "attribute_not_exists(PK)",
               "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}  # fmt: skip
    calls: dict[str, Callable[[], Any]] = {
        "PutItem": lambda: dynamodb.put_item(TableName=table, Item={**key("A"), **RICH}, ReturnValues="ALL_OLD"),
        "GetItem": lambda: dynamodb.get_item(TableName=table, Key=key("A")),
        "a failed condition": lambda: dynamodb.put_item(**failing),
        "a cancelled transaction": lambda: dynamodb.transact_write_items(TransactItems=[{"Put": failing}]),
        "no such table": lambda: dynamodb.get_item(TableName="no-such-table", Key=key("A")),
        "GetRecords": lambda: [r["dynamodb"]["Keys"] for r in stream_records(table, client=in_process_client)()],
        "SendMessage": lambda: sqs.send_message(QueueUrl=queue, MessageBody="body")["MD5OfMessageBody"],
        "ReceiveMessage": lambda: [m["Body"] for m in sqs.receive_message(QueueUrl=queue)["Messages"]],
        "no such queue": lambda: sqs.get_queue_url(QueueName="no-such-queue"),
        "PutEvents": lambda: events.put_events(
            Entries=[{"Source": "emulator", "DetailType": "t", "Detail": "{}", "EventBusName": aws["EventBus"]}]
        )["FailedEntryCount"],
        "no such bus": lambda: events.describe_event_bus(Name="no-such-bus"),
    }

    def answers() -> dict[str, Any]:
        dynamodb.delete_item(TableName=table, Key=key("A"))
        answered: dict[str, Any] = {}
        for name, call in calls.items():
            try:
                answer = call()
            except ClientError as error:
                answer = {name: value for name, value in error.response.items() if name != "ResponseMetadata"}
            if isinstance(answer, dict):
                answer.pop("ResponseMetadata", None)
            answered[name] = answer
        return answered

    handled: list[str] = []  # the handlers that answered directly
    handle = in_process._handled

    def counted(handler: Any, *request: Any) -> Any:
        handled.append(handler.__name__)
        return handle(handler, *request)

    monkeypatch.setattr(in_process, "_handled", counted)
    direct = answers()
    assert set(handled) == {"DynamoHandler", "DynamoDBStreamsHandler", "SQSResponse", "EventsHandler"}
    handled.clear()
    monkeypatch.setattr(in_process, "_HANDLERS", {})  # every request through the server's routing
    routed = answers()
    assert handled == []
    assert direct["GetItem"]["Item"] == {**key("A"), **RICH}
    assert direct["a cancelled transaction"]["CancellationReasons"][0]["Code"] == "ConditionalCheckFailed"
    assert direct["no such table"]["Error"]["Code"] == "ResourceNotFoundException"
    assert direct["no such queue"]["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert direct["no such bus"]["Error"]["Code"] == "ResourceNotFoundException"
    assert direct["ReceiveMessage"] == ["body"]
    assert direct == {**routed, "GetRecords": routed["GetRecords"][: len(direct["GetRecords"])]}
