"""AWS invoices as the AWS Invoicing API lists them (``InvoiceSummary``), mapped to upload documents
(API.md, "AWS invoices"), and the time windows an import reads. Pure: no I/O.

The import reads ``ListInvoiceSummaries`` by issue date in windows of at most ``WINDOW`` (the API
takes an interval of at most one month without ``ReceiverRole``), from where the last import got
to, less ``RELIST`` (an invoice may show in the API a while after its issue date; the invoices read
again are found by their supplier number, one read each). A first import starts at the beginning
of the month ``FIRST_IMPORT_MONTHS`` before the current one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from pom.core.errors import FieldError, ValidationFailed
from pom.core.money import parse_signed_amount
from pom.core.months import add_months, month_of
from pom.domain.invoice_documents import ReceivedDocument
from pom.domain.models import Settings

SOURCE_FORMAT = "AWS"
WINDOW = timedelta(days=28)  # within "one month" by any count, February's included
RELIST = timedelta(days=7)
FIRST_IMPORT_MONTHS = 3
BILLS = frozenset({"INVOICE", "CREDIT_MEMO"})  # not PAYMENT_RECEIPT: a receipt bills nothing
# Where each upload field comes from in an InvoiceSummary (API.md's mapping), to name it in errors.
AWS_FIELDS = {
    "supplierInvoiceNumber": "InvoiceId",
    "issueDate": "IssuedDate",
    "billingEntity": "Entity.InvoicingEntity",
    "billingPeriod": "BillingPeriod",
    "poReference": "PurchaseOrderNumber",
    "originalInvoiceId": "OriginalInvoiceId",
    "currency": "PaymentCurrencyAmount.CurrencyCode",
    "subtotal": "PaymentCurrencyAmount.TotalAmountBeforeTax",
    "total": "PaymentCurrencyAmount.TotalAmount",
    "tax": "PaymentCurrencyAmount",  # TotalAmount less TotalAmountBeforeTax
}
_ROLE_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:iam::([0-9]{12}):role/")
_MINUS_ZERO = re.compile(r"\A-0+(\.0+)?\Z")


# --- settings -------------------------------------------------------------------------------------


def external_id(account_id: str) -> str:
    """The external id the import sends: the account id, which no other account of the service has.
    A value the account chose could be another account's, and open that account's role to it (the
    confused deputy the external id is there to stop)."""
    return account_id


def check_settings(settings: Settings, account_id: str) -> None:
    """``PUT /settings``: a role to assume while enabled, and no external id but the account's own."""
    aws = settings.awsInvoices
    errors = []
    if aws.enabled and aws.roleArn is None:
        errors.append(FieldError(("body", "awsInvoices", "roleArn"), "is required while enabled: the role to assume"))
    if aws.externalId not in (None, external_id(account_id)):
        message = f"is always the account id, {account_id!r}: the role's trust policy must name it"
        errors.append(FieldError(("body", "awsInvoices", "externalId"), message))
    if errors:
        raise ValidationFailed(errors)


def role_account(role_arn: str) -> str:
    """The AWS account whose invoices are listed: the role's own."""
    found = _ROLE_ACCOUNT.match(role_arn)
    if found is None:
        raise ValueError(f"not an IAM role ARN: {role_arn!r}")
    return found[1]


# --- what a run reads -----------------------------------------------------------------------------


def first_import_start(now: datetime) -> datetime:
    first_month = add_months(month_of(now), -FIRST_IMPORT_MONTHS)
    return datetime.fromisoformat(f"{first_month}-01T00:00:00+00:00")


def windows(imported_through: datetime | None, now: datetime) -> list[tuple[datetime, datetime]]:
    """The [start, end) intervals of issue dates a run lists, oldest first, up to ``now``."""
    start = first_import_start(now) if imported_through is None else imported_through - RELIST
    found = []
    while start < now:
        end = min(start + WINDOW, now)
        found.append((start, end))
        start = end
    return found


def is_bill(summary: Mapping[str, Any]) -> bool:
    return summary.get("InvoiceType") in BILLS


