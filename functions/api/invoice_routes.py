"""Routes of ``/invoices``, ``/invoice-uploads`` and a PO's invoices: parse, call the service, shape."""

from __future__ import annotations

import base64
from typing import Annotated, Literal

from api_powertools import Response, Router
from api_support import (
    actor_of,
    documented,
    invoice_id_from_path,
    invoice_response,
    invoice_service,
    json_content,
    json_response,
    page_response,
    po_id_from_path,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.metrics import MetricUnit
from purchase_order_routes import IfMatch, Limit, NextToken

from pom.core.observability import metrics
from pom.domain.inputs import PoId
from pom.domain.invoices import invoice_view
from pom.domain.models import ApprovalStatus, MatchStatus
from pom.domain.requests import ManualMatch, Rejection
from pom.store.ports import Page

router = Router()
TAGS = ["Invoices"]


def _page(page: Page) -> Response:
    """A page of invoices as the API lists them."""
    return page_response(page, invoice_view)


# The same document uploaded again is answered with the existing invoice (200), not a new one (202).
_UPLOADED_BEFORE = {200: {"description": "Uploaded before", "content": json_content("InvoiceOut")}}


@router.post("/invoices", tags=TAGS, responses={**documented(202, "InvoiceOut", 409), **_UPLOADED_BEFORE})
def upload_invoice():
    """An invoice or credit memo: JSON, a UBL or CII e-invoice (XML), or a Factur-X / ZUGFeRD PDF, by
    ``Content-Type``. 202 with the new invoice (PENDING, matched shortly); 200 with the existing one if
    the same invoice was received before, in any format; 409 if its id, or its billing entity, document
    type and supplier invoice number, exist with other content. The request body is documented in
    ``openapi_document`` (three media types, which a model parameter cannot say)."""
    event = router.current_event
    original = base64.b64decode(event.body or "") if event.is_base64_encoded else (event.body or "").encode("utf-8")
    invoice, created = invoice_service.upload(
        actor_of(event), original, event.headers.get("content-type") or "application/json"
    )
    if created:
        metrics.add_metric(name="InvoiceUploaded", unit=MetricUnit.Count, value=1)
    return invoice_response(invoice, 202 if created else 200)


@router.get("/invoices", tags=TAGS, responses=documented(200, "InvoicePage"))
def list_invoices(
    match_status: Annotated[MatchStatus | None, Query(alias="matchStatus")] = None,
    approval_status: Annotated[ApprovalStatus | None, Query(alias="approvalStatus")] = None,
    po_id: Annotated[PoId | None, Query(alias="poId", description="Invoices matched to this PO.")] = None,
    limit: Limit = 50,
    next_token: NextToken = None,
):
    account_id = actor_of(router.current_event).account_id
    filters = {"match_status": match_status, "approval_status": approval_status, "po_id": po_id}
    return _page(invoice_service.list(account_id, limit, next_token, **filters))


@router.get("/invoices/<invoiceId>", tags=TAGS, responses=documented(200, "InvoiceOut", 404))
def get_invoice(invoiceId: str):  # noqa: N803 - the contract's path parameter name
    account_id = actor_of(router.current_event).account_id
    return invoice_response(invoice_service.get(account_id, invoice_id_from_path(invoiceId)))


@router.get("/invoices/<invoiceId>/document", tags=TAGS, responses=documented(200, "DocumentLink", 404))
def invoice_document(invoiceId: str):  # noqa: N803
    account_id = actor_of(router.current_event).account_id
    return json_response(invoice_service.document_link(account_id, invoice_id_from_path(invoiceId)))


@router.put("/invoices/<invoiceId>/match", tags=TAGS, responses=documented(200, "InvoiceOut", 404, 409, 412))
def rematch_invoice(invoiceId: str, body: Annotated[ManualMatch, Body()], if_match: IfMatch = None):  # noqa: N803
    invoice = invoice_service.rematch(actor_of(router.current_event), invoice_id_from_path(invoiceId), body, if_match)
    return invoice_response(invoice)


@router.delete("/invoices/<invoiceId>/match", tags=TAGS, responses=documented(200, "InvoiceOut", 404, 409, 412))
def unmatch_invoice(invoiceId: str, if_match: IfMatch = None):  # noqa: N803
    invoice = invoice_service.unmatch(actor_of(router.current_event), invoice_id_from_path(invoiceId), if_match)
    return invoice_response(invoice)


def _approval_route(action: Literal["submit", "approve"]) -> None:
    def route(invoiceId: str, if_match: IfMatch = None):  # noqa: N803
        change = getattr(invoice_service, action)
        return invoice_response(change(actor_of(router.current_event), invoice_id_from_path(invoiceId), if_match))

    route.__name__ = f"{action}_invoice"
    router.post(f"/invoices/<invoiceId>/{action}", tags=TAGS, responses=documented(200, "InvoiceOut", 404, 409, 412))(
        route
    )


for _action in ("submit", "approve"):
    _approval_route(_action)


@router.post("/invoices/<invoiceId>/reject", tags=TAGS, responses=documented(200, "InvoiceOut", 404, 409, 412))
def reject_invoice(invoiceId: str, body: Annotated[Rejection | None, Body()] = None, if_match: IfMatch = None):  # noqa: N803
    """``SUBMITTED`` → ``REJECTED``, with an optional reason (kept on the invoice and its history)."""
    reason = body.reason if body is not None else None
    actor = actor_of(router.current_event)
    return invoice_response(invoice_service.reject(actor, invoice_id_from_path(invoiceId), if_match, reason))


@router.get("/invoices/<invoiceId>/history", tags=TAGS, responses=documented(200, "InvoiceHistoryPage", 404))
def invoice_history(invoiceId: str, limit: Limit = 50, next_token: NextToken = None):  # noqa: N803
    """The invoice's own trail, newest first: received, matched, credited, submitted, approved, rejected."""
    account_id = actor_of(router.current_event).account_id
    page = invoice_service.history(account_id, invoice_id_from_path(invoiceId), limit, next_token)
    return json_response({"items": page.items, "nextToken": page.next_token})


@router.get("/purchase-orders/<poId>/invoices", tags=["Purchase orders"], responses=documented(200, "InvoicePage", 404))
def purchase_order_invoices(poId: str, limit: Limit = 50, next_token: NextToken = None):  # noqa: N803
    account_id = actor_of(router.current_event).account_id
    return _page(invoice_service.of_purchase_order(account_id, po_id_from_path(poId), limit, next_token))


@router.get("/invoice-uploads", tags=TAGS, responses=documented(200, "InvoiceUploadPage"))
def invoice_uploads(
    status: Annotated[Literal["ACCEPTED", "DUPLICATE", "REJECTED"] | None, Query()] = None,
    limit: Limit = 50,
    next_token: NextToken = None,
):
    account_id = actor_of(router.current_event).account_id
    page = invoice_service.upload_outcomes(account_id, status, limit, next_token)
    return json_response({"items": page.items, "nextToken": page.next_token})
