"""Invoices as sellers send them (API.md: invoices): supplier numbers and duplicates, the service
month, PO references and lines that do not add up to the subtotal, over the in-memory stores."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from pom.core.errors import BadRequest, Conflict, ValidationFailed
from tests.conftest import invoice
from tests.services.conftest import ACCOUNT, USER, Services

JSON = "application/json"


def post(services: Services, invoice_id: str, subtotal: str = "100.00", **fields: Any) -> tuple[Any, bool]:
    """``POST /invoices`` with a JSON body, as the route hands it to the service."""
    from pom.core import jsonio

    return services.invoices.upload(USER, jsonio.dumps(invoice(invoice_id, subtotal, **fields)).encode(), JSON)


def test_the_same_supplier_number_from_the_same_entity_is_one_invoice(services: Services):
    services.create_po()
    first, created = post(services, "INV-1", supplierInvoiceNumber="2026/0001")
    again, created_again = post(services, "INV-OTHER-ID", supplierInvoiceNumber="2026/0001", description="resent")

    assert (created, created_again) == (True, False)
    assert again.invoiceId == first.invoiceId == "INV-1"
    assert services.stores.invoices.get(ACCOUNT, "INV-OTHER-ID") is None
    services.matcher.process(services.invoice("INV-1"))
    assert services.invoiced() == {"": "100.00", "1": "100.00"}


def test_a_supplier_number_with_other_figures_is_refused_naming_the_invoice_that_has_it(services: Services):
    post(services, "INV-1", supplierInvoiceNumber="2026/0001")

    with pytest.raises(Conflict, match=r"'INV-1'.*other figures"):
        post(services, "INV-2", "100.01", supplierInvoiceNumber="2026/0001")


def test_numbers_are_per_entity_and_per_document_type(services: Services):
    post(services, "INV-1", supplierInvoiceNumber="7")
    _, other_entity = post(services, "INV-2", supplierInvoiceNumber="7", billingEntity="Amazon Web Services EMEA SARL")
    _, memo = post(services, "CM-1", supplierInvoiceNumber="7", documentType="CREDIT_MEMO", originalInvoiceId="INV-1")

    assert (other_entity, memo) == (True, True)


def test_the_supplier_number_defaults_to_the_invoice_id_and_entities_are_compared_normalized(services: Services):
    post(services, "INV-1", billingEntity="  Amazon   Web Services,\tInc. ")
    _, created = post(services, "INV-2", supplierInvoiceNumber="INV-1", description="the same bill, keyed anew")

    assert created is False
    assert services.invoice("INV-1").billingEntity == "Amazon Web Services, Inc."


def test_a_json_invoice_id_still_names_one_content(services: Services):
    post(services, "INV-1")

    with pytest.raises(Conflict, match="exists with different content"):
        post(services, "INV-1", description="edited")


def test_a_body_that_is_not_json_is_a_bad_request(services: Services):
    with pytest.raises(BadRequest, match="not valid JSON"):
        services.invoices.upload(USER, b"{", JSON)
    with pytest.raises(BadRequest, match="application/json, application/xml"):
        services.invoices.upload(USER, b"x", "text/plain")


@pytest.mark.parametrize(
    ("line_item", "billing_period"),
    [
        ({"lineItemId": "1", "type": "ALL", "amount": "1000.00", "startMonth": "2026-07", "endMonth": "2026-07"}, None),
        ({"lineItemId": "1", "type": "ALL", "amount": "500.00", "recurrence": "MONTHLY"}, "2026-07"),
    ],
    ids=["plain", "monthly"],
)
def test_a_july_usage_invoice_issued_in_august_belongs_to_july(
    services: Services, line_item: dict[str, Any], billing_period: str | None
):
    services.create_po(effectiveMonth="2026-01", expirationMonth="2026-07", lineItems=[line_item])

    july = services.receive("INV-JUL", "100.00", issueDate="2026-08-02", billingPeriod="2026-07")
    august = services.receive("INV-AUG", "100.00", issueDate="2026-08-02")

    assert (july.matchStatus, july.match.month) == ("MATCHED", "2026-07")
    assert (august.matchStatus, august.unmatchedReason) == ("UNMATCHED", "NO_ACTIVE_PO")
    item = services.view()["lineItems"][0]
    assert item["invoicedAmount"] == "100.00"
    if billing_period:
        assert {period["month"]: period["invoicedAmount"] for period in item["periods"]}[billing_period] == "100.00"


def test_lines_less_an_allowance_debit_their_share_of_the_subtotal(services: Services):
    items = [
        {"lineItemId": "A", "type": "ALL", "amount": "1000.00"},
        {"lineItemId": "B", "type": "ALL", "amount": "1000.00"},
    ]
    services.create_po(lineItems=items)
    lines = [
        {"lineNumber": 1, "amount": "100.00", "poLineItemId": "A"},
        {"lineNumber": 2, "amount": "200.00", "poLineItemId": "B"},
        {"lineNumber": 3, "amount": "-20.00", "poLineItemId": "B", "description": "discount"},
    ]

    matched = services.receive("INV-1", "250.00", poId="P", lines=lines, allowanceTotal="30.00")

    assert [(line.lineItemId, line.amount) for line in matched.match.lines] == [
        ("A", Decimal("89.29")),
        ("B", Decimal("178.57")),
        ("B", Decimal("-17.86")),
    ]
    assert services.invoiced() == {"": "250.00", "A": "89.29", "B": "160.71"}


def test_lines_that_do_not_add_up_to_the_subtotal_less_allowances_are_refused(services: Services):
    lines = [{"lineNumber": 1, "amount": "100.00"}]
    with pytest.raises(ValidationFailed) as refused:
        post(services, "INV-1", "90.00", lines=lines, allowanceTotal="5.00")
    assert refused.value.errors[0].loc == ("body", "lines")


def test_a_po_reference_the_account_has_restricts_matching_to_that_po(services: Services):
    services.create_po("OLD")
    services.create_po("REF")  # updated last: automatic matching would pick it too; OLD is referenced below

    referenced = services.receive("INV-1", poReference="OLD")
    unknown = services.receive("INV-2", poReference="NOPE")

    assert (referenced.poId, referenced.match.poId, referenced.match.flags) == ("OLD", "OLD", [])
    assert (unknown.poId, unknown.poReference, unknown.match.poId) == (None, "NOPE", "REF")
    assert unknown.match.flags == ["UNKNOWN_PO_REFERENCE"]
