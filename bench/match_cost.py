"""DynamoDB cost of matching one invoice: requests, items read, read and write units, dollars.

Counts what the matcher sends (``bench.capacity``: DynamoDB's size formulas, transactions doubled,
index writes counted) against the in-process emulator, for
- an account with one eligible PO plus N POs that cannot take the invoice (half EXPIRED, half from
  another bill-from entity), and again with N POs in other accounts that would take it there;
- no PO that takes the invoice and N ACTIVE POs of other entities: the unmatched path reads a few
  of them (as many as the explanation lists) to tell NO_BILL_FROM_MATCH, never all;
- one eligible PO of 100 monthly line items over ten years (the contract's largest) against one of
  a single line item.
Prints each figure next to the floor (one read, a transaction of three items under 1 KB: 6 write
units and 1 read unit, $7.75 per million at on-demand list prices) and exits 1 unless a match costs
at most 1.5x the floor and a match on the 100-line-item PO at most 2x one on the 1-line PO.

    python bench/match_cost.py [--ineligible 0 1000 10000]
"""

from __future__ import annotations

import argparse
import hashlib
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

from bench.capacity import FLOOR_READ_UNITS, FLOOR_WRITE_UNITS, CapacityMeter, floor_dollars_per_million  # noqa: E402
from pom.domain.audit import Actor  # noqa: E402
from pom.domain.inputs import InvoiceDocument  # noqa: E402
from pom.domain.invoices import new_invoice, originals_folder  # noqa: E402
from pom.domain.models import Settings  # noqa: E402
from pom.domain.purchase_orders import PurchaseOrder, new_purchase_order  # noqa: E402
from pom.domain.requests import PurchaseOrderCreate  # noqa: E402
from pom.services.matcher import MatcherService  # noqa: E402
from pom.store.ports import Stores  # noqa: E402
from pom.store.tables import dynamo_stores  # noqa: E402

NOW = datetime(2026, 3, 10, tzinfo=UTC)


SELLER = "Amazon Web Services, Inc."
FLOOR_RATIO_BAR = 1.5  # a match costs at most 1.5x the floor
SIZE_RATIO_BAR = 2.0  # on a PO of 100 line items, at most twice what it costs on a PO of one
ONE_LINE = [{"lineItemId": "1", "type": "ALL", "amount": "1000.00"}]
HUNDRED_MONTHLY = [
    {"lineItemId": f"{n:03d}", "type": "ALL", "recurrence": "MONTHLY", "amount": "1000.00"} for n in range(100)
]


def _purchase_order(
    account_id: str, po_id: str, entity: str, status: str = "ACTIVE", line_items: list[dict[str, str]] = ONE_LINE
) -> PurchaseOrder:
    body = PurchaseOrderCreate.model_validate(
        {"poId": po_id, "billFrom": [entity], "effectiveMonth": "2026-01", "expirationMonth": "2035-12",
         "lineItems": line_items}
    )  # fmt: skip
    po, _ = new_purchase_order(account_id, body, Settings(), NOW)
    return po.replace(status=status)


