"""The DynamoDB stores of one table, sharing one client (created on first use)."""

from __future__ import annotations

from typing import Any

from pom.store.aws_imports import DynamoAwsImportStore
from pom.store.dynamo import Table
from pom.store.invoices import DynamoInvoiceStore
from pom.store.outbox import DynamoOutboxStore
from pom.store.ports import Stores
from pom.store.purchase_orders import DynamoPurchaseOrderStore
from pom.store.schedule import DynamoScheduleStore
from pom.store.settings import DynamoSettingsStore
from pom.store.uploads import DynamoUploadStore


def dynamo_stores(table_name: str, client: Any = None) -> Stores:
    table = Table(table_name, client)
    return Stores(
        purchase_orders=DynamoPurchaseOrderStore(table),
        settings=DynamoSettingsStore(table),
        invoices=DynamoInvoiceStore(table),
        schedule=DynamoScheduleStore(table),
        outbox=DynamoOutboxStore(table),
        uploads=DynamoUploadStore(table),
        aws_imports=DynamoAwsImportStore(table),
    )
