"""Local mode's event sources: S3 -> SQS -> ingest, the table stream -> matcher, and the drain.

The mechanics are tested with fake functions that record their events and answer as told, so
nothing here depends on what the real ingest and matcher handlers do: in-process against the
session's moto (the ``aws`` fixture), and once over HTTP against ``python -m local_runner``.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest
import requests

from local_runner.delivery import Activity
from local_runner.event_sources import DrainTimeout, EventSources
from local_runner.filtering import record_filter
from local_runner.queues import QueueDelivery
from local_runner.streams import StreamDelivery, StreamReader
from local_runner.template import FunctionEvent, create_table_arguments, function_events, resolve
from tests.e2e.conftest import Runner

Response = Callable[[dict[str, Any]], Any]


class FakeFunction:
    """Records every event; answers with ``respond(event)`` (which may raise)."""

    def __init__(self, respond: Response = lambda event: {"batchItemFailures": []}):
        self.events: list[dict[str, Any]] = []
        self._respond = respond
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> Any:
        with self._lock:
            self.events.append(json.loads(json.dumps(event)))  # what Lambda sends is JSON
        return self._respond(event)

    def records(self) -> list[dict[str, Any]]:
        with self._lock:
            return [record for event in self.events for record in event["Records"]]


def failing(records: Callable[[dict[str, Any]], bool], identifier: Callable[[dict[str, Any]], str]) -> Response:
    """A response reporting the records for which ``records(record)`` holds as batchItemFailures."""
    return lambda event: {
        "batchItemFailures": [{"itemIdentifier": identifier(record)} for record in event["Records"] if records(record)]
    }


def raising(message: str) -> Response:
    def respond(event: dict[str, Any]) -> None:
        raise RuntimeError(message)

    return respond


def in_turn(*responses: Response) -> Response:
    """Answers each invocation with the next of ``responses``."""
    remaining = iter(responses)

    def respond(event: dict[str, Any]) -> Any:
        return next(remaining)(event)

    return respond


def succeeding(event: dict[str, Any]) -> None:
    return None


def sequence_number(record: dict[str, Any]) -> str:
    return record["dynamodb"]["SequenceNumber"]


def invoice_item(account: str, invoice_id: str, status: str = "PENDING") -> dict[str, Any]:
    return {
        "PK": {"S": f"ACCT#{account}"},
        "SK": {"S": f"INVOICE#{invoice_id}"},
        "entity": {"S": "INVOICE"},
        "matchStatus": {"S": status},
        "document": {"B": b"\x00\xff"},
    }


def invoice_id(record: dict[str, Any]) -> str:
    return record["dynamodb"]["Keys"]["SK"]["S"].removeprefix("INVOICE#")


def s3_keys(records: list[dict[str, Any]]) -> list[str]:
    """Object keys of the S3 events in SQS records (the s3:TestEvent has none); S3 URL-encodes them."""
    bodies = [json.loads(record["body"]) for record in records]
    return [unquote_plus(entry["s3"]["object"]["key"]) for body in bodies for entry in body.get("Records", [])]


def queue_messages(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    messages = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        messages += batch
    return messages


# ------------------------------------------------------------- S3 -> SQS ---


def test_an_upload_reaches_the_ingest_function_as_lambda_sqs_event(aws: dict[str, str]):
    account = f"acct-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3")
    for key in (f"invoices/{account}/inv 1.json", f"invoices/{account}/notes.txt", f"originals/{account}/x.json"):
        s3.put_object(Bucket=aws["InvoiceBucket"], Key=key, Body=b"{}")
    ingest = FakeFunction()

    drained = EventSources.from_template(aws, {"IngestFunction": ingest}).drain()

    mine = [key for key in s3_keys(ingest.records()) if account in key]
    # The template's prefix filter: any name under invoices/ (the content tells what it is), nothing else.
    assert sorted(mine) == [f"invoices/{account}/inv 1.json", f"invoices/{account}/notes.txt"]
    assert drained["queueMessages"] >= 1
    assert drained["streamRecords"] == 0
    record = ingest.records()[-1]
    assert set(record) == {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert (record["eventSource"], record["eventSourceARN"]) == ("aws:sqs", aws["InvoiceUploadQueue.Arn"])
    assert set(record["attributes"]) >= {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert all(len(event["Records"]) <= 10 for event in ingest.events)  # the event's BatchSize
    assert queue_messages(aws["InvoiceUploadQueue"]) == []


def test_failed_upload_messages_return_until_the_queue_dead_letters_them(aws: dict[str, str]):
    account = f"acct-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3")
    for name in ("good", "poison"):
        s3.put_object(Bucket=aws["InvoiceBucket"], Key=f"invoices/{account}/{name}.json", Body=b"{}")

    def is_poison(record: dict[str, Any]) -> bool:
        return s3_keys([record]) == [f"invoices/{account}/poison.json"]

    poisoned = FakeFunction(failing(is_poison, lambda record: record["messageId"]))

    EventSources.from_template(aws, {"IngestFunction": poisoned}).drain()

    assert [key for key in s3_keys(poisoned.records()) if account in key].count(f"invoices/{account}/good.json") == 1
    poison = [record for record in poisoned.records() if is_poison(record)]
    assert [record["attributes"]["ApproximateReceiveCount"] for record in poison] == ["1", "2", "3", "4", "5"]
    dead = [message["Body"] for message in queue_messages(aws["InvoiceUploadDeadLetterQueue"])]
    assert [body for body in dead if account in body] == [poison[0]["body"]]  # moved by the queue's RedrivePolicy


# ------------------------------------------------------- a queue of its own ---


@pytest.fixture
def own_queue(aws: dict[str, str]) -> Iterator[tuple[str, FunctionEvent]]:
    """A queue without a redrive policy, and an SQS event on it shaped like the template's."""
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=f"pipeline-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    (template_event,) = function_events("SQS")
    yield url, dataclasses.replace(template_event, properties={**template_event.properties, "Queue": arn})
    sqs.delete_queue(QueueUrl=url)


