"""A debit lands only on a line item that takes the invoice, manual or line by line (API.md: matching)."""

from __future__ import annotations

import pytest

from pom.core.errors import Conflict
from pom.domain.models import Settings
from pom.domain.requests import AccountSettings as SettingsBody
from pom.domain.requests import ManualMatch
from tests.services.conftest import ACCOUNT, USER, Services

LINE_ITEMS = [
    {"lineItemId": "1", "type": "MONTHLY_USAGE", "amount": "1000.00"},
    {"lineItemId": "FROM-MAY", "type": "ALL", "startMonth": "2026-05", "amount": "1000.00"},
    {"lineItemId": "SUB", "type": "SUBSCRIPTION_PURCHASE", "amount": "1000.00"},
]
UNTOUCHED = {"": "100.00", "1": "100.00", "FROM-MAY": "0.00", "SUB": "0.00"}
MONTHLY_FROM_MAY = {
    "lineItemId": "M",
    "type": "MONTHLY_USAGE",
    "recurrence": "MONTHLY",
    "startMonth": "2026-05",
    "amount": "100.00",
}


@pytest.mark.parametrize(
    ("po_id", "line_item_id"),
    [("P", "FROM-MAY"), ("P", "SUB"), ("SUSPENDED", "1")],
    ids=["months without the invoice month", "another type", "a suspended PO"],
)
def test_a_manual_rematch_to_a_line_item_that_cannot_take_the_invoice_is_refused(
    services: Services, po_id: str, line_item_id: str
):
    """Defect 5: a manual rematch debited any line item named, whatever its months, its type or its
    PO's status."""
    services.create_po(lineItems=LINE_ITEMS)
    matched = services.receive("INV-1")
    assert (matched.match.poId, matched.match.lineItemId) == ("P", "1")
    services.create_po("SUSPENDED")
    suspended = services.purchase_orders.change_status(USER, "SUSPENDED", "SUSPENDED", None)

    with pytest.raises(Conflict):
        services.invoices.rematch(USER, "INV-1", ManualMatch(poId=po_id, lineItemId=line_item_id), None)

    assert services.invoice("INV-1") == matched
    assert services.invoiced() == UNTOUCHED
    assert services.purchase_orders.get(ACCOUNT, "SUSPENDED") == suspended


def test_a_line_naming_a_monthly_line_item_outside_the_invoice_month_is_debited_elsewhere(services: Services):
    """Defect 5: a line naming a monthly line item whose months exclude the invoice month was debited
    there (to a period the line item does not have)."""
    services.create_po(lineItems=[MONTHLY_FROM_MAY, {"lineItemId": "F", "type": "ALL", "amount": "1000.00"}])
    lines = [{"lineNumber": 1, "amount": "50.00", "poLineItemId": "M"}]

    invoice = services.receive("INV-1", "50.00", poId="P", lines=lines)

    assert invoice.matchStatus == "MATCHED"
    assert [(line.lineItemId, line.poLineItemId) for line in invoice.match.lines] == [("F", "M")]
    assert "LINE_ITEM_MISMATCH" in invoice.match.flags
    assert services.invoiced() == {"": "50.00", "M": "0.00", "F": "50.00"}
    monthly = services.view()["lineItems"][0]
    assert {period["invoicedAmount"] for period in monthly["periods"]} == {"0.00"}


def test_a_line_naming_a_line_item_that_cannot_take_it_on_a_po_with_no_other_is_not_eligible(services: Services):
    """Defect 5: with no other line item fitting, the named monthly line item was debited anyway."""
    services.create_po(lineItems=[MONTHLY_FROM_MAY])
    lines = [{"lineNumber": 1, "amount": "50.00", "poLineItemId": "M"}]

    invoice = services.receive("INV-1", "50.00", poId="P", lines=lines)

    assert (invoice.matchStatus, invoice.unmatchedReason) == ("UNMATCHED", "PO_NOT_ELIGIBLE")
    assert services.invoiced() == {"": "0.00", "M": "0.00"}


def test_line_item_mismatch_is_flagged_with_require_line_item_match_off(services: Services):
    services.create_po()
    assert not services.purchase_orders.get_settings(ACCOUNT).matching.requireLineItemMatch
    lines = [{"lineNumber": 1, "amount": "100.00", "poLineItemId": "9"}]  # a line item P does not have

    invoice = services.receive("INV-1", poId="P", lines=lines)

    assert invoice.match.flags == ["LINE_ITEM_MISMATCH"]
    assert services.invoiced() == {"": "100.00", "1": "100.00"}
    assert services.invoices.submit(USER, "INV-1", None).approvalStatus == "SUBMITTED"


def line_item_match_required(tolerance_percent: str) -> Settings:
    return SettingsBody.model_validate(
        {"matching": {"requireLineItemMatch": True, "tolerancePercent": tolerance_percent}}
    ).record()


def test_205_against_200_is_submittable_once_the_tolerance_covers_it(services: Services):
    """Airwallex's example: a line of 205 on a line item with 200 left is a mismatch beyond a 0%
    tolerance, and within a 10% one, judged at submission from the recorded figures."""
    services.purchase_orders.put_settings(ACCOUNT, line_item_match_required(tolerance_percent="0"))
    services.create_po(lineItems=[{"lineItemId": "1", "type": "ALL", "amount": "200.00"}])
    lines = [{"lineNumber": 1, "amount": "205.00", "poLineItemId": "1"}]
    invoice = services.receive("INV-1", "205.00", poId="P", lines=lines)
    assert invoice.match.flags == ["EXCEEDS_BALANCE", "LINE_ITEM_MISMATCH"]

    with pytest.raises(Conflict):
        services.invoices.submit(USER, "INV-1", None)
    services.purchase_orders.put_settings(ACCOUNT, line_item_match_required(tolerance_percent="10"))

    assert services.invoices.submit(USER, "INV-1", None).approvalStatus == "SUBMITTED"
    assert services.invoiced() == {"": "205.00", "1": "205.00"}
