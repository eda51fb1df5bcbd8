"""The AWS invoice import over the in-memory stores, with an Invoicing API in memory: each AWS
invoice imported once, whatever is read again, fails or dies halfway (API.md, "AWS invoices")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pom.adapters.aws_invoicing import AccessRefused
from pom.core.errors import Conflict
from pom.domain.invoices import Invoice
from pom.domain.models import Settings
from pom.domain.requests import AccountSettings as SettingsBody
from pom.services.aws_invoices import AccountImport, AwsInvoiceImport
from tests.fakes.memory_store import Crash, Faults, memory_stores
from tests.services.conftest import ACCOUNT, USER, Clock, Services, Ses

AWS_ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{AWS_ACCOUNT}:role/PomInvoiceReader"
AWS_INC = "Amazon Web Services, Inc."
DOCUMENTS = Path(__file__).resolve().parents[1] / "documents"


def summary(
    invoice_id: str, issued: str, subtotal: str = "100.00", total: str | None = None, *, entity: str = AWS_INC,
    currency: str = "USD", **fields: Any,
) -> dict[str, Any]:  # fmt: skip
    """An InvoiceSummary as boto3 gives it."""
    document = {
        "AccountId": AWS_ACCOUNT,
        "InvoiceId": invoice_id,
        "IssuedDate": datetime.fromisoformat(issued).replace(tzinfo=UTC),
        "Entity": {"InvoicingEntity": entity, "BillingEntity": "AWS"},
        "InvoiceType": "INVOICE",
        "BillType": "ANNIVERSARY",
        "PaymentCurrencyAmount": {
            "TotalAmount": total or subtotal,
            "TotalAmountBeforeTax": subtotal,
            "CurrencyCode": currency,
        },
    }
    return {**document, **fields}


def memo(invoice_id: str, issued: str, original: str, subtotal: str = "10.00") -> dict[str, Any]:
    return summary(
        invoice_id,
        issued,
        f"-{subtotal}",
        InvoiceType="CREDIT_MEMO",
        BillType="REFUND",
        OriginalInvoiceId=original,
    )


class Invoicing:
    """One AWS account's Invoicing API in memory, and the connector that opens it."""

    aws_account_id = AWS_ACCOUNT

    def __init__(self) -> None:
        self.invoices: list[dict[str, Any]] = []
        self.opened: list[tuple[str, str, str]] = []
        self.windows: list[tuple[datetime, datetime]] = []
        self.pdfs: list[str] = []
        self.refuse = False
        self.on_pdf: dict[str, Callable[[], None]] = {}  # invoice id -> what happens as its PDF is read

    def open(self, role_arn: str, external_id: str, account_id: str) -> Invoicing:
        self.opened.append((role_arn, external_id, account_id))
        if self.refuse:
            raise AccessRefused(f"the role {role_arn} could not be assumed with the external id {external_id!r}")
        return self

    def summaries(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        assert end - start <= timedelta(days=31)  # the API's limit without ReceiverRole
        self.windows.append((start, end))
        listed = [item for item in self.invoices if start <= item["IssuedDate"] < end]
        return sorted(listed, key=lambda item: item["IssuedDate"], reverse=True)  # no promised order

    def pdf(self, invoice_id: str) -> bytes:
        self.pdfs.append(invoice_id)
        if hook := self.on_pdf.pop(invoice_id, None):
            hook()
        return f"%PDF-1.4 AWS invoice {invoice_id}".encode()


class Importing:
    """The services, an Invoicing API and the importer, for an account that imports."""

    def __init__(self, start: datetime = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)):
        self.faults = Faults()
        self.services = Services(memory_stores(self.faults), self.faults, Clock(start), Ses())
        self.aws = Invoicing()
        stores = self.services.stores
        self.importer = AwsInvoiceImport(
            stores.settings, stores.aws_imports, stores.uploads, self.services.invoices, self.aws,
            clock=self.services.clock,
        )  # fmt: skip

    def enable(self, account_id: str = ACCOUNT, **aws: Any) -> None:
        settings = {"awsInvoices": {"enabled": True, "roleArn": ROLE, **aws}}
        self.services.purchase_orders.put_settings(account_id, SettingsBody.model_validate(settings).record())

    def run_account(self) -> AccountImport:
        return self.importer.import_account(ACCOUNT)

    def invoices(self) -> list[Invoice]:
        return self.services.stores.invoices.list(ACCOUNT, 100, None).items

    def by_number(self) -> dict[str, Invoice]:
        found = [invoice for invoice in self.invoices() if invoice.sourceFormat == "AWS"]
        assert len({invoice.supplier_number for invoice in found}) == len(found)  # never two of one
        return {invoice.supplier_number: invoice for invoice in found}

    def originals(self) -> dict[str, bytes]:
        return self.services.invoices.documents.objects  # type: ignore[attr-defined]


