"""The purchase-order API through the real handler against emulated DynamoDB (contract: shared/API.md)."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import boto3
import pytest

from bench.capacity import CapacityMeter
from pom.domain.audit import Actor
from pom.domain.ledger import LineItemMovement, PurchaseOrderMovement
from pom.store.dynamo import Table
from pom.store.invoices import balance_update
from pom.store.purchase_orders import DynamoPurchaseOrderStore
from tests.conftest import ApiClient, po_path, purchase_order


def record_invoice(aws: dict[str, str], account_id: str, po_id: str, index: int, amount: str, *, month: str = ""):
    """Stands in for the matcher (a later issue): debits line item ``index`` as a match would."""
    table = Table(aws["Table"])
    po = DynamoPurchaseOrderStore(table).get(account_id, po_id)
    movement = LineItemMovement(po.lineItems[index].lineItemId, Decimal(amount), month or None, 1)
    table.transact([balance_update(PurchaseOrderMovement(po, [movement], [], None, []), Actor(account_id, "system"))])


def set_status(aws: dict[str, str], account_id: str, po_id: str, status: str) -> None:
    """Stands in for the scheduled expiry job (a later issue)."""
    boto3.client("dynamodb").update_item(
        TableName=aws["Table"],
        Key={"PK": {"S": f"ACCT#{account_id}"}, "SK": {"S": f"PO#{po_id}"}},
        UpdateExpression="SET #status = :status",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":status": {"S": status}},
    )


def fields_named(reply: Any) -> set[str]:
    assert reply.status == 422, reply.body
    return {error["field"] for error in reply.body["detail"]}


# --- create and read ---------------------------------------------------------------------------


def test_create_returns_the_whole_po_with_balances_and_etag(client: ApiClient):
    body = purchase_order(
        "Q3_2020",
        effectiveMonth="2020-07",
        expirationMonth="2020-09",
        lineItems=[
            {"lineItemId": "1", "type": "SUBSCRIPTION_PURCHASE", "amount": 3000},
            {"lineItemId": "2", "type": "MONTHLY_USAGE", "recurrence": "MONTHLY", "amount": "500.5"},
        ],
    )
    reply = client.post("/purchase-orders", body)
    assert reply.status == 201, reply.body
    po = reply.body
    assert reply.etag == '"1"'
    assert reply.headers["Location"] == "/purchase-orders/Q3_2020"
    assert po["status"] == "ACTIVE"
    assert po["version"] == 1
    assert po["currency"] == "USD"
    assert po["paymentTerms"] == "Net 30"
    assert po["totalAmount"] == "4501.50"
    assert po["invoicedAmount"] == "0.00"
    assert po["balance"] == "4501.50"
    one, monthly = po["lineItems"]
    assert (one["startMonth"], one["endMonth"], one["amount"], one["periods"]) == (
        "2020-07",
        "2020-09",
        "3000.00",
        None,
    )
    assert monthly["amount"] == "500.50"
    assert monthly["balance"] == "1501.50"
    assert [period["month"] for period in monthly["periods"]] == ["2020-07", "2020-08", "2020-09"]
    assert monthly["periods"][0] == {
        "month": "2020-07",
        "endMonth": "2020-07",
        "amount": "500.50",
        "invoicedAmount": "0.00",
        "balance": "500.50",
    }
    assert po["createdAt"].endswith("Z")
    assert len(po["createdAt"]) == len("2026-11-23T05:55:12Z")
    assert client.get(po_path("Q3_2020")).body == po


def test_money_stays_exact_decimal(client: ApiClient):
    items = [{"lineItemId": str(i), "type": "ALL", "amount": amount} for i, amount in enumerate(["0.10", "0.20"])]
    po = client.post("/purchase-orders", raw_body=json.dumps(purchase_order(lineItems=items))).body
    assert po["totalAmount"] == "0.30"
    raw = '{"poId": "N", "billFrom": ["A"], "effectiveMonth": "2026-01", "expirationMonth": "2026-01",'
    raw += ' "lineItems": [{"lineItemId": "1", "type": "ALL", "amount": 12345678901234.57}]}'
    assert client.post("/purchase-orders", raw_body=raw).body["totalAmount"] == "12345678901234.57"


def test_currency_minor_units_are_enforced(client: ApiClient):
    jpy = purchase_order("JPY", currency="JPY", lineItems=[{"lineItemId": "1", "type": "ALL", "amount": "1.5"}])
    assert fields_named(client.post("/purchase-orders", jpy)) == {"lineItems[0].amount"}
    jpy["lineItems"][0]["amount"] = 150000
    assert client.post("/purchase-orders", jpy).body["totalAmount"] == "150000"
    kwd = purchase_order("KWD", currency="KWD", lineItems=[{"lineItemId": "1", "type": "ALL", "amount": "1.125"}])
    assert client.post("/purchase-orders", kwd).body["totalAmount"] == "1.125"
    assert fields_named(client.post("/purchase-orders", purchase_order("X", currency="XXQ"))) == {"currency"}


def test_duplicate_po_id_is_a_conflict(client: ApiClient):
    assert client.post("/purchase-orders", purchase_order("DUP")).status == 201
    reply = client.post("/purchase-orders", purchase_order("DUP"))
    assert reply.status == 409
    assert reply.body["status"] == 409
    assert "DUP" in reply.body["detail"]


def test_validation_names_every_offending_field(client: ApiClient):
    body = purchase_order(
        "bad/id",
        billFrom=[],
        effectiveMonth="2026-13",
        contacts=[{"name": "Ana", "email": "not-an-email"}],
        lineItems=[{"lineItemId": "1", "type": "BOGUS", "amount": "-1"}],
        expirationMonh="2026-12",
    )
    reply = client.post("/purchase-orders", body)
    assert reply.body["title"] == "Validation failed"
    assert fields_named(reply) == {
        "poId",
        "billFrom",
        "effectiveMonth",
        "contacts[0].email",
        "lineItems[0].type",
        "lineItems[0].amount",
        "expirationMonh",
    }


def test_cross_field_rules_are_422_naming_the_field(client: ApiClient):
    body = purchase_order(
        lineItems=[
            {"lineItemId": "1", "type": "ALL", "startMonth": "2025-12"},
            {"lineItemId": "1", "type": "ALL", "amount": "1", "startMonth": "2026-06", "endMonth": "2026-05"},
        ]
    )
    assert fields_named(client.post("/purchase-orders", body)) == {
        "lineItems[0].startMonth",
        "lineItems[0].amount",
        "lineItems[1].lineItemId",
        "lineItems[1].endMonth",
    }
    untracked = purchase_order(balanceTracking=False, lineItems=[{"lineItemId": "1", "type": "ALL", "amount": "5"}])
    assert fields_named(client.post("/purchase-orders", untracked)) == {"lineItems[0].amount"}
    backwards = purchase_order(effectiveMonth="2026-12", expirationMonth="2026-01")
    assert fields_named(client.post("/purchase-orders", backwards)) == {"expirationMonth"}


@pytest.mark.parametrize("amount", ["1e400", "NaN", "Infinity", '"NaN"', '"1e400"', "true", "1.0e-400"])
def test_hostile_numbers_are_4xx(client: ApiClient, amount: str):
    raw = '{"poId": "H", "billFrom": ["A"], "effectiveMonth": "2026-01", "expirationMonth": "2026-01",'
    raw += f' "lineItems": [{{"lineItemId": "1", "type": "ALL", "amount": {amount}}}]}}'
    reply = client.post("/purchase-orders", raw_body=raw)
    assert reply.status in (400, 422), reply.body
    assert reply.body["status"] == reply.status


def errors_by_field(reply: Any) -> dict[str, str]:
    assert reply.status == 422, reply.body
    return {error["field"]: error["msg"] for error in reply.body["detail"]}


def with_amount(amount_json: str) -> str:
    """A create body whose one line item's amount is the given JSON text, as sent."""
    body = purchase_order(lineItems=[{"lineItemId": "1", "type": "ALL", "amount": "__amount__"}])
    return json.dumps(body).replace('"__amount__"', amount_json)


