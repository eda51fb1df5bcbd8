"""The AWS Invoicing API of local mode: ``ListInvoiceSummaries`` and ``GetInvoicePDF``, served on the
emulator's own endpoint from what ``POST /_local/aws-invoices`` gave it.

moto does not emulate the Invoicing API. The import's real boto3 client sends its calls (JSON
protocol, ``X-Amz-Target: Invoicing.<Operation>``) to the emulator as every client does, so the moto
server's WSGI application is wrapped: those calls, and the GETs of the PDF links GetInvoicePDF hands
out (``/_invoicing-pdf/...``), are answered here, everything else by moto.

As AWS would, it answers only a caller holding a role of the AWS account it asks about, assumed
through the emulated STS (with the external id the account's invoices were added with, when one
was given: the customer's trust policy); takes an interval of at most a month; pages by
``MaxResults`` and ``NextToken``; and lists in no order the caller may rely on (newest first here).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.sts.models import sts_backends

PDF_PATH = "/_invoicing-pdf/"
MAX_INTERVAL_SECONDS = 31 * 86400  # "TimeInterval is limited to one month" without ReceiverRole
DEFAULT_PAGE = 100
_ACCOUNT = re.compile(r"^[0-9]{12}$")
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_TIMESTAMPS = ("IssuedDate", "DueDate")
_lock = threading.Lock()
_accounts: dict[str, Account] = {}

Respond = Callable[[str, list[tuple[str, str]]], Any]


class InvoicingError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Account:
    account_id: str
    external_id: str | None = None
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)  # by InvoiceId, as added


def install() -> None:
    if getattr(DomainDispatcherApplication.__call__, "serves_invoicing", False):
        return
    original = DomainDispatcherApplication.__call__

    def dispatch(self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Respond) -> Any:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith("Invoicing."):
            return _api(environ, start_response, target.removeprefix("Invoicing."))
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO", "").startswith(PDF_PATH):
            return _pdf_download(environ, start_response)
        return original(self, environ, start_response)

    dispatch.serves_invoicing = True  # type: ignore[attr-defined]
    DomainDispatcherApplication.__call__ = dispatch  # type: ignore[method-assign]


# --- POST /_local/aws-invoices --------------------------------------------------------------------


def add(document: Any) -> dict[str, Any]:
    """``{"accountId", "invoices": [InvoiceSummary...], "externalId"?}``: adds (or replaces, by
    InvoiceId) the AWS account's invoices. Timestamps may be ISO-8601 or epoch seconds. Raises
    ValueError saying what is wrong."""
    if not isinstance(document, dict) or not _ACCOUNT.match(str(document.get("accountId", ""))):
        raise ValueError('send {"accountId": "<12-digit AWS account id>", "invoices": [<InvoiceSummary>, ...]}')
    invoices = document.get("invoices")
    if not isinstance(invoices, list) or not all(isinstance(summary, dict) for summary in invoices):
        raise ValueError("invoices: a list of InvoiceSummary objects")
    if not all(isinstance(summary.get("InvoiceId"), str) and summary["InvoiceId"] for summary in invoices):
        raise ValueError("invoices: each needs its InvoiceId")
    external_id = document.get("externalId")
    account_id = document["accountId"]
    summaries = [_stored(summary, account_id) for summary in invoices]
    with _lock:
        account = _accounts.setdefault(account_id, Account(account_id))
        if external_id is not None:
            account.external_id = str(external_id)
        account.invoices.update((summary["InvoiceId"], summary) for summary in summaries)
        return {"accountId": account_id, "invoices": len(account.invoices), "externalId": account.external_id}


def _stored(summary: dict[str, Any], account_id: str) -> dict[str, Any]:
    stored = {"AccountId": account_id, **summary}
    for name in _TIMESTAMPS:
        if name in stored:
            stored[name] = _epoch(stored[name], name)
    return stored


def _epoch(value: Any, name: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name}: ISO-8601 (2026-11-02T00:00:00Z) or epoch seconds, not {value!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"{name}: give a time zone, e.g. 2026-11-02T00:00:00Z")
    return moment.timestamp()


# --- the API --------------------------------------------------------------------------------------


def _api(environ: dict[str, Any], start_response: Respond, operation: str) -> Iterable[bytes]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request = json.loads(environ["wsgi.input"].read(length) or b"{}")
        account = _caller_account(environ.get("HTTP_AUTHORIZATION", ""))
        if operation == "ListInvoiceSummaries":
            answer = _list_invoice_summaries(account, request)
        elif operation == "GetInvoicePDF":
            answer = _get_invoice_pdf(account, request, environ.get("HTTP_HOST", "127.0.0.1"))
        else:
            raise InvoicingError(400, "UnknownOperationException", f"local mode serves no {operation}")
    except InvoicingError as error:
        return _json(start_response, error.status, {"__type": error.code, "message": error.message})
    except (ValueError, TypeError, KeyError) as error:
        return _json(start_response, 400, {"__type": "ValidationException", "message": str(error)})
    return _json(start_response, 200, answer)


def _caller_account(authorization: str) -> Account:
    """The account whose role the request is signed with (an AssumeRole of the emulated STS)."""
    found = _CREDENTIAL.search(authorization)
    access_key = found[1] if found else ""
    with _lock:
        accounts = list(_accounts.values())
    for account in accounts:
        role = sts_backends[account.account_id]["aws"].get_assumed_role_from_access_key(access_key)
        if role is None:
            continue
        if account.external_id is not None and role.external_id != account.external_id:
            raise InvoicingError(403, "AccessDeniedException", f"the role's trust policy wants {account.external_id!r}")
        return account
    raise InvoicingError(403, "AccessDeniedException", "call with a role of the account (STS AssumeRole)")


def _list_invoice_summaries(account: Account, request: dict[str, Any]) -> dict[str, Any]:
    selector = request.get("Selector") or {}
    if (selector.get("ResourceType"), selector.get("Value")) != ("ACCOUNT_ID", account.account_id):
        raise InvoicingError(403, "AccessDeniedException", "the role's account is not the one selected")
    filters = request.get("Filter") or {}
    interval = filters.get("TimeInterval")
    start, end = -float("inf"), float("inf")
    if interval is not None:
        start, end = float(interval["StartDate"]), float(interval["EndDate"])
        if not 0 < end - start <= MAX_INTERVAL_SECONDS:
            raise InvoicingError(400, "ValidationException", "TimeInterval: the end after the start, within a month")
    with _lock:
        rows = [dict(summary) for summary in account.invoices.values()]
    rows = [row for row in rows if start <= row.get("IssuedDate", 0.0) < end and _kept(row, filters)]
    rows.sort(key=lambda row: row.get("IssuedDate", 0.0), reverse=True)
    size = int(request.get("MaxResults") or DEFAULT_PAGE)
    offset = int(request.get("NextToken") or 0)
    answer: dict[str, Any] = {"InvoiceSummaries": rows[offset : offset + size]}
    if offset + size < len(rows):
        answer["NextToken"] = str(offset + size)
    return answer


def _kept(row: dict[str, Any], filters: dict[str, Any]) -> bool:
    if (period := filters.get("BillingPeriod")) is not None and row.get("BillingPeriod") != period:
        return False
    entity = filters.get("InvoicingEntity")
    return entity is None or (row.get("Entity") or {}).get("InvoicingEntity") == entity


def _get_invoice_pdf(account: Account, request: dict[str, Any], host: str) -> dict[str, Any]:
    invoice_id = str(request.get("InvoiceId") or "")
    with _lock:
        known = invoice_id in account.invoices
    if not known:
        raise InvoicingError(404, "ResourceNotFoundException", f"no invoice {invoice_id!r} in this account")
    url = f"http://{host}{PDF_PATH}{account.account_id}/{quote(invoice_id, safe='')}"
    expires = time.time() + 3600
    return {"InvoicePDF": {"InvoiceId": invoice_id, "DocumentUrl": url, "DocumentUrlExpirationDate": expires}}


def _pdf_download(environ: dict[str, Any], start_response: Respond) -> Iterable[bytes]:
    account_id, _, invoice_id = environ["PATH_INFO"].removeprefix(PDF_PATH).partition("/")
    with _lock:
        summary = _accounts[account_id].invoices.get(unquote(invoice_id)) if account_id in _accounts else None
    if summary is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such invoice"]
    body = invoice_pdf(summary)
    start_response("200 OK", [("Content-Type", "application/pdf"), ("Content-Length", str(len(body)))])
    return [body]


def _json(start_response: Respond, status: int, document: dict[str, Any]) -> Iterable[bytes]:
    body = json.dumps(document).encode()
    reason = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found"}[status]
    headers = [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(body)))]
    start_response(f"{status} {reason}", headers)
    return [body]


def invoice_pdf(summary: dict[str, Any]) -> bytes:
    """A one-page PDF naming the invoice and its amounts, as AWS's stands in for here."""
    money = summary.get("PaymentCurrencyAmount") or {}
    lines = [
        f"{(summary.get('Entity') or {}).get('InvoicingEntity', 'Amazon Web Services')}",
        f"{summary.get('InvoiceType', 'INVOICE')} {summary['InvoiceId']}",
        f"Total {money.get('TotalAmount', '?')} {money.get('CurrencyCode', '')}",
    ]
    text = " ".join(f"({_pdf_text(line)}) Tj 0 -16 Td" for line in lines)
    content = f"BT /F1 12 Tf 56 780 Td {text} ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _pdf_text(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
