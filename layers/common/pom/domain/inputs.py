"""What requests and uploads may carry, as pydantic v2 models: the contract's field types, and the
invoice documents (the body of ``POST /invoices`` and the JSON put in S3). The bodies of the API's
other writes are in ``pom.domain.requests``.

Loaded only by the functions that read them (the API and ingest at init, the AWS invoice import on
its first document: ``pom.domain.invoice_documents``), never by the matcher, the notifier or the
scheduler (``tests/integration/test_cold_start.py``): what they read is stored, and read back as
plain records (``pom.core.records``). Field types validate one value at a time (format, range,
pattern); rules that span fields or need the PO's currency live in the domain modules, which report
errors in the same shape.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from pom.core.money import is_currency, parse_amount, parse_signed_amount
from pom.core.months import parse_month
from pom.domain.models import (
    ACCOUNT_ID_PATTERN,
    INVOICE_ID_PATTERN,
    LINE_ITEM_ID_PATTERN,
    PO_ID_PATTERN,
    DocumentType,
    InvoiceType,
    normalize_entity,
)

PoId = Annotated[str, Field(pattern=PO_ID_PATTERN, examples=["Q3_2020"])]
LineItemId = Annotated[str, Field(pattern=LINE_ITEM_ID_PATTERN, examples=["1", "1.1"])]
Month = Annotated[
    str,
    Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="2000-01 to 2099-12.", examples=["2026-11"]),
    AfterValidator(parse_month),
]
Amount = Annotated[
    Decimal,
    BeforeValidator(parse_amount),
    Field(
        description="A decimal string: ASCII digits with an optional point, no sign or exponent (a JSON number "
        "written so is accepted too).",
        examples=["1000.00"],
    ),
]
SignedAmount = Annotated[
    Decimal,
    BeforeValidator(parse_signed_amount),
    Field(
        description="An amount that may be negative (a discount line): the same grammar behind an optional minus.",
        examples=["-25.00"],
    ),
]
MoneyText = Annotated[str, Field(description="A decimal string with the currency's minor units.", examples=["1000.00"])]


def _entity_name(name: str) -> str:
    normalized = normalize_entity(name)
    if not normalized:
        raise ValueError("must name an entity, not only whitespace")
    return normalized


# A seller-of-record entity, stored and compared normalized (PO billFrom and invoice billingEntity).
EntityName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_entity_name)]


def _calendar_date(text: str) -> str:
    try:
        date.fromisoformat(text)
    except ValueError:
        raise ValueError("must be a real calendar date written YYYY-MM-DD") from None
    return text


CalendarDate = Annotated[
    str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", examples=["2020-07-15"]), AfterValidator(_calendar_date)
]


def _known_currency(code: str) -> str:
    if not is_currency(code):
        raise ValueError('must be an ISO-4217 currency code, e.g. "USD"')
    return code


Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["USD"]), AfterValidator(_known_currency)]
InvoiceId = Annotated[str, Field(pattern=INVOICE_ID_PATTERN, examples=["INV-2020-07-0001"])]
Description = Annotated[str, Field(max_length=500)]
# A reference a seller wrote (an invoice number, a PO or order-line reference): any printable text.
Reference = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*[^\s][^\x00-\x1f\x7f]*$")]


class Document(BaseModel):
    """A request document: unknown fields are refused (a typo must not be silently ignored).

    Built on first use rather than at import, like the response shapes: a cold start pays only
    for the models its own route validates."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


# --- invoices -------------------------------------------------------------------------------


class InvoiceLineInput(Document):
    lineNumber: Annotated[int, Field(strict=True, ge=1, le=100_000)]
    lineId: Reference | None = Field(default=None, description="The seller's line identifier (EN 16931 BT-126).")
    description: Description | None = None
    amount: SignedAmount = Field(description="Tax-exclusive; negative for a discount line.")
    poLineItemId: Reference | None = Field(
        default=None,
        description="The PO line item this line bills against (BT-132); one the PO lacks is a LINE_ITEM_MISMATCH.",
    )


class InvoiceDocument(Document):
    """An invoice or credit memo as uploaded: the body of ``POST /invoices`` and the JSON put in S3."""

    invoiceId: InvoiceId
    supplierInvoiceNumber: Reference | None = Field(
        default=None,
        description="The number the seller gave it, verbatim; defaults to invoiceId. Duplicates are "
        "found by (billingEntity, documentType, supplierInvoiceNumber).",
    )
    documentType: DocumentType = "INVOICE"
    originalInvoiceId: InvoiceId | None = Field(default=None, description="Required on a credit memo.")
    billingEntity: EntityName
    invoiceType: InvoiceType
    issueDate: CalendarDate
    billingPeriod: Month | None = Field(
        default=None, description="The month the charges are for; matching uses it (else the issue month)."
    )
    currency: Currency
    subtotal: Amount = Field(
        description="Tax-exclusive, after document-level allowances and charges: what the PO is debited."
    )
    tax: Amount
    total: Amount = Field(description="subtotal + tax.")
    allowanceTotal: Amount | None = Field(default=None, description="Document-level allowances (BT-107).")
    chargeTotal: Amount | None = Field(default=None, description="Document-level charges (BT-108).")
    lines: Annotated[list[InvoiceLineInput], Field(max_length=100)] | None = None
    poId: PoId | None = Field(default=None, description="The PO the uploader picked: matching is restricted to it.")
    poReference: Reference | None = Field(
        default=None,
        description="The buyer's PO reference as the document states it (EN 16931 BT-13): matched to the PO of that "
        "id when the account has one, else matched automatically with UNKNOWN_PO_REFERENCE.",
    )
    description: Description | None = None
    accountId: Annotated[str, Field(pattern=ACCOUNT_ID_PATTERN)] | None = Field(
        default=None, description="Optional; if present it must be the uploader's own account."
    )