# Strings and numbers Decimal() would take, none in the contract's grammar (a decimal string).
LOOSE_AMOUNTS = ['"\u0661\u0660\u0660\u0660"', '"\uff11\uff10\uff10"', '"1_000"', '"+100"', '" 100.00 "']
LOOSE_AMOUNTS += ['"1e3"', "1e3", '"0E-1000"', "0E-1000"]


@pytest.mark.parametrize("amount", LOOSE_AMOUNTS)
def test_amounts_outside_the_grammar_are_422_naming_the_field(client: ApiClient, amount: str):
    errors = errors_by_field(client.post("/purchase-orders", raw_body=with_amount(amount)))
    assert list(errors) == ["lineItems[0].amount"]
    assert "ASCII digits" in errors["lineItems[0].amount"]


@pytest.mark.parametrize("amount", ['"100.0000000000000000000000000001"', "100.0000000000000000000000000001"])
def test_excess_fraction_digits_are_refused_not_rounded(client: ApiClient, amount: str):
    errors = errors_by_field(client.post("/purchase-orders", raw_body=with_amount(amount)))
    assert errors == {"lineItems[0].amount": "USD amounts have at most 2 fraction digits"}


def test_trailing_zeros_are_dropped_before_dynamodb(client: ApiClient):
    # 63 digits: boto3 refuses a number of more than DynamoDB's 38, even if the rest are zeros.
    reply = client.post("/purchase-orders", raw_body=with_amount(f'"100.{"0" * 60}"'))
    assert (reply.status, reply.body["totalAmount"]) == (201, "100.00")


