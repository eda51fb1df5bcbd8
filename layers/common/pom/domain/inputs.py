"""What requests and uploads may carry, as pydantic v2 models: the bodies of the API's writes and
the invoice documents put in S3.

Loaded only by the functions that read them (the API, ingest and the AWS invoice import), not by
the matcher, the notifier or the scheduler (``tests/integration/test_cold_start.py``).
"""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, model_validator

from pom.domain.models import (
    ACCOUNT_ID_PATTERN,
    Address,
    Amount,
    CalendarDate,
    Currency,
    Description,
    Document,
    DocumentType,
    EntityName,
    InvoiceId,
    InvoiceType,
    LineItemId,
    LineItemType,
    Month,
    PoId,
    Recurrence,
    Reference,
    SignedAmount,
)


class ReadOnlyTolerant(Document):
    """Accepts a document as GET returned it: the read-only fields it may carry are dropped, not refused."""

    READ_ONLY_FIELDS: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _drop_read_only(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if key not in cls.READ_ONLY_FIELDS}
        return data


class Contact(Document):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", examples=["ana@example.com"])]
    phone: Annotated[str, Field(max_length=40)] | None = None


class LineItemInput(ReadOnlyTolerant):
    READ_ONLY_FIELDS = frozenset({"invoicedAmount", "balance", "periods"})

    lineItemId: LineItemId
    type: LineItemType
    startMonth: Month | None = Field(default=None, description="Defaults to the PO's effectiveMonth.")
    endMonth: Month | None = Field(default=None, description="Defaults to the PO's expirationMonth.")
    recurrence: Recurrence = Field(
        default="NONE",
        description="With a recurrence, amount is per period: 1, 3 or 12 months counted from startMonth (the last "
        "period may be shorter and still has the whole amount).",
    )
    amount: Amount | None = Field(
        default=None,
        description="Required when the PO tracks balances, absent otherwise; per period with a recurrence.",
    )
    description: Description | None = None


def _unique_tag_keys(tags: list["Tag"]) -> list["Tag"]:
    keys = [tag.key for tag in tags]
    if len(set(keys)) != len(keys):
        raise ValueError("tag keys must be unique on a PO")
    return tags


# Printable text (AWS tag keys and values allow letters, digits, spaces and + - = . _ : / @ and more).
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


class Tag(Document):
    key: Annotated[str, Field(min_length=1, max_length=128, pattern=_PRINTABLE)]
    value: Annotated[str, Field(max_length=256, pattern=_PRINTABLE)] = ""


class PurchaseOrderFields(ReadOnlyTolerant):
    """The editable fields: the body of ``PUT /purchase-orders/{poId}``."""

    READ_ONLY_FIELDS = frozenset(
        {
            "status", "paymentTerms", "totalAmount", "invoicedAmount", "balance", "billingStatus", "forecast",
            "createdAt", "updatedAt", "version",
        }
    )  # fmt: skip

    poId: PoId | None = Field(default=None, description="If present, must equal the path's poId.")
    billTo: Address | None = Field(default=None, description="Defaults to the account's billTo (settings).")
    shipTo: Address | None = None
    billFrom: Annotated[list[EntityName], Field(min_length=1, max_length=20)]
    currency: Currency | None = Field(default=None, description="Defaults to the account's currency (settings).")
    effectiveMonth: Month
    expirationMonth: Month
    # pydantic copies a field's default for each instance (ruff cannot see that Document is a BaseModel).
    contacts: Annotated[list[Contact], Field(max_length=20)] = []  # noqa: RUF012
    balanceTracking: Annotated[bool, Field(strict=True)] = True
    description: Description | None = None
    tags: Annotated[list[Tag], Field(max_length=50), AfterValidator(_unique_tag_keys)] = []  # noqa: RUF012
    lineItems: Annotated[list[LineItemInput], Field(min_length=1, max_length=100)]


class PurchaseOrderCreate(PurchaseOrderFields):
    """The body of ``POST /purchase-orders``."""

    poId: PoId


class StatusChange(Document):
    status: Literal["ACTIVE", "SUSPENDED", "CLOSED"] = Field(
        description="ACTIVE activates a SUSPENDED PO or reopens a CLOSED one that has not expired."
    )


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


class Rejection(Document):
    reason: Description | None = Field(default=None, description="Why the invoice is rejected (kept on it).")


class ManualMatch(Document):
    poId: PoId
    lineItemId: LineItemId
