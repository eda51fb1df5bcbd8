"""The invoice XML a Factur-X / ZUGFeRD PDF embeds (a PDF/A-3 attached file), read with bounds."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from pom.core.errors import ValidationFailed
from pom.domain.einvoice.terms import document_refused

if TYPE_CHECKING:
    from pypdf import PdfReader
    from pypdf.generic import EmbeddedFile

MAX_EMBEDDED_BYTES = 4 * 1024 * 1024
# The names Factur-X, ZUGFeRD 2 and XRechnung give the embedded invoice (compared case-insensitively).
INVOICE_FILE_NAMES = frozenset({"factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml"})
# pypdf's decompression limits, lowered for the attachment: a small stream must not inflate to gigabytes.
_DECOMPRESSION_LIMITS = (
    "zlib_maximum_output_length",
    "lzw_maximum_output_length",
    "run_length_maximum_output_length",
    "brotli_maximum_output_length",
    "array_based_stream_maximum_output_length",
)
_TOO_LARGE = f"embeds an invoice XML larger than {MAX_EMBEDDED_BYTES // (1024 * 1024)} MiB"
_NO_INVOICE = "is a PDF without an embedded invoice XML (factur-x.xml, zugferd-invoice.xml or xrechnung.xml)"


def embedded_invoice_xml(body: bytes) -> bytes:
    """The bytes of the PDF's embedded invoice XML; ValidationFailed on ``body`` when there is none,
    it is too large, or the PDF cannot be read (pypdf's failures on hostile input never escape)."""
    import pypdf  # noqa: PLC0415 - heavy: loaded on the first PDF, not at cold start

    try:
        attachment = _invoice_attachment(pypdf.PdfReader(io.BytesIO(body)))
        if attachment is None:
            raise document_refused(_NO_INVOICE)
        if isinstance(attachment.size, int) and attachment.size > MAX_EMBEDDED_BYTES:
            raise document_refused(_TOO_LARGE)  # as declared: refused unread
        try:
            with pypdf.apply_configuration(**dict.fromkeys(_DECOMPRESSION_LIMITS, MAX_EMBEDDED_BYTES + 1)):
                content = attachment.content
        except pypdf.errors.LimitReachedError:
            raise document_refused(_TOO_LARGE) from None
    except ValidationFailed:
        raise
    except Exception:  # a corrupt or hostile PDF fails anywhere inside pypdf, and with any exception
        raise document_refused("is not a readable PDF (corrupt, truncated or encrypted)") from None
    if len(content) > MAX_EMBEDDED_BYTES:
        raise document_refused(_TOO_LARGE)
    return content


def _invoice_attachment(reader: PdfReader) -> EmbeddedFile | None:
    """The embedded file named as an invoice, else the only XML one; None when there is neither."""
    files = [(attachment, [name.lower() for name in _names(attachment)]) for attachment in reader.attachment_list]
    named = [attachment for attachment, names in files if INVOICE_FILE_NAMES.intersection(names)]
    xml = [attachment for attachment, names in files if any(name.endswith(".xml") for name in names)]
    return named[0] if named else xml[0] if len(xml) == 1 else None


def _names(attachment: EmbeddedFile) -> list[str]:
    return [name for name in (attachment.name, attachment.alternative_name) if isinstance(name, str)]
