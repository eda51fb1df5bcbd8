"""DynamoDB cost of one run of the scheduled job: 10 due POs alone, and among 10,000 that are not due.

Each scenario gets a fresh table (from the template) in the in-process emulator. The 10 due POs
expire in November 2026 and the measured run is on Nov 5 (their 30-day notice). The POs that are
not due are of two kinds: half expire in 2028 (the schedule first looks at a PO 366 days before its
end, so no run reads them yet), half expire in 2027 and were planned by an earlier run (their next
look is their own 30-day mark). That earlier run, on Oct 1, is the same in both scenarios and is
printed too: it is the one-off look at each PO after it is written. Prints requests and items read
(index keys + items) and the ratio to the 10 alone; the bar is 2x.

    python bench/expiry_cost.py [--not-due 10000]
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "layers" / "common"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench.capacity import CapacityMeter  # noqa: E402
from pom.domain.audit import Actor  # noqa: E402
from pom.domain.models import Settings  # noqa: E402
from pom.domain.purchase_orders import PurchaseOrder, new_purchase_order  # noqa: E402
from pom.domain.requests import PurchaseOrderCreate  # noqa: E402
from pom.services.delivery import Notifier  # noqa: E402
from pom.services.expiry import ExpiryJob  # noqa: E402
from pom.store.ports import Stores  # noqa: E402
from pom.store.tables import dynamo_stores  # noqa: E402

PLANNING_RUN = datetime(2026, 10, 1, 0, 15, tzinfo=UTC)
MEASURED_RUN = datetime(2026, 11, 5, 0, 15, tzinfo=UTC)
SENDER = "po-notifications@example.com"
DUE = 10


def _purchase_order(account_id: str, po_id: str, expiration: str) -> PurchaseOrder:
    body = PurchaseOrderCreate.model_validate(
        {"poId": po_id, "billFrom": ["AWS Inc."], "effectiveMonth": "2026-01", "expirationMonth": expiration,
         "contacts": [{"name": "Ana", "email": "ana@example.com"}],
         "lineItems": [{"lineItemId": "1", "type": "ALL", "amount": "1000.00"}]}
    )  # fmt: skip
    po, _ = new_purchase_order(account_id, body, Settings(), PLANNING_RUN)
    return po


def _run(stores: Stores, moment: datetime) -> dict[str, Any]:
    counter = CapacityMeter()
    counter.attach(stores.schedule.table.client)  # type: ignore[attr-defined]
    try:
        notifier = Notifier(stores.outbox, SENDER)
        summary = ExpiryJob(stores.purchase_orders, stores.schedule, stores.outbox, notifier).run(moment)
    finally:
        counter.detach(stores.schedule.table.client)  # type: ignore[attr-defined]
    operations = {name: counter.operations.count(name) for name in dict.fromkeys(counter.operations)}
    return {"requests": len(counter.operations), "items_read": counter.items_read, "operations": operations,
            "checked": summary.checked, "mails": summary.mailsSent}  # fmt: skip


def measure(not_due: int) -> dict[str, Any]:
    """A fresh table: 10 due POs plus ``not_due`` others, a planning run, then the measured run."""
    import boto3  # noqa: PLC0415

    from local_runner.template import create_table_arguments  # noqa: PLC0415

    name = f"expiry-bench-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb")
    client.create_table(**create_table_arguments("Table", name))
    stores = dynamo_stores(name, client)
    prefix = f"bench-{uuid.uuid4().hex[:6]}"
    pos = [  # a thousand POs per account
        _purchase_order(f"{prefix}-{n // 1000}", f"LATER-{n}", "2028-06" if n % 2 else f"2027-0{3 + n % 7}")
        for n in range(not_due)
    ]
    due_account = f"due-{uuid.uuid4().hex[:6]}"
    pos += [_purchase_order(due_account, f"DUE-{n}", "2026-11") for n in range(DUE)]
    stores.purchase_orders.import_many(pos, Actor(due_account, "bench"))
    planning = _run(stores, PLANNING_RUN)
    measured = _run(stores, MEASURED_RUN)
    return {"not_due": not_due, "planning": planning, "measured": measured}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--not-due", type=int, default=10000)
    arguments = parser.parse_args()
    from moto import mock_aws  # noqa: PLC0415 - the bench's own emulator

    from local_runner.emulator import FAKE_CREDENTIALS, create_resources  # noqa: PLC0415

    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(FAKE_CREDENTIALS)
    with mock_aws():
        create_resources()  # verifies the sender in SES
        rows = [measure(0), measure(arguments.not_due)]
    base = rows[0]["measured"]["items_read"] or 1
    print(
        f"{'POs not due':>12}{'run':>10}{'POs looked at':>15}{'mails':>7}{'requests':>10}{'items read':>12}{'ratio':>7}"
    )
    for row in rows:
        for run in ("planning", "measured"):
            figures = row[run]
            ratio = f"{figures['items_read'] / base:.2f}" if run == "measured" else "-"
            print(
                f"{row['not_due']:>12}{run:>10}{figures['checked']:>15}{figures['mails']:>7}"
                f"{figures['requests']:>10}{figures['items_read']:>12}{ratio:>7}"
            )
    ratio = rows[1]["measured"]["items_read"] / base
    print(f"measured run, {DUE} due among {arguments.not_due} not due: {ratio:.2f}x the items read with the {DUE} alone"
          f" (bar 2x): {'ok' if ratio <= 2 else 'OVER'}")  # fmt: skip
    return 0 if ratio <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
