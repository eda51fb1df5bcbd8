"""A DynamoDB stream delivered to functions as Lambda's event source mappings do it.

    delivery = StreamDelivery(event, invoke)   # event: a FunctionEvent of Type DynamoDB, properties resolved
    delivery.deliver_pending()                 # -> records handed to the function (retries count again)

``EventSources.from_template`` builds one ``StreamDelivery`` per ``Type: DynamoDB`` event of the
template, and one ``StreamReader`` per stream that every delivery of that stream shares
(``StreamDelivery(event, invoke, reader=reader)``); tests can build one from a ``FunctionEvent``
whose ``Stream`` names a table of their own, and it then reads for itself. Under in-process
``mock_aws()`` the dynamodbstreams client needs ``AWS_ACCOUNT_ID_ENDPOINT_MODE=disabled``.

**The reader** reads each record once, with GetRecords from where it stopped (DescribeStream only
at the start and when a shard closes, to find the shards after it), converts it to Lambda's shape
(``eventSourceARN``, ``eventVersion`` 1.1, epoch timestamps) and hands it to each delivery whose
``FilterCriteria`` it passes (``local_runner.filtering``). The deliveries share the record objects,
as every mapping of a stream gets the same JSON: functions only read their events. Whichever
delivery polls first reads for all: the table's two consumers cost one read, not two.

**Each delivery** is one event source mapping, on its own: per shard and in order, it honours
- ``StartingPosition`` (for the shards present when the reader is created; later ones from
  their start; the deliveries sharing a reader share it), ``BatchSize``;
- ``ReportBatchItemFailures``: the records before the first reported SequenceNumber are done,
  the rest of the batch is retried; an exception retries the whole batch, split in halves with
  ``BisectBatchOnFunctionError`` (a split uses no retry);
- ``MaximumRetryAttempts``: once a batch has failed that many retries, a record shaped like
  Lambda's (``DDBStreamBatchInfo``) goes to the ``DestinationConfig.OnFailure`` SQS queue and the
  shard moves on. Retries are immediate. With the default (-1, forever) each call makes one
  attempt, so a caller polling or draining is never stuck inside it.
A failing function holds back only its own delivery, never the other consumers of the stream.
``MaximumBatchingWindowInSeconds``, ``MaximumRecordAgeInSeconds`` and ``ParallelizationFactor``
are not emulated: records are delivered as soon as they are read, one batch per shard at a time.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from moto.dynamodbstreams.models import dynamodbstreams_backends

from local_runner.delivery import BatchOutcome, Delivery, arn_parts, json_ready
from local_runner.filtering import record_filter

_READ_LIMIT = 1000  # GetRecords' own maximum


class StreamReader:
    """Reads a stream's shards for every delivery attached to it (see the module's docstring)."""

    def __init__(self, stream_arn: str, starting_position: str, session_kwargs: dict[str, Any] | None = None):
        self.stream_arn = stream_arn
        self.starting_position = starting_position
        self._region, self._account, _ = arn_parts(stream_arn)
        self._streams = boto3.client("dynamodbstreams", region_name=self._region, **(session_kwargs or {}))
        self._lock = threading.Lock()
        self._deliveries: list[StreamDelivery] = []
        self._iterators: dict[str, str | None] = {}  # by shard id; None once a closed shard is read to its end
        self._started = False
        self._discover_shards(starting_position)

    def attach(self, delivery: StreamDelivery) -> None:
        properties = delivery.event.properties
        if properties["Stream"] != self.stream_arn or properties["StartingPosition"] != self.starting_position:
            raise ValueError(f"{delivery.event.name} reads another stream or from another position than this reader")
        with self._lock:
            if self._started:
                raise ValueError("attach every delivery before the first read: it would miss what was read")
            self._deliveries.append(delivery)

    def read(self) -> int:
        """Reads every shard to its current end and hands each delivery what passes its filter;
        returns how many records were read."""
        with self._lock:
            self._started = True
            read, closed = 0, False
            for shard_id in self._iterators:
                while iterator := self._iterators[shard_id]:
                    page = self._streams.get_records(ShardIterator=iterator, Limit=_READ_LIMIT)
                    self._forget(iterator)
                    self._iterators[shard_id] = page.get("NextShardIterator")
                    closed = closed or self._iterators[shard_id] is None
                    records = [self._lambda_record(record) for record in page["Records"]]
                    for delivery in self._deliveries:
                        delivery.receive(shard_id, records)
                    read += len(records)
                    if not records:
                        break
            if closed:  # the shards that follow a closed one are read from their start
                self._discover_shards("TRIM_HORIZON")
            return read

    def _discover_shards(self, iterator_type: str) -> None:
        # moto has one shard per stream, so one page of DescribeStream holds them all.
        for shard in self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]:
            if shard["ShardId"] not in self._iterators:
                self._iterators[shard["ShardId"]] = self._streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard["ShardId"], ShardIteratorType=iterator_type
                )["ShardIterator"]

    def _forget(self, iterator: str) -> None:
        """moto keeps every shard iterator it hands out, in its backend and its instance tracker
        (~2 KB each): polling five times a second, the emulator would grow by ~40 MB an hour. So
        each one read is dropped from both (moto runs in this process, in the runner as under
        ``mock_aws``)."""
        read = dynamodbstreams_backends[self._account][self._region].shard_iterators.pop(iterator, None)
        if read is not None:
            type(read).instances_tracked.remove(read)

    def _lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        return {
            "eventID": record["eventID"],
            "eventName": record["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": self._region,
            "dynamodb": json_ready(record["dynamodb"]),
            "eventSourceARN": self.stream_arn,
        }


@dataclass
class _Shard:
    shard_id: str
    arrived: list[dict[str, Any]] = field(default_factory=list)  # handed over by the reader, not yet taken
    pending: list[dict[str, Any]] = field(default_factory=list)  # taken, not yet done
    batch_sizes: list[int] = field(default_factory=list)  # the next batches' sizes, set by a split or retry
    attempts: int = 0  # failed invocations of the batch at the head of ``pending``


class StreamDelivery(Delivery):
    kind = "stream"

    def __init__(self, *args: Any, reader: StreamReader | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        properties = self.event.properties
        self.stream_arn: str = properties["Stream"]
        self.batch_size = int(properties.get("BatchSize", 100))
        self._bisect = bool(properties.get("BisectBatchOnFunctionError", False))
        self._maximum_retries = int(properties.get("MaximumRetryAttempts", -1))
        self._passes = record_filter(properties.get("FilterCriteria"))
        region, account, _ = arn_parts(self.stream_arn)
        self._function_arn = f"arn:aws:lambda:{region}:{account}:function:{self.event.function}"
        self._failure_queue_url: str | None = None
        if destination := properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"):
            if not destination.startswith("arn:aws:sqs:"):
                raise ValueError(f"local mode sends on-failure records to SQS queues only, not {destination}")
            _, owner, name = arn_parts(destination)
            self._sqs = self._client("sqs", destination)
            self._failure_queue_url = self._sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=owner)["QueueUrl"]
        self._shards: dict[str, _Shard] = {}
        self._arrivals = threading.Lock()  # guards each shard's ``arrived``: the reader may run in another poller
        self._reader = reader or StreamReader(self.stream_arn, properties["StartingPosition"], self._session_kwargs)
        self._reader.attach(self)

    def receive(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        """The reader's hand-over: the records read from the shard that pass this delivery's filter."""
        with self._arrivals:
            self._shards.setdefault(shard_id, _Shard(shard_id)).arrived.extend(filter(self._passes, records))

    def deliver_pending(self) -> int:
        """Reads every shard to its current end and delivers what passes the filter, again while
        the function's own writes add records; returns the records handed to the function."""
        with self._lock:
            delivered = 0
            self._reader.read()
            self._take_arrivals()
            while not self.idle():
                delivered += sum(self._deliver(shard) for shard in list(self._shards.values()))
                self._reader.read()
                if not self._take_arrivals():
                    break  # what is still pending is retried forever: the next call tries again
            return delivered

    def idle(self) -> bool:
        """No record handed over by the reader waits for delivery (deliver_pending reads to the end)."""
        with self._arrivals:
            return not any(shard.pending or shard.arrived for shard in self._shards.values())

    def _take_arrivals(self) -> int:
        """Moves what the reader handed over to the end of each shard's pending records; returns how many."""
        with self._arrivals:
            taken = 0
            for shard in self._shards.values():
                shard.pending.extend(shard.arrived)
                taken += len(shard.arrived)
                shard.arrived.clear()
            return taken

    def _deliver(self, shard: _Shard) -> int:
        """Delivers the shard's pending records in order, retrying as configured; returns the
        records handed to the function."""
        delivered = 0
        while shard.pending:
            size = shard.batch_sizes.pop(0) if shard.batch_sizes else self.batch_size
            batch = shard.pending[:size]
            outcome = self._invoke_batch(batch, [record["dynamodb"]["SequenceNumber"] for record in batch])
            delivered += len(batch)
            if outcome.succeeded:
                del shard.pending[: len(batch)]
                shard.attempts = 0
            elif outcome.function_error and self._bisect and len(batch) > 1:
                half = (len(batch) + 1) // 2
                shard.batch_sizes[:0] = [half, len(batch) - half]
            elif not self._retry_or_give_up(shard, batch, outcome):
                break
        return delivered

    def _retry_or_give_up(self, shard: _Shard, batch: list[dict[str, Any]], outcome: BatchOutcome) -> bool:
        """Checkpoints before the first failed record and counts a retry of the rest; gives the rest
        up to the on-failure destination once the retries are used. False: stop for this call."""
        done = [record["dynamodb"]["SequenceNumber"] for record in batch].index(outcome.failed[0])
        if done:
            del shard.pending[:done]
            shard.attempts = 0
        failed = batch[done:]
        shard.attempts += 1
        forever = self._maximum_retries < 0
        if forever or shard.attempts <= self._maximum_retries:
            shard.batch_sizes.insert(0, len(failed))
            return not forever  # retried forever: one attempt per call, so no call is endless
        self._give_up(shard, failed, outcome.function_error)
        del shard.pending[: len(failed)]
        shard.attempts = 0
        return True

    def _give_up(self, shard: _Shard, records: list[dict[str, Any]], function_error: bool) -> None:
        """Sends Lambda's on-failure record for a discarded batch (the records stay in the stream)."""
        if self._failure_queue_url is None:
            return

        def arrival(record: dict[str, Any]) -> str:
            created = datetime.fromtimestamp(record["dynamodb"]["ApproximateCreationDateTime"], UTC)
            return created.strftime("%Y-%m-%dT%H:%M:%SZ")

        failure = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self._function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": shard.attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                **({"functionError": "Unhandled"} if function_error else {}),
            },
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": shard.shard_id,
                "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": arrival(records[0]),
                "approximateArrivalOfLastRecord": arrival(records[-1]),
                "batchSize": len(records),
                "streamArn": self.stream_arn,
            },
        }
        self._sqs.send_message(QueueUrl=self._failure_queue_url, MessageBody=json.dumps(failure))
