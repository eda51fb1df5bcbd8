"""S3 → SQS → ingestion: each object put under ``invoices/<accountId>/`` becomes an invoice.

Whatever its name, the object is recognised by its content: JSON, UBL or CII XML, or a Factur-X /
ZUGFeRD PDF; one over 20 MiB (the event says its size) is rejected unread.

The account comes from the key only. A document that cannot be read or is invalid stays in the
bucket untouched and is listed by ``GET /invoice-uploads`` with the reason. A message that fails
(S3 or DynamoDB unavailable) is reported in ``batchItemFailures`` and comes back; after the
queue's maxReceiveCount it lands in the dead-letter queue. Each event is read at its own object
version, so two documents put under one key are two uploads, and a version deleted before it is
read is recorded as rejected. Redelivery is harmless: the invoice write is conditional and the
upload's outcome is recorded by key and version.
"""

from __future__ import annotations

import gc

gc.disable()  # no collection during the init, which ends at the finally below
try:
    import contextlib
    import json
    import re
    from typing import Any
    from urllib.parse import unquote_plus

    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from pom.adapters.documents import DocumentGone, DocumentStore
    from pom.core.batch import Record, partial_batch_response, sqs_message_id
    from pom.core.config import IngestConfig, read_config
    from pom.core.observability import logger, metrics
    from pom.domain import inputs  # noqa: F401 - every message is a document to validate: its model at init
    from pom.services.invoices import MAX_S3_DOCUMENT_BYTES, InvoiceService
    from pom.store.tables import dynamo_stores

    config = read_config(IngestConfig)
    documents = DocumentStore(config.invoice_bucket)
    stores = dynamo_stores(config.table_name)
    service = InvoiceService(stores.purchase_orders, stores.invoices, stores.settings, stores.uploads, documents)
    _KEY = re.compile(r"^invoices/(?P<account>[A-Za-z0-9_-]{1,64})/.+$")
finally:
    # What the init built lives as long as the environment: frozen, no collection walks it (README, Cold start).
    gc.freeze()
    gc.enable()


def ingest_message(record: Record) -> None:
    notification = json.loads(record["body"])
    if notification.get("Event") == "s3:TestEvent":
        return  # S3 sends one when the notification is configured
    for s3_record in notification["Records"]:
        s3_object = s3_record["s3"]["object"]
        key = unquote_plus(s3_object["key"])
        found = _KEY.match(key)
        if found is None:
            # No account can be told from the key, so there is nobody to report it to but the logs.
            logger.error("object outside invoices/<accountId>/ ignored", extra={"key": key})
            metrics.add_metric(name="InvoiceUploadUnattributable", unit=MetricUnit.Count, value=1)
            continue
        account_id = found.group("account")
        logger.append_keys(accountId=account_id, key=key)
        # The bucket is versioned: this event's version, not whatever was put under the key since.
        version_id = s3_object.get("versionId")
        size = int(s3_object.get("size") or 0)
        body: bytes | None = None  # too large: rejected unread
        # Deleted before it was read: recorded as rejected, not retried.
        with contextlib.suppress(DocumentGone):
            body = documents.get(key, version_id) if size <= MAX_S3_DOCUMENT_BYTES else None
        version = version_id or s3_object.get("sequencer") or s3_object.get("eTag") or ""
        outcome = service.ingest_object(account_id, key, version, body, s3_record["eventTime"], size=size)
        logger.info("invoice upload", extra={"status": outcome["status"], "invoiceId": outcome["invoiceId"]})
        metrics.add_metric(name=f"InvoiceUpload{outcome['status'].title()}", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return partial_batch_response(event, ingest_message, sqs_message_id)
