"""The AWS invoice import through the runner (API.md, "AWS invoices"): the real boto3 clients end to
end, STS from the emulator and the Invoicing API from ``POST /_local/aws-invoices``."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.e2e.client import AWS, TIMEOUT, Client, drain, line_item
from tests.e2e.conftest import Runner

pytestmark = pytest.mark.e2e


def aws_account() -> str:
    return "".join(random.choice("0123456789") for _ in range(12))  # noqa: S311 - an id, not a secret


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def summary(invoice_id: str, issued: datetime, subtotal: str, total: str, **fields: Any) -> dict[str, Any]:
    """An InvoiceSummary as AWS lists it (JSON: timestamps as ISO-8601 here, epoch seconds on the wire)."""
    period = issued.replace(day=1) - timedelta(days=1)  # usage of the month before
    return {
        "InvoiceId": invoice_id,
        "IssuedDate": iso(issued),
        "Entity": {"InvoicingEntity": AWS, "BillingEntity": "AWS"},
        "BillingPeriod": {"Month": period.month, "Year": period.year},
        "InvoiceType": "INVOICE",
        "BillType": "ANNIVERSARY",
        "PaymentCurrencyAmount": {"TotalAmount": total, "TotalAmountBeforeTax": subtotal, "CurrencyCode": "USD"},
        **fields,
    }


def add_aws_invoices(runner: Runner, document: dict[str, Any]) -> requests.Response:
    return requests.post(f"{runner.base_url}/_local/aws-invoices", json=document, timeout=TIMEOUT)


def enable_import(client: Client, aws_account_id: str) -> dict[str, Any]:
    role = f"arn:aws:iam::{aws_account_id}:role/PurchaseOrderInvoiceReader"
    saved = client.call("PUT", "/settings", {"awsInvoices": {"enabled": True, "roleArn": role}})
    assert saved.status_code == 200, saved.text
    return saved.json()["awsInvoices"]


def test_two_aws_invoices_are_imported_once_and_the_memo_credits_its_original(runner: Runner):
    client, aws_account_id = Client(runner), aws_account()
    now = datetime.now(UTC)
    issued = now - timedelta(days=2)  # within the week a later import reads again
    period = issued.replace(day=1) - timedelta(days=1)
    month = f"{period.year:04d}-{period.month:02d}"
    client.create_po("AWS-USAGE", [line_item("1", "MONTHLY_USAGE", "500.00")], effective=month, expiration=month)
    original = summary("EUINUS26-4242", issued, "100.00", "108.00", PurchaseOrderNumber="AWS-USAGE")
    memo = summary(
        "EUCMUS26-77", issued + timedelta(hours=1), "-10.00", "-10.80",
        InvoiceType="CREDIT_MEMO", BillType="REFUND", OriginalInvoiceId="EUINUS26-4242",
    )  # fmt: skip
    added = add_aws_invoices(runner, {"accountId": aws_account_id, "invoices": [memo, original]})
    assert added.status_code == 200, added.text
    assert enable_import(client, aws_account_id) == {
        "enabled": True,
        "roleArn": f"arn:aws:iam::{aws_account_id}:role/PurchaseOrderInvoiceReader",
        "externalId": client.account,
    }

    first = client.call("POST", "/aws-invoice-imports")
    assert first.status_code == 200, first.text
    done = first.json()
    assert (done["enabled"], done["complete"], done["imported"], done["duplicates"], done["rejected"]) == (
        True, True, 2, 0, [],
    )  # fmt: skip
    invoice_id, memo_id = done["invoiceIds"]
    drain(runner.base_url)

    invoice, credit = client.invoice(invoice_id), client.invoice(memo_id)
    assert invoice["supplierInvoiceNumber"] == "EUINUS26-4242"
    assert (invoice["sourceFormat"], invoice["billingEntity"], invoice["billingPeriod"]) == ("AWS", AWS, month)
    assert (invoice["subtotal"], invoice["tax"], invoice["total"], invoice["invoiceType"]) == (
        "100.00", "8.00", "108.00", "MONTHLY_USAGE",
    )  # fmt: skip
    assert (invoice["poId"], invoice["matchStatus"]) == ("AWS-USAGE", "MATCHED")  # its PurchaseOrderNumber
    assert (credit["documentType"], credit["originalInvoiceId"], credit["matchStatus"]) == (
        "CREDIT_MEMO", invoice_id, "MATCHED",
    )  # fmt: skip
    assert client.line_item_balances("AWS-USAGE") == {"1": "410.00"}  # 100 debited, 10 credited back
    link = client.call("GET", f"/invoices/{invoice_id}/document").json()["url"]
    original_pdf = requests.get(link, timeout=TIMEOUT)
    assert original_pdf.content.startswith(b"%PDF-")  # AWS's PDF is the original
    assert original_pdf.headers["Content-Type"] == "application/pdf"
    assert "EUINUS26-4242" in original_pdf.content.decode("latin-1")

    again = client.call("POST", "/aws-invoice-imports").json()
    assert (again["listed"], again["imported"], again["duplicates"], again["invoiceIds"]) == (2, 0, 2, [])
    drain(runner.base_url)
    assert len(client.invoices()) == 2
    assert client.line_item_balances("AWS-USAGE") == {"1": "410.00"}


def test_the_daily_schedule_imports_and_a_role_that_refuses_is_a_conflict(runner: Runner):
    client, aws_account_id = Client(runner), aws_account()
    issued = datetime.now(UTC) - timedelta(days=1)
    trusted = {"accountId": aws_account_id, "externalId": "someone-else"}  # the role trusts another external id
    assert add_aws_invoices(runner, {**trusted, "invoices": [summary("INV-9", issued, "5.00", "5.00")]}).ok
    enable_import(client, aws_account_id)
    refused = client.call("POST", "/aws-invoice-imports")
    assert refused.status_code == 409, refused.text
    assert f"external id {client.account!r}" in refused.json()["detail"]

    assert add_aws_invoices(runner, {**trusted, "externalId": client.account, "invoices": []}).ok  # fixed
    run = requests.post(
        f"{runner.base_url}/_local/schedule",
        json={"time": iso(datetime.now(UTC)), "function": "AwsInvoiceImportFunction"},
        timeout=60,
    )
    assert run.status_code == 200, run.text
    assert run.json()["accountsFailed"] == 0
    assert run.json()["imported"] >= 1  # other tests' accounts may import too
    assert [invoice["supplierInvoiceNumber"] for invoice in client.invoices()] == ["INV-9"]


def test_the_import_is_off_until_enabled_and_the_external_id_is_the_account_id(runner: Runner):
    client = Client(runner)
    off = client.call("POST", "/aws-invoice-imports")
    assert off.status_code == 200, off.text
    assert (off.json()["enabled"], off.json()["imported"]) == (False, 0)
    role = "arn:aws:iam::123456789012:role/Reader"
    for settings, field in (
        ({"enabled": True}, "awsInvoices.roleArn"),
        ({"enabled": True, "roleArn": role, "externalId": "another-account"}, "awsInvoices.externalId"),
    ):
        refused = client.call("PUT", "/settings", {"awsInvoices": settings})
        assert refused.status_code == 422, refused.text
        assert [problem["field"] for problem in refused.json()["detail"]] == [field]
    bad = add_aws_invoices(runner, {"accountId": "not-an-account", "invoices": []})
    assert bad.status_code == 422
