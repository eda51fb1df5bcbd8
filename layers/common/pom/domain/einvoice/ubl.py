"""The business terms of a UBL 2.1 Invoice or CreditNote (Peppol BIS Billing 3.0, XRechnung UBL)."""

from __future__ import annotations

from lxml import etree

from pom.domain.einvoice.safe_xml import text_at
from pom.domain.einvoice.terms import ISO_DATE, DateText, InvoiceTerms, LineTerms

INVOICE = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
CREDIT_NOTE = "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
ROOTS = frozenset({INVOICE, CREDIT_NOTE})
NAMESPACES = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
_TOTALS = "cac:LegalMonetaryTotal/cbc:"


def ubl_terms(root: etree._Element) -> InvoiceTerms:
    """The terms of a document whose root is in ROOTS."""
    credit_note = root.tag == CREDIT_NOTE
    return InvoiceTerms(
        credit_note_root=credit_note,
        type_code=_text(root, "cbc:CreditNoteTypeCode" if credit_note else "cbc:InvoiceTypeCode"),
        number=_text(root, "cbc:ID"),
        issue_date=_date(root, "cbc:IssueDate"),
        currency=_text(root, "cbc:DocumentCurrencyCode"),
        seller_name=_text(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName"),
        period_start=_date(root, "cac:InvoicePeriod/cbc:StartDate"),
        order_reference=_text(root, "cac:OrderReference/cbc:ID"),
        preceding_invoice=_text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"),
        allowance_total=_text(root, _TOTALS + "AllowanceTotalAmount"),
        charge_total=_text(root, _TOTALS + "ChargeTotalAmount"),
        tax_exclusive_total=_text(root, _TOTALS + "TaxExclusiveAmount"),
        grand_total=_text(root, _TOTALS + "TaxInclusiveAmount"),
        tax_totals=[
            ((found.text or "").strip() or None, found.get("currencyID"))
            for found in root.iterfind("cac:TaxTotal/cbc:TaxAmount", NAMESPACES)
        ],
        lines=[
            _line(line)
            for line in root.iterfind("cac:CreditNoteLine" if credit_note else "cac:InvoiceLine", NAMESPACES)
        ],
    )


def _line(line: etree._Element) -> LineTerms:
    return LineTerms(
        line_id=_text(line, "cbc:ID"),
        net_amount=_text(line, "cbc:LineExtensionAmount"),
        item_name=_text(line, "cac:Item/cbc:Name"),
        order_line=_text(line, "cac:OrderLineReference/cbc:LineID"),
    )


def _text(element: etree._Element, path: str) -> str | None:
    return text_at(element, path, NAMESPACES)


def _date(element: etree._Element, path: str) -> DateText | None:
    text = _text(element, path)
    return None if text is None else DateText(text, ISO_DATE)