def test_months_out_of_range_are_422_naming_the_field(client: ApiClient):
    errors = errors_by_field(client.post("/purchase-orders", purchase_order(expirationMonth="9999-12")))
    assert errors == {"expirationMonth": "must lie within 2000-01..2099-12"}
    assert fields_named(client.post("/purchase-orders", purchase_order(effectiveMonth="1999-12"))) == {"effectiveMonth"}


def test_a_po_and_a_monthly_line_item_run_at_most_ten_years(client: ApiClient, aws: dict[str, str]):
    monthly = {"lineItemId": "1", "type": "ALL", "recurrence": "MONTHLY", "amount": "1"}
    century = purchase_order("C", effectiveMonth="2000-01", expirationMonth="2099-12", lineItems=[monthly])
    errors = errors_by_field(client.post("/purchase-orders", century))
    assert set(errors) == {"expirationMonth", "lineItems[0].endMonth"}
    assert "at most 120 months" in errors["expirationMonth"]
    assert "2009-12" in errors["lineItems[0].endMonth"]
    decade = client.post("/purchase-orders", {**century, "expirationMonth": "2009-12"})
    assert (decade.status, len(decade.body["lineItems"][0]["periods"])) == (201, 120)
    # A PO stored before the cap keeps its months; a line item added to it is still capped.
    boto3.client("dynamodb").update_item(
        TableName=aws["Table"],
        Key={"PK": {"S": f"ACCT#{client.account_id}"}, "SK": {"S": "PO#C"}},
        UpdateExpression="SET #expiration = :month",
        ExpressionAttributeNames={"#expiration": "expirationMonth"},
        ExpressionAttributeValues={":month": {"S": "2099-12"}},
    )
    added = client.post(po_path("C", "line-items"), {**monthly, "lineItemId": "2"})
    assert fields_named(added) == {"endMonth"}


def test_untracked_po_has_null_amounts(client: ApiClient):
    body = purchase_order(
        balanceTracking=False, lineItems=[{"lineItemId": "1", "type": "ALL", "recurrence": "MONTHLY"}]
    )
    po = client.post("/purchase-orders", body).body
    assert (po["totalAmount"], po["invoicedAmount"], po["balance"]) == (None, None, None)
    assert po["lineItems"][0]["amount"] is None
    assert po["lineItems"][0]["periods"][0] == {
        "month": "2026-01",
        "endMonth": "2026-01",
        "amount": None,
        "invoicedAmount": None,
        "balance": None,
    }


def test_ids_with_every_allowed_character_round_trip(client: ApiClient):
    po_id = "Q3 2020_a.b:c=d+e-f%g@h#i"
    assert client.post("/purchase-orders", purchase_order(po_id)).status == 201
    assert client.get(po_path(po_id)).body["poId"] == po_id
    assert client.get(po_path("Q3 2020_a.b:c=d+e-f%g@h")).status == 404
    assert client.get(po_path(po_id, "history")).body["items"][0]["action"] == "CREATED"


@pytest.mark.parametrize("po_id", ["x" * 101, "naïve", "a/b", "😀"])
def test_ids_that_cannot_exist_are_404_not_500(client: ApiClient, po_id: str):
    assert client.get(po_path(po_id)).status == 404


# --- errors before routing -----------------------------------------------------------------------


def test_malformed_json_is_400(client: ApiClient):
    reply = client.post("/purchase-orders", raw_body='{"poId": ')
    assert reply.status == 400
    assert reply.body["title"] == "Malformed request"


