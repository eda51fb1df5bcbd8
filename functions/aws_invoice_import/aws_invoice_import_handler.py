"""EventBridge schedule → the AWS invoice import: for each account with ``settings.awsInvoices.enabled``,
the invoices its AWS account was issued since the last import (``pom.services.aws_invoices``).

"Now" is the scheduled event's ``time``. A run stops starting work ``RESERVE_SECONDS`` (at most a
third of its time) before its timeout; what it did not reach, the next run does (each account's
import goes on from where it got to). An account whose role refuses is the customer's to fix:
counted and logged, and the run succeeds. Any other failure of an account (AWS unavailable,
throttled) fails the invocation once every account has had its turn, so that Lambda retries it
and, after that, keeps it in ``AwsInvoiceImportFailureQueue``; a retry imports nothing twice.
"""

from __future__ import annotations

import gc

gc.disable()  # no collection during the init, which ends at the finally below
try:
    from typing import Any

    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from pom.adapters.aws_invoicing import AwsInvoicing
    from pom.adapters.documents import DocumentStore
    from pom.core.config import AwsInvoiceImportConfig, read_config
    from pom.core.months import scheduled_moment
    from pom.core.observability import logger, metrics
    from pom.services.aws_invoices import AwsInvoiceImport
    from pom.services.invoices import InvoiceService
    from pom.store.tables import dynamo_stores

    RESERVE_SECONDS = 30  # about the longest one invoice takes (its PDF read, stored and written), with room

    config = read_config(AwsInvoiceImportConfig)
    stores = dynamo_stores(config.table_name)
    invoices = InvoiceService(
        stores.purchase_orders, stores.invoices, stores.settings, stores.uploads, DocumentStore(config.invoice_bucket)
    )
    importer = AwsInvoiceImport(stores.settings, stores.aws_imports, stores.uploads, invoices, AwsInvoicing())
finally:
    # What the init built lives as long as the environment: frozen, no collection walks it (README, Cold start).
    gc.freeze()
    gc.enable()


class ImportFailed(RuntimeError):
    """Some account's import failed for a reason other than its role refusing (see the log)."""


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    reserve = min(RESERVE_SECONDS, context.get_remaining_time_in_millis() / 3000)
    run = importer.run(
        scheduled_moment(event["time"]), lambda: context.get_remaining_time_in_millis() / 1000 - reserve
    ).as_dict()
    logger.info("AWS invoice import done", extra={"summary": run})
    metrics.add_metric(name="AwsInvoicesImported", unit=MetricUnit.Count, value=run["imported"])
    metrics.add_metric(name="AwsInvoicesRejected", unit=MetricUnit.Count, value=run["rejected"])
    metrics.add_metric(name="AwsInvoiceImportsRefused", unit=MetricUnit.Count, value=run["accountsRefused"])
    if run["accountsFailed"]:
        raise ImportFailed(f"{run['accountsFailed']} account(s) failed to import; the next run goes on: {run}")
    return run
