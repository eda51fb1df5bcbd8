"""Users and roles through the local runner (API.md: users and roles): every route of the OpenAPI
document, called by a user of each role, answers 403 exactly where the contract's table says the
role may not; separation of duties; the actor of audit entries."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest
import requests

from tests.e2e.client import TIMEOUT, Client, drain, invoice_document
from tests.e2e.conftest import Runner
from tests.e2e.route_requests import PO_ID, RouteRequest, route_requests, seed_account, served_operations

pytestmark = pytest.mark.e2e

ROLES = ("viewer", "buyer", "payables", "approver", "admin")


def contract_role(request: RouteRequest) -> str:
    """The role API.md's table names for a route, written here from the contract (not from the code)."""
    if request.method == "GET":
        return "viewer"  # every role reads everything of the account
    if request.route.startswith("/purchase-orders"):
        return "buyer"  # create, change, suspend, close and delete POs and their line items
    if request.route.endswith(("/approve", "/reject")):
        return "approver"
    if request.route == "/aws-invoice-imports":
        return "payables"  # uploading the account's AWS invoices
    if request.route.startswith("/invoices"):
        return "payables"  # upload invoices, match and unmatch by hand, submit
    return "admin"  # the account settings


def user(account: str, user_id: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer local:{account}:{user_id}:{'+'.join(roles)}"}


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_contract_says(runner: Runner, role: str):
    admin = Client(runner)
    seed_account(lambda method, path, body: admin.call(method, path, body).status_code, lambda: drain(runner.base_url))
    headers = user(admin.account, f"{role}-user", role)
    refused, allowed = [], []
    for request in route_requests(served_operations(runner.base_url)):
        response = request.send(runner.base_url, headers)
        may = role in ("admin", contract_role(request)) or contract_role(request) == "viewer"
        assert response.status_code < 500, (request.method, request.route, response.text)
        (allowed if response.status_code != 403 else refused).append(f"{request.method} {request.route}")
        if not may:
            assert response.status_code == 403, (role, request.method, request.route, response.text)
            body = response.json()
            assert (body["status"], body["title"]) == (403, "Forbidden")
            assert contract_role(request) in body["detail"]
        elif request.method == "GET":
            assert response.status_code == 200, (role, request.route, response.text)
    me = requests.get(f"{runner.base_url}/me", headers=headers, timeout=TIMEOUT).json()
    assert (me["userId"], me["roles"]) == (f"{role}-user", [role])
    assert sorted(me["allowed"]) == sorted(allowed)


def test_a_token_naming_an_unknown_role_or_no_roles_is_401(runner: Runner):
    account = f"roles-{uuid.uuid4().hex[:8]}"
    for token in (f"local:{account}:ana:superuser", f"local:{account}:ana:", f"local:{account}:ana"):
        response = requests.get(
            f"{runner.base_url}/purchase-orders", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
        )
        assert response.status_code == 401, token


def test_the_submitter_cannot_approve_with_separation_of_duties(runner: Runner):
    admin = Client(runner)
    account = admin.account
    clerk = user(account, "clerk@example.com", "payables", "approver")
    boss = user(account, "boss@example.com", "approver")
    assert admin.call("PUT", "/settings", {"approval": {"separateApprover": True}}).status_code == 200
    admin.call("POST", "/purchase-orders", {
        "poId": PO_ID, "billFrom": ["Amazon Web Services, Inc."], "effectiveMonth": "2026-01",
        "expirationMonth": "2026-12", "lineItems": [{"lineItemId": "1", "type": "ALL", "amount": "1000.00"}],
    })  # fmt: skip
    base = runner.base_url
    for invoice_id in ("INV-A", "INV-B"):
        document = invoice_document(invoice_id, "100.00", "2026-03-15")
        assert requests.post(f"{base}/invoices", json=document, headers=clerk, timeout=TIMEOUT).status_code == 202
    drain(base)
    for invoice_id in ("INV-A", "INV-B"):
        submitted = requests.post(f"{base}/invoices/{invoice_id}/submit", headers=clerk, timeout=TIMEOUT)
        assert submitted.status_code == 200, submitted.text

    own = requests.post(f"{base}/invoices/INV-A/approve", headers=clerk, timeout=TIMEOUT)
    other = requests.post(f"{base}/invoices/INV-A/approve", headers=boss, timeout=TIMEOUT)

    assert own.status_code == 403, own.text
    assert "separateApprover" in own.json()["detail"]
    assert other.status_code == 200, other.text
    history = requests.get(f"{base}/invoices/INV-A/history", headers=boss, timeout=TIMEOUT).json()["items"]
    actors = {entry["action"]: entry["actor"] for entry in history}
    assert actors["APPROVED"] == {"userId": "boss@example.com", "email": "boss@example.com"}
    assert actors["SUBMITTED"] == {"userId": "clerk@example.com", "email": "clerk@example.com"}
    assert actors["RECEIVED"] == {"userId": "clerk@example.com", "email": "clerk@example.com"}
    assert actors["MATCHED"] == {"userId": "system", "email": None}
    po_history = requests.get(
        f"{base}/purchase-orders/{quote(PO_ID, safe='')}/history", headers=boss, timeout=TIMEOUT
    ).json()
    assert po_history["items"][-1]["actor"] == {"userId": account, "email": None}  # local:<account> alone
