"""DynamoDB stream → the matcher: each new (PENDING) invoice is matched exactly once.

The event source's filter delivers only pending invoice records. Records are processed one by
one (one transaction each, so one failed condition never aborts the rest) and a record that
fails is reported in ``batchItemFailures``: Lambda retries from it, bounded by the event
source's retry settings, then sends it to the on-failure queue.
"""

from __future__ import annotations

import gc

gc.disable()  # no collection during the init, which ends at the finally below
try:
    from typing import Any

    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from pom.core.batch import Record, partial_batch_response, stream_sequence_number
    from pom.core.config import MatcherConfig, read_config
    from pom.core.observability import logger, metrics
    from pom.domain.invoices import Invoice
    from pom.services.matcher import MatcherService
    from pom.store.streams import stream_change
    from pom.store.tables import dynamo_stores

    config = read_config(MatcherConfig)
    stores = dynamo_stores(config.table_name)
    matcher = MatcherService(stores.purchase_orders, stores.invoices)
finally:
    # What the init built lives as long as the environment: frozen, no collection walks it (README, Cold start).
    gc.freeze()
    gc.enable()


def match_record(record: Record) -> None:
    invoice = Invoice.from_document(stream_change(record).new)
    logger.append_keys(accountId=invoice.accountId, invoiceId=invoice.invoiceId)
    outcome = matcher.process(invoice)
    logger.info("invoice processed", extra={"outcome": outcome})
    metrics.add_metric(name=f"Invoice{outcome.title().replace('-', '')}", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return partial_batch_response(event, match_record, stream_sequence_number)
