"""EventBridge schedule → the expiry job: expire POs whose month is over, send the notices due.

"Now" is the scheduled event's ``time``, not the clock: a run can be replayed (or run locally) for
any moment, and a retried invocation decides exactly as the first one did. The job is safe to
repeat, so Lambda's retries of a failed run and a late run are both harmless.
"""

from __future__ import annotations

import gc

gc.disable()  # no collection during the init, which ends at the finally below
try:
    from typing import Any

    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from pom.core.config import SchedulerConfig, read_config
    from pom.core.months import scheduled_moment
    from pom.core.observability import logger, metrics
    from pom.services.delivery import Notifier
    from pom.services.expiry import ExpiryJob
    from pom.store.tables import dynamo_stores

    config = read_config(SchedulerConfig)
    stores = dynamo_stores(config.table_name)
    job = ExpiryJob(
        stores.purchase_orders, stores.schedule, stores.outbox, Notifier(stores.outbox, config.notification_sender)
    )
finally:
    # What the init built lives as long as the environment: frozen, no collection walks it (README, Cold start).
    gc.freeze()
    gc.enable()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = job.run(scheduled_moment(event["time"])).as_dict()
    logger.info("scheduled run done", extra={"summary": summary})
    metrics.add_metric(name="PurchaseOrdersExpired", unit=MetricUnit.Count, value=summary["expired"])
    metrics.add_metric(name="NotificationsSent", unit=MetricUnit.Count, value=summary["mailsSent"])
    metrics.add_metric(name="NotificationsFailed", unit=MetricUnit.Count, value=summary["mailsFailed"])
    metrics.add_metric(name="NotificationsInDoubt", unit=MetricUnit.Count, value=summary["mailsInDoubt"])
    return summary
