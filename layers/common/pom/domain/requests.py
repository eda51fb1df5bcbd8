"""The bodies of the API's writes but invoice uploads, as pydantic v2 models: purchase orders, their
line items and status, settings, invoice rejection and matches by hand (field types and invoice
documents: ``pom.domain.inputs``). Loaded by the API only (``tests/integration/test_cold_start.py``).
"""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, model_validator

from pom.domain.inputs import (
    Amount,
    Currency,
    Description,
    Document,
    EntityName,
    LineItemId,
    Month,
    PoId,
)
from pom.domain.models import InvoiceType, LineItemType, Recurrence, Settings, normalize_entity


class Address(Document):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    line1: Annotated[str, Field(min_length=1, max_length=200)]
    line2: Annotated[str, Field(max_length=200)] | None = None
    city: Annotated[str, Field(min_length=1, max_length=100)]
    region: Annotated[str, Field(max_length=100)] | None = None
    postalCode: Annotated[str, Field(max_length=20)] | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2", examples=["US"])]


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


class Rejection(Document):
    reason: Description | None = Field(default=None, description="Why the invoice is rejected (kept on it).")


class ManualMatch(Document):
    poId: PoId
    lineItemId: LineItemId


# --- settings -------------------------------------------------------------------------------
# The body of ``PUT /settings`` (and the shape GET shows). Each default is the stored record's
# (``pom.domain.models.Settings``), which the other functions read without pydantic.
_DEFAULT = Settings()


class MatchingSettings(Document):
    requirePurchaseOrder: Annotated[bool, Field(strict=True)] = _DEFAULT.matching.requirePurchaseOrder
    blockExceedingBalance: Annotated[bool, Field(strict=True)] = _DEFAULT.matching.blockExceedingBalance
    requireLineItemMatch: Annotated[bool, Field(strict=True)] = _DEFAULT.matching.requireLineItemMatch
    tolerancePercent: Annotated[Amount, Field(le=100)] = _DEFAULT.matching.tolerancePercent
    toleranceAmount: Amount | None = _DEFAULT.matching.toleranceAmount


def _distinct_descending(values: list[int]) -> list[int]:
    return sorted(set(values), reverse=True)


def _distinct_ascending(values: list[int]) -> list[int]:
    return sorted(set(values))


class NotificationSettings(Document):
    expiryNoticeDays: Annotated[
        list[Annotated[int, Field(strict=True, ge=1, le=366)]],
        Field(max_length=10),
        AfterValidator(_distinct_descending),
    ] = _DEFAULT.notifications.expiryNoticeDays
    balanceAlertPercents: Annotated[
        list[Annotated[int, Field(strict=True, ge=1, le=100)]],
        Field(max_length=10),
        AfterValidator(_distinct_ascending),
    ] = _DEFAULT.notifications.balanceAlertPercents
    forecastAlerts: Annotated[bool, Field(strict=True)] = _DEFAULT.notifications.forecastAlerts


class ApprovalSettings(Document):
    separateApprover: Annotated[bool, Field(strict=True)] = _DEFAULT.approval.separateApprover


def _normalized_entities(types: dict[str, str]) -> dict[str, str]:
    return {normalize_entity(entity): invoice_type for entity, invoice_type in types.items()}


class EInvoicingSettings(Document):
    """How documents in the EN 16931 formats, which carry no AWS invoice type, are typed."""

    defaultInvoiceType: InvoiceType = _DEFAULT.einvoicing.defaultInvoiceType  # type: ignore[assignment]
    invoiceTypeByEntity: Annotated[
        dict[Annotated[str, Field(min_length=1, max_length=200)], InvoiceType],
        Field(max_length=100, description="By billing entity (compared normalized, as billingEntity is)."),
        AfterValidator(_normalized_entities),
    ] = _DEFAULT.einvoicing.invoiceTypeByEntity


class AwsInvoiceSettings(Document):
    enabled: Annotated[bool, Field(strict=True)] = _DEFAULT.awsInvoices.enabled
    roleArn: (
        Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")] | None
    ) = _DEFAULT.awsInvoices.roleArn
    externalId: Annotated[str, Field(min_length=2, max_length=1224, pattern=r"^[A-Za-z0-9+=,.@:/_-]+$")] | None = Field(
        default=_DEFAULT.awsInvoices.externalId,
        description="The account id, always: the role's trust policy names it (a value of the account's own "
        "choosing could name another account's role).",
    )


class AccountSettings(Document):
    """``GET``/``PUT /settings``; every field has the contract's default."""

    currency: Currency = _DEFAULT.currency
    paymentTerms: Annotated[str, Field(min_length=1, max_length=100)] = _DEFAULT.paymentTerms
    billTo: Address | None = None
    matching: MatchingSettings = Field(default_factory=MatchingSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    approval: ApprovalSettings = Field(default_factory=ApprovalSettings)
    einvoicing: EInvoicingSettings = Field(default_factory=EInvoicingSettings)
    awsInvoices: AwsInvoiceSettings = Field(default_factory=AwsInvoiceSettings)

    def record(self) -> Settings:
        """The settings as they are kept (``pom.domain.models.Settings``)."""
        return Settings.from_document(self.model_dump())