def in_issue_order(summaries: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """By issue date; on one date invoices before credit memos, then by id (the API promises no order)."""

    def order(summary: Mapping[str, Any]) -> tuple[datetime, bool, str]:
        issued = summary.get("IssuedDate")
        moment = issued if isinstance(issued, datetime) else datetime.min.replace(tzinfo=UTC)
        return moment, summary.get("InvoiceType") == "CREDIT_MEMO", str(summary.get("InvoiceId"))

    return sorted(summaries, key=order)


# --- one summary ----------------------------------------------------------------------------------


def invoice_type(summary: Mapping[str, Any]) -> str | None:
    """``BillType``: ANNIVERSARY → MONTHLY_USAGE, PURCHASE → SUBSCRIPTION_PURCHASE (MARKETPLACE_PURCHASE
    from AWS Marketplace); None for any other (a refund): the account's type for the entity, as for
    an e-invoice (a credit memo follows its original's match whatever its type)."""
    bill_type = summary.get("BillType")
    if bill_type == "ANNIVERSARY":
        return "MONTHLY_USAGE"
    if bill_type == "PURCHASE":
        return "MARKETPLACE_PURCHASE" if _from_marketplace(summary) else "SUBSCRIPTION_PURCHASE"
    return None


def _from_marketplace(summary: Mapping[str, Any]) -> bool:
    entity = summary.get("Entity") or {}
    return (
        entity.get("BillingEntity") == "AWS_MARKETPLACE"
        or "marketplace" in str(entity.get("InvoicingEntity") or "").lower()
    )


def received_document(summary: Mapping[str, Any]) -> ReceivedDocument:
    """The upload document's fields an InvoiceSummary states; ValidationFailed naming each bad AWS field.
    A credit memo's amounts are taken as positive (the API may sign them negative)."""
    errors: list[FieldError] = []
    memo = summary.get("InvoiceType") == "CREDIT_MEMO"
    money = summary.get("PaymentCurrencyAmount") or {}
    subtotal, total = _totals(money, memo, errors)
    fields = {
        "documentType": "CREDIT_MEMO" if memo else "INVOICE",
        "supplierInvoiceNumber": _required(errors, "InvoiceId", summary.get("InvoiceId")),
        "issueDate": _issue_date(errors, summary.get("IssuedDate")),
        "currency": _required(errors, "PaymentCurrencyAmount.CurrencyCode", money.get("CurrencyCode")),
        "billingEntity": _required(
            errors, "Entity.InvoicingEntity", (summary.get("Entity") or {}).get("InvoicingEntity")
        ),
        "billingPeriod": _billing_period(errors, summary.get("BillingPeriod")),
        "poReference": (summary.get("PurchaseOrderNumber") or "").strip() or None,
        "subtotal": subtotal,
        "tax": None if subtotal is None or total is None else total - subtotal,
        "total": total,
        "lines": None,
        "description": None,
    }
    if errors:
        raise ValidationFailed(errors)
    original = (summary.get("OriginalInvoiceId") or "").strip() if memo else ""
    return ReceivedDocument(fields, SOURCE_FORMAT, original or None)


def _totals(money: Mapping[str, Any], memo: bool, errors: list[FieldError]) -> tuple[Decimal | None, Decimal | None]:
    subtotal = _amount(errors, "PaymentCurrencyAmount.TotalAmountBeforeTax", money.get("TotalAmountBeforeTax"))
    total = _amount(errors, "PaymentCurrencyAmount.TotalAmount", money.get("TotalAmount"))
    if memo and total is not None and subtotal is not None and total < 0:
        subtotal, total = subtotal.copy_negate(), total.copy_negate()
    for name, value in (("TotalAmountBeforeTax", subtotal), ("TotalAmount", total)):
        if value is not None and value < 0:
            errors.append(FieldError((f"PaymentCurrencyAmount.{name}",), "must not be negative on an invoice"))
    return subtotal, total


def _required(errors: list[FieldError], name: str, value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        errors.append(FieldError((name,), "is required", "missing"))
        return None
    return value


def _amount(errors: list[FieldError], name: str, value: Any) -> Decimal | None:
    """The one amount grammar, with a sign (the currency's minor units are checked with the document)."""
    if value is None:
        errors.append(FieldError((name,), "is required", "missing"))
        return None
    if isinstance(value, str) and _MINUS_ZERO.match(value):
        value = value[1:]  # a credit memo's zero tax, signed like its totals
    try:
        return parse_signed_amount(value)
    except ValueError as error:
        errors.append(FieldError((name,), str(error)))
        return None


def _issue_date(errors: list[FieldError], issued: Any) -> str | None:
    if not isinstance(issued, datetime) or issued.tzinfo is None:
        errors.append(FieldError(("IssuedDate",), "is required: a timestamp", "missing"))
        return None
    return issued.astimezone(UTC).date().isoformat()


def _billing_period(errors: list[FieldError], period: Any) -> str | None:
    if period is None:
        return None
    month, year = (period.get("Month"), period.get("Year")) if isinstance(period, Mapping) else (None, None)
    if not (isinstance(month, int) and isinstance(year, int) and 1 <= month <= 12 and 2000 <= year <= 2099):
        errors.append(FieldError(("BillingPeriod",), "must be {Month: 1-12, Year: 2000-2099}"))
        return None
    return f"{year:04d}-{month:02d}"


def by_aws_field(error: FieldError) -> FieldError:
    """A field error of the upload document named by the InvoiceSummary field it came from."""
    loc = [part for part in error.loc if part != "body"]
    if loc and isinstance(loc[0], str) and loc[0] in AWS_FIELDS:
        loc[0] = AWS_FIELDS[loc[0]]
    return FieldError(tuple(loc) or error.loc, error.msg, error.type)
