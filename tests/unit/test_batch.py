"""pom.core.batch: partial batch responses as Powertools' BatchProcessor reported them."""

from __future__ import annotations

from typing import Any

import pytest

from pom.core.batch import EveryRecordFailed, partial_batch_response, sqs_message_id, stream_sequence_number


def _messages(*ids: str) -> dict[str, Any]:
    return {"Records": [{"messageId": message_id, "body": message_id} for message_id in ids]}


def _fail_on(*bodies: str):
    def handle(record: dict[str, Any]) -> None:
        if record["body"] in bodies:
            raise RuntimeError(f"{record['body']} failed")

    return handle


def test_the_records_that_raised_are_reported_in_their_order_and_the_others_handled():
    handled: list[str] = []

    def handle(record: dict[str, Any]) -> None:
        handled.append(record["body"])
        _fail_on("b", "d")(record)

    response = partial_batch_response(_messages("a", "b", "c", "d"), handle, sqs_message_id)

    assert response == {"batchItemFailures": [{"itemIdentifier": "b"}, {"itemIdentifier": "d"}]}
    assert handled == ["a", "b", "c", "d"]


def test_a_batch_that_succeeds_reports_nothing():
    assert partial_batch_response(_messages("a", "b"), _fail_on(), sqs_message_id) == {"batchItemFailures": []}


@pytest.mark.parametrize("size", [1, 3])
def test_a_batch_whose_every_record_failed_fails_the_invocation(size: int):
    ids = [str(number) for number in range(size)]
    with pytest.raises(EveryRecordFailed):
        partial_batch_response(_messages(*ids), _fail_on(*ids), sqs_message_id)


@pytest.mark.parametrize("event", [{}, {"Records": []}, {"Records": "not a list"}])
def test_an_event_without_records_is_refused(event: dict[str, Any]):
    with pytest.raises(ValueError, match="Records"):
        partial_batch_response(event, _fail_on(), sqs_message_id)


def test_a_stream_record_is_reported_by_its_sequence_number():
    records = [{"dynamodb": {"SequenceNumber": str(number)}, "body": str(number)} for number in (100, 101)]

    response = partial_batch_response({"Records": records}, _fail_on("101"), stream_sequence_number)

    assert response == {"batchItemFailures": [{"itemIdentifier": "101"}]}
