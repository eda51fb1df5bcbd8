"""What every API route shares: the service, the caller's identity, paths, the responses it documents."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

from api_powertools import Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from pom.adapters.documents import DocumentStore
from pom.core import jsonio
from pom.core.config import ApiConfig, read_config
from pom.core.errors import NotFound, ServiceError, Unauthorized
from pom.domain.audit import ROLES, Actor
from pom.domain.invoices import Invoice, invoice_view
from pom.domain.models import ACCOUNT_ID_PATTERN, INVOICE_ID_PATTERN, LINE_ITEM_ID_PATTERN, PO_ID_PATTERN
from pom.domain.purchase_orders import PurchaseOrder, purchase_order_view
from pom.services.invoices import InvoiceService
from pom.services.purchase_orders import PurchaseOrderService
from pom.store.ports import Page
from pom.store.tables import dynamo_stores

config = read_config(ApiConfig)
stores = dynamo_stores(config.table_name)
service = PurchaseOrderService(stores.purchase_orders, stores.settings)
invoice_service = InvoiceService(
    stores.purchase_orders, stores.invoices, stores.settings, stores.uploads, DocumentStore(config.invoice_bucket)
)

ACCOUNT_CLAIM = "custom:accountId"
_ACCOUNT_ID = re.compile(ACCOUNT_ID_PATTERN)
_PO_ID = re.compile(PO_ID_PATTERN)
_LINE_ITEM_ID = re.compile(LINE_ITEM_ID_PATTERN)
_INVOICE_ID = re.compile(INVOICE_ID_PATTERN)
_ERROR_TITLES = {
    400: "Malformed request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    412: "Precondition failed",
    413: "Payload too large",
    422: "Validation failed",
}


def claims(event: APIGatewayProxyEvent) -> dict[str, Any]:
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    return authorizer.get("claims") or {}


def actor_of(event: APIGatewayProxyEvent) -> Actor:
    """The tenant and the user come from the authorizer's claims only, never from the path, body or a
    header: the account from ``custom:accountId``, the user from ``sub``, the e-mail address only
    while ``email_verified`` (an address changed and not yet verified is never shown as the actor),
    the roles from ``cognito:groups``. A token from an app client the stack does not trust is refused."""
    caller = claims(event)
    account_id = caller.get(ACCOUNT_CLAIM)
    if not isinstance(account_id, str) or not _ACCOUNT_ID.match(account_id):
        raise Unauthorized(f"the token carries no valid {ACCOUNT_CLAIM} claim")
    client = caller.get("aud") or caller.get("client_id")
    if config.trusted_client_ids and client not in config.trusted_client_ids:
        raise Unauthorized("the token was issued to an app client this API does not trust")
    user_id = caller.get("sub") or caller.get("cognito:username")
    if not isinstance(user_id, str) or not user_id:
        raise Unauthorized("the token names no user (sub)")
    verified = str(caller.get("email_verified", "")).lower() == "true"
    email = caller.get("email") if verified and isinstance(caller.get("email"), str) else None
    return Actor(account_id, user_id, email, roles_of(caller.get("cognito:groups")))


def roles_of(groups: object) -> frozenset[str]:
    """The contract's roles among the token's groups. API Gateway hands a REST API every claim as a
    string: one group, ``a,b``, or ``[a b]``; a list is taken as it is."""
    if isinstance(groups, list):
        names = [str(group) for group in groups]
    else:
        names = re.split(r"[\s,]+", str(groups or "").strip("[] "))
    return frozenset(names) & ROLES


def po_id_from_path(raw: str) -> str:
    """REST API paths arrive percent-encoded; an id that cannot exist is simply not found."""
    po_id = unquote(raw)
    if not _PO_ID.match(po_id):
        raise NotFound(f"PO {po_id!r} not found")
    return po_id


def line_item_id_from_path(po_id: str, raw: str) -> str:
    line_item_id = unquote(raw)
    if not _LINE_ITEM_ID.match(line_item_id):
        raise NotFound(f"PO {po_id!r} has no line item {line_item_id!r}")
    return line_item_id


def invoice_id_from_path(raw: str) -> str:
    invoice_id = unquote(raw)
    if not _INVOICE_ID.match(invoice_id):
        raise NotFound(f"invoice {invoice_id!r} not found")
    return invoice_id


def invoice_response(invoice: Invoice, status_code: int = 200) -> Response:
    return _resource_response(invoice_view(invoice), invoice.version, status_code, f"/invoices/{invoice.invoiceId}")


def po_response(po: PurchaseOrder, status_code: int = 200) -> Response:
    location = f"/purchase-orders/{quote(po.poId, safe='')}"
    return _resource_response(purchase_order_view(po), po.version, status_code, location)


def _resource_response(view: dict[str, Any], version: int, status_code: int, location: str) -> Response:
    """A resource as it now stands, with its version as the ETag (and where it lives, once created)."""
    headers = {"ETag": f'"{version}"'}
    if status_code in (201, 202):
        headers["Location"] = location
    return Response(status_code, "application/json", view, headers)


def json_response(document: Any, status_code: int = 200) -> Response:
    return Response(status_code, "application/json", document)


# Lambda returns at most 6 MB (6,291,456 bytes): the JSON it answers, the body escaped in it. A list
# page's items stop short of that, and its nextToken resumes after the last item shown.
PAGE_BYTES = 6_000_000


def page_response(page: Page, view: Callable[[Any], dict[str, Any]]) -> Response:
    """A page of resources as the API lists them, cut where the next item would not fit a response."""
    items: list[dict[str, Any]] = []
    size = 0
    for index, item in enumerate(page.items):
        shown = view(item)
        size += len(json.dumps(json.dumps(shown, separators=(",", ":"), default=str))) + 1
        if items and size > PAGE_BYTES and page.resume:
            return json_response({"items": items, "nextToken": page.resume[index - 1]})
        items.append(shown)
    return json_response({"items": items, "nextToken": page.next_token})


def error_response(error: ServiceError) -> Response:
    return Response(error.status, "application/json", error.body())


def raw_error_response(error: ServiceError) -> dict[str, Any]:
    """An API Gateway proxy response, for requests refused before routing."""
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": "application/json"},
        "body": jsonio.dumps(error.body()),
        "isBase64Encoded": False,
    }


# Whatever the route: a body that is not JSON (400), no account claim (401), roles that do not allow it
# (403) and a body over the limit (413) are refused before routing, and a parameter or body that fails
# validation is a 422 in the same shape.
_EVERY_ROUTE_ERRORS = (400, 401, 403, 413, 422)


def documented(success: int, shape: str | type | None, *errors: int) -> dict[int, dict[str, Any]]:
    """The ``responses`` of a route for the OpenAPI document (no ``shape``: no body, as for a 204).

    A response shape is named, a reference to the schema of that name in ``pom.domain.responses``, not
    given as a model: Powertools would build a model's validator on the route's first request, and the
    API's cold start would define every response shape, which only the OpenAPI document reads. A shape
    that is also a request body (the settings), which the route loads anyway, is given as its model."""
    described: dict[int, dict[str, Any]] = {
        success: {"description": "Success", "content": {} if shape is None else json_content(shape)}
    }
    for status in (*_EVERY_ROUTE_ERRORS, *errors):
        described[status] = {"description": _ERROR_TITLES[status], "content": json_content("ErrorBody")}
    return described


def json_content(shape: str | type) -> dict[str, Any]:
    """A response's JSON content of that shape (``documented``)."""
    if not isinstance(shape, str):
        return {"application/json": {"model": shape}}
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{shape}"}}}
