"""A PO id used again after its PO was deleted names a new PO (API.md: invoices)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pom.domain.invoices import Invoice
from pom.domain.requests import ManualMatch
from tests.services.conftest import USER, Services

# What is done to the deleted PO's invoice: (the change, given the new PO's line item id; the PO it debits).
Action = tuple[Callable[[Services, str], Invoice], str | None]
ACTIONS: dict[str, Action] = {
    "unmatch": (lambda services, _: services.invoices.unmatch(USER, "INV-1", None), None),
    "reject": (lambda services, _: services.submit_and_reject("INV-1"), None),
    "rematch to another PO": (
        lambda services, _: services.invoices.rematch(USER, "INV-1", ManualMatch(poId="Q", lineItemId="1"), None),
        "Q",
    ),
    "rematch to the new PO": (
        lambda services, item: services.invoices.rematch(USER, "INV-1", ManualMatch(poId="P", lineItemId=item), None),
        "P",
    ),
}


CASES = [
    pytest.param(action, item, id=f"{action}, {label}")
    for action in ACTIONS
    for item, label in [("1", "same line item"), ("2", "without the old line item")]
]


@pytest.mark.parametrize(("action", "new_line_item"), CASES)
def test_the_deleted_pos_invoice_never_moves_the_new_po(services: Services, action: str, new_line_item: str):
    """Defect 3: an invoice matched to a deleted PO credited its debit back to the new PO created
    under the same id (and failed outright when the new PO lacked the old line item)."""
    services.create_po()
    assert services.receive("INV-1").match.poId == "P"
    services.purchase_orders.delete(USER, "P", None)
    services.create_po(lineItems=[{"lineItemId": new_line_item, "type": "ALL", "amount": "1000.00"}])
    services.create_po("Q")
    change, debited = ACTIONS[action]

    after = change(services, new_line_item)

    assert after.matchStatus == ("UNMATCHED" if debited is None else "MATCHED")
    # Each PO holds this change's own debit at most, never a credit of the deleted PO's debit.
    for po_id, line_item in [("P", new_line_item), ("Q", "1")]:
        amount = "100.00" if po_id == debited else "0.00"
        assert services.invoiced(po_id) == {"": amount, line_item: amount}