def test_wrong_content_type_is_400(client: ApiClient):
    reply = client.post(
        "/purchase-orders", raw_body="poId=1", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert reply.status == 400


def test_deeply_nested_json_is_400(client: ApiClient):
    assert client.post("/purchase-orders", raw_body="[" * 50_000 + "]" * 50_000).status == 400


def test_body_over_the_limit_is_413(client: ApiClient):
    reply = client.post("/purchase-orders", purchase_order(description="x" * 300_000))
    assert reply.status == 413
    assert reply.body["status"] == 413


@pytest.mark.parametrize(
    "claims",
    [{}, {"sub": "someone"}, {"custom:accountId": ""}, {"custom:accountId": "a#b"}, {"custom:accountId": "x" * 65}],
)
def test_no_valid_account_claim_is_401(client: ApiClient, claims: dict[str, str]):
    reply = client.get("/purchase-orders", claims=claims)
    assert reply.status == 401
    assert reply.body["title"] == "Unauthorized"


# --- tenancy ----------------------------------------------------------------------------------


def test_another_accounts_po_is_not_found_through_every_route(client: ApiClient, other_client: ApiClient):
    client.post("/purchase-orders", purchase_order("SECRET"))
    path = po_path("SECRET")
    assert other_client.get(path).status == 404
    assert other_client.put(path, purchase_order("SECRET")).status == 404
    assert other_client.delete(path).status == 404
    assert other_client.post(f"{path}/status", {"status": "SUSPENDED"}).status == 404
    assert other_client.post(f"{path}/line-items", {"lineItemId": "9", "type": "ALL", "amount": "1"}).status == 404
    assert other_client.put(f"{path}/line-items/1", {"lineItemId": "1", "type": "ALL", "amount": "1"}).status == 404
    assert other_client.delete(f"{path}/line-items/1").status == 404
    assert other_client.get(f"{path}/history").status == 404
    assert other_client.get("/purchase-orders").body["items"] == []
    assert other_client.post("/purchase-orders", purchase_order("SECRET")).status == 201  # ids are per account
    assert client.get(path).body["version"] == 1


def test_a_page_token_cannot_reach_another_account(client: ApiClient, other_client: ApiClient):
    for index in range(3):
        client.post("/purchase-orders", purchase_order(f"P{index}"))
    token = client.get("/purchase-orders", query={"limit": 1}).body["nextToken"]
    assert token
    reply = other_client.get("/purchase-orders", query={"limit": 1, "nextToken": token})
    assert reply.status == 422
    assert fields_named(reply) == {"nextToken"}
    forged = json.loads(base64.urlsafe_b64decode(token + "=="))
    forged["GSI1PK"] = f"ACCT#{other_client.account_id}#PO"
    encoded = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
    assert other_client.get("/purchase-orders", query={"nextToken": encoded}).status == 422
    assert client.get("/purchase-orders", query={"nextToken": "%%%not-base64"}).status == 422


# --- list ---------------------------------------------------------------------------------------


def test_list_is_newest_first_filtered_and_paginated(client: ApiClient):
    for po_id in ("A", "B", "C", "D"):
        assert client.post("/purchase-orders", purchase_order(po_id)).status == 201
    client.post(f"{po_path('B')}/status", {"status": "SUSPENDED"})  # B is now the most recently updated
    everything = client.get("/purchase-orders").body
    assert [po["poId"] for po in everything["items"]] == ["B", "D", "C", "A"]
    assert everything["nextToken"] is None
    active = client.get("/purchase-orders", query={"status": "ACTIVE"}).body["items"]
    assert [po["poId"] for po in active] == ["D", "C", "A"]
    assert [po["poId"] for po in client.get("/purchase-orders", query={"status": "SUSPENDED"}).body["items"]] == ["B"]
    seen, token = [], None
    while True:
        page = client.get("/purchase-orders", query={"limit": 3, **({"nextToken": token} if token else {})}).body
        assert len(page["items"]) <= 3
        seen += [po["poId"] for po in page["items"]]
        token = page["nextToken"]
        if token is None:
            break
    assert seen == ["B", "D", "C", "A"]


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 101}, {"limit": "x"}, {"status": "BOGUS"}])
def test_list_parameters_are_validated(client: ApiClient, query: dict[str, Any]):
    reply = client.get("/purchase-orders", query=query)
    assert reply.status == 422
    assert reply.body["detail"][0]["loc"][0] == "query"


# --- replace ------------------------------------------------------------------------------------


def test_replace_with_if_match(client: ApiClient):
    client.post("/purchase-orders", purchase_order("R"))
    changed = purchase_order("R", expirationMonth="2027-06", description="extended")
    stale = client.put(po_path("R"), changed, headers={"If-Match": '"7"'})
    assert stale.status == 412
    assert stale.body["status"] == 412
    reply = client.put(po_path("R"), changed, headers={"If-Match": '"1"'})
    assert reply.status == 200, reply.body
    assert reply.etag == '"2"'
    assert reply.body["version"] == 2
    assert reply.body["expirationMonth"] == "2027-06"
    assert reply.body["lineItems"][0]["endMonth"] == "2027-06"  # defaults follow the PO's new months
    assert client.put(po_path("R"), changed, headers={"If-Match": "1"}).status == 412
    assert client.put(po_path("R"), changed, headers={"If-Match": "2"}).status == 200
    assert client.put(po_path("R"), changed).body["version"] == 4  # If-Match is optional


