"""An SQS queue delivered to a function as Lambda's event source mapping does it.

    delivery = QueueDelivery(event, invoke)   # event: a FunctionEvent of Type SQS, properties resolved
    delivery.deliver_pending()                # -> messages handed to the function (retries count again)

``EventSources.from_template`` builds one per ``Type: SQS`` event of the template.

Each call receives batches of up to ``BatchSize`` messages until the queue has no visible one,
invokes the function with Lambda's SQS event (``Records[]`` with messageId, receiptHandle, body,
attributes, messageAttributes, md5OfBody, eventSource, eventSourceARN, awsRegion) and deletes the
messages that succeeded. With ``ReportBatchItemFailures`` the ``batchItemFailures`` (messageIds)
stay; an exception keeps the whole batch. What stays is made visible again when the call ends
(not after the queue's visibility timeout, so local retries are quick), and the queue's own
``RedrivePolicy`` moves it to its dead-letter queue after ``maxReceiveCount`` receives: moto does
that on the next receive, as SQS does. ``MaximumBatchingWindowInSeconds`` is not emulated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from local_runner.delivery import Delivery, arn_parts, json_ready

_SQS_BATCH_LIMIT = 10  # ReceiveMessage, DeleteMessageBatch and ChangeMessageVisibilityBatch take at most 10


class QueueDelivery(Delivery):
    kind = "queue"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        properties = self.event.properties
        if "FilterCriteria" in properties:
            raise ValueError("local mode does not filter SQS events")
        self.queue_arn: str = properties["Queue"]
        self.batch_size = int(properties.get("BatchSize", 10))
        self._region, owner, name = arn_parts(self.queue_arn)
        self._sqs = self._client("sqs", self.queue_arn)
        self.queue_url: str = self._sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=owner)["QueueUrl"]

    def deliver_pending(self) -> int:
        """Delivers every visible message once; returns the messages handed to the function."""
        with self._lock:
            delivered = 0
            kept: list[dict[str, Any]] = []
            while messages := self._receive_batch():
                outcome = self._invoke_batch(
                    [self._lambda_record(message) for message in messages],
                    [message["MessageId"] for message in messages],
                )
                done = [message for message in messages if message["MessageId"] not in outcome.failed]
                self._in_tens(self._sqs.delete_message_batch, done)
                kept += [message for message in messages if message["MessageId"] in outcome.failed]
                delivered += len(messages)
            self._in_tens(self._sqs.change_message_visibility_batch, kept, VisibilityTimeout=0)
            return delivered

    def idle(self) -> bool:
        """No message is waiting, in flight or delayed."""
        counts = (
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        )
        attributes = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=list(counts))["Attributes"]
        return all(int(attributes[name]) == 0 for name in counts)

    def _receive_batch(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < self.batch_size:
            received = self._sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(_SQS_BATCH_LIMIT, self.batch_size - len(messages)),
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not received:
                break
            messages += received
        return messages

    def _lambda_record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: {
                    "stringListValues": [],
                    "binaryListValues": [],
                    **{key[0].lower() + key[1:]: value for key, value in json_ready(attribute).items()},
                }
                for name, attribute in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self._region,
        }

    def _in_tens(self, operation: Callable[..., Any], messages: list[dict[str, Any]], **fields: Any) -> None:
        """Calls a batch operation on the messages' receipt handles (each entry with ``fields``), ten at a time."""
        for start in range(0, len(messages), _SQS_BATCH_LIMIT):
            entries = [
                {"Id": str(number), "ReceiptHandle": message["ReceiptHandle"], **fields}
                for number, message in enumerate(messages[start : start + _SQS_BATCH_LIMIT])
            ]
            operation(QueueUrl=self.queue_url, Entries=entries)
