"""Authentication and tenant isolation on every route of the OpenAPI document, over HTTP.

``route_requests`` fails when the document has a route it has no request for, so a new route is
covered here as soon as it exists.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.client import Client, drain
from tests.e2e.conftest import Runner
from tests.e2e.route_requests import (
    PO_ID,
    SETTINGS,
    RouteRequest,
    route_requests,
    seeded_client,
    served_operations,
)

pytestmark = pytest.mark.e2e

MALFORMED_CREDENTIALS = [
    None,
    "",
    "Bearer",
    "Bearer local:",
    "Bearer acme",
    "bearer local:acme",
    "Basic bG9jYWw6YWNtZQ==",
    "Bearer local:a#b",
    "Bearer local:../acme",
    "Bearer local:" + "x" * 65,
    "Bearer local:acme extra",
]


@pytest.mark.parametrize("authorization", MALFORMED_CREDENTIALS)
def test_every_route_is_401_without_valid_credentials(runner: Runner, authorization: str | None):
    documented = served_operations(runner.base_url)
    headers = {} if authorization is None else {"Authorization": authorization}
    for request in route_requests(documented):
        response = request.send(runner.base_url, headers)
        assert response.status_code == 401, (request.method, request.path, response.text)
        assert response.json()["status"] == 401
        assert "401" in documented[request.method, request.route]["responses"]


def _snapshot(client: Client, reads: list[RouteRequest]) -> dict[str, Any]:
    """Everything the account can read; a document link's signature (it changes each time) left out."""
    snapshot = {}
    for request in reads:
        response = request.send(client.base_url, client.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        if request.route.endswith("/document"):
            body["url"] = urlsplit(body["url"]).path
        snapshot[request.path] = body
    return snapshot


def test_another_account_gets_404_or_its_own_data_on_every_route(runner: Runner):
    owner = seeded_client(runner)
    every_route = route_requests(served_operations(runner.base_url))
    reads = [request for request in every_route if request.method == "GET"]
    before = _snapshot(owner, reads)
    assert before["/settings"]["paymentTerms"] == SETTINGS["paymentTerms"]

    intruder = Client(runner)
    for request in every_route:  # the owner's ids, the intruder's credentials
        response = request.send(runner.base_url, intruder.headers)
        assert owner.account not in response.text
        if request.parameters:
            assert response.status_code == 404, (request.method, request.path, response.text)
            assert response.json()["status"] == 404
        elif request.method == "GET":
            assert response.status_code == 200, response.text
            if request.route == "/settings":  # the defaults, not the owner's settings
                assert response.json()["paymentTerms"] != SETTINGS["paymentTerms"]
            elif request.route == "/me":  # the intruder itself
                assert response.json()["accountId"] == intruder.account
            else:
                assert response.json()["items"] == []
        else:  # its own settings, PO and invoice: ids are per account
            assert response.status_code in {200, 201, 202}, (request.method, request.path, response.text)
    drain(runner.base_url)

    # The intruder's invoice names the owner's PO: it is matched to none of the intruder's POs either.
    (uploaded,) = intruder.invoices()
    assert uploaded["poId"] == PO_ID
    assert (uploaded["matchStatus"], uploaded["unmatchedReason"]) == ("UNMATCHED", "PO_NOT_ELIGIBLE")
    assert _snapshot(owner, reads) == before
