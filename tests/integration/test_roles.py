"""Users and roles at the API handler (API.md: users and roles): the role table covers every route,
the user and roles come from the authorizer's claims only, an unverified e-mail address is never the
actor, tokens from untrusted app clients are refused, and separation of duties holds."""

from __future__ import annotations

from typing import Any

import pytest
import route_roles

from local_runner.events import local_claims
from local_runner.template import api_routes, cognito_groups
from pom.domain.audit import ROLES
from tests.conftest import ApiClient, invoice, purchase_order
from tests.e2e.route_requests import operations


def test_every_route_of_the_template_and_the_openapi_document_has_a_role(api_handler: Any):
    template_routes = {(route.method, route.path) for route in api_routes()}
    documented = set(operations(api_handler.openapi_document()))
    assert template_routes == documented == set(route_roles.ROUTE_ROLES)
    assert set(route_roles.ROUTE_ROLES.values()) <= ROLES


def test_the_user_pool_groups_are_the_contracts_roles():
    assert cognito_groups() == ROLES


def claims(account: str, **extra: str) -> dict[str, str]:
    return {**local_claims(account, "u-123", ["buyer"]), **extra}


def test_the_actor_is_the_tokens_user_and_its_verified_address_only(client: ApiClient):
    verified = claims(client.account_id, email="ana@example.com", email_verified="true")
    unverified = claims(client.account_id, email="mallory@example.com", email_verified="false")
    client.request("POST", "/purchase-orders", purchase_order("PO-1"), claims=verified)
    client.request("POST", "/purchase-orders/PO-1/status", {"status": "SUSPENDED"}, claims=unverified)

    history = client.get("/purchase-orders/PO-1/history").body["items"]

    assert [entry["actor"] for entry in history] == [
        {"userId": "u-123", "email": None},
        {"userId": "u-123", "email": "ana@example.com"},
    ]


@pytest.mark.parametrize("groups", ["payables", "payables,viewer", "[payables viewer]", "[payables]"])
def test_groups_are_read_as_api_gateway_writes_them(client: ApiClient, groups: str):
    token = claims(client.account_id, **{"cognito:groups": groups})
    assert client.request("POST", "/purchase-orders", purchase_order("PO-G"), claims=token).status == 403
    assert client.request("GET", "/me", claims=token).body["roles"][0] == "payables"


def test_a_user_without_a_known_role_may_do_nothing(client: ApiClient):
    token = claims(client.account_id, **{"cognito:groups": "[]"})
    refused = client.request("GET", "/purchase-orders", claims=token)
    assert (refused.status, refused.body["title"]) == (403, "Forbidden")


def test_tokens_from_untrusted_app_clients_are_refused(client: ApiClient, monkeypatch: pytest.MonkeyPatch):
    import api_support

    monkeypatch.setattr(api_support, "config", api_support.config._replace(trusted_client_ids=frozenset({"console"})))
    assert client.request("GET", "/purchase-orders", claims=claims(client.account_id, aud="console")).status == 200
    for untrusted in (claims(client.account_id, aud="self-service-app"), claims(client.account_id)):
        assert client.request("GET", "/purchase-orders", claims=untrusted).status == 401
    access_token = {**claims(client.account_id), "client_id": "console"}
    access_token.pop("aud")
    assert client.request("GET", "/purchase-orders", claims=access_token).status == 200


def test_separate_approver_is_enforced_only_when_on(client: ApiClient, pipeline: Any):
    clerk = {**local_claims(client.account_id, "clerk", ["payables", "approver"])}
    client.post("/purchase-orders", purchase_order("PO-1"))
    for invoice_id in ("INV-1", "INV-2"):
        client.request("POST", "/invoices", invoice(invoice_id), claims=clerk)
    pipeline.drain()
    for invoice_id in ("INV-1", "INV-2"):
        assert client.request("POST", f"/invoices/{invoice_id}/submit", claims=clerk).status == 200

    assert client.request("POST", "/invoices/INV-1/approve", claims=clerk).status == 200  # off by default
    assert client.put("/settings", {"approval": {"separateApprover": True}}).status == 200
    refused = client.request("POST", "/invoices/INV-2/approve", claims=clerk)
    assert (refused.status, refused.body["title"]) == (403, "Forbidden")
    assert client.post("/invoices/INV-2/approve").status == 200  # another user (the account's own)


def test_another_accounts_resources_stay_404_whatever_the_roles(client: ApiClient, other_client: ApiClient):
    client.post("/purchase-orders", purchase_order("PO-1"))
    viewer = local_claims(other_client.account_id, "v", ["viewer"])
    assert other_client.request("GET", "/purchase-orders/PO-1", claims=viewer).status == 404