def test_replace_accepts_a_document_as_get_returned_it(client: ApiClient):
    po = client.post("/purchase-orders", purchase_order("ROUND")).body
    po["description"] = "edited"
    reply = client.put(po_path("ROUND"), po, headers={"If-Match": '"1"'})
    assert reply.status == 200, reply.body
    assert reply.body["description"] == "edited"
    assert reply.body["paymentTerms"] == "Net 30"


def test_replace_cannot_change_the_id_and_keeps_read_only_fields(client: ApiClient):
    client.post("/purchase-orders", purchase_order("KEEP"))
    assert fields_named(client.put(po_path("KEEP"), purchase_order("OTHER"))) == {"poId"}
    reply = client.put(po_path("KEEP"), {**purchase_order("KEEP"), "status": "EXPIRED", "paymentTerms": "Net 90"})
    assert (reply.body["status"], reply.body["paymentTerms"]) == ("ACTIVE", "Net 30")


def test_replace_keeps_invoiced_amounts_and_protects_invoiced_line_items(client: ApiClient, aws: dict[str, str]):
    items = [
        {"lineItemId": "1", "type": "ALL", "amount": "1000.00"},
        {"lineItemId": "2", "type": "MONTHLY_USAGE", "recurrence": "MONTHLY", "amount": "500"},
    ]
    client.post("/purchase-orders", purchase_order("INV", lineItems=items))
    record_invoice(aws, client.account_id, "INV", 0, "250.00")
    record_invoice(aws, client.account_id, "INV", 1, "400.00", month="2026-03")
    items[0]["amount"] = "2000.00"
    reply = client.put(po_path("INV"), purchase_order("INV", lineItems=items))
    assert reply.status == 200, reply.body
    one, monthly = reply.body["lineItems"]
    assert (one["invoicedAmount"], one["balance"]) == ("250.00", "1750.00")
    march = next(period for period in monthly["periods"] if period["month"] == "2026-03")
    assert (march["invoicedAmount"], march["balance"]) == ("400.00", "100.00")
    assert reply.body["invoicedAmount"] == "650.00"
    assert client.put(po_path("INV"), purchase_order("INV", lineItems=items[1:])).status == 409
    assert client.put(po_path("INV"), purchase_order("INV", lineItems=items, currency="EUR")).status == 409
    shrunk = [items[0], {**items[1], "startMonth": "2026-04"}]
    assert client.put(po_path("INV"), purchase_order("INV", lineItems=shrunk)).status == 409
    assert (
        client.put(
            po_path("INV"), purchase_order("INV", lineItems=[items[0], {**items[1], "recurrence": "NONE"}])
        ).status
        == 409
    )


def test_extending_an_expired_po_reactivates_it(client: ApiClient, aws: dict[str, str]):
    client.post("/purchase-orders", purchase_order("OLD", effectiveMonth="2020-01", expirationMonth="2020-12"))
    set_status(aws, client.account_id, "OLD", "EXPIRED")
    still_over = client.put(po_path("OLD"), purchase_order("OLD", effectiveMonth="2020-01", expirationMonth="2021-06"))
    assert still_over.body["status"] == "EXPIRED"
    reply = client.put(po_path("OLD"), purchase_order("OLD", effectiveMonth="2090-01", expirationMonth="2099-12"))
    assert reply.body["status"] == "ACTIVE"
    actions = [entry["action"] for entry in client.get(po_path("OLD", "history")).body["items"]]
    assert actions[:2] == ["STATUS_CHANGED", "UPDATED"] or actions[:2] == ["UPDATED", "STATUS_CHANGED"]


# --- status ---------------------------------------------------------------------------------------


def test_status_changes(client: ApiClient, aws: dict[str, str]):
    client.post("/purchase-orders", purchase_order("S"))
    suspended = client.post(po_path("S", "status"), {"status": "SUSPENDED"})
    assert (suspended.status, suspended.body["status"], suspended.etag) == (200, "SUSPENDED", '"2"')
    assert client.post(po_path("S", "status"), {"status": "SUSPENDED"}).body["version"] == 2  # no change, no write
    assert client.post(po_path("S", "status"), {"status": "ACTIVE"}).body["status"] == "ACTIVE"
    for bad in ("EXPIRED", "active", None):
        assert fields_named(client.post(po_path("S", "status"), {"status": bad})) == {"status"}
    set_status(aws, client.account_id, "S", "EXPIRED")
    reply = client.post(po_path("S", "status"), {"status": "ACTIVE"})
    assert reply.status == 409
    assert "PUT" in reply.body["detail"]


