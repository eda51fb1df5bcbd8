"""DynamoDB stream → balance alerts e-mailed as soon as a match records them.

The event source's filter delivers only the first recording of a balance alert. Sending is
claim, send, record (``pom.services.delivery``): a duplicate delivery finds the notice claimed or sent and
sends nothing. A notice SES refuses stays due and the next scheduled run sends it; a record whose
processing fails (DynamoDB unavailable) is reported in ``batchItemFailures`` and retried.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from pom.core.config import NotifierConfig, read_config
from pom.core.observability import logger, metrics
from pom.services.delivery import Notifier
from pom.store.tables import dynamo_stores

config = read_config(NotifierConfig)
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
stores = dynamo_stores(config.table_name)
notifier = Notifier(stores.outbox, config.notification_sender)


def send_record(record: DynamoDBRecord) -> None:
    keys = record.dynamodb.keys  # type: ignore[union-attr]
    key = (keys["PK"], keys["SK"])
    report = notifier.deliver([key])
    logger.info("notice processed", extra={"notice": key[1], "sent": report.sent, "failed": report.failed})
    metrics.add_metric(name="NotificationsSent", unit=MetricUnit.Count, value=report.sent)
    metrics.add_metric(name="NotificationsFailed", unit=MetricUnit.Count, value=report.failed)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=send_record, processor=processor, context=context)
