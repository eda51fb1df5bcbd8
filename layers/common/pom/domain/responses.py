"""The API's response shapes and the detail of each event the stack publishes, as pydantic v2 models.

They document (the OpenAPI document, ``events/schemas``) and never validate: the handlers write
responses and events from the domain's views. So only what documents imports them (the API's routes
and the event schemas), and the other functions' cold starts never define them.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pom.domain.inputs import MoneyText
from pom.domain.models import (
    ApprovalStatus,
    BillingStatus,
    DocumentType,
    InvoiceType,
    LineItemType,
    MatchFlag,
    MatchStatus,
    PoStatus,
    Recurrence,
    SourceFormat,
    UnmatchedReason,
)
from pom.domain.requests import Address, Contact, Tag


class ResponseDocument(BaseModel):
    """A response shape. Built on first use, not at import: a cold start builds only the ones its
    route documents (the handlers write responses from the domain's views, not through these)."""

    model_config = ConfigDict(defer_build=True)


class PeriodOut(ResponseDocument):
    month: str = Field(description="The period's first month.")
    endMonth: str = Field(description="The period's last month.")
    amount: MoneyText | None
    invoicedAmount: MoneyText | None
    balance: MoneyText | None


class LineItemOut(ResponseDocument):
    lineItemId: str
    type: LineItemType
    startMonth: str
    endMonth: str
    recurrence: Recurrence
    amount: MoneyText | None
    invoicedAmount: MoneyText | None
    balance: MoneyText | None
    periods: list[PeriodOut] | None
    description: str | None = None


class Forecast(ResponseDocument):
    monthlyRunRate: MoneyText | None = Field(
        description="Average net debits per service month over the last three whole months in effect (null before one)."
    )
    projectedDepletionMonth: str | None = Field(
        description="When the balance is projected to run out; null if it lasts."
    )
    projectedInvoicedAtExpiration: MoneyText | None


class PurchaseOrderOut(ResponseDocument):
    poId: str
    status: PoStatus
    billTo: Address | None
    shipTo: Address | None
    billFrom: list[str]
    paymentTerms: str
    currency: str
    effectiveMonth: str
    expirationMonth: str
    contacts: list[Contact]
    balanceTracking: bool
    description: str | None = None
    tags: list[Tag] = []
    lineItems: list[LineItemOut]
    totalAmount: MoneyText | None
    invoicedAmount: MoneyText | None
    balance: MoneyText | None
    billingStatus: BillingStatus | None = Field(default=None, description="Derived; null without balance tracking.")
    forecast: Forecast | None = Field(default=None, description="Null without balance tracking.")
    createdAt: str
    updatedAt: str
    version: int


class PurchaseOrderPage(ResponseDocument):
    items: list[PurchaseOrderOut]
    nextToken: str | None


class ActorOut(ResponseDocument):
    userId: str = Field(description='The user (the token\'s sub), or "system" for the service itself.')
    email: str | None = Field(description="The user's verified e-mail address (null if none is verified).")


class Caller(ResponseDocument):
    """``GET /me``: the caller as the authorizer names them."""

    accountId: str
    userId: str
    email: str | None
    roles: list[Literal["viewer", "buyer", "payables", "approver", "admin"]]
    allowed: list[str] = Field(description='The routes the roles allow, as "METHOD /path".')
    roleFor: dict[str, str] = Field(description='The role each route needs ("METHOD /path": role; admin may do all).')


class HistoryEntry(ResponseDocument):
    at: str
    actor: ActorOut
    action: Literal[
        "CREATED", "UPDATED", "STATUS_CHANGED", "LINE_ITEM_ADDED", "LINE_ITEM_UPDATED", "LINE_ITEM_DELETED",
        "INVOICE_MATCHED", "INVOICE_UNMATCHED", "EXPIRED", "NOTIFIED", "DELETED",
    ]  # fmt: skip
    details: dict[str, Any]


class HistoryPage(ResponseDocument):
    items: list[HistoryEntry]
    nextToken: str | None


class InvoiceHistoryEntry(ResponseDocument):
    at: str
    actor: ActorOut
    action: Literal["RECEIVED", "MATCHED", "UNMATCHED", "REMATCHED", "CREDITED", "SUBMITTED", "APPROVED", "REJECTED"]
    details: dict[str, Any]


class InvoiceHistoryPage(ResponseDocument):
    items: list[InvoiceHistoryEntry]
    nextToken: str | None


class InvoiceLineOut(ResponseDocument):
    lineNumber: int
    lineId: str | None = None
    description: str | None
    amount: MoneyText
    poLineItemId: str | None


class MatchLineOut(ResponseDocument):
    lineNumber: int
    lineItemId: str
    amount: MoneyText
    availableBalance: MoneyText | None
    poLineItemId: str | None = Field(default=None, description="The line item the invoice line named, if any.")


class MatchOut(ResponseDocument):
    poId: str
    lineItemId: str | None
    amount: MoneyText
    availableBalance: MoneyText | None
    matchedAt: str
    flags: list[MatchFlag]
    lines: list[MatchLineOut] | None
    month: str = Field(description="The service month: the period debited on recurring line items.")
    manual: bool = False


class InvoiceOut(ResponseDocument):
    invoiceId: str
    supplierInvoiceNumber: str
    documentType: DocumentType
    originalInvoiceId: str | None
    billingEntity: str
    invoiceType: InvoiceType
    issueDate: str
    billingPeriod: str | None
    serviceMonth: str = Field(description="billingPeriod when given, else the issue month: what matching compares.")
    currency: str
    subtotal: MoneyText
    tax: MoneyText
    total: MoneyText
    allowanceTotal: MoneyText | None = None
    chargeTotal: MoneyText | None = None
    lines: list[InvoiceLineOut] | None
    poId: str | None
    poReference: str | None = Field(default=None, description="The document's purchase order reference (BT-13).")
    sourceFormat: SourceFormat = Field(default="JSON", description="The format it was received in.")
    description: str | None = None
    matchStatus: MatchStatus
    match: MatchOut | None
    unmatchedReason: UnmatchedReason | None
    matchExplanation: dict[str, Any] | None = Field(
        description="Why the invoice matched where it did, or did not: the candidates, ranked, and why each lost."
    )
    creditedAmount: MoneyText = Field(description="Credited back to the PO by credit memos against this invoice.")
    approvalStatus: ApprovalStatus
    rejectionReason: str | None = Field(default=None, description="The reason given when it was rejected.")
    createdAt: str
    updatedAt: str
    version: int


class InvoicePage(ResponseDocument):
    items: list[InvoiceOut]
    nextToken: str | None


class DocumentLink(ResponseDocument):
    url: str
    expiresInSeconds: int


class InvoiceUpload(ResponseDocument):
    key: str
    status: Literal["ACCEPTED", "DUPLICATE", "REJECTED"]
    invoiceId: str | None
    error: str | list[dict[str, Any]] | None
    receivedAt: str


class InvoiceUploadPage(ResponseDocument):
    items: list[InvoiceUpload]
    nextToken: str | None


class AwsInvoiceRejection(ResponseDocument):
    supplierInvoiceNumber: str | None = Field(description="The AWS invoice id (InvoiceId).")
    error: str | list[dict[str, Any]]


class AwsInvoiceImport(ResponseDocument):
    """``POST /aws-invoice-imports``: what the run did for the caller's account."""

    enabled: bool = Field(description="settings.awsInvoices.enabled: nothing is imported while it is false.")
    complete: bool = Field(description="False when the run stopped for time: the next one goes on from there.")
    importedThrough: str | None = Field(description="Invoices issued before this instant have all been read.")
    listed: int = Field(description="Invoice summaries ListInvoiceSummaries returned (a few days are read again).")
    imported: int = Field(description="New invoices, now PENDING (matched shortly).")
    duplicates: int = Field(description="Received before, by this import or another channel: not imported again.")
    skipped: int = Field(description="Documents that are not bills (payment receipts).")
    invoiceIds: list[str] = Field(description="The invoiceId of each new invoice.")
    rejected: list[AwsInvoiceRejection] = Field(description="Invoices refused, with why (also in /invoice-uploads).")


# --- events for other systems (API.md): the detail of each detail-type ------------------------------


class _EventDetail(ResponseDocument):
    eventId: str = Field(description="The same on a redelivery: consumers drop repeats.")
    accountId: str
    at: str = Field(description="When the change was made, ISO-8601 UTC.")
    actor: ActorOut
    changes: dict[str, Any] | None = Field(description="What changed ({field: {old, new}}); null when created.")
    resourceOmitted: bool = Field(
        False,
        description="True when the resource and its changes passed EventBridge's 256 KB and were left out: GET it.",
    )


class PurchaseOrderEventDetail(_EventDetail):
    """Purchase Order Created | Changed | Status Changed | Deleted."""

    poId: str
    resource: PurchaseOrderOut | None = Field(
        description="The PO as GET showed it then (as it was, once deleted); null when resourceOmitted."
    )


class InvoiceEventDetail(_EventDetail):
    """Invoice Received | Matched | Unmatched | Submitted | Approved | Rejected."""

    invoiceId: str
    resource: InvoiceOut | None = Field(description="The invoice as GET showed it then; null when resourceOmitted.")


class SentNotice(ResponseDocument):
    kind: Literal["PO_EXPIRING", "PO_EXPIRED", "BALANCE_ALERT", "BALANCE_FORECAST"]
    threshold: int | None
    poId: str
    to: list[str]
    subject: str
    sentAt: str


class NotificationEventDetail(ResponseDocument):
    """Notification Sent."""

    eventId: str
    accountId: str
    at: str
    actor: ActorOut
    poId: str
    resource: SentNotice


class ErrorBody(ResponseDocument):
    status: int
    title: str
    detail: str | list[dict[str, Any]]
