"""The seed scenarios of automatic matching, end to end over HTTP against ``python -m local_runner``.

Each test uses an account of its own. An invoice is uploaded (``POST /invoices``, 202 PENDING),
the table's stream takes it to the matcher, ``POST /_local/drain`` waits until it is processed, and
everything is asserted through the API only: the invoice's ``matchStatus``, ``match``, flags and
reasons, and the POs' balances after.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
import requests

from tests.e2e.client import AWS, EMEA, TIMEOUT, Client, drain, invoice_document, line_item
from tests.e2e.conftest import Runner

pytestmark = pytest.mark.e2e


def matched_to(invoice: dict[str, Any]) -> tuple[str, str | None]:
    assert invoice["matchStatus"] == "MATCHED", invoice
    return invoice["match"]["poId"], invoice["match"]["lineItemId"]


def unmatched_because(invoice: dict[str, Any]) -> str:
    assert invoice["matchStatus"] == "UNMATCHED", invoice
    assert invoice["match"] is None
    return invoice["unmatchedReason"]


def candidate(invoice: dict[str, Any], po_id: str) -> dict[str, Any]:
    (found,) = [entry for entry in invoice["matchExplanation"]["candidates"] if entry["poId"] == po_id]
    return found


# ------------------------------------------------------------------------------------- scenarios ---


def test_1_each_period_po_takes_the_invoices_of_its_own_months(runner: Runner):
    client = Client(runner)
    periods = {
        "MONTHLY": ("2026-03", "2026-03"),
        "QUARTERLY": ("2026-04", "2026-06"),
        "HALF-YEAR": ("2026-07", "2026-12"),
        "YEARLY": ("2027-01", "2027-12"),
    }
    for po_id, (effective, expiration) in periods.items():
        client.create_po(po_id, [line_item("1", "ALL", "500.00")], effective, expiration)

    issued = {"MONTHLY": "2026-03-15", "QUARTERLY": "2026-05-15", "HALF-YEAR": "2026-09-15", "YEARLY": "2027-02-15"}
    for po_id, issue_date in issued.items():
        invoice = client.upload(invoice_document(f"INV-{po_id}", "100.00", issue_date))
        assert matched_to(invoice) == (po_id, "1")
        assert invoice["match"]["flags"] == []
        assert invoice["match"]["availableBalance"] == "500.00"

    late = client.upload(invoice_document("INV-2028-01", "100.00", "2028-01-10"))
    assert unmatched_because(late) == "NO_ACTIVE_PO"
    assert {po_id: client.po(po_id)["balance"] for po_id in periods} == dict.fromkeys(periods, "400.00")


def test_2_bill_from_entities_split_invoices(runner: Runner):
    client = Client(runner)
    client.create_po("PO-US", [line_item("1", "ALL", "1000.00")], bill_from=(AWS,))
    client.create_po("PO-EMEA", [line_item("1", "ALL", "1000.00")], bill_from=(EMEA,))

    assert matched_to(client.upload(invoice_document("INV-US", "100.00", "2026-04-01", entity=AWS))) == ("PO-US", "1")
    emea = client.upload(invoice_document("INV-EMEA", "200.00", "2026-04-01", entity=EMEA))
    assert matched_to(emea) == ("PO-EMEA", "1")
    unknown = client.upload(invoice_document("INV-UNKNOWN", "50.00", "2026-04-01", entity="Unknown Seller"))
    assert unmatched_because(unknown) == "NO_BILL_FROM_MATCH"

    assert (client.po("PO-US")["balance"], client.po("PO-EMEA")["balance"]) == ("900.00", "800.00")


def test_3_the_exact_type_ranks_before_all_whatever_was_updated_last(runner: Runner):
    client = Client(runner)
    client.create_po("PO-B", [line_item("1", "MONTHLY_USAGE", "1000.00")])
    po_a = client.create_po("PO-A", [line_item("1", "ALL", "1000.00")])
    # A user's change to PO-A after PO-B was created: PO-A is now the most recently updated.
    replaced = client.call("PUT", "/purchase-orders/PO-A", {**po_a, "description": "edited after PO-B"})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["updatedAt"] >= client.po("PO-B")["updatedAt"]

    usage = client.upload(invoice_document("INV-USAGE", "100.00", "2026-05-02", "MONTHLY_USAGE"))
    assert matched_to(usage) == ("PO-B", "1")
    assert candidate(usage, "PO-B")["outcome"] == "SELECTED"
    loser = candidate(usage, "PO-A")
    assert (loser["outcome"], loser["exactType"]) == ("OUTRANKED", False)
    assert "ALL" in loser["reason"]

    subscription = client.upload(invoice_document("INV-SUB", "300.00", "2026-05-02", "SUBSCRIPTION_PURCHASE"))
    assert matched_to(subscription) == ("PO-A", "1")
    assert [entry["poId"] for entry in subscription["matchExplanation"]["candidates"]] == ["PO-A"]

    assert (client.po("PO-A")["balance"], client.po("PO-B")["balance"]) == ("700.00", "900.00")


@pytest.mark.parametrize("newest_by", ["created-last", "updated-last"])
def test_4_a_covering_balance_ranks_before_the_most_recent_update(runner: Runner, newest_by: str):
    client = Client(runner)
    if newest_by == "created-last":
        client.create_po("PO-OLD", [line_item("1", "ALL", "5000.00")])
        client.create_po("PO-NEW", [line_item("1", "ALL", "100.00")])
    else:  # PO-NEW is created first, but a user's status change makes it the most recently updated
        client.create_po("PO-NEW", [line_item("1", "ALL", "100.00")])
        client.create_po("PO-OLD", [line_item("1", "ALL", "5000.00")])
        client.set_status("PO-NEW", "SUSPENDED")
        client.set_status("PO-NEW", "ACTIVE")

    big = client.upload(invoice_document("INV-1000", "1000.00", "2026-06-10"))
    assert matched_to(big) == ("PO-OLD", "1")
    assert big["match"]["flags"] == []
    outranked = candidate(big, "PO-NEW")
    assert (outranked["outcome"], outranked["covers"]) == ("OUTRANKED", False)
    assert "cover" in outranked["reason"]

    small = client.upload(invoice_document("INV-50", "50.00", "2026-06-11"))
    assert matched_to(small) == ("PO-NEW", "1")  # both cover: the most recently updated PO wins
    assert candidate(small, "PO-OLD")["outcome"] == "OUTRANKED"
    assert "less recently" in candidate(small, "PO-OLD")["reason"]

    assert (client.po("PO-OLD")["balance"], client.po("PO-NEW")["balance"]) == ("4000.00", "50.00")


def test_5_a_suspended_marketplace_po_then_reactivated_and_a_manual_match(runner: Runner):
    client = Client(runner)
    client.create_po("PO-MKT", [line_item("1", "MARKETPLACE_PURCHASE", "2000.00")])
    client.set_status("PO-MKT", "SUSPENDED")

    first = client.upload(invoice_document("MKT-1", "500.00", "2026-07-01", "MARKETPLACE_PURCHASE"))
    assert unmatched_because(first) == "NO_ACTIVE_PO"  # the only PO is suspended

    client.set_status("PO-MKT", "ACTIVE")
    second = client.upload(invoice_document("MKT-2", "300.00", "2026-07-02", "MARKETPLACE_PURCHASE"))
    assert matched_to(second) == ("PO-MKT", "1")
    assert second["match"]["manual"] is False

    # An UNMATCHED invoice is not re-matched automatically when a PO becomes eligible later:
    # the user matches it by hand with PUT /invoices/{id}/match.
    assert client.invoice("MKT-1")["matchStatus"] == "UNMATCHED"
    assert client.po("PO-MKT")["balance"] == "1700.00"
    manual = client.call("PUT", "/invoices/MKT-1/match", {"poId": "PO-MKT", "lineItemId": "1"})
    assert manual.status_code == 200, manual.text
    assert matched_to(manual.json()) == ("PO-MKT", "1")
    assert manual.json()["match"]["manual"] is True
    assert manual.json()["unmatchedReason"] is None
    assert client.invoice("MKT-1")["match"]["manual"] is True

    po = client.po("PO-MKT")
    assert (po["invoicedAmount"], po["balance"]) == ("800.00", "1200.00")


@pytest.mark.parametrize(
    ("matching", "expected"),
    [
        ({}, ("MATCHED", ["EXCEEDS_BALANCE"], "-100.00")),
        ({"blockExceedingBalance": True}, ("UNMATCHED", None, "1000.00")),
        (
            {"blockExceedingBalance": True, "tolerancePercent": "10"},
            ("MATCHED", ["EXCEEDS_BALANCE", "WITHIN_TOLERANCE"], "-100.00"),
        ),
    ],
    ids=["default-flags", "blocked", "blocked-but-within-10-percent"],
)
def test_6_a_1100_bill_against_a_1000_po(runner: Runner, matching: dict[str, Any], expected: tuple):
    client = Client(runner)  # an account per variant
    if matching:
        client.put_matching(**matching)
    client.create_po("PO-1000", [line_item("1", "ALL", "1000.00")])

    invoice = client.upload(invoice_document("INV-1100", "1100.00", "2026-08-01"))

    status, flags, balance = expected
    assert invoice["matchStatus"] == status
    if status == "MATCHED":
        assert matched_to(invoice) == ("PO-1000", "1")
        assert sorted(invoice["match"]["flags"]) == flags
        assert (invoice["match"]["amount"], invoice["match"]["availableBalance"]) == ("1100.00", "1000.00")
    else:
        assert unmatched_because(invoice) == "INSUFFICIENT_BALANCE"
        assert candidate(invoice, "PO-1000")["outcome"] == "BLOCKED"
    assert client.po("PO-1000")["balance"] == balance


def _line_by_line(client: Client) -> dict[str, Any]:
    client.create_po("PO-LINES", [line_item("1", "ALL", "200.00"), line_item("2", "ALL", "1000.00")])
    lines = [
        {"lineNumber": 1, "amount": "205.00", "poLineItemId": "1"},
        {"lineNumber": 2, "amount": "95.00", "poLineItemId": "2"},
    ]
    return client.upload(invoice_document("INV-LINES", "300.00", "2026-09-01", poId="PO-LINES", lines=lines))


def test_7_a_205_line_against_a_200_line_item_is_a_line_item_mismatch(runner: Runner):
    client = Client(runner)
    client.put_matching(requireLineItemMatch=True)

    invoice = _line_by_line(client)

    assert invoice["matchStatus"] == "MATCHED"
    assert invoice["match"]["poId"] == "PO-LINES"
    assert "LINE_ITEM_MISMATCH" in invoice["match"]["flags"]
    assert "EXCEEDS_BALANCE" in invoice["match"]["flags"]
    lines = [
        {key: line[key] for key in ("lineNumber", "lineItemId", "amount", "availableBalance")}
        for line in invoice["match"]["lines"]
    ]
    assert lines == [
        {"lineNumber": 1, "lineItemId": "1", "amount": "205.00", "availableBalance": "200.00"},
        {"lineNumber": 2, "lineItemId": "2", "amount": "95.00", "availableBalance": "1000.00"},
    ]
    assert client.line_item_balances("PO-LINES") == {"1": "-5.00", "2": "905.00"}
    assert client.po("PO-LINES")["balance"] == "900.00"

    submitted = client.call("POST", "/invoices/INV-LINES/submit")
    assert submitted.status_code == 409, submitted.text
    assert "requireLineItemMatch" in submitted.json()["detail"]
    assert client.invoice("INV-LINES")["approvalStatus"] == "DRAFT"


def test_7_within_a_5_percent_tolerance_the_same_bill_is_no_mismatch(runner: Runner):
    client = Client(runner)
    client.put_matching(requireLineItemMatch=True, tolerancePercent="5")

    invoice = _line_by_line(client)

    assert invoice["matchStatus"] == "MATCHED"
    assert "LINE_ITEM_MISMATCH" not in invoice["match"]["flags"]
    assert sorted(invoice["match"]["flags"]) == ["EXCEEDS_BALANCE", "WITHIN_TOLERANCE"]
    assert client.line_item_balances("PO-LINES") == {"1": "-5.00", "2": "905.00"}

    submitted = client.call("POST", "/invoices/INV-LINES/submit")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["approvalStatus"] == "SUBMITTED"


def test_8_a_monthly_po_keeps_a_balance_per_month(runner: Runner):
    client = Client(runner)
    created = client.create_po(
        "PO-500-MONTH",
        [line_item("1", "MONTHLY_USAGE", "500.00", recurrence="MONTHLY")],
        effective="2026-01",
        expiration="2026-06",
    )
    assert created["totalAmount"] == "3000.00"

    march_1 = client.upload(invoice_document("MAR-400", "400.00", "2026-03-05"))
    assert (march_1["match"]["availableBalance"], march_1["match"]["flags"]) == ("500.00", [])
    march_2 = client.upload(invoice_document("MAR-300", "300.00", "2026-03-20"))
    assert matched_to(march_2) == ("PO-500-MONTH", "1")
    assert (march_2["match"]["availableBalance"], march_2["match"]["flags"]) == ("100.00", ["EXCEEDS_BALANCE"])
    april = client.upload(invoice_document("APR-450", "450.00", "2026-04-10"))
    assert (april["match"]["availableBalance"], april["match"]["flags"]) == ("500.00", [])

    po = client.po("PO-500-MONTH")
    periods = {period["month"]: period for period in po["lineItems"][0]["periods"]}
    assert [period["month"] for period in po["lineItems"][0]["periods"]] == [f"2026-0{m}" for m in range(1, 7)]
    figures = ("amount", "invoicedAmount", "balance")
    assert [periods["2026-03"][key] for key in figures] == ["500.00", "700.00", "-200.00"]
    assert [periods["2026-04"][key] for key in figures] == ["500.00", "450.00", "50.00"]
    assert periods["2026-05"]["balance"] == "500.00"
    assert (po["totalAmount"], po["invoicedAmount"], po["balance"]) == ("3000.00", "1150.00", "1850.00")


def test_9_uploading_the_same_invoice_twice_debits_once(runner: Runner):
    client = Client(runner)
    client.create_po("PO-IDEM", [line_item("1", "ALL", "1000.00")])
    document = invoice_document("INV-TWICE", "250.00", "2026-10-01")

    first = client.post_invoice(document)
    second = client.post_invoice(document)
    assert (first.status_code, second.status_code) == (202, 200), second.text
    assert second.json()["invoiceId"] == first.json()["invoiceId"]
    assert second.json()["createdAt"] == first.json()["createdAt"]
    other = client.post_invoice({**document, "subtotal": "260.00", "total": "260.00"})
    assert other.status_code == 409, other.text

    drain(runner.base_url)
    assert matched_to(client.invoice("INV-TWICE")) == ("PO-IDEM", "1")
    again = client.post_invoice(document)  # the same document once more, after matching
    assert again.status_code == 200, again.text
    assert again.json()["matchStatus"] == "MATCHED"
    drain(runner.base_url)

    po = client.po("PO-IDEM")
    assert (po["invoicedAmount"], po["balance"]) == ("250.00", "750.00")
    assert [invoice["invoiceId"] for invoice in client.invoices()] == ["INV-TWICE"]
    matched = [entry for entry in client.history("PO-IDEM") if entry["action"] == "INVOICE_MATCHED"]
    assert len(matched) == 1


def test_9_the_same_invoice_with_amounts_as_json_numbers_is_the_same_content(runner: Runner):
    client = Client(runner)
    document = invoice_document("INV-NUMBERS", "250.00", "2026-10-01")
    assert client.post_invoice(document).status_code == 202

    as_numbers = client.post_invoice({**document, "subtotal": 250, "tax": 0, "total": 250})

    assert as_numbers.status_code == 200, as_numbers.text
    assert as_numbers.json()["subtotal"] == "250.00"


def emulator_s3(runner: Runner) -> tuple[dict[str, Any], Any]:
    """The runner's /_local/info and an S3 client on its emulator."""
    info = requests.get(f"{runner.base_url}/_local/info", timeout=TIMEOUT).json()
    s3 = boto3.client(
        "s3",
        endpoint_url=info["awsEndpoint"],
        region_name=info["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return info, s3


def test_10_invoices_put_in_the_bucket(runner: Runner):
    client = Client(runner)
    client.create_po("PO-S3", [line_item("1", "ALL", "1000.00")])
    info, s3 = emulator_s3(runner)
    bucket, prefix = info["invoiceBucket"], f"invoices/{client.account}"
    valid = json.dumps(invoice_document("INV-S3", "120.00", "2026-11-03")).encode()
    s3.put_object(Bucket=bucket, Key=f"{prefix}/a.json", Body=valid)
    s3.put_object(Bucket=bucket, Key=f"{prefix}/b.json", Body=valid)
    s3.put_object(Bucket=bucket, Key=f"{prefix}/broken.json", Body=b'{"invoiceId": "BAD"')
    claim = invoice_document("INV-CLAIM", "10.00", "2026-11-03", accountId="someone-else")
    s3.put_object(Bucket=bucket, Key=f"{prefix}/claim.json", Body=json.dumps(claim).encode())

    drain(runner.base_url)

    (invoice,) = client.invoices()
    assert invoice["invoiceId"] == "INV-S3"
    assert matched_to(client.invoice("INV-S3")) == ("PO-S3", "1")
    assert client.po("PO-S3")["balance"] == "880.00"  # debited once for the two objects

    rejected = {upload["key"]: upload for upload in client.uploads("REJECTED")}
    assert sorted(rejected) == [f"{prefix}/broken.json", f"{prefix}/claim.json"]
    assert all(upload["status"] == "REJECTED" and upload["error"] for upload in rejected.values())
    assert "accountId" in json.dumps(rejected[f"{prefix}/claim.json"]["error"])
    uploads = {upload["key"]: upload for status in ("ACCEPTED", "DUPLICATE") for upload in client.uploads(status)}
    assert sorted((key, upload["status"]) for key, upload in uploads.items()) == [
        (f"{prefix}/a.json", "ACCEPTED"),
        (f"{prefix}/b.json", "DUPLICATE"),
    ]
    assert {upload["invoiceId"] for upload in uploads.values()} == {"INV-S3"}
    assert all(upload["error"] is None for upload in uploads.values())

    assert s3.head_object(Bucket=bucket, Key=f"{prefix}/broken.json")["ContentLength"] == len(b'{"invoiceId": "BAD"')
    assert client.call("GET", "/invoices/INV-CLAIM").status_code == 404

    stranger = Client(runner)
    assert stranger.invoices() == []
    assert stranger.uploads("REJECTED") == stranger.uploads("ACCEPTED") == []
    assert stranger.call("GET", "/invoices/INV-S3").status_code == 404


def test_10_the_document_link_still_serves_the_original_after_the_object_is_overwritten(runner: Runner):
    client = Client(runner)
    info, s3 = emulator_s3(runner)
    key = f"invoices/{client.account}/x.json"
    original = invoice_document("INV-OVERWRITTEN", "100.00", "2026-05-01")
    s3.put_object(Bucket=info["invoiceBucket"], Key=key, Body=json.dumps(original).encode())
    drain(runner.base_url)
    changed = {**original, "subtotal": "150.00", "total": "150.00"}
    s3.put_object(Bucket=info["invoiceBucket"], Key=key, Body=json.dumps(changed).encode())
    drain(runner.base_url)

    assert client.invoice("INV-OVERWRITTEN")["subtotal"] == "100.00"
    link = client.call("GET", "/invoices/INV-OVERWRITTEN/document").json()["url"]
    assert json.loads(requests.get(link, timeout=TIMEOUT).content)["subtotal"] == "100.00"


def test_11_credit_memos_credit_at_most_what_the_original_debited(runner: Runner):
    client = Client(runner)
    client.create_po("PO-CREDIT", [line_item("1", "ALL", "1000.00")])
    original = client.upload(invoice_document("INV-1", "800.00", "2026-02-01", "SUBSCRIPTION_PURCHASE"))
    assert matched_to(original) == ("PO-CREDIT", "1")
    assert client.po("PO-CREDIT")["balance"] == "200.00"

    def memo(invoice_id: str, subtotal: str) -> dict[str, Any]:
        return invoice_document(
            invoice_id,
            subtotal,
            "2026-02-15",
            "SUBSCRIPTION_PURCHASE",
            documentType="CREDIT_MEMO",
            originalInvoiceId="INV-1",
        )

    first = client.upload(memo("CM-1", "300.00"))
    assert matched_to(first) == ("PO-CREDIT", "1")
    assert first["match"]["amount"] == "300.00"
    assert client.po("PO-CREDIT")["balance"] == "500.00"

    second = client.upload(memo("CM-2", "600.00"))
    assert matched_to(second) == ("PO-CREDIT", "1")
    assert second["match"]["amount"] == "500.00"  # only what INV-1 still held
    po = client.po("PO-CREDIT")
    assert (po["invoicedAmount"], po["balance"]) == ("0.00", "1000.00")
    assert client.invoice("INV-1")["creditedAmount"] == "800.00"


def test_12_rejecting_a_matched_invoice_credits_its_po_back(runner: Runner):
    client = Client(runner)
    client.create_po("PO-REJECT", [line_item("1", "ALL", "1000.00")])
    invoice = client.upload(invoice_document("INV-REJ", "400.00", "2026-12-01"))
    assert matched_to(invoice) == ("PO-REJECT", "1")
    assert client.po("PO-REJECT")["balance"] == "600.00"

    submitted = client.call("POST", "/invoices/INV-REJ/submit")
    assert (submitted.status_code, submitted.json()["approvalStatus"]) == (200, "SUBMITTED"), submitted.text
    rejected = client.call("POST", "/invoices/INV-REJ/reject")
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["approvalStatus"], rejected.json()["matchStatus"]) == ("REJECTED", "UNMATCHED")
    assert client.invoice("INV-REJ")["approvalStatus"] == "REJECTED"

    po = client.po("PO-REJECT")
    assert (po["invoicedAmount"], po["balance"]) == ("0.00", "1000.00")
    actions = [entry["action"] for entry in client.history("PO-REJECT")]
    assert actions[:2] == ["INVOICE_UNMATCHED", "INVOICE_MATCHED"]  # newest first
    assert actions[-1] == "CREATED"
    unmatched = next(entry for entry in client.history("PO-REJECT") if entry["action"] == "INVOICE_UNMATCHED")
    assert unmatched["details"]["invoiceId"] == "INV-REJ"


def test_11_rejecting_a_credit_memo_does_not_credit_the_po_twice(runner: Runner):
    client = Client(runner)
    client.create_po("PO-CREDIT", [line_item("1", "ALL", "1000.00")])
    client.upload(invoice_document("INV-1", "800.00", "2026-02-01", "SUBSCRIPTION_PURCHASE"))
    credit_memo = invoice_document(
        "CM-1", "300.00", "2026-02-15", "SUBSCRIPTION_PURCHASE", documentType="CREDIT_MEMO", originalInvoiceId="INV-1"
    )
    assert matched_to(client.upload(credit_memo)) == ("PO-CREDIT", "1")
    assert client.po("PO-CREDIT")["invoicedAmount"] == "500.00"

    assert client.call("POST", "/invoices/CM-1/submit").status_code == 200
    client.call("POST", "/invoices/CM-1/reject")  # refusing it (409) or reversing its credit would both be sound

    memo_still_applies = client.invoice("CM-1")["matchStatus"] == "MATCHED"
    invoiced = "500.00" if memo_still_applies else "800.00"
    assert client.po("PO-CREDIT")["invoicedAmount"] == invoiced
