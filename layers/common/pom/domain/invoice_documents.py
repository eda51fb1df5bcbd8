"""From the bytes of a received invoice document to the upload document the service stores.

JSON is the service's own shape; UBL and CII XML and Factur-X / ZUGFeRD PDFs are EN 16931
e-invoices, read by ``pom.domain.einvoice`` (imported on the first such document only: lxml and
pypdf stay off the cold path of requests that never parse one). What a standard document does not
say (its ``invoiceId``, ``invoiceType`` and the credited original's id) the service resolves and
passes to ``einvoice_document``, and errors name the EN 16931 business term, not a JSON field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from pom.core import jsonio
from pom.core.errors import BadRequest, FieldError, ValidationFailed

if TYPE_CHECKING:
    from pom.domain.inputs import InvoiceDocument

JSON, XML, PDF = "application/json", "application/xml", "application/pdf"
# The media type the original is kept and served with, by the format it was read in.
MEDIA_TYPES = {"JSON": JSON, "UBL": XML, "CII": XML, "FACTURX": PDF, "AWS": PDF}  # AWS: the invoice's own PDF
EXTENSIONS = {JSON: "json", XML: "xml", PDF: "pdf"}

# Where each upload field comes from in an EN 16931 document (API.md's table), to name it in errors.
BUSINESS_TERMS = {
    "supplierInvoiceNumber": "BT-1",
    "issueDate": "BT-2",
    "currency": "BT-5",
    "poReference": "BT-13",
    "originalInvoiceId": "BT-25",
    "billingEntity": "BT-27",
    "billingPeriod": "BT-73",
    "allowanceTotal": "BT-107",
    "chargeTotal": "BT-108",
    "subtotal": "BT-109",
    "tax": "BT-110",
    "total": "BT-112",
}
LINE_TERMS = {"lineId": "BT-126", "amount": "BT-131", "poLineItemId": "BT-132", "description": "BT-153"}


class ReceivedDocument(NamedTuple):
    """A standard document as read (EN 16931, or an AWS invoice summary), before the service resolves
    ids and type."""

    fields: dict[str, Any]  # the upload document's fields the document states (amounts as Decimal)
    source_format: str  # UBL | CII | FACTURX | AWS
    preceding_number: str | None  # BT-25: the supplier number of the invoice a credit note corrects


def media_type(content_type: str | None) -> str | None:
    """The media type of a ``Content-Type`` header, without parameters: JSON, XML or PDF (``text/xml``
    and ``+json``/``+xml`` types included), or None for any other."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind == JSON or kind.endswith("+json"):
        return JSON
    if kind in (XML, "text/xml") or kind.endswith("+xml"):
        return XML
    return PDF if kind == PDF else None


def sniffed_media_type(body: bytes) -> str | None:
    """What an S3 object holds, told by its content, not its name: JSON, XML, PDF or None."""
    from pom.domain.einvoice.read import sniff_format  # noqa: PLC0415 - the e-invoice package loads on demand

    return {"JSON": JSON, "XML": XML, "PDF": PDF}.get(sniff_format(body) or "")


def json_document(body: bytes) -> InvoiceDocument:
    """The service's own JSON shape; 400 when it is not JSON, 422 naming each bad field."""
    try:
        data = jsonio.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BadRequest(f"the body is not valid JSON: {error}") from None
    return _upload_document(data, lambda error: error._replace(loc=("body", *error.loc)))


def read_einvoice(body: bytes, kind: str) -> ReceivedDocument:
    """An EN 16931 document (UBL or CII XML, or a Factur-X PDF); 422 naming each missing or bad term."""
    from pom.domain.einvoice.read import read_invoice_document  # noqa: PLC0415 - loads lxml on demand

    fields = read_invoice_document(body, kind)
    source_format = fields.pop("sourceFormat")
    preceding = fields.pop("precedingInvoiceNumber", None)
    return ReceivedDocument(fields, source_format, preceding)


def einvoice_document(
    received: ReceivedDocument, invoice_id: str, invoice_type: str, original_invoice_id: str | None,
    rename: Callable[[FieldError], FieldError] | None = None,
) -> InvoiceDocument:  # fmt: skip
    """The upload document of a standard document, with what the service resolved; errors name the
    document's own terms (``rename``: EN 16931 business terms by default)."""
    data = {
        **received.fields,
        "invoiceId": invoice_id,
        "invoiceType": invoice_type,
        "originalInvoiceId": original_invoice_id,
    }
    return _upload_document(data, rename or by_business_term)


def _upload_document(data: Any, named: Callable[[FieldError], FieldError]) -> InvoiceDocument:
    """``data`` as the upload document; 422 with each bad field ``named``.

    pydantic and the document's model are imported here, by the first document: the API and ingest
    import them at init, as every invocation of theirs reads documents, and the AWS invoice import's
    daily run never loads them while no account has the import on (the default)."""
    from pydantic import ValidationError  # noqa: PLC0415 - on the first document (see above)

    from pom.domain.inputs import InvoiceDocument  # noqa: PLC0415

    try:
        return InvoiceDocument.model_validate(data)
    except ValidationError as error:
        raise ValidationFailed([named(FieldError.from_pydantic(problem)) for problem in error.errors()]) from None


def by_business_term(error: FieldError) -> FieldError:
    """A field error of the upload document named by the EN 16931 business term it came from:
    ``subtotal`` → ``BT-109``, ``lines[2].amount`` → ``lines[2].BT-131``."""
    loc = [part for part in error.loc if part != "body"]
    if not loc:
        return error
    if loc[0] == "lines" and len(loc) >= 3 and isinstance(loc[2], str):
        loc[2] = LINE_TERMS.get(loc[2], loc[2])
    elif isinstance(loc[0], str):
        loc[0] = BUSINESS_TERMS.get(loc[0], loc[0])
    return FieldError(tuple(loc), error.msg, error.type)
