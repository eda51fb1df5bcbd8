"""The AWS invoice import (API.md, "AWS invoices"): for each account with ``settings.awsInvoices.enabled``,
the invoices its AWS account was issued since the last import, each received once, as an upload is.

A run, per account: its settings and how far its import got (two GetItems), one AssumeRole, then
window by window (``pom.domain.aws_invoices.windows``) the summaries issued in it (one
ListInvoiceSummaries per page), taken in issue order. Each bill goes through
``InvoiceService.receive_document``: one read of its supplier number (a credit memo also reads its
original's), and for a new one its PDF (GetInvoicePDF and the download), one S3 PutObject and one
TransactWriteItems. Once every bill of a window is stored, or rejected and recorded as such, the
import's ``importedThrough`` moves to the window's end (one UpdateItem). A run that stops before
(a crash, a timeout, an error of AWS) leaves it where it was: the next run reads the window again,
and what was stored already is found by its supplier number, so nothing is imported twice or skipped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pom.adapters.aws_invoicing import AccessRefused
from pom.core.errors import Conflict, PayloadTooLarge, ValidationFailed
from pom.core.months import iso_timestamp, utc_now
from pom.core.observability import logger
from pom.domain import aws_invoices
from pom.services.invoices import InvoiceService
from pom.store.ports import AwsImportStore, SettingsStore, UploadStore

TimeLeft = Callable[[], float]  # the seconds a run may still start work in
REJECTIONS_VERSION = "aws-invoicing"  # one upload record per AWS invoice refused, however often it is read


class InvoiceSource(Protocol):
    """One AWS account's Invoicing API (``pom.adapters.aws_invoicing.InvoicingSession``)."""

    aws_account_id: str

    def summaries(self, start: datetime, end: datetime) -> Iterable[Mapping[str, Any]]: ...

    def pdf(self, invoice_id: str) -> bytes: ...


class Connector(Protocol):
    def open(self, role_arn: str, external_id: str, account_id: str) -> InvoiceSource: ...


def unbounded() -> float:
    return math.inf


