"""DynamoDB stream → the stream's dispatcher: balance alerts e-mailed as soon as a match records them,
and every change of a PO or an invoice published to the stack's event bus.

One consumer does both, as DynamoDB advises at most two per stream (the matcher is the other). The
event source's filter delivers only what either needs: a balance alert's first recording, a PO or an
invoice written or a PO removed, a notice once sent. Records are handled in their order and the batch
stops at the first failure; the events of the records before it are published together, in order
(``EventBatch``), and the first record that failed or whose event was refused is reported in
``batchItemFailures``: Lambda delivers that record and the ones after it again, so a resource's
events are published in order, at least once, each with the same ``eventId`` on a redelivery.
Sending is claim, send, record (``pom.services.delivery``): a duplicate delivery finds the notice
claimed or sent and sends nothing; a notice SES refuses stays due and the next scheduled run sends it.
"""

from __future__ import annotations

import gc

gc.disable()  # no collection during the init, which ends at the finally below
try:
    from typing import Any

    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from pom.adapters.event_bus import EventBus
    from pom.core.config import NotifierConfig, read_config
    from pom.core.observability import logger, metrics
    from pom.services.delivery import Notifier
    from pom.services.event_publisher import EventBatch, EventPublisher
    from pom.store.streams import stream_change
    from pom.store.tables import dynamo_stores

    config = read_config(NotifierConfig)
    stores = dynamo_stores(config.table_name)
    notifier = Notifier(stores.outbox, config.notification_sender)
    publisher = EventPublisher(EventBus(config.event_bus_name), stores.purchase_orders)
finally:
    # What the init built lives as long as the environment: frozen, no collection walks it (README, Cold start).
    gc.freeze()
    gc.enable()


def _is_new_balance_alert(record: dict[str, Any]) -> bool:
    image = record["dynamodb"].get("NewImage", {})
    entity, kind = image.get("entity", {}).get("S"), image.get("kind", {}).get("S")
    return record["eventName"] == "INSERT" and (entity, kind) == ("NOTICE", "BALANCE_ALERT")


def dispatch(record: dict[str, Any], events: EventBatch) -> None:
    """Delivers the record's balance alert, if it is one; adds its event to the batch's."""
    if _is_new_balance_alert(record):
        keys = record["dynamodb"]["Keys"]
        key = (keys["PK"]["S"], keys["SK"]["S"])
        report = notifier.deliver([key])
        logger.info("notice processed", extra={"notice": key[1], "sent": report.sent, "failed": report.failed})
        metrics.add_metric(name="NotificationsSent", unit=MetricUnit.Count, value=report.sent)
        metrics.add_metric(name="NotificationsFailed", unit=MetricUnit.Count, value=report.failed)
    events.add(record["dynamodb"]["SequenceNumber"], stream_change(record))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    events = publisher.batch()
    failed = None
    for record in event["Records"]:
        try:
            dispatch(record, events)
        except Exception:
            logger.exception("stream record failed: it and the ones after it come again")
            failed = record["dynamodb"]["SequenceNumber"]
            break
    published = events.publish()  # the events of the records before a failed one, if one failed
    metrics.add_metric(name="EventsPublished", unit=MetricUnit.Count, value=published)
    if published < len(events.events):
        logger.error("events refused by EventBridge: their records and the ones after them come again")
        failed = events.events[published][0]
    return {"batchItemFailures": [] if failed is None else [{"itemIdentifier": failed}]}
