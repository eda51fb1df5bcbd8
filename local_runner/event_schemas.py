"""The JSON schema of every event's ``detail``, generated from the models (as the OpenAPI document is):
``events/schemas/<detail-type>.json``, rewritten by ``make events`` and checked by the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = ROOT / "events" / "schemas"


def detail_schemas() -> dict[str, dict[str, Any]]:
    """{file name: the JSON schema of the detail of that detail-type}."""
    from pom.domain.events import DETAIL_TYPES  # noqa: PLC0415 - the layer is on the path only when run
    from pom.domain.responses import InvoiceEventDetail, NotificationEventDetail, PurchaseOrderEventDetail  # noqa: PLC0415

    schemas = {}
    for detail_type in DETAIL_TYPES:
        model = (
            PurchaseOrderEventDetail
            if detail_type.startswith("Purchase Order")
            else NotificationEventDetail
            if detail_type == "Notification Sent"
            else InvoiceEventDetail
        )
        schema = model.model_json_schema()
        schema["title"] = f"{detail_type} (source purchase-order-management)"
        schemas[detail_type.lower().replace(" ", "-") + ".json"] = schema
    return schemas


def write_schemas() -> list[Path]:
    SCHEMAS_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in detail_schemas().items():
        path = SCHEMAS_DIR / name
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written
