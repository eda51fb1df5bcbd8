"""Hostile input over HTTP on the local runner, on every route the OpenAPI document lists.

Every answer is a 4xx with the contract's error body (``status``, ``title``, ``detail``) and a
status the document declares for that route; never a 5xx. The handler-level tests of
``tests/integration/test_purchase_order_api.py`` try some of these on ``POST /purchase-orders``;
these send them through the HTTP server to every route.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests

from pom.core.config import DEFAULT_MAX_BODY_BYTES  # the runner leaves the default
from tests.e2e.client import Client, invoice_document
from tests.e2e.conftest import Runner
from tests.e2e.route_requests import Operations, RouteRequest, route_requests, seeded_client, served_operations

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def account(runner: Runner) -> Client:
    return seeded_client(runner)


@pytest.fixture(scope="module")
def documented(runner: Runner) -> Operations:
    return served_operations(runner.base_url)


@pytest.fixture(scope="module")
def every_route(documented: Operations) -> list[RouteRequest]:
    return route_requests(documented)


def assert_refused(response: requests.Response, operation: dict[str, Any], *statuses: int) -> dict[str, Any]:
    """A documented 4xx with the contract's error body; returns the body."""
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == response.status_code
    assert isinstance(body["title"], str)
    assert body["title"]
    assert body["detail"]
    assert str(response.status_code) in operation["responses"], "the OpenAPI document does not declare it"
    return body


def send_raw(runner: Runner, account: Client, request: RouteRequest, data: Any, **headers: str) -> requests.Response:
    all_headers = {**account.headers, "Content-Type": "application/json", **headers}
    return request.send(runner.base_url, all_headers, json=None, data=data)


def test_a_body_over_the_limit_is_413_on_every_route(runner: Runner, account: Client, every_route, documented):
    oversized = json.dumps({"description": "x" * DEFAULT_MAX_BODY_BYTES})
    for request in every_route:
        response = send_raw(runner, account, request, oversized)
        assert_refused(response, documented[request.method, request.route], 413)


