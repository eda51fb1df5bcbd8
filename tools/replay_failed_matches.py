"""Replays the stream batches the matcher gave up on, from its on-failure queue.

Lambda sends each batch that still failed after its retries to ``MatcherFailureQueue`` as a
``DDBStreamBatchInfo`` (shard, first and last sequence number). Its invoices are still PENDING in
the table. For each message this reads those records from the stream (kept 24 hours), touches
every invoice among them that is still PENDING (``replayedAt``; the stream delivers the change to
the matcher again, as a MODIFY that passes its filter), and then deletes the message. Replaying
twice is harmless: an invoice matched meanwhile is no longer PENDING and is left alone.

    python -m tools.replay_failed_matches --queue-url URL --table TABLE [--endpoint-url URL]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "layers" / "common"))

from pom.core.months import iso_timestamp, utc_now
from pom.store.ports import InvoiceStore
from pom.store.streams import stream_image
from pom.store.tables import dynamo_stores


@dataclass
class ReplayReport:
    messages: int = 0
    records: int = 0
    invoices_replayed: int = 0
    already_done: int = 0


def batch_records(streams: Any, batch: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The stream records from the batch's first to its last sequence number."""
    iterator = streams.get_shard_iterator(
        StreamArn=batch["streamArn"],
        ShardId=batch["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=batch["startSequenceNumber"],
    )["ShardIterator"]
    last = int(batch["endSequenceNumber"])
    while iterator:
        response = streams.get_records(ShardIterator=iterator, Limit=1000)
        for record in response["Records"]:
            if int(record["dynamodb"]["SequenceNumber"]) > last:
                return
            yield record
        if not response["Records"]:
            return
        iterator = response.get("NextShardIterator")


def replay(queue_url: str, invoices: InvoiceStore, sqs: Any, streams: Any) -> ReplayReport:
    report = ReplayReport()
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            return report
        for message in messages:
            batch = json.loads(message["Body"])["DDBStreamBatchInfo"]
            for record in batch_records(streams, batch):
                report.records += 1
                image = stream_image(record["dynamodb"].get("NewImage", {}))
                if image.get("entity") != "INVOICE":
                    continue
                if invoices.touch_pending(image["accountId"], image["invoiceId"], iso_timestamp(utc_now())):
                    report.invoices_replayed += 1
                else:
                    report.already_done += 1
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            report.messages += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queue-url", required=True, help="MatcherFailureQueueUrl (a stack output)")
    parser.add_argument("--table", required=True, help="TableName (a stack output)")
    parser.add_argument("--endpoint-url", help="an emulator's endpoint (local mode: GET /_local/info)")
    arguments = parser.parse_args()
    endpoint = {"endpoint_url": arguments.endpoint_url} if arguments.endpoint_url else {}
    report = replay(
        arguments.queue_url,
        dynamo_stores(arguments.table, boto3.client("dynamodb", **endpoint)).invoices,
        boto3.client("sqs", **endpoint),
        boto3.client("dynamodbstreams", **endpoint),
    )
    print(json.dumps(report.__dict__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
