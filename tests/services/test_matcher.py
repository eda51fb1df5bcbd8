"""The matcher's cost and its retries (pom.services.matcher: three requests, debited once)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from pom.store.ports import StaleWrite
from tests.fakes.memory_store import Faults
from tests.services.conftest import ACCOUNT, Services

CONFLICTS: dict[str, Callable[[Faults], None]] = {
    # DynamoDB cancels a transaction that meets another one on the same items (TransactionConflict).
    "a concurrent transaction": lambda faults: faults.fail_next("invoices.save_change", StaleWrite("INV-1")),
    "the invoice written meanwhile": lambda faults: faults.conflict_next("invoices.save_change"),
}


def test_matching_one_invoice_costs_three_requests(services: Services):
    services.create_po()
    pending = services.upload("INV-1")
    services.faults.calls.clear()

    assert services.matcher.process(pending) == "MATCHED"

    assert services.faults.calls == Counter(
        {"purchase_orders.candidate_ids": 1, "purchase_orders.with_settings": 1, "invoices.save_change": 1}
    )


@pytest.mark.parametrize("conflict", list(CONFLICTS))
def test_a_conflicting_match_is_retried_and_debits_once(services: Services, conflict: str):
    """Defect 11: a transaction conflict on the match escaped the matcher instead of being retried."""
    services.create_po()
    pending = services.upload("INV-1")
    CONFLICTS[conflict](services.faults)

    assert services.matcher.process(pending) == "MATCHED"

    assert services.invoice("INV-1").matchStatus == "MATCHED"
    assert services.invoiced() == {"": "100.00", "1": "100.00"}
    assert len(services.stores.invoices.ledger_entries(ACCOUNT, "P")) == 1
    assert services.faults.calls["invoices.save_change"] == 2
