"""The scheduled AWS invoice import's handler against moto (DynamoDB, S3, STS), the Invoicing API
stubbed with botocore's Stubber (moto has none), and the customer's role as the README gives it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto.sts.models import sts_backends

from local_runner.events import LambdaContext, scheduled_event
from local_runner.template import load_template
from pom.adapters.aws_invoicing import AwsInvoicing
from pom.adapters.documents import DocumentStore
from pom.domain import aws_invoices
from pom.domain.requests import AccountSettings as SettingsBody
from pom.services.aws_invoices import AwsInvoiceImport
from pom.services.invoices import InvoiceService
from pom.store.ports import Stores
from pom.store.tables import dynamo_stores
from tests.conftest import new_account

ROOT = Path(__file__).resolve().parents[2]
AWS_ACCOUNT = "444455556666"
ROLE = f"arn:aws:iam::{AWS_ACCOUNT}:role/PurchaseOrderInvoiceReader"
NOW = datetime(2026, 12, 6, 6, 0, tzinfo=UTC)
PDF = b"%PDF-1.4 EUINUS26-4242"


@dataclass
class Harness:
    module: Any  # the handler module
    stubber: Stubber  # the Invoicing client's
    stores: Stores
    credentials: list[dict[str, Any]]  # those each Invoicing client was made with

    @property
    def ImportFailed(self) -> type[Exception]:  # noqa: N802 - the handler's class
        return self.module.ImportFailed

    def lambda_handler(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return self.module.lambda_handler(event, context)


@pytest.fixture
def handler(aws: dict[str, str], own_table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    """The handler module, its importer on a table of the test's own (the shared table's index lists
    every other test's accounts) and an Invoicing client under a Stubber."""
    import aws_invoice_import_handler as module

    stores = dynamo_stores(own_table)
    invoices = InvoiceService(
        stores.purchase_orders, stores.invoices, stores.settings, stores.uploads, DocumentStore(aws["InvoiceBucket"])
    )
    invoicing = boto3.client("invoicing", region_name="us-east-1")
    made: list[dict[str, Any]] = []

    def client_factory(credentials: dict[str, Any]) -> Any:
        made.append(credentials)
        return invoicing

    connector = AwsInvoicing(client_factory=client_factory, fetch=lambda url: PDF)
    importer = AwsInvoiceImport(stores.settings, stores.aws_imports, stores.uploads, invoices, connector)
    monkeypatch.setattr(module, "importer", importer)
    with Stubber(invoicing) as stubber:
        yield Harness(module, stubber, stores, made)
        stubber.assert_no_pending_responses()


def list_request(start: datetime, end: datetime) -> dict[str, Any]:
    return {
        "Selector": {"ResourceType": "ACCOUNT_ID", "Value": AWS_ACCOUNT},
        "Filter": {"TimeInterval": {"StartDate": start, "EndDate": end}},
        "MaxResults": 100,
    }


def enable(stores: Any, account: str) -> None:
    settings = SettingsBody.model_validate({"awsInvoices": {"enabled": True, "roleArn": ROLE}}).record()
    stores.settings.put(account, settings, "2026-12-01T00:00:00Z")


def invoke(handler: Harness) -> dict[str, Any]:
    event = scheduled_event("2026-12-06T06:00:00Z", "arn:aws:scheduler:us-east-1:123456789012:schedule/default/x")
    return handler.lambda_handler(event, LambdaContext())


def test_a_scheduled_run_assumes_the_role_and_imports_through_the_table_and_the_bucket(handler: Harness, aws: dict):
    stores, account = handler.stores, new_account()
    enable(stores, account)
    summary = {
        "AccountId": AWS_ACCOUNT,
        "InvoiceId": "EUINUS26-4242",
        "IssuedDate": datetime(2026, 11, 2, tzinfo=UTC),
        "Entity": {"InvoicingEntity": "Amazon Web Services, Inc.", "BillingEntity": "AWS"},
        "BillingPeriod": {"Month": 10, "Year": 2026},
        "InvoiceType": "INVOICE",
        "BillType": "ANNIVERSARY",
        "PaymentCurrencyAmount": {"TotalAmount": "108.00", "TotalAmountBeforeTax": "100.00", "CurrencyCode": "USD"},
    }
    document = {"InvoicePDF": {"InvoiceId": "EUINUS26-4242", "DocumentUrl": "https://example.com/invoice.pdf"}}
    for start, end in aws_invoices.windows(None, NOW):  # three months back, 28 days at a time
        listed = [summary] if start <= summary["IssuedDate"] < end else []
        handler.stubber.add_response("list_invoice_summaries", {"InvoiceSummaries": listed}, list_request(start, end))
        if listed:
            handler.stubber.add_response("get_invoice_pdf", document, {"InvoiceId": "EUINUS26-4242"})
    run = invoke(handler)
    assert (run["accounts"], run["imported"], run["accountsFailed"], run["accountsRefused"]) == (1, 1, 0, 0)

    (assumed,) = [
        role
        for role in sts_backends[AWS_ACCOUNT]["aws"].assumed_roles
        if role.session_name == f"purchase-orders-{account}"
    ]
    assert (assumed.role_arn, assumed.external_id) == (ROLE, account)
    assert handler.credentials[-1]["AccessKeyId"] == assumed.access_key_id  # the invoicing client uses the role
    (invoice,) = stores.invoices.list(account, 10, None).items
    assert (invoice.supplierInvoiceNumber, invoice.sourceFormat, invoice.total) == ("EUINUS26-4242", "AWS", 108)
    s3 = boto3.client("s3")
    original = s3.get_object(Bucket=aws["InvoiceBucket"], Key=invoice.documentKey)
    assert (original["Body"].read(), original["ContentType"]) == (PDF, "application/pdf")
    assert stores.aws_imports.imported_through(account) == "2026-12-06T06:00:00Z"


def test_a_run_whose_account_failed_fails_after_the_others_and_keeps_its_place(handler: Harness):
    stores, account = handler.stores, new_account()
    enable(stores, account)
    (first, *_) = aws_invoices.windows(None, NOW)
    handler.stubber.add_client_error("list_invoice_summaries", "ThrottlingException", "slow down", 400)
    with pytest.raises(handler.ImportFailed, match="1 account"):
        invoke(handler)
    assert stores.aws_imports.imported_through(account) is None
    assert first[0] == datetime(2026, 9, 1, tzinfo=UTC)  # the next run starts there again


def test_the_customers_role_in_the_readme_trusts_this_stack_with_the_external_id_and_reads_only_invoices(
    tmp_path: Path,
):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### 5. AWS invoices: the customer's role", 1)[1]
    snippet = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert snippet is not None
    path = tmp_path / "invoice-reader.yaml"
    path.write_text(snippet[1], encoding="utf-8")
    load_template.cache_clear()
    try:
        role = load_template(path)["Resources"]["PurchaseOrderInvoiceReader"]["Properties"]
    finally:
        load_template.cache_clear()
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${ServiceAccountId}:root"}}
    assert (trust["Action"], trust["Condition"]) == (
        "sts:AssumeRole",
        {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}},
    )
    (policy,) = role["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["invoicing:ListInvoiceSummaries", "invoicing:GetInvoicePDF"]
    # The stack says which account to trust.
    outputs = load_template()["Outputs"]
    assert outputs["AwsInvoiceRoleTrustedAccount"]["Value"] == {"Ref": "AWS::AccountId"}