@dataclass
class AccountImport:
    """What one account's import did (``POST /aws-invoice-imports`` answers it)."""

    enabled: bool = True
    complete: bool = True
    importedThrough: str | None = None
    listed: int = 0
    imported: int = 0
    duplicates: int = 0
    skipped: int = 0
    invoiceIds: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ImportRun:
    """The daily run over every account that imports."""

    time: str
    accounts: int = 0
    accountsRefused: int = 0  # the customer's role refused: theirs to fix
    accountsFailed: int = 0  # an error of AWS or of this service: the next run goes on from where it stopped
    accountsLeft: int = 0  # not reached in the time the run had
    listed: int = 0
    imported: int = 0
    duplicates: int = 0
    skipped: int = 0
    rejected: int = 0

    def add(self, done: AccountImport) -> None:
        self.listed += done.listed
        self.imported += done.imported
        self.duplicates += done.duplicates
        self.skipped += done.skipped
        self.rejected += len(done.rejected)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class AwsInvoiceImport:
    def __init__(
        self, settings: SettingsStore, aws_imports: AwsImportStore, uploads: UploadStore, invoices: InvoiceService,
        connector: Connector, *, clock: Callable[[], datetime] = utc_now,
    ):  # fmt: skip
        self.settings = settings
        self.aws_imports = aws_imports
        self.uploads = uploads
        self.invoices = invoices
        self.connector = connector
        self.clock = clock

    def import_account(self, account_id: str, time_left: TimeLeft = unbounded) -> AccountImport:
        """``POST /aws-invoice-imports``: the caller's account, now; nothing while the import is off.
        Conflict (409) when the customer's role refuses, saying what the role needs."""
        aws = self.settings.get(account_id).settings.awsInvoices
        if not aws.enabled or aws.roleArn is None:
            return AccountImport(enabled=False, importedThrough=self.aws_imports.imported_through(account_id))
        try:
            return self._import(account_id, aws.roleArn, self.clock(), time_left)
        except AccessRefused as refused:
            needs = (
                f"the role must trust this service's AWS account with the external id "
                f"{aws_invoices.external_id(account_id)!r} and allow invoicing:ListInvoiceSummaries and "
                "invoicing:GetInvoicePDF"
            )
            raise Conflict(f"{refused}; {needs}") from None

    def run(self, now: datetime, time_left: TimeLeft = unbounded) -> ImportRun:
        """The daily run: every account in the index whose settings still enable the import, one after
        another. One account's failure is logged and counted, and the others still run."""
        run = ImportRun(iso_timestamp(now))
        accounts = self.aws_imports.accounts()
        for index, account_id in enumerate(accounts):
            if time_left() <= 0:
                run.accountsLeft = len(accounts) - index
                logger.warning("AWS invoice import: out of time", extra={"accountsLeft": run.accountsLeft})
                break
            aws = self.settings.get(account_id).settings.awsInvoices
            if not aws.enabled or aws.roleArn is None:
                continue  # turned off since the index was read, or a save that never finished
            run.accounts += 1
            try:
                run.add(self._import(account_id, aws.roleArn, now, time_left))
            except AccessRefused as refused:
                run.accountsRefused += 1
                logger.warning("AWS invoice import refused", extra={"accountId": account_id, "reason": str(refused)})
            except Exception:  # one account's outage or throttling must not keep the others from importing
                run.accountsFailed += 1
                logger.exception("AWS invoice import failed", extra={"accountId": account_id})
        return run

    def _import(self, account_id: str, role_arn: str, now: datetime, time_left: TimeLeft) -> AccountImport:
        through = self.aws_imports.imported_through(account_id)
        done = AccountImport(importedThrough=through)
        source = self.connector.open(role_arn, aws_invoices.external_id(account_id), account_id)
        start = None if through is None else datetime.fromisoformat(through)
        for window_start, window_end in aws_invoices.windows(start, now):
            if time_left() <= 0:
                done.complete = False
                return done
            for summary in aws_invoices.in_issue_order(source.summaries(window_start, window_end)):
                if time_left() <= 0:
                    done.complete = False
                    return done
                self._receive(account_id, source, summary, done)
            done.importedThrough = iso_timestamp(window_end)
            self.aws_imports.advance(account_id, done.importedThrough)
        return done

    def _receive(self, account_id: str, source: InvoiceSource, summary: Mapping[str, Any], done: AccountImport) -> None:
        """One summary: a new invoice, a duplicate, or a refusal (recorded with the uploads, so that it
        is not lost); any other error stops the account's run before its window is marked read."""
        done.listed += 1
        if not aws_invoices.is_bill(summary):
            done.skipped += 1
            return
        number = summary.get("InvoiceId")
        try:
            invoice, status = self.invoices.receive_document(
                account_id,
                aws_invoices.received_document(summary),
                lambda: source.pdf(str(number)),
                invoice_type=aws_invoices.invoice_type(summary),
                rename=aws_invoices.by_aws_field,
            )
        except (ValidationFailed, Conflict, PayloadTooLarge) as refused:
            done.rejected.append({"supplierInvoiceNumber": number, "error": refused.detail})
            self._record_rejection(account_id, f"aws-invoicing/{source.aws_account_id}/{number}", refused.detail)
            return
        if status == "ACCEPTED":
            done.imported += 1
            done.invoiceIds.append(invoice.invoiceId)
        else:
            done.duplicates += 1

    def _record_rejection(self, account_id: str, key: str, error: Any) -> None:
        at = iso_timestamp(self.clock())
        outcome = {"key": key, "status": "REJECTED", "invoiceId": None, "error": error, "receivedAt": at}
        self.uploads.record(account_id, REJECTIONS_VERSION, outcome)