@pytest.fixture
def importing() -> Importing:
    return Importing()


def test_two_summaries_are_imported_once_and_the_memo_credits_its_original(importing: Importing):
    services = importing.services
    services.create_po("P")
    importing.enable()
    importing.aws.invoices += [
        summary("EUINGB26-1001", "2026-02-03", "100.00", "110.00", BillingPeriod={"Month": 1, "Year": 2026}),
        memo("EUCMGB26-7", "2026-02-25", "EUINGB26-1001"),
    ]
    first = importing.run_account()
    assert (first.enabled, first.complete, first.imported, first.duplicates, first.rejected) == (True, True, 2, 0, [])
    invoice, credit = importing.by_number()["EUINGB26-1001"], importing.by_number()["EUCMGB26-7"]
    assert first.invoiceIds == [invoice.invoiceId, credit.invoiceId]
    assert (invoice.billingEntity, invoice.issueDate, invoice.billingPeriod, invoice.invoiceType) == (
        AWS_INC, "2026-02-03", "2026-01", "MONTHLY_USAGE",
    )  # fmt: skip
    assert (invoice.subtotal, invoice.tax, invoice.total, invoice.matchStatus) == (100, 10, 110, "PENDING")
    assert invoice.receivedBy == {"userId": "system", "email": None}
    assert (credit.documentType, credit.originalInvoiceId, credit.subtotal) == ("CREDIT_MEMO", invoice.invoiceId, 10)
    assert importing.originals()[invoice.documentKey].startswith(b"%PDF-")  # the PDF kept as the original
    assert invoice.documentKey.endswith(".pdf")
    assert importing.aws.opened == [(ROLE, ACCOUNT, ACCOUNT)]  # the external id is the account id

    for imported in (invoice, credit):  # the table's stream hands them to the matcher
        services.matcher.process(services.invoice(imported.invoiceId))
    assert services.invoice(invoice.invoiceId).matchStatus == "MATCHED"
    assert services.invoice(credit.invoiceId).matchStatus == "MATCHED"
    assert services.invoiced("P") == {"": "90.00", "1": "90.00"}  # 100 debited, 10 credited back

    again = importing.run_account()
    assert (again.listed, again.imported, again.duplicates) == (1, 0, 1)  # the last week is read again
    assert len(importing.invoices()) == 2
    assert importing.aws.pdfs == ["EUINGB26-1001", "EUCMGB26-7"]  # a duplicate's PDF is never fetched again


def test_a_memo_the_matcher_takes_before_its_original_waits_for_it(importing: Importing):
    services = importing.services
    services.create_po("P")
    importing.enable()
    importing.aws.invoices += [summary("INV-1", "2026-02-01"), memo("CM-1", "2026-02-01", "INV-1")]
    importing.run_account()
    original, credit = importing.by_number()["INV-1"], importing.by_number()["CM-1"]
    services.matcher.process(credit)  # the stream's order is not the import's
    assert services.invoice(original.invoiceId).waitingMemos == [credit.invoiceId]
    services.matcher.process(services.invoice(original.invoiceId))
    services.matcher.process(services.invoice(credit.invoiceId))  # woken by the original's match
    assert services.invoice(credit.invoiceId).matchStatus == "MATCHED"
    assert services.invoiced("P")[""] == "90.00"


def test_a_memo_imported_before_its_original_names_the_id_the_original_gets(importing: Importing):
    importing.enable()
    importing.aws.invoices.append(memo("CM-1", "2026-02-01", "INV-1"))
    importing.run_account()
    importing.aws.invoices.append(summary("INV-1", "2026-02-27"))  # shows in the API after the memo
    assert importing.run_account().imported == 1
    assert importing.by_number()["CM-1"].originalInvoiceId == importing.by_number()["INV-1"].invoiceId


