"""Partial batch responses (``ReportBatchItemFailures``) for the SQS and DynamoDB-stream functions.

The semantics of Powertools' ``BatchProcessor`` with ``process_partial_response``, which these
functions used before: each record is handled on its own, one that raises is reported in
``batchItemFailures`` and the others are not, and an invocation where every record failed raises,
so that Lambda retries (or bisects) the whole batch. Powertools' batch package loads its parser
models and every event data class at import, about 0.4x ``import boto3`` on each cold start
(``bench/cold_start.py``), for a loop this short.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pom.core.observability import logger

Record = dict[str, Any]


class EveryRecordFailed(RuntimeError):
    """Every record of the batch failed: the invocation fails and Lambda retries the whole batch."""


def sqs_message_id(record: Record) -> str:
    return record["messageId"]


def stream_sequence_number(record: Record) -> str:
    return record["dynamodb"]["SequenceNumber"]


def partial_batch_response(
    event: dict[str, Any], handle: Callable[[Record], object], identifier: Callable[[Record], str]
) -> dict[str, list[dict[str, str]]]:
    """``handle`` each of the event's records; ``{"batchItemFailures": [{"itemIdentifier": ...}]}``
    names the ones that raised, in their order (``identifier``: the id Lambda expects for a record)."""
    records = event.get("Records")
    if not records or not isinstance(records, list):
        raise ValueError("the event carries no list of Records")
    failures = []
    for record in records:
        try:
            handle(record)
        except Exception:  # reported, not raised: the batch's other records stand
            failure = {"itemIdentifier": identifier(record)}
            logger.exception("record failed: reported in batchItemFailures", extra=failure)
            failures.append(failure)
    if len(failures) == len(records):
        raise EveryRecordFailed(f"all {len(records)} records of the batch failed (each is logged above)")
    return {"batchItemFailures": failures}