@pytest.mark.parametrize(
    "not_json",
    [
        ("text/plain", '{"status": "ACTIVE"}'),
        ("application/x-www-form-urlencoded", "poId=1&status=ACTIVE"),
        ("multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--'),
        ("application/xml", "<purchaseOrder/>"),
    ],
)
def test_a_body_that_is_not_json_is_400_on_every_route(
    runner: Runner, account: Client, every_route, documented, not_json: tuple[str, str]
):
    content_type, body = not_json
    for request in every_route:
        response = send_raw(runner, account, request, body, **{"Content-Type": content_type})
        # POST /invoices reads XML: an e-invoice, which this document is not (422 naming the body).
        document = (request.method, request.route, content_type) == ("POST", "/invoices", "application/xml")
        assert_refused(response, documented[request.method, request.route], 422 if document else 400)


@pytest.mark.parametrize(
    "body",
    [
        '{"poId": ',
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 40_000 + "1" + "}" * 40_000,
        '{"amount": NaN}',
        '{"amount": Infinity}',
        '{"amount": -Infinity}',
        '{"amount": ' + "9" * 5_000 + "}",  # past Python's int-parsing limit
        "\ufeff{}",
    ],
    ids=["truncated", "deep-array", "deep-object", "nan", "infinity", "minus-infinity", "5000-digits", "bom"],
)
def test_malformed_json_is_400_on_every_route_that_takes_a_body(
    runner: Runner, account: Client, every_route, documented, body: str
):
    for request in (request for request in every_route if request.body is not None):
        response = send_raw(runner, account, request, body.encode("utf-8"))
        assert_refused(response, documented[request.method, request.route], 400)


def test_invalid_utf8_and_other_shapes_than_an_object_are_4xx(runner: Runner, account, every_route, documented):
    for request in (request for request in every_route if request.body is not None):
        operation = documented[request.method, request.route]
        optional = not operation["requestBody"].get("required", False)  # there, JSON null is no body at all
        for body in (b'{"poId": "\xff\xfe"}', b"[]", *(() if optional else (b"null",)), b'"text"', b"42"):
            assert_refused(send_raw(runner, account, request, body), operation, 400, 422)


def _route(every_route: list[RouteRequest], method: str, route: str) -> RouteRequest:
    (found,) = [request for request in every_route if (request.method, request.route) == (method, route)]
    return found


def fields_named(body: dict[str, Any]) -> set[str]:
    return {problem["field"] for problem in body["detail"]}


NUMBERS_OUT_OF_RANGE = ["1e400", "-1e400", "1E+999999999", '"1e400"', "-1", "true", '"0x10"', "[]", "{}"]
# Amounts Decimal() would take that are not the contract's decimal string: other scripts' digits,
# underscores, a sign, padding, exponents.
LOOSE_AMOUNTS = ['"\u0661\u0660\u0660"', '"\uff11\uff10"', '"1_0"', '"+10"', '" 10.00 "', "1e1", '"1e1"', "0E-1000"]


@pytest.mark.parametrize("number", NUMBERS_OUT_OF_RANGE + LOOSE_AMOUNTS)
def test_numbers_out_of_range_or_grammar_are_422_naming_the_field(
    runner: Runner, account, every_route, documented, number: str
):
    invoice = _route(every_route, "POST", "/invoices")
    for field in ("subtotal", "tax", "total"):
        document = {**invoice.body, field: "__number__"}
        response = send_raw(runner, account, invoice, json.dumps(document).replace('"__number__"', number))
        assert field in fields_named(assert_refused(response, documented["POST", "/invoices"], 422))
    settings = _route(every_route, "PUT", "/settings")
    for section, field in (("matching", "tolerancePercent"), ("matching", "toleranceAmount")):
        raw = json.dumps({section: {field: "__number__"}}).replace('"__number__"', number)
        body = assert_refused(send_raw(runner, account, settings, raw), documented["PUT", "/settings"], 422)
        assert f"{section}.{field}" in fields_named(body)
    add_line_item = _route(every_route, "POST", "/purchase-orders/{poId}/line-items")
    raw = json.dumps({**add_line_item.body, "amount": "__number__"}).replace('"__number__"', number)
    operation = documented["POST", "/purchase-orders/{poId}/line-items"]
    assert fields_named(assert_refused(send_raw(runner, account, add_line_item, raw), operation, 422)) == {"amount"}


@pytest.mark.parametrize("limit", ["1e400", "NaN", "Infinity", "-0", "0", "101", "9" * 5_000, "1.5", "%F0%9F%98%80"])
def test_page_sizes_out_of_range_are_422(runner: Runner, account, documented, limit: str):
    for method, route in documented:
        if (
            method == "GET"
            and "{" not in route
            and any(parameter["name"] == "limit" for parameter in documented[method, route].get("parameters", []))
        ):
            response = requests.get(f"{runner.base_url}{route}?limit={limit}", headers=account.headers, timeout=10)
            assert fields_named(assert_refused(response, documented[method, route], 422)) == {"limit"}


def test_minus_zero_is_refused_like_any_sign(runner: Runner, account: Client, every_route):
    """The one amount grammar has no sign: "-0", "-0.0" (and the JSON number -0.0) are 422."""
    add_line_item = _route(every_route, "POST", "/purchase-orders/{poId}/line-items")
    raw = json.dumps({**add_line_item.body, "lineItemId": "ZERO", "amount": "__number__"}).replace(
        '"__number__"', "-0.0"
    )
    created = send_raw(runner, account, add_line_item, raw)
    assert created.status_code == 422, created.text
    assert [error["field"] for error in created.json()["detail"]] == ["amount"]
    document = invoice_document("INV-MINUS-ZERO", "-0", "2026-03-01", tax="-0.00", total="-0")
    uploaded = account.post_invoice(document)
    assert uploaded.status_code == 422, uploaded.text
    assert {error["field"] for error in uploaded.json()["detail"]} == {"subtotal", "tax", "total"}


def test_huge_json_under_the_limit_is_422_and_quick(runner: Runner, account, every_route, documented):
    create = _route(every_route, "POST", "/purchase-orders")
    settings = _route(every_route, "PUT", "/settings")
    line_items = [{"lineItemId": str(number), "type": "ALL", "amount": "1"} for number in range(2_500)]
    cases = [
        (create, {**create.body, "lineItems": line_items}, "lineItems"),
        (create, {**create.body, "billFrom": ["A"] * 40_000}, "billFrom"),
        (settings, {"notifications": {"expiryNoticeDays": [1] * 100_000}}, "notifications.expiryNoticeDays"),
        (settings, {f"field{number}": number for number in range(12_000)}, "field0"),
    ]
    for request, document, field in cases:
        text = json.dumps(document, separators=(",", ":"))
        assert len(text) < DEFAULT_MAX_BODY_BYTES
        started = time.perf_counter()
        response = send_raw(runner, account, request, text)
        assert time.perf_counter() - started < 3
        assert field in fields_named(assert_refused(response, documented[request.method, request.route], 422))


def test_huge_strings_are_refused(runner: Runner, account: Client, every_route, documented):
    create = _route(every_route, "POST", "/purchase-orders")
    for field, value in (("description", "x" * 200_000), ("poId", "P" * 100_000), ("billFrom", ["x" * 100_000])):
        response = send_raw(runner, account, create, json.dumps({**create.body, field: value}))
        (named,) = fields_named(assert_refused(response, documented["POST", "/purchase-orders"], 422))
        assert named.startswith(field)
    listing = requests.get(
        f"{runner.base_url}/invoices", params={"nextToken": "A" * 5_000}, headers=account.headers, timeout=10
    )
    assert fields_named(assert_refused(listing, documented["GET", "/invoices"], 422)) == {"nextToken"}
    replace = _route(every_route, "PUT", "/purchase-orders/{poId}")
    stale = send_raw(runner, account, replace, json.dumps(replace.body), **{"If-Match": '"' + "9" * 8_000 + '"'})
    assert_refused(stale, documented["PUT", "/purchase-orders/{poId}"], 412)


# Ids no resource can have, percent-encoded as a client would send them (some not even UTF-8).
IMPOSSIBLE_IDS = {
    "latin": "na%C3%AFve",
    "emoji": "%F0%9F%98%80",
    "right-to-left-override": "%E2%80%AE1",
    "nul": "a%00b",
    "slash": "a%2Fb",
    "overlong-utf8": "%C0%AF",
    "not-utf8": "%FF%FE",
    "bad-escape": "%ZZ",
    "4000-chars": "a" * 4_000,
}


@pytest.mark.parametrize("encoded_id", IMPOSSIBLE_IDS.values(), ids=IMPOSSIBLE_IDS.keys())
def test_impossible_ids_in_the_path_are_404_on_every_route(
    runner: Runner, account: Client, every_route, documented, encoded_id: str
):
    for request in (request for request in every_route if request.parameters):
        path = request.route.format(**dict.fromkeys(request.parameters, encoded_id))
        response = requests.request(
            request.method, f"{runner.base_url}{path}", json=request.body, headers=account.headers, timeout=10
        )
        assert_refused(response, documented[request.method, request.route], 404)


@pytest.mark.parametrize("bad_id", ["naïve", "😀", "\u202e1", "a\x00b", "a/b", "\ud800", ""])
def test_impossible_ids_in_bodies_are_422_naming_the_field(runner: Runner, account, every_route, documented, bad_id):
    fields = {
        ("POST", "/purchase-orders"): ["poId"],
        ("POST", "/invoices"): ["invoiceId", "originalInvoiceId", "poId"],
        ("POST", "/purchase-orders/{poId}/line-items"): ["lineItemId"],
        ("PUT", "/invoices/{invoiceId}/match"): ["poId", "lineItemId"],
    }
    for (method, route), names in fields.items():
        request = _route(every_route, method, route)
        for name in names:
            response = send_raw(runner, account, request, json.dumps({**request.body, name: bad_id}))
            assert name in fields_named(assert_refused(response, documented[method, route], 422))


def test_lone_surrogates_in_text_are_422_and_other_unicode_round_trips(runner: Runner, account, every_route):
    create = _route(every_route, "POST", "/purchase-orders")
    text = "Ünïcødé 😀 \u202e עברית \x00"
    for field, value in (("description", "\udfff"), ("billFrom", ["\ud800"])):
        response = send_raw(runner, account, create, json.dumps({**create.body, "poId": "SURROGATE", field: value}))
        assert response.status_code == 422, response.text
    document = {**create.body, "poId": "UNICODE", "description": text, "billFrom": [text]}
    created = send_raw(runner, account, create, json.dumps(document))
    assert created.status_code == 201, created.text
    assert (created.json()["description"], created.json()["billFrom"]) == (text, [text])