# --- line items -----------------------------------------------------------------------------------


def test_line_item_add_replace_delete(client: ApiClient, aws: dict[str, str]):
    client.post("/purchase-orders", purchase_order("L"))
    added = client.post(po_path("L", "line-items"), {"lineItemId": "2", "type": "MARKETPLACE_PURCHASE", "amount": "50"})
    assert added.status == 201
    assert [item["lineItemId"] for item in added.body["lineItems"]] == ["1", "2"]
    assert added.body["totalAmount"] == "1050.00"
    assert client.post(po_path("L", "line-items"), {"lineItemId": "2", "type": "ALL", "amount": "1"}).status == 409
    bad = client.post(
        po_path("L", "line-items"), {"lineItemId": "3", "type": "ALL", "amount": "1", "endMonth": "2030-01"}
    )
    assert fields_named(bad) == {"endMonth"}
    replaced = client.put(po_path("L", "line-items", "2"), {"lineItemId": "2", "type": "ALL", "amount": "75.25"})
    assert replaced.body["lineItems"][1]["amount"] == "75.25"
    assert fields_named(
        client.put(po_path("L", "line-items", "2"), {"lineItemId": "9", "type": "ALL", "amount": "1"})
    ) == {"lineItemId"}
    assert (
        client.put(po_path("L", "line-items", "404"), {"lineItemId": "404", "type": "ALL", "amount": "1"}).status == 404
    )
    record_invoice(aws, client.account_id, "L", 0, "10.00")
    assert client.delete(po_path("L", "line-items", "1")).status == 409  # invoices are matched to it
    deleted = client.delete(po_path("L", "line-items", "2"))
    assert (deleted.status, [item["lineItemId"] for item in deleted.body["lineItems"]]) == (200, ["1"])
    assert client.delete(po_path("L", "line-items", "2")).status == 404


def test_the_last_line_item_cannot_be_deleted(client: ApiClient):
    client.post("/purchase-orders", purchase_order("LAST"))
    reply = client.delete(po_path("LAST", "line-items", "1"))
    assert reply.status == 409
    assert "last" in reply.body["detail"]


def test_line_item_changes_honour_if_match(client: ApiClient):
    client.post("/purchase-orders", purchase_order("LM"))
    item = {"lineItemId": "2", "type": "ALL", "amount": "1"}
    assert client.post(po_path("LM", "line-items"), item, headers={"If-Match": '"5"'}).status == 412
    assert client.post(po_path("LM", "line-items"), item, headers={"If-Match": '"1"'}).status == 201


# --- delete and history ---------------------------------------------------------------------------


def test_delete_keeps_the_history(client: ApiClient):
    client.post("/purchase-orders", purchase_order("D"))
    client.post(po_path("D", "status"), {"status": "SUSPENDED"})
    assert client.delete(po_path("D"), headers={"If-Match": '"1"'}).status == 412
    reply = client.delete(po_path("D"), headers={"If-Match": '"2"'})
    assert (reply.status, reply.body) == (204, None)
    assert client.get(po_path("D")).status == 404
    assert client.delete(po_path("D")).status == 404
    history = client.get(po_path("D", "history")).body["items"]
    assert [entry["action"] for entry in history] == ["DELETED", "STATUS_CHANGED", "CREATED"]
    assert history[1]["details"] == {"old": "ACTIVE", "new": "SUSPENDED"}
    assert all(entry["actor"] == {"userId": client.account_id, "email": None} for entry in history)


