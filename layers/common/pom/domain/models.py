"""The contract's field types and the account's settings, as pydantic v2 models: what every function reads.

Field types validate one value at a time (format, range, pattern); rules that span fields or need
the PO's currency live in the domain modules, which report errors in the same shape. The bodies of
requests and uploads are in ``pom.domain.inputs``, loaded only by the functions that read them
(the API, ingest and the AWS invoice import): the matcher, the notifier and the scheduler never
validate a document, and creating those classes was about 10 ms of their cold start.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from pom.core.money import is_currency, parse_amount, parse_signed_amount
from pom.core.months import parse_month

PO_ID_PATTERN = r"^[A-Za-z0-9 _.:=+\-%@#]{1,100}$"
LINE_ITEM_ID_PATTERN = r"^[A-Za-z0-9._-]{1,32}$"
ACCOUNT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
INVOICE_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"

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


def normalize_entity(name: str) -> str:
    """A billing entity as compared: surrounding whitespace trimmed, inner runs collapsed to one space."""
    return " ".join(name.split())


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
PoStatus = Literal["ACTIVE", "SUSPENDED", "EXPIRED", "SUSPENDED_EXPIRED", "CLOSED"]
BillingStatus = Literal["NOT_BILLED", "PARTIALLY_BILLED", "FULLY_BILLED"]
InvoiceId = Annotated[str, Field(pattern=INVOICE_ID_PATTERN, examples=["INV-2020-07-0001"])]
# The six line-item types of the AWS Billing console; an invoice has any of them but ALL.
InvoiceType = Literal[
    "MONTHLY_USAGE", "SUBSCRIPTION_PURCHASE", "MARKETPLACE_PURCHASE", "MARKETPLACE_BLANKET_USAGE",
    "PROFESSIONAL_SERVICES",
]  # fmt: skip
MatchStatus = Literal["PENDING", "MATCHED", "UNMATCHED"]
ApprovalStatus = Literal["DRAFT", "SUBMITTED", "APPROVED", "REJECTED"]
UnmatchedReason = Literal[
    "NO_ACTIVE_PO", "NO_BILL_FROM_MATCH", "NO_LINE_ITEM_MATCH", "INSUFFICIENT_BALANCE", "PO_NOT_ELIGIBLE",
    "UNMATCHED_BY_USER", "ORIGINAL_MISMATCH",
]  # fmt: skip
MatchFlag = Literal[
    "EXCEEDS_BALANCE", "WITHIN_TOLERANCE", "LINE_ITEM_MISMATCH", "CURRENCY_MISMATCH", "UNKNOWN_PO_REFERENCE"
]  # fmt: skip
LineItemType = Literal[
    "ALL", "MONTHLY_USAGE", "SUBSCRIPTION_PURCHASE", "MARKETPLACE_PURCHASE", "MARKETPLACE_BLANKET_USAGE",
    "PROFESSIONAL_SERVICES",
]  # fmt: skip
Recurrence = Literal["NONE", "MONTHLY", "QUARTERLY", "ANNUAL"]
Description = Annotated[str, Field(max_length=500)]
# A reference a seller wrote (an invoice number, a PO or order-line reference): any printable text.
Reference = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*[^\s][^\x00-\x1f\x7f]*$")]
DocumentType = Literal["INVOICE", "CREDIT_MEMO"]
SourceFormat = Literal["JSON", "UBL", "CII", "FACTURX", "AWS"]  # AWS: imported through the AWS Invoicing API


class Document(BaseModel):
    """A request document: unknown fields are refused (a typo must not be silently ignored).

    Built on first use rather than at import, like the response shapes: a cold start pays only
    for the models its own route validates."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class Address(Document):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    line1: Annotated[str, Field(min_length=1, max_length=200)]
    line2: Annotated[str, Field(max_length=200)] | None = None
    city: Annotated[str, Field(min_length=1, max_length=100)]
    region: Annotated[str, Field(max_length=100)] | None = None
    postalCode: Annotated[str, Field(max_length=20)] | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2", examples=["US"])]


# --- settings -------------------------------------------------------------------------------


class MatchingSettings(Document):
    requirePurchaseOrder: Annotated[bool, Field(strict=True)] = False
    blockExceedingBalance: Annotated[bool, Field(strict=True)] = False
    requireLineItemMatch: Annotated[bool, Field(strict=True)] = False
    tolerancePercent: Annotated[Amount, Field(le=100)] = Decimal(0)
    toleranceAmount: Amount | None = None


def _distinct_descending(values: list[int]) -> list[int]:
    return sorted(set(values), reverse=True)


def _distinct_ascending(values: list[int]) -> list[int]:
    return sorted(set(values))


class NotificationSettings(Document):
    expiryNoticeDays: Annotated[
        list[Annotated[int, Field(strict=True, ge=1, le=366)]],
        Field(max_length=10),
        AfterValidator(_distinct_descending),
    ] = [30, 7]
    balanceAlertPercents: Annotated[
        list[Annotated[int, Field(strict=True, ge=1, le=100)]],
        Field(max_length=10),
        AfterValidator(_distinct_ascending),
    ] = [75, 100]
    forecastAlerts: Annotated[bool, Field(strict=True)] = True


class ApprovalSettings(Document):
    separateApprover: Annotated[bool, Field(strict=True)] = False


def _normalized_entities(types: dict[str, str]) -> dict[str, str]:
    return {normalize_entity(entity): invoice_type for entity, invoice_type in types.items()}


class EInvoicingSettings(Document):
    """How documents in the EN 16931 formats, which carry no AWS invoice type, are typed."""

    defaultInvoiceType: InvoiceType = "MONTHLY_USAGE"
    invoiceTypeByEntity: Annotated[
        dict[Annotated[str, Field(min_length=1, max_length=200)], InvoiceType],
        Field(max_length=100, description="By billing entity (compared normalized, as billingEntity is)."),
        AfterValidator(_normalized_entities),
    ] = {}


class AwsInvoiceSettings(Document):
    enabled: Annotated[bool, Field(strict=True)] = False
    roleArn: (
        Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")] | None
    ) = None
    externalId: Annotated[str, Field(min_length=2, max_length=1224, pattern=r"^[A-Za-z0-9+=,.@:/_-]+$")] | None = Field(
        default=None,
        description="The account id, always: the role's trust policy names it (a value of the account's own "
        "choosing could name another account's role).",
    )


class AccountSettings(Document):
    """``GET``/``PUT /settings``; every field has the contract's default."""

    currency: Currency = "USD"
    paymentTerms: Annotated[str, Field(min_length=1, max_length=100)] = "Net 30"
    billTo: Address | None = None
    matching: MatchingSettings = Field(default_factory=MatchingSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    approval: ApprovalSettings = Field(default_factory=ApprovalSettings)
    einvoicing: EInvoicingSettings = Field(default_factory=EInvoicingSettings)
    awsInvoices: AwsInvoiceSettings = Field(default_factory=AwsInvoiceSettings)
