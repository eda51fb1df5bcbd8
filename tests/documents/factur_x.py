"""Factur-X / ZUGFeRD PDFs for the tests: a blank page with the invoice XML attached as Factur-X says."""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.generic import ArrayObject, NameObject


def factur_x_pdf(xml: bytes, filename: str = "factur-x.xml") -> bytes:
    """A one-page PDF embedding ``xml`` under ``filename``, listed in the catalog's ``/AF`` (associated
    files) with the relationship ``/Data``, as Factur-X embeds its CII (without PDF/A-3 metadata)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)  # A4, in points
    attachment = writer.add_attachment(filename, xml)
    attachment.subtype = NameObject("/text/xml")
    attachment.associated_file_relationship = NameObject("/Data")
    writer.root_object[NameObject("/AF")] = ArrayObject([attachment.pdf_object.indirect_reference])
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
