"""The largest PO the contract and the bounds allow stays under DynamoDB's 400 KB item limit, its
balances too, even with every period invoiced (defect 12: the period map grew the PO without bound)."""

from __future__ import annotations

from decimal import Decimal

from local_runner.dynamodb_sizes import ITEM_LIMIT, item_size
from pom.domain.ledger import LineItemMovement, apply
from pom.domain.models import Settings
from pom.domain.purchase_orders import new_purchase_order
from pom.domain.requests import PurchaseOrderCreate
from pom.store.purchase_orders import balance_item, po_item
from tests.store.builders import NOW


def test_the_largest_po_with_every_period_invoiced_fits_in_one_item():
    body = PurchaseOrderCreate.model_validate(
        {
            "poId": "P" * 100,
            "billFrom": [f"{'Seller ' * 28}{n:02d}" for n in range(20)],
            "effectiveMonth": "2030-01",
            "expirationMonth": "2039-12",  # 120 months, the longest span allowed
            "description": "d" * 500,
            "contacts": [{"name": "n" * 200, "email": f"{'a' * 60}{n}@example.com"} for n in range(20)],
            "lineItems": [
                {
                    "lineItemId": f"{n:032d}",
                    "type": "MONTHLY_USAGE",
                    "recurrence": "MONTHLY",
                    "amount": "999999999999.99",
                    "description": "x" * 500,
                }
                for n in range(100)
            ],
        }
    )
    po, _ = new_purchase_order("a" * 64, body, Settings(), NOW)
    month_of = [f"{2030 + index // 12}-{index % 12 + 1:02d}" for index in range(120)]
    movements = [
        LineItemMovement(item.lineItemId, Decimal("999999999999.99"), month, 1)
        for item in po.lineItems
        for month in month_of
    ]
    invoiced = apply(po, movements)
    sizes = item_size(po_item(invoiced)), item_size(balance_item(invoiced, invoiced.rev))
    assert max(sizes) < ITEM_LIMIT, sizes
