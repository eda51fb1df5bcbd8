"""DynamoDB cost of matching one invoice, with and without ineligible POs in the account.

Counts the requests the matcher sends and the items they read (botocore events), for an account
with one eligible PO plus N POs that cannot take the invoice (half EXPIRED, half from another
bill-from entity), and again with N POs in other accounts that would take it there, against the
in-process emulator. Prints a table and the ratio to N = 0.

    python bench/match_cost.py [--ineligible 0 1000 10000]
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "layers" / "common"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from pom.domain.audit import Actor  # noqa: E402
from pom.domain.invoices import new_invoice  # noqa: E402
from pom.domain.models import AccountSettings, InvoiceDocument, PurchaseOrderCreate  # noqa: E402
from pom.domain.purchase_orders import PurchaseOrder, new_purchase_order  # noqa: E402
from pom.services.matcher import MatcherService  # noqa: E402
from pom.store.ports import Stores  # noqa: E402
from pom.store.tables import dynamo_stores  # noqa: E402

NOW = datetime(2026, 3, 10, tzinfo=UTC)


@dataclass
class RequestCounter:
    operations: list[str] = field(default_factory=list)
    items_read: int = 0

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def detach(self, client: Any) -> None:
        client.meta.events.unregister("before-call.dynamodb", self._before)
        client.meta.events.unregister("after-call.dynamodb", self._after)

    def _before(self, model: Any, **_: Any) -> None:
        self.operations.append(model.name)

    def _after(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "BatchGetItem":
            self.items_read += sum(len(items) for items in parsed.get("Responses", {}).values())
        else:
            self.items_read += parsed.get("Count", 1 if parsed.get("Item") else 0)


def _purchase_order(account_id: str, po_id: str, entity: str, status: str = "ACTIVE") -> PurchaseOrder:
    body = PurchaseOrderCreate.model_validate(
        {"poId": po_id, "billFrom": [entity], "effectiveMonth": "2026-01", "expirationMonth": "2026-12",
         "lineItems": [{"lineItemId": "1", "type": "ALL", "amount": "1000.00"}]}
    )  # fmt: skip
    po, _ = new_purchase_order(account_id, body, AccountSettings(), NOW)
    return po.model_copy(update={"status": status})


def measure(stores: Stores, ineligible: int, *, elsewhere: bool = False) -> dict[str, Any]:
    """Seeds an account of its own and matches one invoice in it; returns the counts. ``elsewhere``:
    the other POs belong to other accounts (a thousand each) and would suit the invoice there."""
    account_id = f"bench-{uuid.uuid4().hex[:10]}"
    pos = [_purchase_order(account_id, "ELIGIBLE", "AWS Inc.")]
    for number in range(ineligible):
        if elsewhere:
            pos.append(_purchase_order(f"{account_id}-other-{number // 1000}", f"ELIGIBLE-{number}", "AWS Inc."))
        elif number % 2:
            pos.append(_purchase_order(account_id, f"OTHER-{number}", "Another Seller LLC"))
        else:
            pos.append(_purchase_order(account_id, f"EXPIRED-{number}", "AWS Inc.", status="EXPIRED"))
    stores.purchase_orders.import_many(pos, Actor(account_id, "bench"))
    document = InvoiceDocument.model_validate(
        {"invoiceId": "INV-1", "billingEntity": "AWS Inc.", "invoiceType": "MONTHLY_USAGE", "issueDate": "2026-03-15",
         "currency": "USD", "subtotal": "100.00", "tax": "0", "total": "100.00"}
    )  # fmt: skip
    invoice = new_invoice(account_id, document, NOW, "bench", "bench")
    stores.invoices.create(invoice)
    counter = RequestCounter()
    client = stores.purchase_orders.table.client  # type: ignore[attr-defined]
    counter.attach(client)
    try:
        outcome = MatcherService(stores.purchase_orders, stores.invoices).process(invoice)
    finally:
        counter.detach(client)
    return {"ineligible": ineligible, "where": "other accounts" if elsewhere else "the account",
            "outcome": outcome, "requests": len(counter.operations),
            "operations": counter.operations, "items_read": counter.items_read}  # fmt: skip


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
    base = rows[0]["items_read"] or 1
    print(f"{'ineligible POs':>15}  {'in':<15}{'outcome':>9}{'requests':>10}{'items read':>12}{'ratio':>8}  operations")
    for row in rows:
        ratio = row["items_read"] / base
        print(
            f"{row['ineligible']:>15}  {row['where']:<15}{row['outcome']:>9}{row['requests']:>10}"
            f"{row['items_read']:>12}{ratio:>8.2f}  {', '.join(row['operations'])}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
