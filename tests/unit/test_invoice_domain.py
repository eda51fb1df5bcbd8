"""Submission re-checks the recorded match figures under the settings in force at submission."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from pom.core.errors import Conflict
from pom.domain import invoices
from pom.domain.inputs import InvoiceDocument
from pom.domain.invoices import Invoice
from pom.domain.matching import select
from pom.domain.models import Matching, Settings
from pom.domain.purchase_orders import PurchaseOrder
from tests.unit.test_matching import item, po

NOW = datetime(2026, 3, 10, tzinfo=UTC)


def bill(subtotal: str, lines: list[tuple[str, str | None]] | None = None, **fields: Any) -> Invoice:
    """A DRAFT invoice for March 2026; ``lines``: (amount, poLineItemId) each."""
    document = InvoiceDocument.model_validate(
        {
            "invoiceId": "INV-1",
            "billingEntity": "AWS Inc.",
            "invoiceType": "MONTHLY_USAGE",
            "issueDate": "2026-03-05",
            "currency": "USD",
            "subtotal": subtotal,
            "tax": "0",
            "total": subtotal,
            "lines": None
            if lines is None
            else [
                {"lineNumber": number, "amount": amount, "poLineItemId": named}
                for number, (amount, named) in enumerate(lines, 1)
            ],
            **fields,
        }
    )
    return invoices.new_invoice("a", document, NOW, "documents/INV-1", "digest")


def matched(invoice: Invoice, purchase: PurchaseOrder, settings: Settings) -> Invoice:
    decision = select(invoice.facts(), [purchase], settings.matching, account_currency=settings.currency)
    assert decision.matched
    return invoices.matched(invoice, decision, NOW)


def settings(currency: str = "USD", **matching: Any) -> Settings:
    return Settings(currency=currency, matching=Matching(**matching))


def submittable(invoice: Invoice, under: Settings) -> bool:
    try:
        return invoices.submit(invoice, under, NOW, "ana").approvalStatus == "SUBMITTED"
    except Conflict:
        return False


LINES_PO = po("PO-LINES", item("1", amount="200"), item("2", amount="1000"))


def test_a_line_flagged_at_0_percent_is_submittable_once_a_10_percent_tolerance_covers_it():
    """Airwallex's $205 bill line against a $200 line item."""
    invoice = matched(bill("300", [("205", "1"), ("95", "2")], poId="PO-LINES"), LINES_PO, settings())
    assert invoice.match is not None
    assert invoice.match.flags == ["EXCEEDS_BALANCE", "LINE_ITEM_MISMATCH"]
    assert not submittable(invoice, settings(requireLineItemMatch=True))
    assert submittable(invoice, settings(requireLineItemMatch=True, tolerancePercent=Decimal(10)))
    assert not submittable(invoice, settings(blockExceedingBalance=True))
    assert submittable(
        invoice, settings(requireLineItemMatch=True, blockExceedingBalance=True, tolerancePercent=Decimal(10))
    )
    assert not submittable(invoice, settings(requireLineItemMatch=True, tolerancePercent=Decimal(2)))


def test_a_line_debited_from_another_line_item_than_it_named_is_a_mismatch_at_any_tolerance():
    invoice = matched(bill("100", [("100", "9")], poId="PO-LINES"), LINES_PO, settings())
    assert invoice.match is not None
    assert [(line.poLineItemId, line.lineItemId) for line in invoice.match.lines or []] == [("9", "1")]
    assert not submittable(invoice, settings(requireLineItemMatch=True, tolerancePercent=Decimal(100)))
    assert submittable(invoice, settings())  # the rule is off: the flag does not stop submission


def test_a_match_as_a_whole_keeps_its_recorded_line_item_mismatch():
    invoice = matched(bill("100", [("100", "9")]), LINES_PO, settings())  # no PO picked: not line by line
    assert invoice.match is not None
    assert (invoice.match.lines, invoice.match.flags) == (None, ["LINE_ITEM_MISMATCH"])
    assert not submittable(invoice, settings(requireLineItemMatch=True, tolerancePercent=Decimal(100)))


@pytest.mark.parametrize(("account_currency", "expected"), [("USD", False), ("EUR", True)])
def test_an_amount_tolerance_in_the_account_currency_excuses_no_excess_in_another(account_currency, expected):
    """A EUR 1,050 bill against a EUR 1,000 balance: a 10% and 100 tolerance covers it only when the
    account's currency, the one toleranceAmount is in, is the euro."""
    invoice = matched(bill("1050", currency="EUR"), po("EUR-PO", currency="EUR"), settings("EUR"))
    rules = {"blockExceedingBalance": True, "tolerancePercent": Decimal(10), "toleranceAmount": Decimal(100)}
    assert submittable(invoice, settings(account_currency, **rules)) is expected
