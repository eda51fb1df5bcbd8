"""Credit memos move a PO's balance only while their original still holds on it (API.md: credit memos)."""

from __future__ import annotations

from typing import Any

import pytest

from pom.core.errors import Conflict
from pom.domain.requests import ManualMatch
from tests.services.conftest import ACCOUNT, USER, Services

EMEA = "Amazon Web Services EMEA SARL"
MEMO = {"documentType": "CREDIT_MEMO", "originalInvoiceId": "INV-1"}


@pytest.mark.parametrize(
    ("subtotal", "mismatch"),
    [("40", {"currency": "JPY"}), ("40.00", {"billingEntity": EMEA})],
    ids=["another currency", "another billing entity"],
)
def test_a_memo_unlike_its_original_credits_nothing(services: Services, subtotal: str, mismatch: dict[str, Any]):
    """Defect 1: a memo in another currency, or from another entity, than its original credited the
    original's line item anyway (in the memo's own figures, never converted)."""
    services.create_po()
    services.receive("INV-1")

    memo = services.receive("CM-1", subtotal, **MEMO, **mismatch)

    assert (memo.matchStatus, memo.unmatchedReason, memo.match) == ("UNMATCHED", "ORIGINAL_MISMATCH", None)
    assert services.invoiced() == {"": "100.00", "1": "100.00"}
    assert services.invoice("INV-1").creditedAmount == 0


def test_rejecting_a_memo_after_its_original_was_rejected_moves_nothing(services: Services):
    """Defect 2: rejecting a memo debited its credit back onto the line item even when the original,
    rejected first, had already credited back only what it still held: an orphan debit."""
    services.create_po()
    services.receive("INV-1")
    assert services.receive("CM-1", "40.00", **MEMO).matchStatus == "MATCHED"
    assert services.invoiced() == {"": "60.00", "1": "60.00"}

    services.submit_and_reject("INV-1")
    assert services.invoiced() == {"": "0.00", "1": "0.00"}  # the 60 it still held, not its 100

    rejected = services.submit_and_reject("CM-1")

    assert (rejected.approvalStatus, rejected.matchStatus) == ("REJECTED", "UNMATCHED")
    assert services.invoiced() == {"": "0.00", "1": "0.00"}
    assert services.ledger_total() == 0
    assert services.invoices.of_purchase_order(ACCOUNT, "P", 10, None).items == []


def test_rejecting_a_memo_whose_line_item_was_deleted_succeeds_and_moves_nothing(services: Services):
    """Defect 13: once the original was rejected its line item holds nothing and may be deleted;
    rejecting the memo then tried to debit that line item again, which failed."""
    line_items = [
        {"lineItemId": "1", "type": "SUBSCRIPTION_PURCHASE", "amount": "1000.00"},
        {"lineItemId": "2", "type": "ALL", "amount": "500.00"},
    ]
    services.create_po(lineItems=line_items)
    assert services.receive("INV-1").match.lineItemId == "2"
    services.receive("CM-1", "40.00", **MEMO)
    assert services.invoiced() == {"": "60.00", "1": "0.00", "2": "60.00"}
    services.submit_and_reject("INV-1")
    services.purchase_orders.delete_line_item(USER, "P", "2", None)

    rejected = services.submit_and_reject("CM-1")

    assert rejected.approvalStatus == "REJECTED"
    assert services.invoiced() == {"": "0.00", "1": "0.00"}
    assert services.ledger_total() == 0


def test_a_memo_whose_original_is_unknown_can_be_matched_by_hand_and_credits_at_most_what_is_held(
    services: Services,
):
    """API.md: a memo whose original is unknown is UNMATCHED (NO_LINE_ITEM_MATCH); matched by hand to a
    line item of its entity and currency it credits at most that line item's invoiced amount."""
    services.create_po()
    services.create_po("EUR-PO", currency="EUR")
    services.receive("INV-1", "30.00")
    memo = services.receive("CM-1", "40.00", documentType="CREDIT_MEMO", originalInvoiceId="UNKNOWN")
    assert (memo.matchStatus, memo.unmatchedReason) == ("UNMATCHED", "NO_LINE_ITEM_MATCH")

    with pytest.raises(Conflict):  # a PO in another currency
        services.invoices.rematch(USER, "CM-1", ManualMatch(poId="EUR-PO", lineItemId="1"), None)
    matched = services.invoices.rematch(USER, "CM-1", ManualMatch(poId="P", lineItemId="1"), None)
    assert (matched.matchStatus, matched.match.amount) == ("MATCHED", 30)  # the line item held 30
    assert services.invoiced() == {"": "0.00", "1": "0.00"}

    services.submit_and_reject("CM-1")
    assert services.invoiced() == {"": "30.00", "1": "30.00"}
    assert services.ledger_total() == 30


def test_a_memo_that_arrives_before_its_original_is_matched_is_applied_once_it_is(services: Services):
    """API.md: a memo whose original is not matched is UNMATCHED; it is applied automatically when its
    original is matched later (the write that matches the original makes it PENDING again)."""
    services.create_po()
    services.upload("INV-1")  # not yet through the matcher
    memo = services.receive("CM-1", "40.00", **MEMO)
    assert (memo.matchStatus, memo.unmatchedReason) == ("UNMATCHED", "NO_LINE_ITEM_MATCH")
    assert services.invoice("INV-1").waitingMemos == ["CM-1"]

    services.matcher.process(services.invoice("INV-1"))
    assert services.invoice("CM-1").matchStatus == "PENDING"  # the stream hands it to the matcher again
    assert services.invoice("INV-1").waitingMemos == []
    services.matcher.process(services.invoice("CM-1"))
    assert services.invoice("CM-1").matchStatus == "MATCHED"
    assert services.invoiced() == {"": "60.00", "1": "60.00"}
    assert services.invoice("INV-1").creditedAmount == 40


def test_a_woken_memo_delivered_as_its_first_image_is_still_processed(services: Services):
    """Found by the state machine's soak: the stream may hand the matcher a memo's older PENDING image
    (its upload) after it was woken; the matcher went on retrying that stale version and gave up."""
    services.create_po()
    services.upload("INV-1")
    first_image = services.upload("CM-1", "40.00", **MEMO)
    services.matcher.process(first_image)  # waits on INV-1
    services.matcher.process(services.invoice("INV-1"))  # matches it, wakes CM-1
    assert services.matcher.process(first_image) == "MATCHED"
    assert services.invoiced() == {"": "60.00", "1": "60.00"}
