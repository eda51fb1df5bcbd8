"""The whole service in local mode, driven over HTTP as a user (or the console) would."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest
import requests

from tests.e2e.client import Client, invoice_document, line_item
from tests.e2e.conftest import Runner, start_runner

pytestmark = pytest.mark.e2e


def auth(account_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer local:{account_id}"}


def new_account() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}"


PO = {
    "poId": "Q3 2020",
    "billFrom": ["Amazon Web Services, Inc."],
    "effectiveMonth": "2020-07",
    "expirationMonth": "2020-09",
    "lineItems": [{"lineItemId": "1", "type": "SUBSCRIPTION_PURCHASE", "amount": 3000}],
}


def test_info_names_the_emulator_and_bucket(runner: Runner):
    info = requests.get(f"{runner.base_url}/_local/info", timeout=5).json()
    assert info["awsEndpoint"].startswith("http://127.0.0.1:")
    assert info["region"] == "us-east-1"
    assert info["invoiceBucket"]
    assert requests.get(f"{info['awsEndpoint']}/moto-api/", timeout=5).ok  # the emulator really is there


def test_cpu_names_what_the_emulator_and_each_function_took(runner: Runner):
    def cpu() -> dict[str, float]:
        reply = requests.get(f"{runner.base_url}/_local/cpu", timeout=5).json()
        assert sum(reply["accounts"].values()) <= reply["process"]  # no time charged twice
        return reply["accounts"]

    client = Client(runner)
    client.create_po("CPU", [line_item("1", "ALL", "100.00")])
    before = cpu()
    assert client.upload(invoice_document("INV-CPU-1", "10.00", "2026-03-15"))["matchStatus"] == "MATCHED"
    after = cpu()
    spent = {name: seconds - before.get(name, 0.0) for name, seconds in after.items()}
    assert {"emulator", "ApiFunction", "MatcherFunction"} <= {name for name, seconds in spent.items() if seconds > 0}
    assert spent.get("SchedulerFunction", 0.0) == 0.0  # nothing ran it


def test_two_accounts_never_see_each_other(runner: Runner):
    alice, bob = new_account(), new_account()
    url = f"{runner.base_url}/purchase-orders"
    created = requests.post(url, json=PO, headers=auth(alice), timeout=10)
    assert created.status_code == 201, created.text
    assert created.headers["ETag"] == '"1"'
    po_url = f"{url}/{quote(PO['poId'], safe='')}"
    assert requests.get(po_url, headers=auth(alice), timeout=10).json()["balance"] == "3000.00"
    assert requests.get(po_url, headers=auth(bob), timeout=10).status_code == 404
    assert requests.get(url, headers=auth(bob), timeout=10).json() == {"items": [], "nextToken": None}
    assert requests.post(url, json=PO, headers=auth(bob), timeout=10).status_code == 201
    assert requests.post(url, json=PO, headers=auth(alice), timeout=10).status_code == 409
    suspended = requests.post(f"{po_url}/status", json={"status": "SUSPENDED"}, headers=auth(bob), timeout=10)
    assert suspended.json()["status"] == "SUSPENDED"
    assert requests.get(po_url, headers=auth(alice), timeout=10).json()["status"] == "ACTIVE"
    history = requests.get(f"{po_url}/history", headers=auth(bob), timeout=10).json()["items"]
    assert [entry["action"] for entry in history] == ["STATUS_CHANGED", "CREATED"]


def test_replace_with_a_stale_etag_is_412_over_http(runner: Runner):
    account = new_account()
    url = f"{runner.base_url}/purchase-orders"
    etag = requests.post(url, json={**PO, "poId": "E"}, headers=auth(account), timeout=10).headers["ETag"]
    change = {**PO, "poId": "E", "expirationMonth": "2020-12"}
    fresh = requests.put(f"{url}/E", json=change, headers={**auth(account), "If-Match": etag}, timeout=10)
    assert (fresh.status_code, fresh.headers["ETag"]) == (200, '"2"')
    stale = requests.put(f"{url}/E", json=change, headers={**auth(account), "If-Match": etag}, timeout=10)
    assert stale.status_code == 412
    assert stale.json()["status"] == 412


def test_settings_round_trip(runner: Runner):
    account = new_account()
    url = f"{runner.base_url}/settings"
    assert requests.get(url, headers=auth(account), timeout=10).json()["currency"] == "USD"
    saved = requests.put(url, json={"currency": "EUR", "paymentTerms": "Net 45"}, headers=auth(account), timeout=10)
    assert saved.status_code == 200
    po = requests.post(f"{runner.base_url}/purchase-orders", json=PO, headers=auth(account), timeout=10).json()
    assert (po["currency"], po["paymentTerms"]) == ("EUR", "Net 45")


@pytest.mark.parametrize("header", [None, "Bearer acme", "Bearer local:", "Basic bG9jYWw6YWNtZQ==", "Bearer local:a#b"])
def test_no_or_invalid_credentials_is_401(runner: Runner, header: str | None):
    headers = {"Authorization": header} if header else {}
    reply = requests.get(f"{runner.base_url}/purchase-orders", headers=headers, timeout=10)
    assert reply.status_code == 401
    assert reply.json()["status"] == 401


def test_errors_over_http_have_the_contract_body(runner: Runner):
    account = new_account()
    url = f"{runner.base_url}/purchase-orders"
    malformed = requests.post(url, data="{", headers={**auth(account), "Content-Type": "application/json"}, timeout=10)
    assert malformed.status_code == 400
    invalid = requests.post(url, json={**PO, "effectiveMonth": "2020-13"}, headers=auth(account), timeout=10)
    assert invalid.status_code == 422
    assert [error["field"] for error in invalid.json()["detail"]] == ["effectiveMonth"]
    assert requests.get(f"{runner.base_url}/nowhere", headers=auth(account), timeout=10).status_code == 404
    huge = requests.post(url, json={**PO, "description": "x" * 400_000}, headers=auth(account), timeout=10)
    assert huge.status_code == 413
    unknown_method = requests.request("TRACE", url, headers=auth(account), timeout=10)  # the server's own answer
    assert (unknown_method.status_code, unknown_method.json()["status"]) == (501, 501)


def test_openapi_document_is_served(runner: Runner):
    document = requests.get(f"{runner.base_url}/openapi.json", timeout=10).json()
    assert document["openapi"].startswith("3.")
    assert "/purchase-orders/{poId}/line-items/{lineItemId}" in document["paths"]


def test_one_log_line_per_request_and_a_clean_stop(tmp_path):
    own = start_runner(tmp_path / "runner.log")
    requests.get(f"{own.base_url}/_local/info", timeout=5)
    requests.get(f"{own.base_url}/purchase-orders", headers=auth("logger"), timeout=5)
    assert own.stop() == 0
    log = own.log()
    assert '"GET /_local/info" 200' in log
    assert '"GET /purchase-orders" 200' in log
    assert "Traceback" not in log
