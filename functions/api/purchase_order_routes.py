"""Routes of ``/purchase-orders``: parse, call the service, shape the response."""

from __future__ import annotations

from typing import Annotated

from api_powertools import Response, Router
from api_support import (
    actor_of,
    documented,
    json_response,
    line_item_id_from_path,
    page_response,
    po_id_from_path,
    po_response,
    service,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query
from aws_lambda_powertools.metrics import MetricUnit

from pom.core.observability import metrics
from pom.domain.models import PoStatus
from pom.domain.purchase_orders import purchase_order_view
from pom.domain.requests import LineItemInput, PurchaseOrderCreate, PurchaseOrderFields, StatusChange

router = Router()

IfMatch = Annotated[
    str | None, Header(alias="If-Match", description="The version (ETag) the change was based on; 412 if stale.")
]
Limit = Annotated[int, Query(ge=1, le=100, description="Page size.")]
NextToken = Annotated[str | None, Query(alias="nextToken", max_length=2048, description="From the previous page.")]
TAGS = ["Purchase orders"]


@router.post("/purchase-orders", tags=TAGS, responses=documented(201, "PurchaseOrderOut", 409))
def create_purchase_order(body: Annotated[PurchaseOrderCreate, Body()]):
    po = service.create(actor_of(router.current_event), body)
    metrics.add_metric(name="PurchaseOrderCreated", unit=MetricUnit.Count, value=1)
    return po_response(po, 201)


@router.get("/purchase-orders", tags=TAGS, responses=documented(200, "PurchaseOrderPage"))
def list_purchase_orders(
    status: Annotated[PoStatus | None, Query(description="Only POs in this status.")] = None,
    tag: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=385,
            description="Only POs carrying this tag: key:value, or key for any value (split at the first colon).",
        ),
    ] = None,
    limit: Limit = 50,
    next_token: NextToken = None,
):
    page = service.list(actor_of(router.current_event).account_id, status, limit, next_token, tag=tag)
    return page_response(page, purchase_order_view)


@router.get("/purchase-orders/<poId>", tags=TAGS, responses=documented(200, "PurchaseOrderOut", 404))
def get_purchase_order(poId: str):  # noqa: N803 - the contract's path parameter name
    return po_response(service.get(actor_of(router.current_event).account_id, po_id_from_path(poId)))


@router.put("/purchase-orders/<poId>", tags=TAGS, responses=documented(200, "PurchaseOrderOut", 404, 409, 412))
def replace_purchase_order(
    poId: str,  # noqa: N803
    body: Annotated[PurchaseOrderFields, Body()],
    if_match: IfMatch = None,
):
    po = service.replace(actor_of(router.current_event), po_id_from_path(poId), body, if_match)
    return po_response(po)


@router.delete("/purchase-orders/<poId>", tags=TAGS, responses=documented(204, None, 404, 412))
def delete_purchase_order(poId: str, if_match: IfMatch = None):  # noqa: N803
    service.delete(actor_of(router.current_event), po_id_from_path(poId), if_match)
    return Response(204, None, "")


@router.post("/purchase-orders/<poId>/status", tags=TAGS, responses=documented(200, "PurchaseOrderOut", 404, 409, 412))
def change_purchase_order_status(
    poId: str,  # noqa: N803
    body: Annotated[StatusChange, Body()],
    if_match: IfMatch = None,
):
    po = service.change_status(actor_of(router.current_event), po_id_from_path(poId), body.status, if_match)
    return po_response(po)


@router.post(
    "/purchase-orders/<poId>/line-items",
    tags=TAGS,
    responses=documented(201, "PurchaseOrderOut", 404, 409, 412),
)
def add_line_item(
    poId: str,  # noqa: N803
    body: Annotated[LineItemInput, Body()],
    if_match: IfMatch = None,
):
    po = service.add_line_item(actor_of(router.current_event), po_id_from_path(poId), body, if_match)
    return po_response(po, 201)


@router.put(
    "/purchase-orders/<poId>/line-items/<lineItemId>",
    tags=TAGS,
    responses=documented(200, "PurchaseOrderOut", 404, 409, 412),
)
def replace_line_item(
    poId: str,  # noqa: N803
    lineItemId: str,  # noqa: N803
    body: Annotated[LineItemInput, Body()],
    if_match: IfMatch = None,
):
    po_id = po_id_from_path(poId)
    line_item_id = line_item_id_from_path(po_id, lineItemId)
    po = service.replace_line_item(actor_of(router.current_event), po_id, line_item_id, body, if_match)
    return po_response(po)


@router.delete(
    "/purchase-orders/<poId>/line-items/<lineItemId>",
    tags=TAGS,
    responses=documented(200, "PurchaseOrderOut", 404, 409, 412),
)
def delete_line_item(poId: str, lineItemId: str, if_match: IfMatch = None):  # noqa: N803
    po_id = po_id_from_path(poId)
    line_item_id = line_item_id_from_path(po_id, lineItemId)
    po = service.delete_line_item(actor_of(router.current_event), po_id, line_item_id, if_match)
    return po_response(po)


@router.get("/purchase-orders/<poId>/history", tags=TAGS, responses=documented(200, "HistoryPage", 404))
def purchase_order_history(poId: str, limit: Limit = 50, next_token: NextToken = None):  # noqa: N803
    page = service.history(actor_of(router.current_event).account_id, po_id_from_path(poId), limit, next_token)
    return json_response({"items": page.items, "nextToken": page.next_token})
