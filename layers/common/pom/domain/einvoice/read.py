"""Reading an EN 16931 e-invoice (UBL or CII XML, or a Factur-X / ZUGFeRD PDF) into the service's
upload document: the entry point of ``pom.domain.einvoice``."""

from __future__ import annotations

import codecs
from typing import Any

from lxml import etree

from pom.domain.einvoice import cii, ubl
from pom.domain.einvoice.document import upload_document
from pom.domain.einvoice.pdf import embedded_invoice_xml
from pom.domain.einvoice.safe_xml import parse_xml
from pom.domain.einvoice.terms import document_refused

XML_MEDIA_TYPES = frozenset({"application/xml", "text/xml"})
PDF_MEDIA_TYPE = "application/pdf"
# UTF-32's marks first: UTF-32-LE's begins with UTF-16-LE's.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SNIFFED_PREFIX = 1024
_WHITESPACE = " \t\r\n"
_NOT_AN_EINVOICE = (
    "must be an EN 16931 e-invoice: UBL or CII XML (application/xml or text/xml), "
    "or a Factur-X / ZUGFeRD PDF (application/pdf)"
)


def read_invoice_document(body: bytes, content_type: str | None) -> dict[str, Any]:
    """The upload document of an XML or PDF e-invoice (``content_type``: the media type without its
    parameters, lowercased; None to recognise the body by its content). ValidationFailed names every
    bad business term, or ``body`` for a document that is none of these."""
    kind = _kind(body, content_type)
    if kind == "PDF":
        return _upload_document(parse_xml(embedded_invoice_xml(body)), from_pdf=True)
    return _upload_document(parse_xml(body), from_pdf=False)


def sniff_format(body: bytes) -> str | None:
    """The format by the first character after any byte order mark and whitespace: "JSON", "XML", "PDF", or None."""
    head = _leading_text(body[:_SNIFFED_PREFIX])
    if head.startswith("%PDF-"):
        return "PDF"
    if head.startswith("<"):
        return "XML"
    if head.startswith("{"):
        return "JSON"
    return None


def _leading_text(prefix: bytes) -> str:
    for mark, encoding in _BYTE_ORDER_MARKS:
        if prefix.startswith(mark):
            return prefix[len(mark) :].decode(encoding, errors="ignore").lstrip(_WHITESPACE)
    return prefix.decode("latin-1").lstrip(_WHITESPACE)  # every byte decodes: only the first ASCII one matters


def _kind(body: bytes, content_type: str | None) -> str:
    if content_type in XML_MEDIA_TYPES:
        return "XML"
    if content_type == PDF_MEDIA_TYPE:
        return "PDF"
    sniffed = sniff_format(body) if content_type is None else None
    if sniffed in ("XML", "PDF"):
        return sniffed
    raise document_refused(_NOT_AN_EINVOICE)


def _upload_document(root: etree._Element, *, from_pdf: bool) -> dict[str, Any]:
    # Out of a PDF, the source is the PDF (FACTURX), whichever syntax it embeds: the original is kept as it.
    if root.tag in ubl.ROOTS:
        return upload_document(ubl.ubl_terms(root), "FACTURX" if from_pdf else "UBL")
    if root.tag == cii.ROOT:
        return upload_document(cii.cii_terms(root), "FACTURX" if from_pdf else "CII")
    raise document_refused("is neither a UBL 2.1 Invoice or CreditNote nor a UN/CEFACT CrossIndustryInvoice")