def test_history_records_what_changed(client: ApiClient):
    client.post("/purchase-orders", purchase_order("H"))
    client.put(po_path("H"), purchase_order("H", billFrom=["AWS EMEA SARL"]))
    client.post(po_path("H", "line-items"), {"lineItemId": "2", "type": "ALL", "amount": "5"})
    client.put(po_path("H", "line-items", "2"), {"lineItemId": "2", "type": "ALL", "amount": "6"})
    client.delete(po_path("H", "line-items", "2"))
    entries = client.get(po_path("H", "history")).body["items"]
    assert [entry["action"] for entry in entries] == [
        "LINE_ITEM_DELETED",
        "LINE_ITEM_UPDATED",
        "LINE_ITEM_ADDED",
        "UPDATED",
        "CREATED",
    ]
    assert entries[1]["details"] == {"lineItemId": "2", "changes": {"amount": {"old": "5.00", "new": "6.00"}}}
    assert entries[3]["details"]["changes"] == {
        "billFrom": {"old": ["Amazon Web Services, Inc."], "new": ["AWS EMEA SARL"]}
    }
    assert entries[4]["details"]["purchaseOrder"]["lineItems"][0]["amount"] == "1000.00"
    page = client.get(po_path("H", "history"), query={"limit": 2}).body
    assert len(page["items"]) == 2
    rest = client.get(po_path("H", "history"), query={"nextToken": page["nextToken"]}).body["items"]
    assert [entry["action"] for entry in rest] == ["LINE_ITEM_ADDED", "UPDATED", "CREATED"]
    assert client.get(po_path("NEVER", "history")).status == 404


# --- settings -------------------------------------------------------------------------------------


def test_settings_defaults_and_replace(client: ApiClient):
    assert client.get("/settings").body == {
        "currency": "USD",
        "paymentTerms": "Net 30",
        "billTo": None,
        "matching": {
            "requirePurchaseOrder": False,
            "blockExceedingBalance": False,
            "requireLineItemMatch": False,
            "tolerancePercent": "0",
            "toleranceAmount": None,
        },
        "notifications": {"expiryNoticeDays": [30, 7], "balanceAlertPercents": [75, 100], "forecastAlerts": True},
        "approval": {"separateApprover": False},
        "einvoicing": {"defaultInvoiceType": "MONTHLY_USAGE", "invoiceTypeByEntity": {}},
        "awsInvoices": {"enabled": False, "roleArn": None, "externalId": client.account_id},
    }
    settings = {
        "currency": "EUR",
        "paymentTerms": "Net 45",
        "billTo": {"name": "Acme GmbH", "line1": "Hauptstr. 1", "city": "Berlin", "country": "DE"},
        "matching": {"blockExceedingBalance": True, "tolerancePercent": 10, "toleranceAmount": "50"},
        "notifications": {"expiryNoticeDays": [7, 30, 7], "balanceAlertPercents": [100, 50]},
    }
    saved = client.put("/settings", settings)
    assert saved.status == 200, saved.body
    assert saved.body["matching"]["tolerancePercent"] == "10"
    assert saved.body["matching"]["toleranceAmount"] == "50.00"
    assert saved.body["notifications"] == {
        "expiryNoticeDays": [30, 7],
        "balanceAlertPercents": [50, 100],
        "forecastAlerts": True,
    }
    assert client.get("/settings").body == saved.body


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"matching": {"tolerancePercent": "100.5"}}, "matching.tolerancePercent"),
        ({"matching": {"toleranceAmount": "0.001"}}, "matching.toleranceAmount"),
        ({"matching": {"blockExceedingBalance": "yes"}}, "matching.blockExceedingBalance"),
        ({"notifications": {"expiryNoticeDays": [0]}}, "notifications.expiryNoticeDays[0]"),
        ({"currency": "usd"}, "currency"),
        ({"billTo": {"name": "x"}}, "billTo.line1"),
    ],
)
def test_settings_validation(client: ApiClient, settings: dict[str, Any], field: str):
    assert field in fields_named(client.put("/settings", settings))


def test_new_pos_copy_the_current_settings(client: ApiClient, aws: dict[str, str]):
    client.post("/purchase-orders", purchase_order("BEFORE"))  # the container now assumes the defaults
    # Another container (or the console) changes the settings behind this one's back.
    from pom.domain.requests import AccountSettings as SettingsBody
    from pom.store.tables import dynamo_stores

    bill_to = {"name": "Acme", "line1": "1 Main St", "city": "Paris", "country": "FR"}
    other = SettingsBody.model_validate({"currency": "EUR", "paymentTerms": "Net 60", "billTo": bill_to}).record()
    dynamo_stores(aws["Table"], boto3.client("dynamodb")).settings.put(client.account_id, other, "2026-01-01T00:00:00Z")
    po = client.post("/purchase-orders", purchase_order("AFTER")).body
    assert (po["currency"], po["paymentTerms"], po["billTo"]["city"]) == ("EUR", "Net 60", "Paris")
    assert client.post("/purchase-orders", purchase_order("USD", currency="USD")).body["currency"] == "USD"


# --- cost -----------------------------------------------------------------------------------------


