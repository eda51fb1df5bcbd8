"""The business terms of a UN/CEFACT CrossIndustryInvoice D16B (EN 16931 CII: Factur-X, ZUGFeRD 2,
XRechnung CII)."""

from __future__ import annotations

from lxml import etree

from pom.domain.einvoice.safe_xml import text_at
from pom.domain.einvoice.terms import DateText, InvoiceTerms, LineTerms

ROOT = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice"
NAMESPACES = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
_DOCUMENT = "rsm:ExchangedDocument/"
_TRANSACTION = "rsm:SupplyChainTradeTransaction/"
_AGREEMENT = _TRANSACTION + "ram:ApplicableHeaderTradeAgreement/"
_SETTLEMENT = _TRANSACTION + "ram:ApplicableHeaderTradeSettlement/"
_TOTALS = _SETTLEMENT + "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
# EN 16931 writes every CII date as a udt:DateTimeString in format 102; one without a format is read so.
_DEFAULT_DATE_FORMAT = "102"


def cii_terms(root: etree._Element) -> InvoiceTerms:
    """The terms of a document whose root is ROOT."""
    return InvoiceTerms(
        credit_note_root=False,
        type_code=_text(root, _DOCUMENT + "ram:TypeCode"),
        number=_text(root, _DOCUMENT + "ram:ID"),
        issue_date=_date(root, _DOCUMENT + "ram:IssueDateTime/udt:DateTimeString"),
        currency=_text(root, _SETTLEMENT + "ram:InvoiceCurrencyCode"),
        seller_name=_text(root, _AGREEMENT + "ram:SellerTradeParty/ram:Name"),
        period_start=_date(root, _SETTLEMENT + "ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString"),
        order_reference=_text(root, _AGREEMENT + "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"),
        preceding_invoice=_text(root, _SETTLEMENT + "ram:InvoiceReferencedDocument/ram:IssuerAssignedID"),
        allowance_total=_text(root, _TOTALS + "ram:AllowanceTotalAmount"),
        charge_total=_text(root, _TOTALS + "ram:ChargeTotalAmount"),
        tax_exclusive_total=_text(root, _TOTALS + "ram:TaxBasisTotalAmount"),
        grand_total=_text(root, _TOTALS + "ram:GrandTotalAmount"),
        tax_totals=[
            ((found.text or "").strip() or None, found.get("currencyID"))
            for found in root.iterfind(_TOTALS + "ram:TaxTotalAmount", NAMESPACES)
        ],
        lines=[
            _line(line) for line in root.iterfind(_TRANSACTION + "ram:IncludedSupplyChainTradeLineItem", NAMESPACES)
        ],
    )


def _line(line: etree._Element) -> LineTerms:
    return LineTerms(
        line_id=_text(line, "ram:AssociatedDocumentLineDocument/ram:LineID"),
        net_amount=_text(
            line,
            "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
        ),
        item_name=_text(line, "ram:SpecifiedTradeProduct/ram:Name"),
        order_line=_text(line, "ram:SpecifiedLineTradeAgreement/ram:BuyerOrderReferencedDocument/ram:LineID"),
    )


def _text(element: etree._Element, path: str) -> str | None:
    return text_at(element, path, NAMESPACES)


def _date(element: etree._Element, path: str) -> DateText | None:
    found = element.find(path, NAMESPACES)
    text = (found.text or "").strip() if found is not None else ""
    return DateText(text, found.get("format", _DEFAULT_DATE_FORMAT)) if text else None