def test_an_exception_returns_the_whole_batch_to_the_queue(own_queue: tuple[str, FunctionEvent]):
    url, event = own_queue
    sqs = boto3.client("sqs")
    sqs.send_message(
        QueueUrl=url, MessageBody="one", MessageAttributes={"kind": {"DataType": "String", "StringValue": "x"}}
    )
    sqs.send_message(QueueUrl=url, MessageBody="two")
    function = FakeFunction(in_turn(raising("first try"), succeeding))
    delivery = QueueDelivery(event, function)

    assert delivery.deliver_pending() == 2
    assert not delivery.idle()  # both came back, visible at once
    assert delivery.deliver_pending() == 2
    assert delivery.idle()
    assert [[record["body"] for record in event["Records"]] for event in function.events] == [["one", "two"]] * 2
    attribute = function.events[0]["Records"][0]["messageAttributes"]["kind"]
    assert attribute == {"stringValue": "x", "stringListValues": [], "binaryListValues": [], "dataType": "String"}


def test_drain_gives_up_with_drain_timeout_when_a_message_keeps_failing(own_queue: tuple[str, FunctionEvent]):
    url, event = own_queue
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody="never")

    activity = Activity()
    sources = EventSources([QueueDelivery(event, FakeFunction(raising("always")), activity=activity)], activity)
    with pytest.raises(DrainTimeout, match=f"IngestFunction {event.name}"):
        sources.drain(timeout=0.3)


def test_background_pollers_deliver_without_a_drain_and_stop(own_queue: tuple[str, FunctionEvent]):
    url, event = own_queue
    function = FakeFunction()
    lines: list[str] = []
    activity = Activity()
    sources = EventSources([QueueDelivery(event, function, activity=activity, log=lines.append)], activity)
    sources.start(interval=0.05)
    try:
        boto3.client("sqs").send_message(QueueUrl=url, MessageBody="by itself")
        deadline = time.monotonic() + 10
        while not function.events and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sources.stop()
    assert [record["body"] for record in function.records()] == ["by itself"]
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("poll ")]
    assert re.fullmatch(rf'IngestFunction "SQS {event.name}" 1 records 0 failed \d+\.\dms', lines[0])


# ------------------------------------------------------- stream -> matcher ---


