"""API Gateway (REST) → the purchase-order and settings API.

Requests are refused before routing when they carry no account claim (401), when the caller's
roles do not allow the route (403: ``route_roles``), when they are too large (413) or not JSON
(400); then Powertools validates them against the pydantic models (422 naming each field) and the
routes call the service.
"""

from __future__ import annotations

import gc

gc.disable()  # no collection during the init, which ends at the finally below
try:
    import json
    from collections.abc import Iterator
    from typing import Any

    import aws_invoice_routes
    import invoice_routes
    import purchase_order_routes
    import settings_routes
    import user_routes
    from api_powertools import APIGatewayRestResolver, Response
    from api_support import actor_of, config, error_response, raw_error_response
    from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
    from aws_lambda_powertools.logging import correlation_paths
    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from route_roles import role_refusal

    from pom.core import jsonio
    from pom.core.errors import BadRequest, FieldError, NotFound, PayloadTooLarge, ServiceError, ValidationFailed
    from pom.core.observability import logger, metrics
    from pom.domain.invoice_documents import JSON, PDF, XML, media_type

    app = APIGatewayRestResolver(enable_validation=True, serializer=jsonio.dumps, json_body_deserializer=jsonio.loads)
    app.include_router(purchase_order_routes.router)
    app.include_router(settings_routes.router)
    app.include_router(invoice_routes.router)
    app.include_router(user_routes.router)
    app.include_router(aws_invoice_routes.router)
finally:
    # What the init built lives as long as the environment: frozen, no collection walks it (README, Cold start).
    gc.freeze()
    gc.enable()


@app.exception_handler(ServiceError)
def _service_error(error: ServiceError) -> Response:
    if error.status >= 500:
        logger.exception("request failed")
    else:
        logger.info("request refused", extra={"status": error.status, "title": error.title})
    return error_response(error)


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response:
    problems = error.errors()
    unreadable = next((problem for problem in problems if problem.get("type") == "json_invalid"), None)
    if unreadable is not None:
        reason = (unreadable.get("ctx") or {}).get("error", "not valid JSON")
        return error_response(BadRequest(f"the body is not valid JSON: {reason}"))
    return error_response(ValidationFailed([FieldError.from_pydantic(problem) for problem in problems]))


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response:
    """A defect, whatever the input: the contract's 500 body, and the cause logged with the request's
    ids (the correlation id and the account, appended to every line), never shown to the caller."""
    logger.exception("unexpected error", extra={"error": type(error).__name__})
    metrics.add_metric(name="UnexpectedError", unit=MetricUnit.Count, value=1)
    return error_response(ServiceError("an unexpected error; it has been logged with this request's id"))


@app.not_found
def _no_route(_: Exception) -> Response:
    return error_response(NotFound(f"no route {app.current_event.http_method} {app.current_event.path}"))


def _refusal(event: dict[str, Any]) -> ServiceError | None:
    """What API Gateway would refuse or the routes must never see: JSON bodies everywhere, and
    e-invoice documents (XML, PDF) on ``POST /invoices`` only, each kind within its own limit."""
    try:
        actor = actor_of(event)  # type: ignore[arg-type]
    except ServiceError as error:
        return error
    forbidden = role_refusal(str(event.get("httpMethod")), str(event.get("resource")), actor)
    if forbidden is not None:
        return forbidden
    body = event.get("body") or ""
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    content_type = headers.get("content-type") or JSON
    kind = media_type(content_type)
    document = kind in (XML, PDF) and (event.get("httpMethod"), event.get("resource")) == ("POST", "/invoices")
    limit = config.max_document_bytes if document else config.max_body_bytes
    if _body_size(body, event.get("isBase64Encoded")) > limit:
        return PayloadTooLarge(f"the body exceeds {limit} bytes")
    if body and kind != JSON and not document:
        shown = content_type.split(";")[0].strip().lower()
        return BadRequest(f"the body must be application/json, not {shown}")
    return None


def _body_size(body: str, base64_encoded: bool | None) -> int:
    """Bytes of the body as sent: base64 is a third longer than what it carries."""
    if base64_encoded:
        return len(body) * 3 // 4 - body[-2:].count("=")
    return len(body.encode("utf-8"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    refusal = _refusal(event)
    if refusal is not None:
        logger.info("request refused before routing", extra={"status": refusal.status})
        return raw_error_response(refusal)
    path = event.get("pathParameters") or {}
    actor = actor_of(event)  # type: ignore[arg-type]
    logger.append_keys(accountId=actor.account_id, userId=actor.user_id, poId=path.get("poId"))
    return app.resolve(event, context)


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document generated from the routes and models (served in local mode)."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer  # noqa: PLC0415 - docs only

    document = json.loads(
        app.get_openapi_json_schema(
            title="Purchase Order Management",
            version="1.0.0",
            description="Purchase orders, invoice matching and PO balances: the contract of shared/API.md.",
            security_schemes={"bearer": HTTPBearer(description="Cognito ID token; local mode: local:<accountId>")},
            security=[{"bearer": []}],
        )
    )
    _document_response_shapes(document)
    _document_invoice_upload(document)
    return document


def _document_response_shapes(document: dict[str, Any]) -> None:
    """The schemas of the response shapes the routes name (``api_support.documented``): each schema
    the paths refer to that Powertools did not write, from ``pom.domain.responses``, as Powertools
    writes a response model's (pydantic's serialization mode, its parts under their own names)."""
    from pydantic.json_schema import models_json_schema  # noqa: PLC0415 - docs only

    from pom.domain import responses  # noqa: PLC0415 - docs only

    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    named = {reference.rsplit("/", 1)[-1] for reference in _references(document["paths"])} - set(schemas)
    shapes = [(getattr(responses, name), "serialization") for name in sorted(named)]
    _, definitions = models_json_schema(shapes, ref_template="#/components/schemas/{model}")
    for name, schema in definitions["$defs"].items():
        schemas.setdefault(name, schema)


def _references(value: Any) -> Iterator[str]:
    """Every ``$ref`` in a part of the document."""
    if isinstance(value, dict):
        if isinstance(value.get("$ref"), str):
            yield value["$ref"]
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def _document_invoice_upload(document: dict[str, Any]) -> None:
    """``POST /invoices`` reads its body by ``Content-Type`` (JSON, XML, PDF), which a route's model
    parameter cannot say: its request body is written here, the JSON schema from the model."""
    from pom.domain.inputs import InvoiceDocument  # noqa: PLC0415 - docs only

    schema = InvoiceDocument.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(schema.pop("$defs", {}))
    schemas["InvoiceDocument"] = schema
    binary = {"schema": {"type": "string", "format": "binary"}}
    document["paths"]["/invoices"]["post"]["requestBody"] = {
        "required": True,
        "description": "JSON in the service's shape; a UBL 2.1 Invoice or CreditNote or a UN/CEFACT CII "
        "CrossIndustryInvoice (EN 16931), up to 4 MiB; or a Factur-X / ZUGFeRD PDF embedding its CII XML.",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/InvoiceDocument"}},
            "application/xml": binary,
            "application/pdf": binary,
        },
    }
