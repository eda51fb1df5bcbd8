"""The local runner under load, over HTTP: many uploaders at once while their PO is edited, and the
pipeline going on after a transaction the emulator rolled back."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from tests.e2e.client import TIMEOUT, Client, drain, invoice_document, line_item
from tests.e2e.conftest import Runner

pytestmark = pytest.mark.e2e

UPLOADERS = 50
INVOICES_EACH = 2
EDIT_EVERY_SECONDS = 0.1
FINAL = {"MATCHED", "UNMATCHED"}
LINES = {"usage": "MONTHLY_USAGE", "subscriptions": "SUBSCRIPTION_PURCHASE"}  # line item id: the invoices it takes


def all_invoices(client: Client) -> list[dict[str, Any]]:
    invoices: list[dict[str, Any]] = []
    query: dict[str, str] = {"limit": "100"}
    while True:
        reply = requests.get(f"{client.base_url}/invoices", params=query, headers=client.headers, timeout=TIMEOUT)
        assert reply.status_code == 200, reply.text
        invoices += reply.json()["items"]
        if not reply.json().get("nextToken"):
            return invoices
        query["nextToken"] = reply.json()["nextToken"]


def test_fifty_uploaders_while_the_po_is_edited_lose_no_connection_no_invoice_and_no_debit(runner: Runner):
    client = Client(runner)
    client.create_po("LOAD", [line_item(line, kind, "100000.00") for line, kind in LINES.items()])
    edits: list[int] = []
    uploading = threading.Event()
    start = threading.Barrier(UPLOADERS)

    def edit_po_until_uploaded() -> None:
        """Replaces a line item every 100 ms (its amount and description) while invoices are debited."""
        session = requests.Session()
        while uploading.is_set():
            number = len(edits)
            body = line_item("usage", "MONTHLY_USAGE", f"{100000 + number % 2}.00", description=f"edit {number}")
            reply = session.put(
                f"{client.base_url}/purchase-orders/LOAD/line-items/usage", json=body, headers=client.headers,
                timeout=TIMEOUT,
            )  # fmt: skip
            edits.append(reply.status_code)
            time.sleep(EDIT_EVERY_SECONDS)

    def upload(uploader: int) -> list[int]:
        session = requests.Session()  # one connection per uploader, opened all at once
        start.wait()
        statuses = []
        for number in range(INVOICES_EACH):
            kind = list(LINES.values())[(uploader + number) % len(LINES)]
            document = invoice_document(f"LOAD-{uploader}-{number}", f"{uploader + 1}.{number:02d}", "2026-03-15", kind)
            statuses.append(session.post(f"{client.base_url}/invoices", json=document, headers=client.headers,
                                         timeout=60).status_code)  # fmt: skip
        return statuses

    uploading.set()
    editor = threading.Thread(target=edit_po_until_uploaded)
    editor.start()
    try:
        with ThreadPoolExecutor(max_workers=UPLOADERS) as pool:
            statuses = [status for uploaded in pool.map(upload, range(UPLOADERS)) for status in uploaded]
    finally:
        uploading.clear()
        editor.join()

    assert statuses == [202] * UPLOADERS * INVOICES_EACH  # a reset connection would have raised
    assert len(edits) > 1
    assert set(edits) == {200}
    drain(client.base_url)
    invoices = all_invoices(client)
    assert len(invoices) == UPLOADERS * INVOICES_EACH
    assert {invoice["matchStatus"] for invoice in invoices} <= FINAL  # nothing left PENDING: no stall
    debits = {line: Decimal(0) for line in LINES}
    for invoice in invoices:
        if invoice["matchStatus"] == "MATCHED":
            assert invoice["match"]["poId"] == "LOAD"
            debits[invoice["match"]["lineItemId"]] += Decimal(invoice["match"]["amount"])
    invoiced = {item["lineItemId"]: Decimal(item["invoicedAmount"]) for item in client.po("LOAD")["lineItems"]}
    assert invoiced == debits  # every debit is on the PO, and only those


def test_invoices_match_after_a_transaction_the_emulator_rolled_back(runner: Runner):
    client = Client(runner)
    client.create_po("AFTER", [line_item("1", "ALL", "1000.00")])
    assert client.upload(invoice_document("BEFORE", "10.00", "2026-03-15"))["matchStatus"] == "MATCHED"
    info = requests.get(f"{runner.base_url}/_local/info", timeout=TIMEOUT).json()
    dynamodb = boto3.client(
        "dynamodb", endpoint_url=info["awsEndpoint"], region_name=info["region"],
        aws_access_key_id="local", aws_secret_access_key="local",
    )  # fmt: skip
    table = "purchase-orders-local"
    scratch = {"PK": {"S": f"ACCT#{client.account}"}, "SK": {"S": "SCRATCH"}}
    # Two actions on one item: moto writes the first, refuses the second and rolls the table back.
    actions = [
        {"Put": {"TableName": table, "Item": {**scratch, "entity": {"S": "SCRATCH"}}}},
        {"Update": {"TableName": table, "Key": scratch, "UpdateExpression": "SET n = :n",
                    "ExpressionAttributeValues": {":n": {"N": "1"}}}},
    ]  # fmt: skip
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=actions)
    assert refused.value.response["Error"]["Code"] == "ValidationException"

    later = client.upload(invoice_document("AFTER-ROLLBACK", "20.00", "2026-03-15"))

    assert later["matchStatus"] == "MATCHED"  # the stream is still read where the table writes it
    assert client.po("AFTER")["invoicedAmount"] == "30.00"
    assert "Item" not in dynamodb.get_item(TableName=table, Key=scratch)