def test_bill_types_give_invoice_types_and_receipts_are_skipped(importing: Importing):
    importing.enable()
    importing.aws.invoices += [
        summary("RI-1", "2026-02-01", BillType="PURCHASE", PurchaseOrderNumber="Q1 2026"),
        summary(
            "MP-1",
            "2026-02-02",
            BillType="PURCHASE",
            Entity={"InvoicingEntity": AWS_INC, "BillingEntity": "AWS_MARKETPLACE"},
        ),
        summary("RCPT-1", "2026-02-03", InvoiceType="PAYMENT_RECEIPT"),
    ]
    done = importing.run_account()
    assert (done.listed, done.imported, done.skipped) == (3, 2, 1)
    imported = importing.by_number()
    assert imported["RI-1"].invoiceType == "SUBSCRIPTION_PURCHASE"
    assert imported["RI-1"].poReference == "Q1 2026"  # the PO of that id, if the account has one (as BT-13)
    assert imported["MP-1"].invoiceType == "MARKETPLACE_PURCHASE"


def test_an_invoice_received_before_through_another_channel_is_not_imported_again(importing: Importing):
    services = importing.services
    importing.enable()
    uploaded = services.upload(
        "MY-OWN-ID",
        "100.00",
        supplierInvoiceNumber="EUINGB26-1001",
        issueDate="2026-02-03",
        tax="10.00",
        total="110.00",
    )
    importing.aws.invoices.append(summary("EUINGB26-1001", "2026-02-03", "100.00", "110.00"))
    done = importing.run_account()
    assert (done.imported, done.duplicates, importing.aws.pdfs) == (0, 1, [])
    assert [invoice.invoiceId for invoice in importing.invoices()] == [uploaded.invoiceId]


def test_the_same_number_with_other_figures_is_rejected_and_listed_with_the_uploads(importing: Importing):
    services = importing.services
    importing.enable()
    services.upload("MY-OWN-ID", "100.00", supplierInvoiceNumber="EUINGB26-1001", issueDate="2026-02-03")
    importing.aws.invoices += [
        summary("EUINGB26-1001", "2026-02-03", "999.00"),
        summary("BAD-1", "2026-02-04", "10.001"),  # more fraction digits than USD has
    ]
    done = importing.run_account()
    assert (done.imported, done.complete) == (0, True)
    assert [rejection["supplierInvoiceNumber"] for rejection in done.rejected] == ["EUINGB26-1001", "BAD-1"]
    assert "MY-OWN-ID" in done.rejected[0]["error"]
    assert "PaymentCurrencyAmount.TotalAmountBeforeTax" in [error["field"] for error in done.rejected[1]["error"]]
    listed = services.invoices.upload_outcomes(ACCOUNT, "REJECTED", 10, None).items
    assert sorted(upload["key"] for upload in listed) == [
        f"aws-invoicing/{AWS_ACCOUNT}/BAD-1",
        f"aws-invoicing/{AWS_ACCOUNT}/EUINGB26-1001",
    ]
    importing.run_account()  # read again: recorded once each
    assert len(services.invoices.upload_outcomes(ACCOUNT, "REJECTED", 10, None).items) == 2


def test_the_same_aws_invoice_as_an_e_invoice_and_imported_is_one_invoice():
    importing = Importing(datetime(2024, 8, 10, 9, 0, tzinfo=UTC))
    importing.enable()
    document = (DOCUMENTS / "cii_invoice.xml").read_bytes()
    uploaded, created = importing.services.invoices.upload(USER, document, "application/xml")
    assert created
    importing.aws.invoices.append(
        summary(
            "INV-2024-0042", "2024-08-02", "1400.00", "1666.00", entity="Nimbus Cloud Services GmbH", currency="EUR"
        )
    )
    done = importing.run_account()
    assert (done.imported, done.duplicates, done.rejected) == (0, 1, [])
    assert [invoice.invoiceId for invoice in importing.invoices()] == [uploaded.invoiceId]

    again = Importing(datetime(2024, 8, 10, 9, 0, tzinfo=UTC))  # the other way round
    again.enable()
    again.aws.invoices = importing.aws.invoices
    (imported_id,) = again.run_account().invoiceIds
    assert imported_id == uploaded.invoiceId  # derived alike: one id for one invoice
    existing, created = again.services.invoices.upload(USER, document, "application/xml")
    assert (existing.invoiceId, existing.sourceFormat, created) == (imported_id, "AWS", False)


