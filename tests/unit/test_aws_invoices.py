"""AWS invoice summaries as upload documents (API.md, "AWS invoices"), and the windows an import reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pom.core.errors import FieldError, ValidationFailed
from pom.domain import aws_invoices
from pom.domain.requests import AccountSettings as SettingsBody

AWS_INC = "Amazon Web Services, Inc."


def summary(invoice_id: str = "EUINGB26-1001", **fields: Any) -> dict[str, Any]:
    """An InvoiceSummary as boto3 returns it (timestamps as aware datetimes)."""
    document = {
        "AccountId": "111122223333",
        "InvoiceId": invoice_id,
        "IssuedDate": datetime(2026, 11, 2, tzinfo=UTC),
        "DueDate": datetime(2026, 12, 2, tzinfo=UTC),
        "Entity": {"InvoicingEntity": AWS_INC, "BillingEntity": "AWS"},
        "BillingPeriod": {"Month": 10, "Year": 2026},
        "InvoiceType": "INVOICE",
        "BillType": "ANNIVERSARY",
        "PurchaseOrderNumber": "Q4-2026",
        "PaymentCurrencyAmount": {"TotalAmount": "110.00", "TotalAmountBeforeTax": "100.00", "CurrencyCode": "USD"},
        "BaseCurrencyAmount": {"TotalAmount": "110.00", "TotalAmountBeforeTax": "100.00", "CurrencyCode": "USD"},
    }
    return {**document, **fields}


def test_an_invoice_maps_as_the_contract_says():
    read = aws_invoices.received_document(summary())
    assert read.source_format == "AWS"
    assert read.preceding_number is None
    assert read.fields == {
        "documentType": "INVOICE",
        "supplierInvoiceNumber": "EUINGB26-1001",
        "issueDate": "2026-11-02",
        "currency": "USD",
        "billingEntity": AWS_INC,
        "billingPeriod": "2026-10",
        "poReference": "Q4-2026",
        "subtotal": Decimal("100.00"),
        "tax": Decimal("10.00"),
        "total": Decimal("110.00"),
        "lines": None,
        "description": None,
    }


def test_the_issue_date_is_the_utc_day():
    issued = datetime(2026, 11, 2, 1, 30, tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))  # Nov 1 there
    assert aws_invoices.received_document(summary(IssuedDate=issued)).fields["issueDate"] == "2026-11-02"


def test_a_credit_memo_names_its_original_and_counts_positive():
    memo = summary(
        "EUCMGB26-7",
        InvoiceType="CREDIT_MEMO",
        BillType="REFUND",
        OriginalInvoiceId=" EUINGB26-1001 ",
        PaymentCurrencyAmount={"TotalAmount": "-11.00", "TotalAmountBeforeTax": "-10.00", "CurrencyCode": "USD"},
    )
    read = aws_invoices.received_document(memo)
    assert read.preceding_number == "EUINGB26-1001"
    assert (read.fields["documentType"], read.fields["subtotal"], read.fields["tax"], read.fields["total"]) == (
        "CREDIT_MEMO", Decimal("10.00"), Decimal("1.00"), Decimal("11.00"),
    )  # fmt: skip
    assert aws_invoices.invoice_type(memo) is None  # a refund: the account's type, as for an e-invoice


def test_a_credit_memo_with_zero_tax_signed_minus():
    memo = summary(
        "CM-0",
        InvoiceType="CREDIT_MEMO",
        PaymentCurrencyAmount={"TotalAmount": "-10.00", "TotalAmountBeforeTax": "-0.00", "CurrencyCode": "USD"},
    )
    fields = aws_invoices.received_document(memo).fields
    assert (fields["subtotal"], fields["tax"], fields["total"]) == (Decimal(0), Decimal("10.00"), Decimal("10.00"))


@pytest.mark.parametrize(
    ("bill_type", "entity", "expected"),
    [
        ("ANNIVERSARY", {"InvoicingEntity": AWS_INC, "BillingEntity": "AWS"}, "MONTHLY_USAGE"),
        ("PURCHASE", {"InvoicingEntity": AWS_INC, "BillingEntity": "AWS"}, "SUBSCRIPTION_PURCHASE"),
        ("PURCHASE", {"InvoicingEntity": "Amazon Web Services, Inc.", "BillingEntity": "AWS_MARKETPLACE"},
         "MARKETPLACE_PURCHASE"),
        ("PURCHASE", {"InvoicingEntity": "AWS Marketplace"}, "MARKETPLACE_PURCHASE"),
        ("REFUND", {"InvoicingEntity": AWS_INC}, None),
        (None, {"InvoicingEntity": AWS_INC}, None),
    ],
)  # fmt: skip
def test_the_bill_type_gives_the_invoice_type(bill_type: str | None, entity: dict[str, str], expected: str | None):
    assert aws_invoices.invoice_type(summary(BillType=bill_type, Entity=entity)) == expected


def test_every_missing_or_bad_field_is_named_as_the_api_names_it():
    bad = summary(
        InvoiceId="",
        IssuedDate="2026-11-02",
        Entity={},
        BillingPeriod={"Month": 13, "Year": 2026},
        PaymentCurrencyAmount={"TotalAmount": "1e3", "TotalAmountBeforeTax": "-5.00"},
    )
    with pytest.raises(ValidationFailed) as failed:
        aws_invoices.received_document(bad)
    assert {error.loc[0] for error in failed.value.errors} == {
        "InvoiceId",
        "IssuedDate",
        "Entity.InvoicingEntity",
        "BillingPeriod",
        "PaymentCurrencyAmount.CurrencyCode",
        "PaymentCurrencyAmount.TotalAmount",
        "PaymentCurrencyAmount.TotalAmountBeforeTax",
    }


def test_errors_of_the_upload_document_are_renamed_to_aws_fields():
    renamed = aws_invoices.by_aws_field(FieldError(("body", "subtotal"), "has more fraction digits than USD"))
    assert renamed.loc == ("PaymentCurrencyAmount.TotalAmountBeforeTax",)
    assert aws_invoices.by_aws_field(FieldError(("body", "total"), "x")).loc == ("PaymentCurrencyAmount.TotalAmount",)
    assert aws_invoices.by_aws_field(FieldError(("body", "invoiceType"), "x")).loc == ("invoiceType",)


def test_only_bills_are_imported():
    assert aws_invoices.is_bill(summary())
    assert aws_invoices.is_bill(summary(InvoiceType="CREDIT_MEMO"))
    assert not aws_invoices.is_bill(summary(InvoiceType="PAYMENT_RECEIPT"))


def test_issue_order_puts_invoices_before_memos_of_the_same_day():
    day = datetime(2026, 11, 2, tzinfo=UTC)
    listed = [
        summary("B", IssuedDate=day + timedelta(days=1)),
        summary("CM", IssuedDate=day, InvoiceType="CREDIT_MEMO"),
        summary("A2", IssuedDate=day),
        summary("A1", IssuedDate=day),
    ]
    assert [item["InvoiceId"] for item in aws_invoices.in_issue_order(listed)] == ["A1", "A2", "CM", "B"]


# --- windows ----------------------------------------------------------------------------------------


def test_a_first_import_reads_from_three_months_back_in_windows_of_at_most_28_days():
    now = datetime(2026, 12, 6, 11, 0, tzinfo=UTC)
    windows = aws_invoices.windows(None, now)
    assert windows[0][0] == datetime(2026, 9, 1, tzinfo=UTC)
    assert windows[-1][1] == now
    assert all(end - start <= timedelta(days=28) for start, end in windows)
    assert all(earlier[1] == later[0] for earlier, later in pairwise(windows))  # no gap


def test_a_later_import_reads_again_the_last_week_before_where_it_got_to():
    now = datetime(2026, 12, 6, 11, 0, tzinfo=UTC)
    through = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
    assert aws_invoices.windows(through, now) == [(through - timedelta(days=7), now)]
    assert aws_invoices.windows(now + timedelta(days=8), now) == []


# --- settings ---------------------------------------------------------------------------------------


def test_the_external_id_is_the_account_id_and_a_role_is_needed_while_enabled():
    role = "arn:aws:iam::111122223333:role/PomInvoiceReader"
    aws_invoices.check_settings(
        SettingsBody.model_validate({"awsInvoices": {"enabled": True, "roleArn": role}}).record(), "acme"
    )
    same = {"enabled": True, "roleArn": role, "externalId": "acme"}
    aws_invoices.check_settings(SettingsBody.model_validate({"awsInvoices": same}).record(), "acme")
    with pytest.raises(ValidationFailed) as refused:
        aws_invoices.check_settings(
            SettingsBody.model_validate({"awsInvoices": {"enabled": True, "externalId": "other-account"}}).record(),
            "acme",
        )
    assert [error.loc for error in refused.value.errors] == [
        ("body", "awsInvoices", "roleArn"),
        ("body", "awsInvoices", "externalId"),
    ]
    assert aws_invoices.external_id("acme") == "acme"
    assert aws_invoices.role_account(role) == "111122223333"
