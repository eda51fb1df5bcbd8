"""The scheduled job and e-mail through ``python -m local_runner``: POST /_local/schedule sets the
job's time, GET /_local/outbox shows what SES accepted. Each account mails its own address, so the
outbox (shared by every test against the runner) is read per address."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.conftest import purchase_order
from tests.e2e.client import Client, invoice_document
from tests.e2e.conftest import Runner

pytestmark = pytest.mark.e2e


def runner_outbox(runner: Runner) -> list[dict[str, Any]]:
    return requests.get(f"{runner.base_url}/_local/outbox", timeout=30).json()["items"]


class Account(Client):
    """An account whose POs mail an address of its own."""

    def __init__(self, runner: Runner):
        super().__init__(runner)
        self.runner = runner
        self.email = f"{self.account}@example.com"

    def create(self, po_id: str, expiration: str, *, contacts: bool = True) -> None:
        document = purchase_order(po_id, expirationMonth=expiration)
        document["contacts"] = [{"name": "Ana", "email": self.email}] if contacts else []
        assert self.call("POST", "/purchase-orders", document).status_code == 201

    def status(self, po_id: str) -> str:
        return self.po(po_id)["status"]

    def subjects(self) -> list[str]:
        return [item["subject"] for item in runner_outbox(self.runner) if self.email in item["to"]]


def run_schedule(runner: Runner, moment: str) -> dict[str, Any]:
    response = requests.post(f"{runner.base_url}/_local/schedule", json={"time": moment}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_expiry_notices_through_the_runner(runner: Runner):
    account = Account(runner)
    account.create("NOV", "2026-11")
    account.create("PAUSED", "2026-11", contacts=False)
    assert account.call("POST", "/purchase-orders/PAUSED/status", {"status": "SUSPENDED"}).status_code == 200
    expected = []
    for moment, subject in (
        ("2026-11-05T00:15:00Z", "Purchase order NOV expires in 26 days"),
        ("2026-11-06T00:15:00Z", None),
        ("2026-11-25T00:15:00Z", "Purchase order NOV expires in 6 days"),
        ("2026-12-01T00:15:00Z", "Purchase order NOV has expired"),
        ("2026-12-02T00:15:00Z", None),
        ("2027-03-01T00:15:00Z", None),
    ):
        summary = run_schedule(runner, moment)
        assert summary["time"] == moment
        expected += [subject] if subject else []
        assert account.subjects() == expected, moment
    # A suspended PO expires as SUSPENDED_EXPIRED, as the AWS Billing console says.
    assert (account.status("NOV"), account.status("PAUSED")) == ("EXPIRED", "SUSPENDED_EXPIRED")
    mine = [item for item in runner_outbox(runner) if account.email in item["to"]]
    assert "Total: 1000.00 USD" in mine[-1]["body"]
    assert mine[-1]["sentAt"].endswith("Z")


def test_balance_alerts_are_mailed_when_the_match_crosses(runner: Runner):
    account = Account(runner)
    account.create("ALERTS", "2026-12")
    for number, amount in enumerate(("700.00", "100.00", "250.00")):
        account.upload(invoice_document(f"INV-{number}", amount, "2026-03-15"))
    assert account.subjects() == [
        "Purchase order ALERTS has reached 75% of its amount",
        "Purchase order ALERTS has reached 100% of its amount",
    ]


def test_schedule_endpoint_refuses_a_time_without_zone(runner: Runner):
    response = requests.post(f"{runner.base_url}/_local/schedule", json={"time": "2026-12-01T00:00:00"}, timeout=30)
    assert response.status_code == 422
    assert "time" in response.json()["detail"]