def measure(
    stores: Stores, ineligible: int, *, elsewhere: bool = False, line_items: list[dict[str, str]] = ONE_LINE,
    unmatched: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """Seeds an account of its own and matches one invoice in it; returns the counts. ``elsewhere``:
    the other POs belong to other accounts (a thousand each) and would suit the invoice there;
    ``unmatched``: no PO takes the invoice, the others are ACTIVE POs of another entity."""
    account_id = f"bench-{uuid.uuid4().hex[:10]}"
    pos = [] if unmatched else [_purchase_order(account_id, "ELIGIBLE", SELLER, line_items=line_items)]
    for number in range(ineligible):
        if unmatched:
            pos.append(_purchase_order(account_id, f"OTHER-{number}", "Another Seller LLC"))
        elif elsewhere:
            pos.append(_purchase_order(f"{account_id}-other-{number // 1000}", f"ELIGIBLE-{number}", SELLER))
        elif number % 2:
            pos.append(_purchase_order(account_id, f"OTHER-{number}", "Another Seller LLC"))
        else:
            pos.append(_purchase_order(account_id, f"EXPIRED-{number}", SELLER, status="EXPIRED"))
    stores.purchase_orders.import_many(pos, Actor(account_id, "bench"))
    document = InvoiceDocument.model_validate(
        {"invoiceId": "INV-2026-03-0001", "billingEntity": SELLER, "invoiceType": "MONTHLY_USAGE",
         "issueDate": "2026-03-15", "currency": "USD", "subtotal": "100.00", "tax": "0", "total": "100.00"}
    )  # fmt: skip
    # As POST /invoices records it: the original's key and digest, the user who sent it.
    digest = hashlib.sha256(document.model_dump_json().encode()).hexdigest()
    key = f"{originals_folder(account_id, document.invoiceId)}{digest}.json"
    clerk = Actor(account_id, str(uuid.uuid4()), "ap.clerk@example.com")
    invoice = new_invoice(account_id, document, NOW, key, digest, received_by=clerk)
    stores.invoices.create(invoice)
    counter = CapacityMeter()
    client = stores.purchase_orders.table.client  # type: ignore[attr-defined]
    counter.attach(client)
    try:
        outcome = MatcherService(stores.purchase_orders, stores.invoices).process(invoice)
    finally:
        counter.detach(client)
    where = "other accounts" if elsewhere else "another entity" if unmatched else "the account"
    return {"ineligible": ineligible, "where": where,
            "line_items": len(line_items), "outcome": outcome, "requests": len(counter.operations),
            "operations": counter.operations, "items_read": counter.items_read,
            "read_units": counter.read_units, "write_units": counter.write_units,
            "index_write_units": counter.index_write_units, "dollars": counter.dollars_per_million}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ineligible", type=int, nargs="+", default=[0, 1000, 10000])
    arguments = parser.parse_args()
    from moto import mock_aws  # noqa: PLC0415 - the bench's own emulator

    from local_runner.emulator import FAKE_CREDENTIALS, TABLE_NAME, create_resources  # noqa: PLC0415

    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(FAKE_CREDENTIALS)
    with mock_aws():
        create_resources()
        stores = dynamo_stores(TABLE_NAME)
        rows = [measure(stores, count) for count in arguments.ineligible]
        rows += [measure(stores, count, elsewhere=True) for count in arguments.ineligible if count]
        rows += [measure(stores, count, unmatched=True) for count in arguments.ineligible]
        rows.append(measure(stores, 0, line_items=HUNDRED_MONTHLY))
    floor = floor_dollars_per_million()
    print(f"floor: {FLOOR_WRITE_UNITS} write units + {FLOOR_READ_UNITS} read unit = ${floor:.2f} per million matches")
    print(
        f"{'ineligible POs':>15}  {'in':<15}{'lines':>6}{'outcome':>10}{'requests':>9}{'items read':>11}"
        f"{'RRU':>6}{'WRU':>6}{'index WRU':>10}{'$/million':>10}{'x floor':>8}  operations"
    )
    for row in rows:
        print(
            f"{row['ineligible']:>15}  {row['where']:<15}{row['line_items']:>6}{row['outcome']:>10}{row['requests']:>9}"
            f"{row['items_read']:>11}{row['read_units']:>6g}{row['write_units']:>6g}{row['index_write_units']:>10g}"
            f"{row['dollars']:>10.2f}{row['dollars'] / floor:>8.2f}  {', '.join(row['operations'])}"
        )
    one_line, hundred_lines = rows[0], rows[-1]
    size_ratio = hundred_lines["dollars"] / one_line["dollars"]
    print(
        f"a match costs {one_line['dollars'] / floor:.2f}x the floor (bar {FLOOR_RATIO_BAR}x); on a PO of 100 line "
        f"items {size_ratio:.2f}x one on a PO of 1 (bar {SIZE_RATIO_BAR}x)"
    )
    return 0 if one_line["dollars"] <= FLOOR_RATIO_BAR * floor and size_ratio <= SIZE_RATIO_BAR else 1


if __name__ == "__main__":
    sys.exit(main())
