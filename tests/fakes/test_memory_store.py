"""The fake's own part: request counts and injected faults (its store semantics: tests/store)."""

from __future__ import annotations

from collections import Counter

import pytest
from botocore.exceptions import ClientError

from pom.core.months import iso_timestamp
from pom.domain.audit import Actor
from pom.domain.purchase_orders import change_status
from pom.store.ports import AlreadyExists, InvoiceChanged, StaleWrite, Stores
from tests.conftest import AWS_INC
from tests.fakes.memory_store import Crash, Faults, memory_stores
from tests.store.builders import NOW, created, later, matched, new_inv, new_po

ACCOUNT = "acct-fake"
SYSTEM = Actor(ACCOUNT, "system")


@pytest.fixture
def faults() -> Faults:
    return Faults()


@pytest.fixture
def stores(faults: Faults) -> Stores:
    return memory_stores(faults)


def pending_match(stores: Stores) -> tuple:
    """A PO and a PENDING invoice, and the change that matches them."""
    po = created(stores, ACCOUNT)
    invoice = new_inv(ACCOUNT)
    stores.invoices.create(invoice)
    after, change = matched(invoice, po, later(5))
    return invoice, after, change


def test_each_port_call_counts_as_one_request(stores: Stores, faults: Faults):
    invoice, after, change = pending_match(stores)
    faults.calls.clear()
    ids = stores.purchase_orders.candidate_ids(ACCOUNT, AWS_INC, invoice.service_month)
    stores.purchase_orders.with_settings(ACCOUNT, ids)
    stores.invoices.save_change(after, invoice.version, [change], SYSTEM)
    stores.outbox.key(change.notices[0])  # computed, not requested
    assert faults.calls == Counter(
        {"purchase_orders.candidate_ids": 1, "purchase_orders.with_settings": 1, "invoices.save_change": 1}
    )


def test_a_throttled_write_writes_nothing_and_its_retry_succeeds(stores: Stores, faults: Faults):
    invoice, after, change = pending_match(stores)
    faults.fail_next("invoices.save_change")
    with pytest.raises(ClientError) as throttled:
        stores.invoices.save_change(after, invoice.version, [change], SYSTEM)
    assert throttled.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert stores.invoices.get(ACCOUNT, "INV-1") == invoice
    assert stores.invoices.ledger_entries(ACCOUNT, "PO-1") == []
    stores.invoices.save_change(after, invoice.version, [change], SYSTEM)
    assert stores.invoices.get(ACCOUNT, "INV-1") == after
    assert faults.calls["invoices.save_change"] == 2


def test_faults_queue_per_operation_and_raise_the_error_given(stores: Stores, faults: Faults):
    created(stores, ACCOUNT)
    throttling = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GetItem")
    faults.fail_next("purchase_orders.get", throttling)
    faults.fail_next("purchase_orders.get")
    with pytest.raises(ClientError) as first:
        stores.purchase_orders.get(ACCOUNT, "PO-1")
    assert first.value is throttling
    assert stores.purchase_orders.list(ACCOUNT, None, 10, None).items  # another operation: untouched
    with pytest.raises(ClientError):
        stores.purchase_orders.get(ACCOUNT, "PO-1")
    assert stores.purchase_orders.get(ACCOUNT, "PO-1") is not None


def test_a_conflict_fails_each_condition_as_a_concurrent_write_would(stores: Stores, faults: Faults):
    invoice, after, change = pending_match(stores)
    po = stores.purchase_orders.get(ACCOUNT, "PO-1")

    faults.conflict_next("purchase_orders.save")
    suspended, events = change_status(po, "SUSPENDED", later(1))
    with pytest.raises(StaleWrite):
        stores.purchase_orders.save(po, suspended, SYSTEM, suspended.updatedAt, events)
    assert stores.purchase_orders.get(ACCOUNT, "PO-1") == po

    faults.conflict_next("purchase_orders.create")
    other, event = new_po(ACCOUNT, "PO-2")
    with pytest.raises(AlreadyExists):
        stores.purchase_orders.create(other, SYSTEM, [event], None)
    assert stores.purchase_orders.get(ACCOUNT, "PO-2") is None

    faults.conflict_next("invoices.save_change")
    with pytest.raises(InvoiceChanged) as changed:
        stores.invoices.save_change(after, invoice.version, [change], SYSTEM)
    assert changed.value.current == invoice
    assert stores.invoices.ledger_entries(ACCOUNT, "PO-1") == []

    faults.conflict_next("invoices.touch_pending")
    assert not stores.invoices.touch_pending(ACCOUNT, "INV-1", iso_timestamp(NOW))
    assert stores.invoices.touch_pending(ACCOUNT, "INV-1", iso_timestamp(NOW))

    _, [scheduled] = stores.schedule.scheduled([(ACCOUNT, "PO-1")], [ACCOUNT])
    faults.conflict_next("schedule.plan_next_check")
    assert not stores.schedule.plan_next_check(scheduled, "2026-12-01T00:00:00Z", [])
    assert stores.schedule.plan_next_check(scheduled, "2026-12-01T00:00:00Z", [])


@pytest.mark.parametrize("operation", ["purchase_orders.get", "outbox.claim", "invoices._apply", "x.save"])
def test_only_a_conditional_write_can_conflict(faults: Faults, operation: str):
    with pytest.raises(ValueError, match="has no condition to fail"):
        faults.conflict_next(operation)


def test_faults_name_operations_that_exist(faults: Faults):
    with pytest.raises(ValueError, match="no store operation"):
        faults.fail_next("invoices.save")
    with pytest.raises(ValueError, match="no store operation"):
        faults.crash_after("purchase_order.save")


def test_a_crash_after_the_write_keeps_the_write_and_the_caller_cannot_catch_it(stores: Stores, faults: Faults):
    invoice, after, change = pending_match(stores)
    faults.crash_after("invoices.save_change")
    with pytest.raises(Crash):
        stores.invoices.save_change(after, invoice.version, [change], SYSTEM)
    assert not issubclass(Crash, Exception)  # no service's broad handler survives it, as none survives a timeout
    assert stores.invoices.get(ACCOUNT, "INV-1") == after
    assert len(stores.invoices.ledger_entries(ACCOUNT, "PO-1")) == 1
    with pytest.raises(InvoiceChanged):  # the redelivery finds it done
        stores.invoices.save_change(after, invoice.version, [change], SYSTEM)
