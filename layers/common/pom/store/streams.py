"""The table's stream records as the domain reads them (DynamoDB's typed images decoded)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pom.core.months import iso_timestamp
from pom.domain.events import StreamChange
from pom.store.dynamo import from_item
from pom.store.invoices import invoice_document


def stream_change(record: dict[str, Any]) -> StreamChange:
    """A Lambda DynamoDB-stream record (``ApproximateCreationDateTime`` in epoch seconds, as Lambda
    delivers it)."""
    stream = record["dynamodb"]
    created = stream.get("ApproximateCreationDateTime")
    # Whole seconds, as every timestamp of the API is written.
    moment = datetime.fromtimestamp(int(Decimal(str(created))), UTC) if created is not None else datetime.now(UTC)
    return StreamChange(
        event_name=record["eventName"],
        sequence=stream["SequenceNumber"],
        at=iso_timestamp(moment),
        old=stream_image(stream["OldImage"]) if "OldImage" in stream else None,
        new=stream_image(stream["NewImage"]) if "NewImage" in stream else None,
    )


def stream_image(image: dict[str, Any]) -> dict[str, Any]:
    """An image as its store reads it (an invoice's item leaves out what its keys hold)."""
    return invoice_document(image) if image.get("entity", {}).get("S") == "INVOICE" else from_item(image)