def test_nothing_is_imported_while_the_import_is_off_and_a_refusing_role_is_a_conflict(importing: Importing):
    importing.aws.invoices.append(summary("INV-1", "2026-02-03"))
    assert importing.run_account() == AccountImport(enabled=False)
    assert importing.aws.opened == []
    importing.enable()
    importing.aws.refuse = True
    with pytest.raises(Conflict) as refused:
        importing.run_account()
    assert f"external id {ACCOUNT!r}" in str(refused.value.detail)
    assert "invoicing:ListInvoiceSummaries" in str(refused.value.detail)


def test_the_daily_run_imports_for_each_enabled_account_and_one_failure_stops_no_other():
    importing = Importing()
    importing.enable("acct-a")
    importing.enable("acct-b")
    importing.enable("acct-off")
    importing.services.purchase_orders.put_settings("acct-off", Settings())  # turned off again
    importing.aws.invoices.append(summary("INV-1", "2026-02-03"))
    throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GetInvoicePDF")

    def throttle() -> None:
        raise throttled

    importing.aws.on_pdf["INV-1"] = throttle  # acct-a's PDF read fails; acct-b reads it fine
    run = importing.importer.run(datetime(2026, 3, 1, 9, tzinfo=UTC)).as_dict()
    assert {key: run[key] for key in ("accounts", "accountsFailed", "accountsRefused", "imported")} == {
        "accounts": 2, "accountsFailed": 1, "accountsRefused": 0, "imported": 1,
    }  # fmt: skip
    stores = importing.services.stores
    assert stores.aws_imports.imported_through("acct-a") == "2026-01-26T00:00:00Z"  # up to INV-1's window
    assert stores.aws_imports.imported_through("acct-b") == "2026-03-01T09:00:00Z"
    rerun = importing.importer.run(datetime(2026, 3, 2, 9, tzinfo=UTC)).as_dict()
    assert (rerun["accountsFailed"], rerun["imported"], rerun["duplicates"]) == (0, 1, 0)


def test_a_run_out_of_time_says_so_and_the_next_goes_on(importing: Importing):
    importing.enable()
    importing.aws.invoices += [summary(f"INV-{day}", f"2026-02-{day:02d}") for day in (3, 4, 5)]
    done = importing.importer.import_account(ACCOUNT, lambda: 0 if len(importing.aws.pdfs) >= 2 else 10)
    assert (done.complete, done.imported) == (False, 2)
    assert importing.run_account().imported == 1
    assert sorted(importing.by_number()) == ["INV-3", "INV-4", "INV-5"]


# --- faults -----------------------------------------------------------------------------------------


def test_an_import_that_dies_halfway_resumes_without_skipping_or_doubling_an_invoice(importing: Importing):
    """Four invoices in three windows (a first import reads three months back, 28 days at a time). The
    run dies twice: while reading a PDF mid-window, then right after an invoice's write, before its
    window is marked read. Each next run reads that window again: every invoice ends imported once."""
    importing.enable()
    importing.aws.invoices += [
        summary("INV-1", "2026-01-05"),
        summary("INV-2", "2026-02-02"),
        summary("INV-3", "2026-02-09"),
        summary("INV-4", "2026-02-16"),
    ]

    def die() -> None:
        raise Crash("Lambda timed out")

    importing.aws.on_pdf["INV-3"] = die
    with pytest.raises(Crash):
        importing.run_account()
    assert sorted(importing.by_number()) == ["INV-1", "INV-2"]
    through = importing.services.stores.aws_imports.imported_through(ACCOUNT)
    assert through is not None
    assert datetime.fromisoformat(through) <= datetime(2026, 2, 2, tzinfo=UTC)  # INV-2's window is read again

    importing.aws.on_pdf["INV-4"] = lambda: importing.faults.crash_after("invoices.create")
    with pytest.raises(Crash):
        importing.run_account()  # INV-3 imported; INV-4 written, and the run dies before going on
    assert sorted(importing.by_number()) == ["INV-1", "INV-2", "INV-3", "INV-4"]

    last = importing.run_account()
    assert (last.complete, last.imported, last.rejected) == (True, 0, [])
    assert last.duplicates == 2  # INV-3 and INV-4, read again with INV-4's window: found by their supplier numbers
    assert sorted(importing.by_number()) == ["INV-1", "INV-2", "INV-3", "INV-4"]
    assert sorted(importing.aws.pdfs) == ["INV-1", "INV-2", "INV-3", "INV-3", "INV-4"]  # INV-3's first read died
    assert len(importing.originals()) == 4
