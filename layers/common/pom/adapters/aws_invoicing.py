"""The customers' AWS Invoicing API, through the role each created for this service.

STS AssumeRole with the account's external id, then ``ListInvoiceSummaries`` and ``GetInvoicePDF``
with that role's credentials, and the PDF read from the pre-signed URL the latter answers with.
Cost, per account and run: one AssumeRole (credentials for 15 minutes, the least STS gives); one
ListInvoiceSummaries per window and page of up to 100 summaries; per new invoice one GetInvoicePDF
and one HTTPS GET of its PDF (at most 20 MiB read).

The customer's side refusing (AssumeRole or the Invoicing API answering AccessDenied: a role that
is missing, trusts another account or external id, or lacks the two permissions) is
``AccessRefused``: configuration for the customer to fix, not a fault of this service. Every other
error passes through (throttling, an outage): the run stops there, and the next one goes on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from pom.core.errors import PayloadTooLarge
from pom.domain.aws_invoices import role_account

INVOICING_REGION = "us-east-1"  # the Invoicing API's endpoint, whatever the stack's region
SESSION_SECONDS = 900
PAGE_SIZE = 100  # the most ListInvoiceSummaries returns at once
MAX_PDF_BYTES = 20 * 2**20
DOWNLOAD_SECONDS = 30
_REFUSALS = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedException"})


class AccessRefused(Exception):
    """The customer's role, or its Invoicing API, refused this service."""


class DocumentNotReady(Exception):
    """GetInvoicePDF gave no document (yet): the invoice is left for the next run."""


def session_name(account_id: str) -> str:
    """The role session's name, which the customer's CloudTrail shows: this service and the account."""
    return f"purchase-orders-{account_id}"[:64]


def _invoicing_client(credentials: Mapping[str, Any]) -> Any:
    return boto3.client(
        "invoicing",
        region_name=INVOICING_REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def download(url: str) -> bytes:
    """The PDF behind a pre-signed URL: HTTPS only (in local mode also the emulator's own address),
    at most ``MAX_PDF_BYTES``."""
    import urllib.request  # noqa: PLC0415 - about 30 ms, paid by the first PDF rather than every cold start

    emulator = os.environ.get("AWS_ENDPOINT_URL", "").rstrip("/")
    if not (url.startswith("https://") or (emulator and url.startswith(f"{emulator}/"))):
        raise ValueError("the invoice's document URL is not an HTTPS URL")
    with urllib.request.urlopen(url, timeout=DOWNLOAD_SECONDS) as response:  # noqa: S310 - scheme checked above
        body = response.read(MAX_PDF_BYTES + 1)
    if len(body) > MAX_PDF_BYTES:
        raise PayloadTooLarge(f"the invoice's PDF is larger than {MAX_PDF_BYTES // 2**20} MiB: not kept")
    if not body.startswith(b"%PDF-"):
        raise DocumentNotReady("the invoice's document URL did not give a PDF")
    return body


def _refusal(error: ClientError) -> str | None:
    """Why the customer's side refused, or None for any other error (the one map of ``ClientError``s here)."""
    details = error.response.get("Error", {})
    return details.get("Message") or details.get("Code") if details.get("Code") in _REFUSALS else None


class InvoicingSession:
    """One account's Invoicing API, as the customer's role."""

    def __init__(self, client: Any, aws_account_id: str, fetch: Callable[[str], bytes] = download):
        self.client = client
        self.aws_account_id = aws_account_id
        self._fetch = fetch

    def summaries(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        """Every InvoiceSummary issued in [start, end) (at most a month), page after page."""
        request: dict[str, Any] = {
            "Selector": {"ResourceType": "ACCOUNT_ID", "Value": self.aws_account_id},
            "Filter": {"TimeInterval": {"StartDate": start, "EndDate": end}},
            "MaxResults": PAGE_SIZE,
        }
        while True:
            page = self._call("list_invoice_summaries", **request)
            yield from page.get("InvoiceSummaries", [])
            if not page.get("NextToken"):
                return
            request["NextToken"] = page["NextToken"]

    def pdf(self, invoice_id: str) -> bytes:
        """The invoice's PDF, as AWS issued it."""
        document = self._call("get_invoice_pdf", InvoiceId=invoice_id).get("InvoicePDF") or {}
        if not document.get("DocumentUrl"):
            raise DocumentNotReady(f"AWS has no PDF of invoice {invoice_id} yet")
        return self._fetch(document["DocumentUrl"])

    def _call(self, operation: str, **request: Any) -> dict[str, Any]:
        try:
            return getattr(self.client, operation)(**request)
        except ClientError as error:
            if (why := _refusal(error)) is None:
                raise
            raise AccessRefused(f"the Invoicing API of AWS account {self.aws_account_id}: {why}") from error


class AwsInvoicing:
    """Opens sessions on customers' Invoicing APIs. ``sts``, ``client_factory`` (credentials →
    invoicing client) and ``fetch`` (URL → bytes) stand in for AWS in tests."""

    def __init__(
        self, sts: Any = None, *, client_factory: Callable[[Mapping[str, Any]], Any] = _invoicing_client,
        fetch: Callable[[str], bytes] = download,
    ):  # fmt: skip
        self._sts = sts
        self._client_factory = client_factory
        self._fetch = fetch

    @property
    def sts(self) -> Any:
        if self._sts is None:  # created on first use: a run without an enabled account needs none
            self._sts = boto3.client("sts")
        return self._sts

    def open(self, role_arn: str, external_id: str, account_id: str) -> InvoicingSession:
        """A session on the Invoicing API of the role's AWS account, as that role."""
        try:
            credentials = self.sts.assume_role(
                RoleArn=role_arn,
                RoleSessionName=session_name(account_id),
                ExternalId=external_id,
                DurationSeconds=SESSION_SECONDS,
            )["Credentials"]
        except ClientError as error:
            if (why := _refusal(error)) is None:
                raise
            what = f"the role {role_arn} could not be assumed with the external id {external_id!r}"
            raise AccessRefused(f"{what}: {why}") from error
        return InvoicingSession(self._client_factory(credentials), role_account(role_arn), self._fetch)