def test_only_pending_invoices_reach_the_matcher_in_lambda_shape(aws: dict[str, str]):
    account = f"acct-{uuid.uuid4().hex[:8]}"
    dynamodb = boto3.client("dynamodb")
    table = aws["Table"]
    dynamodb.put_item(
        TableName=table, Item={"PK": {"S": f"ACCT#{account}"}, "SK": {"S": "PO#1"}, "entity": {"S": "PO"}}
    )
    dynamodb.put_item(TableName=table, Item=invoice_item(account, "pending"))
    dynamodb.put_item(TableName=table, Item=invoice_item(account, "matched", "MATCHED"))
    dynamodb.put_item(TableName=table, Item={**invoice_item(account, "pending"), "note": {"S": "changed"}})  # MODIFY
    dynamodb.delete_item(TableName=table, Key={"PK": {"S": f"ACCT#{account}"}, "SK": {"S": "INVOICE#pending"}})
    matcher = FakeFunction()

    drained = EventSources.from_template(aws, {"MatcherFunction": matcher}).drain()

    mine = [record for record in matcher.records() if record["dynamodb"]["Keys"]["PK"]["S"] == f"ACCT#{account}"]
    assert [(record["eventName"], invoice_id(record)) for record in mine] == [
        ("INSERT", "pending"),
        ("MODIFY", "pending"),
    ]
    assert drained["streamRecords"] >= 2
    record = mine[0]
    assert {key: record[key] for key in ("eventSource", "eventVersion", "awsRegion", "eventSourceARN")} == {
        "eventSource": "aws:dynamodb",
        "eventVersion": "1.1",
        "awsRegion": "us-east-1",
        "eventSourceARN": aws["Table.StreamArn"],
    }
    assert record["eventID"]
    stream_record = record["dynamodb"]
    assert set(stream_record) >= {"Keys", "NewImage", "SequenceNumber", "SizeBytes", "StreamViewType"}
    assert isinstance(stream_record["ApproximateCreationDateTime"], int)
    assert abs(stream_record["ApproximateCreationDateTime"] - time.time()) < 120
    assert stream_record["NewImage"]["document"] == {"B": "AP8="}  # binaries in base64, as Lambda sends them
    assert "OldImage" in mine[1]["dynamodb"]
    assert all(len(event["Records"]) <= 25 for event in matcher.events)  # the event's BatchSize


@dataclasses.dataclass
class OwnStream:
    """A table built from the template's Table and a failure queue, both of this test's own, and
    the template's matcher event pointed at them."""

    table: str
    failure_queue_url: str
    event: FunctionEvent

    def write(self, *invoice_ids: str) -> None:
        for invoice in invoice_ids:
            boto3.client("dynamodb").put_item(TableName=self.table, Item=invoice_item("own", invoice))

    def delivery(self, function: FakeFunction) -> StreamDelivery:
        return StreamDelivery(self.event, function)


