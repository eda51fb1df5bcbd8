"""The contract's names and value sets, and the account's settings as the service keeps them: what
every function reads, without pydantic.

The pydantic field types, invoice document and request bodies that validate what comes in are in
``pom.domain.inputs`` and ``pom.domain.requests``, loaded only by the functions that read documents
and requests (the API and ingest at init, the AWS invoice import on its first document): the
matcher, the notifier and the scheduler never import pydantic (``tests/integration/test_cold_start.py``).
"""

from dataclasses import field
from decimal import Decimal
from typing import Any, Literal

from pom.core.records import Record

PO_ID_PATTERN = r"^[A-Za-z0-9 _.:=+\-%@#]{1,100}$"
LINE_ITEM_ID_PATTERN = r"^[A-Za-z0-9._-]{1,32}$"
ACCOUNT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
INVOICE_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"


def normalize_entity(name: str) -> str:
    """A billing entity as compared: surrounding whitespace trimmed, inner runs collapsed to one space."""
    return " ".join(name.split())


PoStatus = Literal["ACTIVE", "SUSPENDED", "EXPIRED", "SUSPENDED_EXPIRED", "CLOSED"]
BillingStatus = Literal["NOT_BILLED", "PARTIALLY_BILLED", "FULLY_BILLED"]
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
DocumentType = Literal["INVOICE", "CREDIT_MEMO"]
SourceFormat = Literal["JSON", "UBL", "CII", "FACTURX", "AWS"]  # AWS: imported through the AWS Invoicing API


# --- settings -------------------------------------------------------------------------------------
# ``GET``/``PUT /settings``: each field's default is the contract's, here only (the request body,
# ``pom.domain.inputs.AccountSettings``, takes its defaults from these).


class Matching(Record):
    requirePurchaseOrder: bool = False
    blockExceedingBalance: bool = False
    requireLineItemMatch: bool = False
    tolerancePercent: Decimal = Decimal(0)
    toleranceAmount: Decimal | None = None


class Notifications(Record):
    expiryNoticeDays: list[int] = field(default_factory=lambda: [30, 7])
    balanceAlertPercents: list[int] = field(default_factory=lambda: [75, 100])
    forecastAlerts: bool = True


class Approval(Record):
    separateApprover: bool = False


class EInvoicing(Record):
    """How documents in the EN 16931 formats, which carry no AWS invoice type, are typed."""

    defaultInvoiceType: str = "MONTHLY_USAGE"
    invoiceTypeByEntity: dict[str, str] = field(default_factory=dict)  # by billing entity, normalized


class AwsInvoices(Record):
    enabled: bool = False
    roleArn: str | None = None
    externalId: str | None = None  # None: the account id (the role's trust policy names it)


class Settings(Record):
    currency: str = "USD"
    paymentTerms: str = "Net 30"
    billTo: dict[str, Any] | None = None
    matching: Matching = field(default_factory=Matching)
    notifications: Notifications = field(default_factory=Notifications)
    approval: Approval = field(default_factory=Approval)
    einvoicing: EInvoicing = field(default_factory=EInvoicing)
    awsInvoices: AwsInvoices = field(default_factory=AwsInvoices)