def test_dynamodb_requests_per_operation(client: ApiClient, dynamodb_calls: CapacityMeter):
    dynamodb_calls.reset()
    assert client.post("/purchase-orders", purchase_order("C1")).status == 201
    assert dynamodb_calls.operations == ["TransactWriteItems"]

    dynamodb_calls.reset()
    assert client.get(po_path("C1")).status == 200
    assert (dynamodb_calls.operations, dynamodb_calls.items_read) == (["BatchGetItem"], 2)  # the PO, its balances

    for index in range(2, 6):
        client.post("/purchase-orders", purchase_order(f"C{index}"))
    dynamodb_calls.reset()
    pages = 0
    token = None
    while True:
        reply = client.get("/purchase-orders", query={"limit": 2, **({"nextToken": token} if token else {})})
        pages += 1
        token = reply.body["nextToken"]
        if token is None:
            break
    assert dynamodb_calls.operations == ["Query", "BatchGetItem"] * pages  # the page's keys, then its POs
    assert dynamodb_calls.items_read == 5 + 5 * 2

    dynamodb_calls.reset()
    assert client.put(po_path("C1"), purchase_order("C1", description="x")).status == 200
    assert dynamodb_calls.operations == ["BatchGetItem", "TransactWriteItems"]

    dynamodb_calls.reset()
    assert client.get("/purchase-orders", query={"status": "SUSPENDED"}).body["items"] == []
    assert (dynamodb_calls.operations, dynamodb_calls.items_read) == (["Query"], 0)


def test_creating_with_saved_settings_costs_one_request_once_known(client: ApiClient, dynamodb_calls: CapacityMeter):
    client.put("/settings", {"currency": "EUR"})
    dynamodb_calls.reset()
    assert client.post("/purchase-orders", purchase_order("E1")).body["currency"] == "EUR"
    assert dynamodb_calls.operations == ["TransactWriteItems"]


def test_no_operation_scans(client: ApiClient, dynamodb_calls: CapacityMeter):
    client.post("/purchase-orders", purchase_order("N"))
    client.get("/purchase-orders")
    client.get("/purchase-orders", query={"status": "ACTIVE"})
    client.get(po_path("N", "history"))
    client.get("/settings")
    assert dynamodb_calls.operations
    assert "Scan" not in dynamodb_calls.operations


def test_amounts_are_stored_as_numbers_not_floats(client: ApiClient, aws: dict[str, str]):
    client.post(
        "/purchase-orders", purchase_order("F", lineItems=[{"lineItemId": "1", "type": "ALL", "amount": "0.10"}])
    )
    item = (
        boto3.resource("dynamodb").Table(aws["Table"]).get_item(Key={"PK": f"ACCT#{client.account_id}", "SK": "PO#F"})
    )
    assert item["Item"]["lineItems"][0]["amount"] == Decimal("0.10")


def test_an_unexpected_error_is_the_contracts_500_and_is_logged(
    client: ApiClient, api_handler: Any, monkeypatch: pytest.MonkeyPatch
):
    import api_support

    def broken(*_: Any) -> None:
        raise RuntimeError("a defect")

    monkeypatch.setattr(api_support.service, "get", broken)
    reply = client.get("/purchase-orders/PO-1")
    assert reply.status == 500
    assert reply.body == {
        "status": 500,
        "title": "Internal error",
        "detail": "an unexpected error; it has been logged with this request's id",
    }
    assert "a defect" not in json.dumps(reply.body)


def largest_purchase_order(po_id: str) -> dict[str, Any]:
    """The longest span and the most monthly line items the contract allows: 12,000 periods."""
    line_items = [
        {"lineItemId": f"{n:032d}", "type": "ALL", "recurrence": "MONTHLY", "amount": "999999999.99"}
        for n in range(100)
    ]
    return purchase_order(po_id, effectiveMonth="2030-01", expirationMonth="2039-12", lineItems=line_items)


def test_a_page_of_the_largest_pos_stops_short_of_the_lambda_response_limit(client: ApiClient):
    for number in range(6):
        assert client.post("/purchase-orders", largest_purchase_order(f"BIG-{number}")).status == 201
    seen, pages, token = [], 0, None
    while True:
        reply = client.get("/purchase-orders", query={"limit": 100, **({"nextToken": token} if token else {})})
        assert reply.status == 200, reply.body  # the client answers 502 over 6 MB, as API Gateway would
        seen += [po["poId"] for po in reply.body["items"]]
        pages += 1
        token = reply.body["nextToken"]
        if token is None:
            break
    assert sorted(seen) == [f"BIG-{number}" for number in range(6)]  # each once, none lost at a cut
    assert pages > 1
