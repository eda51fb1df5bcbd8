"""The AWS Invoicing adapter against botocore's Stubber: the requests it makes, as the real clients send them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from pom.adapters.aws_invoicing import AccessRefused, AwsInvoicing, DocumentNotReady, InvoicingSession, download

ROLE = "arn:aws:iam::111122223333:role/PomInvoiceReader"
CREDENTIALS = {
    "AccessKeyId": "ASIAEXAMPLEEXAMPLE12",
    "SecretAccessKey": "secret",
    "SessionToken": "token",
    "Expiration": datetime(2026, 12, 6, 12, tzinfo=UTC),
}
START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 29, tzinfo=UTC)
PDF = b"%PDF-1.4 the invoice"


def client(service: str) -> Any:
    return boto3.client(
        service, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )  # fmt: skip


@pytest.fixture
def sts() -> Iterator[tuple[Any, Stubber]]:
    sts = client("sts")
    with Stubber(sts) as stubber:
        yield sts, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def invoicing() -> Iterator[tuple[Any, Stubber]]:
    invoicing = client("invoicing")
    with Stubber(invoicing) as stubber:
        yield invoicing, stubber
        stubber.assert_no_pending_responses()


def summary(invoice_id: str) -> dict[str, Any]:
    return {"AccountId": "111122223333", "InvoiceId": invoice_id, "IssuedDate": START, "InvoiceType": "INVOICE"}


def test_a_session_assumes_the_accounts_role_with_its_external_id(sts: tuple[Any, Stubber], invoicing: Any):
    sts_client, stubber = sts
    stubber.add_response(
        "assume_role",
        {"Credentials": CREDENTIALS},
        {
            "RoleArn": ROLE,
            "RoleSessionName": "purchase-orders-acme",
            "ExternalId": "acme",
            "DurationSeconds": 900,
        },
    )
    made: list[dict[str, Any]] = []

    def factory(credentials: dict[str, Any]) -> Any:
        made.append(credentials)
        return invoicing[0]

    session = AwsInvoicing(sts_client, client_factory=factory).open(ROLE, "acme", "acme")
    assert made == [CREDENTIALS]
    assert (session.client, session.aws_account_id) == (invoicing[0], "111122223333")


def test_summaries_are_read_page_after_page_for_the_roles_account(invoicing: tuple[Any, Stubber]):
    invoicing_client, stubber = invoicing
    request = {
        "Selector": {"ResourceType": "ACCOUNT_ID", "Value": "111122223333"},
        "Filter": {"TimeInterval": {"StartDate": START, "EndDate": END}},
        "MaxResults": 100,
    }
    stubber.add_response(
        "list_invoice_summaries", {"InvoiceSummaries": [summary("A"), summary("B")], "NextToken": "t1"}, request
    )
    stubber.add_response("list_invoice_summaries", {"InvoiceSummaries": [summary("C")]}, {**request, "NextToken": "t1"})
    session = InvoicingSession(invoicing_client, "111122223333")
    assert [item["InvoiceId"] for item in session.summaries(START, END)] == ["A", "B", "C"]


def test_the_pdf_is_read_from_the_url_get_invoice_pdf_gives(invoicing: tuple[Any, Stubber]):
    invoicing_client, stubber = invoicing
    url = "https://invoices.example.com/EUINGB26-1001.pdf?X-Amz-Signature=abc"
    stubber.add_response("get_invoice_pdf", {"InvoicePDF": {"InvoiceId": "A", "DocumentUrl": url}}, {"InvoiceId": "A"})
    stubber.add_response("get_invoice_pdf", {"InvoicePDF": {"InvoiceId": "B"}}, {"InvoiceId": "B"})
    fetched: list[str] = []
    session = InvoicingSession(invoicing_client, "111122223333", fetch=lambda link: fetched.append(link) or PDF)
    assert session.pdf("A") == PDF
    assert fetched == [url]
    with pytest.raises(DocumentNotReady):
        session.pdf("B")  # no document yet: left for the next run


@pytest.mark.parametrize("code", ["AccessDenied", "AccessDeniedException"])
def test_the_customers_refusals_are_told_apart(sts: tuple[Any, Stubber], invoicing: tuple[Any, Stubber], code: str):
    sts_client, sts_stubber = sts
    sts_stubber.add_client_error("assume_role", code, "not authorized to perform: sts:AssumeRole", 403)
    with pytest.raises(AccessRefused, match="could not be assumed with the external id 'acme'"):
        AwsInvoicing(sts_client).open(ROLE, "acme", "acme")
    invoicing_client, stubber = invoicing
    stubber.add_client_error("list_invoice_summaries", code, "no invoicing:ListInvoiceSummaries", 403)
    with pytest.raises(AccessRefused, match="ListInvoiceSummaries"):
        list(InvoicingSession(invoicing_client, "111122223333").summaries(START, END))


def test_other_errors_pass_through_for_the_next_run(sts: tuple[Any, Stubber], invoicing: tuple[Any, Stubber]):
    sts_client, sts_stubber = sts
    sts_stubber.add_client_error("assume_role", "RegionDisabledException", "STS is not activated", 403)
    with pytest.raises(ClientError):
        AwsInvoicing(sts_client).open(ROLE, "acme", "acme")
    invoicing_client, stubber = invoicing
    stubber.add_client_error("get_invoice_pdf", "ThrottlingException", "slow down", 429)
    with pytest.raises(ClientError):
        InvoicingSession(invoicing_client, "111122223333").pdf("A")


def test_a_document_url_must_be_https(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for url in ("http://example.com/a.pdf", "file:///etc/passwd", "ftp://example.com/a.pdf"):
        with pytest.raises(ValueError, match="HTTPS"):
            download(url)