@pytest.fixture
def own_stream(aws: dict[str, str]) -> Iterator[OwnStream]:
    suffix = uuid.uuid4().hex[:8]
    dynamodb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
    arguments = create_table_arguments("Table", f"pipeline-{suffix}")
    table = dynamodb.create_table(**{**arguments, "DeletionProtectionEnabled": False})["TableDescription"]
    url = sqs.create_queue(QueueName=f"pipeline-failures-{suffix}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    (template_event,) = [event for event in function_events("DynamoDB") if event.function == "MatcherFunction"]
    references = {**aws, "Table.StreamArn": table["LatestStreamArn"], "MatcherFailureQueue.Arn": arn}
    yield OwnStream(
        table["TableName"],
        url,
        dataclasses.replace(template_event, properties=resolve(template_event.properties, references)),
    )
    dynamodb.delete_table(TableName=table["TableName"])
    sqs.delete_queue(QueueUrl=url)


def batches(function: FakeFunction) -> list[list[str]]:
    return [[invoice_id(record) for record in event["Records"]] for event in function.events]


def test_batches_are_at_most_batch_size_and_in_order(own_stream: OwnStream):
    own_stream.write(*(f"i{number:02}" for number in range(30)))
    matcher = FakeFunction()

    assert own_stream.delivery(matcher).deliver_pending() == 30

    assert batches(matcher) == [
        [f"i{number:02}" for number in range(25)],
        [f"i{number:02}" for number in range(25, 30)],
    ]


def test_a_partial_failure_retries_from_the_first_failed_record(own_stream: OwnStream):
    own_stream.write("a", "b", "c")
    matcher = FakeFunction(
        in_turn(failing(lambda record: invoice_id(record) in {"b", "c"}, sequence_number), succeeding)
    )

    own_stream.delivery(matcher).deliver_pending()

    assert batches(matcher) == [["a", "b", "c"], ["b", "c"]]
    assert queue_messages(own_stream.failure_queue_url) == []


def test_an_exception_bisects_then_retries_then_sends_the_record_to_the_failure_queue(own_stream: OwnStream):
    own_stream.write("a", "b", "poison", "d")

    def matcher_code(event: dict[str, Any]) -> None:
        if any(invoice_id(record) == "poison" for record in event["Records"]):
            raise ValueError("cannot match")

    matcher = FakeFunction(matcher_code)
    delivery = own_stream.delivery(matcher)

    assert delivery.deliver_pending() == 4 + 2 + 2 + 6 + 1
    assert batches(matcher) == [["a", "b", "poison", "d"], ["a", "b"], ["poison", "d"], *[["poison"]] * 6, ["d"]]
    assert delivery.idle()
    (message,) = queue_messages(own_stream.failure_queue_url)
    failure = json.loads(message["Body"])
    poison = next(record for record in matcher.records() if invoice_id(record) == "poison")
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 6  # the first try and MaximumRetryAttempts: 5
    assert failure["requestContext"]["functionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:MatcherFunction"
    assert failure["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert failure["version"] == "1.0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", failure["timestamp"])
    info = failure["DDBStreamBatchInfo"]
    assert info["shardId"].startswith("shardId-")
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == sequence_number(poison)
    assert info["batchSize"] == 1
    assert info["streamArn"] == own_stream.event.properties["Stream"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", info["approximateArrivalOfFirstRecord"])
    assert info["approximateArrivalOfLastRecord"] == info["approximateArrivalOfFirstRecord"]


def test_a_record_reported_failed_every_time_is_given_up_and_the_shard_moves_on(own_stream: OwnStream):
    own_stream.write("a", "stuck", "c")
    matcher = FakeFunction(failing(lambda record: invoice_id(record) == "stuck", sequence_number))

    own_stream.delivery(matcher).deliver_pending()

    assert batches(matcher) == [["a", "stuck", "c"], *[["stuck", "c"]] * 5]
    (message,) = queue_messages(own_stream.failure_queue_url)
    failure = json.loads(message["Body"])
    assert failure["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}  # the function answered
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 2  # "stuck" and what followed it in the batch


def test_an_unknown_item_identifier_fails_the_whole_batch(own_stream: OwnStream):
    own_stream.write("a", "b")
    matcher = FakeFunction(in_turn(lambda event: {"batchItemFailures": [{"itemIdentifier": "nonsense"}]}, succeeding))

    own_stream.delivery(matcher).deliver_pending()

    assert batches(matcher) == [["a", "b"], ["a", "b"]]


def test_records_written_by_the_function_are_delivered_in_the_same_call(own_stream: OwnStream):
    own_stream.write("first")

    def writes_another(event: dict[str, Any]) -> None:
        if [invoice_id(record) for record in event["Records"]] == ["first"]:
            own_stream.write("second")

    matcher = FakeFunction(writes_another)

    assert own_stream.delivery(matcher).deliver_pending() == 2
    assert batches(matcher) == [["first"], ["second"]]


def test_retrying_forever_makes_one_attempt_per_call(own_stream: OwnStream):
    own_stream.write("a")
    properties = {**own_stream.event.properties, "MaximumRetryAttempts": -1, "BisectBatchOnFunctionError": False}
    matcher = FakeFunction(failing(lambda record: True, sequence_number))
    delivery = StreamDelivery(dataclasses.replace(own_stream.event, properties=properties), matcher)

    assert [delivery.deliver_pending() for _ in range(3)] == [1, 1, 1]
    assert not delivery.idle()


def test_one_reader_feeds_two_consumers_each_with_its_own_filter_batches_and_retries(own_stream: OwnStream):
    own_stream.write("a", "stuck", "c")
    own_stream.write("c")  # again: a MODIFY
    properties = own_stream.event.properties
    reader = StreamReader(properties["Stream"], properties["StartingPosition"])
    matcher = FakeFunction(failing(lambda record: invoice_id(record) == "stuck", sequence_number))
    matcher_delivery = StreamDelivery(own_stream.event, matcher, reader=reader)
    modifies = {"Filters": [{"Pattern": '{"eventName": ["MODIFY"]}'}]}
    notices = dataclasses.replace(
        own_stream.event, name="Notices", properties={**properties, "FilterCriteria": modifies, "DestinationConfig": {}}
    )
    notifier = FakeFunction()
    notifier_delivery = StreamDelivery(notices, notifier, reader=reader)

    assert notifier_delivery.deliver_pending() == 1  # it read the stream for both consumers
    assert not matcher_delivery.idle()  # the matcher's records are waiting for it, already read
    assert matcher_delivery.deliver_pending() == 4 + 3 * 5

    assert batches(notifier) == [["c"]]  # its own filter; the matcher's failures never held it back
    assert batches(matcher) == [["a", "stuck", "c", "c"], *[["stuck", "c", "c"]] * 5]
    assert len(queue_messages(own_stream.failure_queue_url)) == 1  # the matcher's own on-failure destination
    assert matcher_delivery.idle()
    assert notifier_delivery.idle()
    with pytest.raises(ValueError, match="before the first read"):
        StreamDelivery(own_stream.event, FakeFunction(), reader=reader)


def test_the_matcher_filter_passes_pending_invoice_inserts_and_modifies_only():
    (event,) = [event for event in function_events("DynamoDB") if event.function == "MatcherFunction"]
    passes = record_filter(event.properties["FilterCriteria"])

    def record(event_name: str, **image: str) -> dict[str, Any]:
        return {"eventName": event_name, "dynamodb": {"NewImage": {key: {"S": value} for key, value in image.items()}}}

    assert passes(record("INSERT", entity="INVOICE", matchStatus="PENDING"))
    assert passes(record("MODIFY", entity="INVOICE", matchStatus="PENDING"))
    assert not passes(record("REMOVE", entity="INVOICE", matchStatus="PENDING"))
    assert not passes(record("MODIFY", entity="INVOICE", matchStatus="MATCHED"))
    assert not passes(record("INSERT", entity="PO"))
    assert not passes({"eventName": "REMOVE", "dynamodb": {}})
    assert record_filter(None)({"anything": 1})
    with pytest.raises(ValueError, match="exact values"):
        record_filter({"Filters": [{"Pattern": '{"eventName": [{"prefix": "IN"}]}'}]})


# ------------------------------------------------------------ over HTTP ---


@pytest.mark.e2e
def test_drain_over_http_processes_an_upload_and_reports_counts(runner: Runner):
    info = requests.get(f"{runner.base_url}/_local/info", timeout=5).json()
    clients = {"endpoint_url": info["awsEndpoint"], "region_name": info["region"]}
    account = f"e2e-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", **clients).put_object(
        Bucket=info["invoiceBucket"], Key=f"invoices/{account}/upload.json", Body=b'{"invoiceId": "X"}'
    )

    drained = requests.post(f"{runner.base_url}/_local/drain", timeout=70)

    assert drained.status_code == 200, drained.text
    body = drained.json()
    assert body["drained"] is True
    # The counts cover what anyone delivered during the drain: a poller may have taken the upload first.
    assert isinstance(body["streamRecords"], int)
    assert isinstance(body["queueMessages"], int)
    sqs = boto3.client("sqs", **clients)
    url = sqs.get_queue_url(QueueName="InvoiceUploadQueue")["QueueUrl"]
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")
    again = requests.post(f"{runner.base_url}/_local/drain", timeout=70).json()
    assert again == {"drained": True, "streamRecords": 0, "queueMessages": 0}
    assert re.search(r'IngestFunction "SQS InvoiceUploads" \d+ records \d+ failed [\d.]+ms', runner.log())
