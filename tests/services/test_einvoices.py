"""EN 16931 e-invoices through the invoice service, over the in-memory stores (API.md: invoice
documents in the EN 16931 formats, upload through S3): the sample documents under tests/documents."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pom.core.errors import ValidationFailed
from pom.domain.requests import AccountSettings as SettingsBody
from tests.documents.factur_x import factur_x_pdf
from tests.services.conftest import ACCOUNT, USER, Services

DOCUMENTS = Path(__file__).resolve().parents[1] / "documents"
CII = (DOCUMENTS / "cii_invoice.xml").read_bytes()
UBL = (DOCUMENTS / "ubl_invoice.xml").read_bytes()
CREDIT_NOTE = (DOCUMENTS / "ubl_credit_note.xml").read_bytes()
SELLER = "Nimbus Cloud Services GmbH"
XML, PDF = "application/xml", "application/pdf"


def nimbus_po(services: Services, po_id: str = "PO-2024-117", **fields: Any) -> None:
    items = [
        {"lineItemId": "1", "type": "ALL", "amount": "5000.00"},
        {"lineItemId": "2", "type": "ALL", "amount": "5000.00"},
    ]
    document = {
        "billFrom": [SELLER],
        "currency": "EUR",
        "effectiveMonth": "2024-01",
        "expirationMonth": "2024-07",
        "lineItems": items,
    }
    services.create_po(po_id, **{**document, **fields})


def receive(services: Services, body: bytes, content_type: str = XML) -> Any:
    invoice, _ = services.invoices.upload(USER, body, content_type)
    services.matcher.process(services.invoice(invoice.invoiceId))
    return services.invoice(invoice.invoiceId)


def test_a_cii_invoice_is_read_by_its_business_terms_and_matched_on_its_billing_period(services: Services):
    nimbus_po(services)

    invoice = receive(services, CII)

    assert invoice.invoiceId.startswith("INV-2024-0042-")
    assert (invoice.supplierInvoiceNumber, invoice.billingEntity, invoice.sourceFormat) == (
        "INV-2024-0042", SELLER, "CII"
    )  # fmt: skip
    # Issued on 2 August for July (BT-73): the PO ends in July, and still takes it.
    assert (invoice.issueDate, invoice.billingPeriod, invoice.service_month) == ("2024-08-02", "2024-07", "2024-07")
    assert (invoice.invoiceType, invoice.currency, invoice.subtotal, invoice.total) == (
        "MONTHLY_USAGE", "EUR", Decimal("1400.00"), Decimal("1666.00")
    )  # fmt: skip
    assert (invoice.poReference, invoice.poId, invoice.matchStatus) == ("PO-2024-117", "PO-2024-117", "MATCHED")
    assert [(line.lineId, line.amount, line.poLineItemId) for line in invoice.lines] == [
        ("1", Decimal("1200.00"), "1"),
        ("2", Decimal("350.50"), "2"),
        ("3", Decimal("-50.00"), None),
    ]
    # Lines less the document's allowance: each line debits its share, the debits add up to the subtotal.
    assert [(line.lineItemId, line.amount) for line in invoice.match.lines] == [
        ("1", Decimal("1119.63")),
        ("2", Decimal("327.02")),
        ("1", Decimal("-46.65")),
    ]
    assert services.invoiced("PO-2024-117") == {"": "1400.00", "1": "1072.98", "2": "327.02"}


def test_the_same_invoice_as_cii_ubl_and_factur_x_is_one_invoice_debited_once(services: Services):
    nimbus_po(services)
    first = receive(services, CII)

    for body, content_type in ((UBL, XML), (factur_x_pdf(CII), PDF), (CII, "text/xml")):
        again, created = services.invoices.upload(USER, body, content_type)
        assert (again.invoiceId, created) == (first.invoiceId, False)

    assert services.invoiced("PO-2024-117")[""] == "1400.00"
    assert services.ledger_total("PO-2024-117") == first.subtotal


def test_a_factur_x_pdf_keeps_its_original_and_is_served_as_a_pdf(services: Services):
    pdf = factur_x_pdf(CII)
    invoice, created = services.invoices.upload(USER, pdf, PDF)

    assert (created, invoice.sourceFormat) == (True, "FACTURX")
    assert invoice.documentKey.endswith(".pdf")
    assert services.invoices.documents.objects[invoice.documentKey] == pdf


def test_a_ubl_credit_note_credits_the_invoice_its_bt_25_names(services: Services):
    nimbus_po(services)
    original = receive(services, UBL)

    memo = receive(services, CREDIT_NOTE)

    assert (memo.documentType, memo.originalInvoiceId, memo.supplierInvoiceNumber) == (
        "CREDIT_MEMO", original.invoiceId, "CN-2024-0007"
    )  # fmt: skip
    assert (memo.matchStatus, memo.match.amount) == ("MATCHED", Decimal("200.00"))
    assert services.invoiced("PO-2024-117")[""] == "1200.00"


def test_a_credit_note_for_an_invoice_received_as_json_finds_it_by_its_supplier_number(services: Services):
    nimbus_po(services)
    from pom.core import jsonio
    from tests.conftest import invoice

    body = invoice(
        "MY-ID", "1400.00", billingEntity=SELLER, currency="EUR", issueDate="2024-07-31",
        supplierInvoiceNumber="INV-2024-0042", poId="PO-2024-117",
    )  # fmt: skip
    services.invoices.upload(USER, jsonio.dumps(body).encode(), "application/json")
    services.matcher.process(services.invoice("MY-ID"))

    memo = receive(services, CREDIT_NOTE)

    assert (memo.originalInvoiceId, memo.matchStatus) == ("MY-ID", "MATCHED")


def test_the_invoice_type_comes_from_the_settings_by_entity(services: Services):
    services.stores.settings.put(
        ACCOUNT,
        SettingsBody.model_validate(
            {
                "einvoicing": {
                    "defaultInvoiceType": "PROFESSIONAL_SERVICES",
                    "invoiceTypeByEntity": {f" {SELLER}": "MARKETPLACE_PURCHASE"},
                }
            }
        ).record(),
        "2026-03-01T00:00:00Z",
    )

    invoice, _ = services.invoices.upload(USER, CII, XML)

    assert invoice.invoiceType == "MARKETPLACE_PURCHASE"


def test_a_document_without_a_required_term_is_refused_naming_it(services: Services):
    broken = CII.replace(b"<ram:TaxBasisTotalAmount>1400.00</ram:TaxBasisTotalAmount>", b"")

    with pytest.raises(ValidationFailed) as refused:
        services.invoices.upload(USER, broken, XML)

    assert "BT-109" in [error["field"] for error in refused.value.detail]


def test_figures_that_do_not_add_up_are_refused_naming_the_business_term(services: Services):
    wrong = CII.replace(b"<ram:GrandTotalAmount>1666.00", b"<ram:GrandTotalAmount>1666.01")

    with pytest.raises(ValidationFailed) as refused:
        services.invoices.upload(USER, wrong, XML)

    assert [error["field"] for error in refused.value.detail] == ["BT-112"]


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (CII, "ACCEPTED", None),
        (UBL, "DUPLICATE", None),
        (CII.replace(b"<ram:GrandTotalAmount>1666.00", b"<ram:GrandTotalAmount>1666.01"), "REJECTED", "BT-112"),
        (b"%PDF-1.7 not really", "REJECTED", "body"),
        (b"\x00\x01 no document", "REJECTED", "neither JSON, XML"),
    ],
    ids=["cii", "its ubl twin", "bad figures", "broken pdf", "no document"],
)
def test_s3_objects_are_recognised_by_their_content(services: Services, body: bytes, status: str, reason: str | None):
    if status == "DUPLICATE":
        services.invoices.upload(USER, CII, XML)

    outcome = services.invoices.ingest_object(ACCOUNT, "invoices/acct/any-name", "v1", body, "2026-03-01T00:00:00Z")

    assert outcome["status"] == status
    if reason:
        assert reason in str(outcome["error"])
    else:
        assert outcome["invoiceId"].startswith("INV-2024-0042-")


def test_a_redelivered_s3_event_is_the_same_upload_not_a_duplicate(services: Services):
    for _ in range(2):
        outcome = services.invoices.ingest_object(ACCOUNT, "invoices/acct/x.xml", "v1", CII, "2026-03-01T00:00:00Z")
        assert outcome["status"] == "ACCEPTED"


def test_an_object_over_20_mib_is_rejected_unread(services: Services):
    outcome = services.invoices.ingest_object(ACCOUNT, "invoices/acct/big.pdf", "v1", None, "t", size=21 * 2**20)

    assert (outcome["status"], outcome["error"]) == ("REJECTED", "the object is larger than 20 MiB: not read")
