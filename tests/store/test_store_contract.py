"""What every implementation of the store ports promises (``pom.store.ports``), one suite for all.

``FACTORIES`` names the implementations: each test runs against each. Every test works in an
account of its own, so an implementation over a shared table (moto) needs no clean-up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pom.core.errors import ValidationFailed
from pom.core.months import iso_timestamp
from pom.domain import invoices
from pom.domain.audit import Actor, AuditEvent
from pom.domain.invoices import supplier_identity
from pom.domain.models import Settings
from pom.domain.notices import Notice, expiring_notice, first_check
from pom.domain.purchase_orders import (
    change_status,
    expire,
    purchase_order_view,
    replace_purchase_order,
)
from pom.domain.requests import AccountSettings as SettingsBody
from pom.domain.requests import PurchaseOrderCreate
from pom.store.ports import (
    AlreadyExists,
    InvoiceChanged,
    PurchaseOrderChanged,
    SettingsChanged,
    StaleWrite,
    Stores,
    VersionedSettings,
)
from pom.store.tables import dynamo_stores
from tests.conftest import AWS_INC, new_account
from tests.fakes.memory_store import memory_stores
from tests.store.builders import NOW, actor, body, created, later, matched, new_inv, new_po, saved, suspended

SYSTEM_ACTOR = {"userId": "system", "email": None}

# Each builds fresh stores for one test; it gets the test's request to ask for what it needs
# (DynamoDB stores: ``request.getfixturevalue("aws")``, the moto table).
FACTORIES: dict[str, Callable[[pytest.FixtureRequest], Stores]] = {
    "memory": lambda _: memory_stores(),
    "dynamodb": lambda request: dynamo_stores(request.getfixturevalue("aws")["Table"]),
}


@pytest.fixture(params=list(FACTORIES))
def stores(request: pytest.FixtureRequest) -> Stores:
    return FACTORIES[request.param](request)


@pytest.fixture
def account() -> str:
    return new_account()


def token_refused(call: Callable[[], Any]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        call()
    assert [error.loc for error in refused.value.errors] == [("query", "nextToken")]


# --- purchase orders --------------------------------------------------------------------------------


def test_created_po_reads_back_and_stored_state_is_never_shared(stores: Stores, account: str):
    po = created(stores, account)
    po.lineItems[0].periodInvoiced["2026-01"] = Decimal(1)  # the caller's object, after the write
    read = stores.purchase_orders.get(account, "PO-1")
    assert read is not None
    assert read.lineItems[0].periodInvoiced == {}
    read.billFrom.append("someone else")
    assert stores.purchase_orders.get(account, "PO-1").billFrom == [AWS_INC]
    assert stores.purchase_orders.get(account, "PO-2") is None
    assert stores.purchase_orders.get(new_account(), "PO-1") is None


def test_list_pages_newest_first_and_by_status(stores: Stores, account: str):
    for minute, po_id in enumerate(["A", "B", "C"]):
        created(stores, account, po_id, later(minute))
    suspended(stores, stores.purchase_orders.get(account, "A"), later(9))

    first = stores.purchase_orders.list(account, None, 2, None)
    assert [po.poId for po in first.items] == ["A", "C"]
    second = stores.purchase_orders.list(account, None, 2, first.next_token)
    assert [po.poId for po in second.items] == ["B"]
    assert second.next_token is None
    assert [po.poId for po in stores.purchase_orders.list(account, "ACTIVE", 10, None).items] == ["C", "B"]
    assert [po.poId for po in stores.purchase_orders.list(account, "SUSPENDED", 10, None).items] == ["A"]


def test_a_list_by_tag_pages_through_every_po_carrying_it_once(stores: Stores, account: str):
    for number in range(5):
        created(stores, account, f"PO-{number}", at=later(number), tags=[{"key": "team", "value": f"v{number % 2}"}])
    created(stores, account, "UNTAGGED", at=later(9))
    tagged = created(stores, account, "RETAGGED", at=later(10), tags=[{"key": "team", "value": "v0"}])
    saved(stores, tagged, (tagged.replace(tags=[], rev=tagged.rev + 1), []))

    def every(tag: tuple[str, str | None]) -> list[str]:
        seen, token = [], None
        while True:
            page = stores.purchase_orders.list(account, None, 2, token, tag=tag)
            assert len(page.items) <= 2
            seen += [po.poId for po in page.items]
            token = page.next_token
            if token is None:
                return seen

    assert sorted(every(("team", None))) == [f"PO-{n}" for n in range(5)]
    assert sorted(every(("team", "v0"))) == ["PO-0", "PO-2", "PO-4"]
    assert every(("team", "v9")) == []
    assert stores.purchase_orders.list(new_account(), None, 10, None, tag=("team", None)).items == []


def test_a_token_is_taken_only_by_the_list_it_came_from(stores: Stores, account: str):
    for po_id in ["A", "B"]:
        created(stores, account, po_id)
    token = stores.purchase_orders.list(account, None, 1, None).next_token
    assert token is not None
    token_refused(lambda: stores.purchase_orders.list(account, "ACTIVE", 1, token))
    token_refused(lambda: stores.purchase_orders.list(new_account(), None, 1, token))
    token_refused(lambda: stores.purchase_orders.history(account, "A", 1, token))
    token_refused(lambda: stores.invoices.list(account, 1, token))
    token_refused(lambda: stores.uploads.list(account, None, 1, token))
    token_refused(lambda: stores.purchase_orders.list(account, None, 1, "not-a-token"))


def test_create_twice_is_refused(stores: Stores, account: str):
    first = created(stores, account)
    again, event = new_po(account, at=later(1), description="again")
    with pytest.raises(AlreadyExists):
        stores.purchase_orders.create(again, actor(account), [event], None)
    assert stores.purchase_orders.get(account, "PO-1") == first
    assert len(stores.purchase_orders.history(account, "PO-1", 10, None).items) == 1


def test_create_on_stale_settings_is_refused_with_the_current_ones(stores: Stores, account: str):
    current = stores.settings.put(account, Settings(currency="EUR"), iso_timestamp(NOW))
    po, event = new_po(account)
    with pytest.raises(SettingsChanged) as changed:
        stores.purchase_orders.create(po, actor(account), [event], None)
    assert changed.value.current == current
    assert stores.purchase_orders.get(account, "PO-1") is None
    stores.purchase_orders.create(po, actor(account), [event], current.version)
    assert stores.purchase_orders.get(account, "PO-1") is not None


def test_save_applies_only_on_the_rev_read(stores: Stores, account: str):
    po = created(stores, account)
    current = suspended(stores, po, later(1))
    described = PurchaseOrderCreate.model_validate({**body().model_dump(), "description": "decided on rev 1"})
    stale, events = replace_purchase_order(po, described, later(2))
    with pytest.raises(StaleWrite):
        stores.purchase_orders.save(po, stale, actor(account), stale.updatedAt, events)
    assert stores.purchase_orders.get(account, "PO-1") == current
    assert len(stores.purchase_orders.history(account, "PO-1", 10, None).items) == 2


def test_delete_applies_only_on_the_rev_read_and_keeps_the_history(stores: Stores, account: str):
    po = created(stores, account)
    current = suspended(stores, po, later(1))
    deleted = AuditEvent("DELETED", {})
    with pytest.raises(StaleWrite):
        stores.purchase_orders.delete(po, actor(account), iso_timestamp(later(2)), [deleted])
    stores.purchase_orders.delete(current, actor(account), iso_timestamp(later(2)), [deleted])
    assert stores.purchase_orders.get(account, "PO-1") is None
    assert stores.purchase_orders.list(account, None, 10, None).items == []
    history = stores.purchase_orders.history(account, "PO-1", 10, None).items
    assert [entry["action"] for entry in history] == ["DELETED", "STATUS_CHANGED", "CREATED"]


def test_history_pages_newest_first(stores: Stores, account: str):
    suspended(stores, created(stores, account), later(1))
    first = stores.purchase_orders.history(account, "PO-1", 1, None)
    assert first.items == [
        {
            "at": "2026-03-01T09:01:00Z",
            "actor": {"userId": "ana", "email": "ana@example.com"},
            "action": "STATUS_CHANGED",
            "details": {"old": "ACTIVE", "new": "SUSPENDED"},
        }
    ]
    second = stores.purchase_orders.history(account, "PO-1", 1, first.next_token)
    assert [entry["action"] for entry in second.items] == ["CREATED"]
    assert second.items[0]["details"]["purchaseOrder"]["lineItems"][0]["amount"] == "1000.00"
    token_refused(lambda: stores.purchase_orders.history(account, "PO-2", 1, first.next_token))


def test_candidates_follow_the_po_through_status_months_and_delete(stores: Stores, account: str):
    po = created(stores, account)
    created(stores, account, "OTHER-ENTITY", billFrom=["Someone Else"])
    created(stores, account, "LATER", effectiveMonth="2026-06")

    def candidates(month: str = "2026-03") -> list[str]:
        return stores.purchase_orders.candidate_ids(account, AWS_INC, month)

    assert candidates() == ["PO-1"]
    assert candidates("2026-12") == ["LATER", "PO-1"]
    assert candidates("2027-01") == []
    off = suspended(stores, po, later(1))
    assert candidates() == []
    active = saved(stores, off, change_status(off, "ACTIVE", later(2)))
    assert candidates() == ["PO-1"]
    shorter = saved(stores, active, replace_purchase_order(active, body(expirationMonth="2026-02"), later(3)))
    assert candidates() == []
    assert candidates("2026-02") == ["PO-1"]
    stores.purchase_orders.delete(shorter, actor(account), iso_timestamp(later(4)), [])
    assert candidates("2026-02") == []
    assert stores.purchase_orders.candidate_ids(new_account(), AWS_INC, "2026-12") == []


def test_candidates_follow_a_moved_effective_month(stores: Stores, account: str):
    """Defect 4: the bill-from pointers kept the effective month the PO was created with while its
    expiration month stayed, so the matcher was offered the PO for months it was not in effect."""
    po = created(stores, account)

    def candidates(month: str) -> list[str]:
        return stores.purchase_orders.candidate_ids(account, AWS_INC, month)

    later_start = saved(stores, po, replace_purchase_order(po, body(effectiveMonth="2026-04"), later(1)))
    assert candidates("2026-02") == []
    assert candidates("2026-05") == ["PO-1"]
    saved(stores, later_start, replace_purchase_order(later_start, body(effectiveMonth="2026-01"), later(2)))
    assert candidates("2026-02") == ["PO-1"]


def test_with_settings_reads_the_settings_and_the_pos_that_exist(stores: Stores, account: str):
    po = created(stores, account)
    put = stores.settings.put(account, Settings(paymentTerms="Net 60"), iso_timestamp(NOW))
    assert stores.purchase_orders.with_settings(account, ["PO-1", "PO-1", "GONE"]) == (put, [po])
    defaults = VersionedSettings(Settings(), None)
    assert stores.purchase_orders.with_settings(new_account(), ["PO-1"]) == (defaults, [])


def test_in_effect_is_a_few_active_pos_of_any_entity_in_effect_that_month(stores: Stores, account: str):
    old = created(stores, account, "OLD")
    created(stores, account, "OTHER", later(1), billFrom=["Another Seller"])
    created(stores, account, "LATER", later(1), effectiveMonth="2026-06")
    suspended(stores, created(stores, account, "OFF", later(2)), later(3))
    in_effect = stores.purchase_orders.in_effect(account, "2026-03", 10)
    assert sorted(po.poId for po in in_effect) == ["OLD", "OTHER"]
    assert old in in_effect
    assert len(stores.purchase_orders.in_effect(account, "2026-03", 1)) == 1


def test_settings_versions(stores: Stores, account: str):
    assert stores.settings.get(account) == VersionedSettings(Settings(), None)
    first = stores.settings.put(account, Settings(currency="EUR"), iso_timestamp(NOW))
    second = stores.settings.put(account, Settings(currency="GBP"), iso_timestamp(NOW))
    assert (first.version, second.version) == (1, 2)
    assert stores.settings.get(account) == VersionedSettings(Settings(currency="GBP"), 2)


# --- invoices and the ledger ------------------------------------------------------------------------


def test_an_invoice_is_created_once(stores: Stores, account: str):
    first = new_inv(account)
    assert stores.invoices.create(first) is None
    assert stores.invoices.create(new_inv(account, subtotal="5.00", at=later(1))) == first
    assert stores.invoices.get(account, "INV-1") == first
    assert stores.invoices.get(new_account(), "INV-1") is None


def test_a_supplier_number_is_taken_once_with_its_invoice(stores: Stores, account: str):
    """The invoice and its (entity, document type, supplier number) are written together: a second
    invoice with the same number but another id gets the holder back and writes nothing."""
    first = new_inv(account, "INV-1").replace(supplierInvoiceNumber="2026/0001")
    assert stores.invoices.create(first) is None
    twin = new_inv(account, "INV-2").replace(supplierInvoiceNumber="2026/0001")

    holder = stores.invoices.create(twin)

    assert holder is not None
    assert holder.invoiceId == "INV-1"
    assert stores.invoices.get(account, "INV-2") is None
    identity = supplier_identity(first.billingEntity, "INVOICE", "2026/0001")
    assert stores.invoices.by_supplier_number(account, identity).invoiceId == "INV-1"
    assert (
        stores.invoices.by_supplier_number(account, supplier_identity(first.billingEntity, "CREDIT_MEMO", "2026/0001"))
        is None
    )


def test_a_match_debits_the_po_with_its_ledger_and_audit_entries(stores: Stores, account: str):
    po = created(stores, account)
    invoice = new_inv(account)
    stores.invoices.create(invoice)
    after, change = matched(invoice, po, later(5))
    stores.invoices.save_change(after, invoice.version, [change], Actor(account, "system"))

    assert stores.invoices.get(account, "INV-1") == after
    debited = stores.purchase_orders.get(account, "PO-1")
    assert debited.lineItems[0].invoiced == Decimal("100.00")
    assert debited.lineItems[0].matchCount == 1
    assert (debited.rev, debited.version, debited.updatedAt) == (po.rev + 1, po.version, po.updatedAt)
    assert stores.invoices.ledger_entries(account, "PO-1") == [
        {
            "invoiceId": "INV-1",
            "at": after.updatedAt,
            "entries": [{"lineItemId": "1", "month": None, "amount": Decimal("100.00")}],
            "reason": "MATCHED",
        }
    ]
    [entry, _] = stores.purchase_orders.history(account, "PO-1", 10, None).items
    matched_entry = (entry["action"], entry["actor"], entry["details"]["invoiceId"])
    assert matched_entry == ("INVOICE_MATCHED", SYSTEM_ACTOR, "INV-1")
    [alert] = change.notices  # 10 % reached: the alert is due with the debit
    assert stores.outbox.key(alert) in stores.schedule.due(iso_timestamp(later(6))).notices


def test_an_invoice_change_writes_its_history_and_a_failed_one_writes_none(stores: Stores, account: str):
    po = created(stores, account)
    invoice = new_inv(account)
    stores.invoices.create(invoice)
    after, change = matched(invoice, po, later(5))
    history = invoices.trail_entries(invoice, after)
    with pytest.raises(InvoiceChanged):  # read at another version: nothing of it is written
        stores.invoices.save_change(after, invoice.version + 1, [change], Actor(account, "system"), history=history)
    assert stores.invoices.history(account, "INV-1", 10, None).items == []
    stores.invoices.save_change(after, invoice.version, [change], Actor(account, "system"), history=history)
    submitted = invoices.submit(after, Settings(), later(6), "ana")
    stores.invoices.save_change(
        submitted, after.version, [], Actor(account, "ana"), history=invoices.trail_entries(after, submitted)
    )
    trail = stores.invoices.history(account, "INV-1", 10, None)
    assert [(e["action"], e["actor"]) for e in trail.items] == [("SUBMITTED", {"userId": "ana", "email": None})]
    # The match of the invoice as received is its own record (untrailed), not an item of its trail.
    assert after.matchUntrailed
    assert stores.invoices.history(new_account(), "INV-1", 10, None).items == []


def test_a_change_superseding_an_untrailed_match_writes_its_entry_as_it_was_made(stores: Stores, account: str):
    po = created(stores, account)
    invoice = new_inv(account)
    stores.invoices.create(invoice)
    after, change = matched(invoice, po, later(5))
    stores.invoices.save_change(
        after, invoice.version, [change], Actor(account, "system"), history=invoices.trail_entries(invoice, after)
    )
    unmatched = invoices.unmatched(after, "UNMATCHED_BY_USER", later(6))
    assert not unmatched.matchUntrailed
    stores.invoices.save_change(
        unmatched, after.version, [], Actor(account, "ana"), history=invoices.trail_entries(after, unmatched)
    )
    entries = stores.invoices.history(account, "INV-1", 10, None).items
    assert [(e["action"], e["actor"]["userId"], e["at"]) for e in entries] == [
        ("UNMATCHED", "ana", iso_timestamp(later(6))),
        ("MATCHED", "system", iso_timestamp(later(5))),
    ]
    assert entries[1]["details"]["poId"] == "PO-1"


def test_a_change_on_a_stale_invoice_fails_with_the_current_one(stores: Stores, account: str):
    po = created(stores, account)
    invoice = new_inv(account)
    stores.invoices.create(invoice)
    after, change = matched(invoice, po, later(5))
    stores.invoices.save_change(after, invoice.version, [], Actor(account, "system"))  # no balance moved
    with pytest.raises(InvoiceChanged) as changed:
        stores.invoices.save_change(after, invoice.version, [change], Actor(account, "system"))
    assert changed.value.current == after
    with pytest.raises(InvoiceChanged) as gone:
        stores.invoices.save_change(new_inv(account, "NEVER"), 1, [], Actor(account, "system"))
    assert gone.value.current is None
    assert stores.invoices.ledger_entries(account, "PO-1") == []


def test_a_change_on_a_stale_po_fails_with_the_current_one_and_writes_nothing(stores: Stores, account: str):
    po = created(stores, account)
    invoice, other = new_inv(account), new_inv(account, "INV-2")
    stores.invoices.create(invoice)
    stores.invoices.create(other)
    current = suspended(stores, po, later(1))
    after, change = matched(invoice, po, later(5))  # decided on the PO as it was
    also = [(invoices.unmatched(other, "NO_ACTIVE_PO", later(5)), other.version)]
    with pytest.raises(PurchaseOrderChanged) as changed:
        stores.invoices.save_change(after, invoice.version, [change], Actor(account, "system"), also=also)
    assert (changed.value.po_id, changed.value.current) == ("PO-1", current)
    assert stores.invoices.get(account, "INV-1") == invoice
    assert stores.invoices.get(account, "INV-2") == other
    assert stores.purchase_orders.get(account, "PO-1") == current
    assert stores.invoices.ledger_entries(account, "PO-1") == []
    assert len(stores.purchase_orders.history(account, "PO-1", 10, None).items) == 2
    [alert] = change.notices
    assert stores.outbox.key(alert) not in stores.schedule.due(iso_timestamp(later(6))).notices

    stores.purchase_orders.delete(current, actor(account), iso_timestamp(later(2)), [])
    with pytest.raises(PurchaseOrderChanged) as deleted:
        stores.invoices.save_change(after, invoice.version, [change], Actor(account, "system"))
    assert deleted.value.current is None


def test_a_stale_second_invoice_fails_the_whole_change(stores: Stores, account: str):
    po = created(stores, account)
    invoice, original = new_inv(account), new_inv(account, "ORIGINAL")
    stores.invoices.create(invoice)
    stores.invoices.create(original)
    after, change = matched(invoice, po, later(5))
    also = [(invoices.unmatched(original, "NO_ACTIVE_PO", later(5)), original.version + 1)]  # read at another version
    with pytest.raises(InvoiceChanged) as changed:
        stores.invoices.save_change(after, invoice.version, [change], Actor(account, "system"), also=also)
    assert changed.value.current == original
    assert stores.invoices.get(account, "INV-1") == invoice
    assert stores.purchase_orders.get(account, "PO-1") == po


def test_a_ledger_entry_is_never_written_twice(stores: Stores, account: str):
    po = created(stores, account)
    invoice = new_inv(account)
    stores.invoices.create(invoice)
    after, change = matched(invoice, po, later(5))
    stores.invoices.save_change(after, invoice.version, [change], Actor(account, "system"))
    debited = stores.purchase_orders.get(account, "PO-1")
    replayed = change._replace(po=debited)  # the PO and the invoice as they are now, the same movement number
    submitted = invoices.submit(after, Settings(), later(6), "ana")
    with pytest.raises(StaleWrite):
        stores.invoices.save_change(submitted, after.version, [replayed], Actor(account, "system"))
    assert stores.invoices.get(account, "INV-1") == after
    assert stores.purchase_orders.get(account, "PO-1") == debited
    assert len(stores.invoices.ledger_entries(account, "PO-1")) == 1


def test_one_change_writes_each_item_once(stores: Stores, account: str):
    po = created(stores, account)
    invoice = new_inv(account)
    stores.invoices.create(invoice)
    after, change = matched(invoice, po, later(5))
    with pytest.raises(ClientError) as refused:
        stores.invoices.save_change(after, invoice.version, [change, change], Actor(account, "system"))
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert stores.purchase_orders.get(account, "PO-1") == po


def test_invoices_list_newest_first_by_match_status_and_by_po(stores: Stores, account: str):
    po = created(stores, account)
    for minute, invoice_id in enumerate(["A", "B", "C"]):
        stores.invoices.create(new_inv(account, invoice_id, at=later(minute)))
    b = stores.invoices.get(account, "B")
    after, change = matched(b, po, later(5))
    stores.invoices.save_change(after, b.version, [change], Actor(account, "system"))

    def ids(**filters: Any) -> list[str]:
        return [invoice.invoiceId for invoice in stores.invoices.list(account, 10, None, **filters).items]

    assert ids() == ["C", "B", "A"]
    assert ids(match_status="PENDING") == ["C", "A"]
    assert ids(match_status="MATCHED") == ["B"]
    assert ids(po_id="PO-1") == ["B"]
    assert ids(po_id="PO-1", match_status="PENDING") == []
    assert ids(approval_status="DRAFT") == ["C", "B", "A"]
    assert ids(approval_status="APPROVED") == []
    first = stores.invoices.list(account, 1, None, match_status="PENDING")
    assert [invoice.invoiceId for invoice in first.items] == ["C"]
    second = stores.invoices.list(account, 1, first.next_token, match_status="PENDING")
    assert ([invoice.invoiceId for invoice in second.items], second.next_token) == (["A"], None)
    token_refused(lambda: stores.invoices.list(account, 1, first.next_token))
    token_refused(lambda: stores.invoices.list(account, 1, first.next_token, po_id="PO-1"))


def test_touch_pending_holds_only_for_a_pending_invoice(stores: Stores, account: str):
    po = created(stores, account)
    invoice = new_inv(account)
    stores.invoices.create(invoice)
    assert stores.invoices.touch_pending(account, "INV-1", iso_timestamp(later(1)))
    after, change = matched(invoice, po, later(5))
    stores.invoices.save_change(after, invoice.version, [change], Actor(account, "system"))
    assert not stores.invoices.touch_pending(account, "INV-1", iso_timestamp(later(6)))
    assert not stores.invoices.touch_pending(account, "GONE", iso_timestamp(later(6)))


# --- the schedule and the outbox --------------------------------------------------------------------


def mine(keys: list[Any], account: str) -> list[Any]:
    """The due POs (account, PO id) or accounts of this account: a shared table holds others too."""
    return [key for key in keys if account in (key, key[0])]


def test_an_open_po_is_due_from_its_first_check_and_the_plan_moves_it(stores: Stores, account: str):
    po = created(stores, account)
    first = iso_timestamp(first_check("2026-12"))
    just_before = iso_timestamp(first_check("2026-12") - timedelta(seconds=1))
    assert mine(stores.schedule.due(just_before).purchase_orders, account) == []
    assert mine(stores.schedule.due(first).purchase_orders, account) == [(account, "PO-1")]

    settings, [scheduled] = stores.schedule.scheduled([(account, "PO-1"), (account, "GONE")], [account])
    assert settings == {account: VersionedSettings(Settings(), None)}
    assert scheduled.po == po
    assert scheduled.check_key is not None
    assert stores.schedule.plan_next_check(scheduled, "2026-12-01T00:00:00Z", [])
    assert not stores.schedule.plan_next_check(scheduled, "2026-12-02T00:00:00Z", [])  # moved since read
    assert mine(stores.schedule.due(first).purchase_orders, account) == []
    assert mine(stores.schedule.due("2026-12-01T00:00:00Z").purchase_orders, account) == [(account, "PO-1")]


def test_a_plan_does_not_apply_after_the_expiration_month_moved(stores: Stores, account: str):
    po = created(stores, account)
    _, [scheduled] = stores.schedule.scheduled([(account, "PO-1")], [account])
    saved(stores, po, replace_purchase_order(po, body(expirationMonth="2027-06"), later(1)))
    assert not stores.schedule.plan_next_check(scheduled, "2026-12-01T00:00:00Z", [])
    _, [moved] = stores.schedule.scheduled([(account, "PO-1")], [account])
    # Planned to the very moment an edit back to 2026-12 restarts the checks from: the key read
    # matches again, the month read does not.
    assert stores.schedule.plan_next_check(moved, iso_timestamp(first_check("2026-12")), [])
    _, [planned] = stores.schedule.scheduled([(account, "PO-1")], [account])
    current = stores.purchase_orders.get(account, "PO-1")
    saved(stores, current, replace_purchase_order(current, body(), later(2)))
    assert not stores.schedule.plan_next_check(planned, "2026-12-01T00:00:00Z", [])


def test_only_open_pos_are_scheduled(stores: Stores, account: str):
    active = created(stores, account, "ACTIVE")
    off = suspended(stores, created(stores, account, "SUSPENDED", later(1)), later(2))
    done = created(stores, account, "EXPIRED", later(3))
    saved(stores, done, expire(done))
    assert [entry.po for entry in stores.schedule.open_purchase_orders(account)] == [active, off]
    due = mine(stores.schedule.due(iso_timestamp(first_check("2026-12"))).purchase_orders, account)
    assert sorted(due) == [(account, "ACTIVE"), (account, "SUSPENDED")]


def test_settings_are_due_after_a_change_of_notice_days_until_replanned(stores: Stores, account: str):
    now = iso_timestamp(NOW)
    stores.settings.put(account, Settings(currency="EUR"), now)
    assert mine(stores.schedule.due(now).settings_accounts, account) == []
    days = SettingsBody.model_validate({"notifications": {"expiryNoticeDays": [60]}}).record()
    changed = stores.settings.put(account, days, now)
    assert mine(stores.schedule.due(now).settings_accounts, account) == [account]
    stores.settings.put(account, days, now)  # changed again since the job read version 2
    stores.schedule.settings_replanned(account, changed.version)
    assert mine(stores.schedule.due(now).settings_accounts, account) == [account]
    stores.schedule.settings_replanned(account, stores.settings.get(account).version)
    assert mine(stores.schedule.due(now).settings_accounts, account) == []


def planned_with_notice(stores: Stores, account: str) -> tuple[Any, str]:
    """A PO whose plan made an expiry notice due; returns the notice's key and the time it fell due."""
    po = created(stores, account)
    _, [scheduled] = stores.schedule.scheduled([(account, "PO-1")], [account])
    at = datetime(2026, 12, 2, tzinfo=UTC)
    notice = expiring_notice(purchase_order_view(po), account, 30, at)
    assert stores.schedule.plan_next_check(scheduled, "2026-12-25T00:00:00Z", [notice])
    return stores.outbox.key(notice), iso_timestamp(at)


def due_again(stores: Stores, account: str, at: datetime) -> Notice:
    """The same notice falling due again at ``at``, with a change of the PO (rendered anew: fewer days left)."""
    po = stores.purchase_orders.get(account, "PO-1")
    notice = expiring_notice(purchase_order_view(po), account, 30, at)
    changed, events = change_status(po, "SUSPENDED" if po.status == "ACTIVE" else "ACTIVE", at)
    stores.purchase_orders.save(po, changed, actor(account), changed.updatedAt, events, notices=[notice])
    return notice


def test_a_due_notice_is_claimed_once_and_sent_once(stores: Stores, account: str):
    key, at = planned_with_notice(stores, account)
    assert key in stores.schedule.due(at).notices
    claim = stores.outbox.claim(key, at, "2026-12-01T00:00:00Z")
    assert claim.state == "CLAIMED"
    assert (claim.item["to"], claim.item["kind"], claim.item["poId"]) == (["ana@example.com"], "PO_EXPIRING", "PO-1")
    assert stores.outbox.claim(key, at, "2026-12-01T00:00:00Z").state == "IN_FLIGHT"
    stores.outbox.sent(claim.item, key, at, "message-1")
    assert key not in stores.schedule.due(at).notices
    assert stores.outbox.claim(key, at, "2026-12-01T00:00:00Z").state == "SENT"
    [notified, *_] = stores.purchase_orders.history(account, "PO-1", 10, None).items
    assert (notified["action"], notified["actor"], notified["at"]) == ("NOTIFIED", SYSTEM_ACTOR, at)
    details = notified["details"]
    expected = {"kind": "PO_EXPIRING", "to": claim.item["to"], "subject": claim.item["subject"], "threshold": "30"}
    assert {**details, "threshold": str(details["threshold"])} == expected


def test_a_notice_due_again_keeps_its_first_rendering_and_is_not_resent(stores: Stores, account: str):
    key, at = planned_with_notice(stores, account)
    again = due_again(stores, account, datetime(2026, 12, 3, tzinfo=UTC))
    assert stores.outbox.key(again) == key
    claim = stores.outbox.claim(key, "2026-12-03T00:00:00Z", "2026-12-01T00:00:00Z")
    assert (claim.item["dueAt"], claim.item["subject"]) == (at, "Purchase order PO-1 expires in 30 days")
    stores.outbox.sent(claim.item, key, "2026-12-03T00:00:00Z", "message-1")
    due_again(stores, account, datetime(2026, 12, 4, tzinfo=UTC))
    assert key in stores.schedule.due("2026-12-04T00:00:00Z").notices
    assert stores.outbox.claim(key, "2026-12-04T00:00:00Z", "2026-12-03T00:00:00Z").state == "SENT"
    assert key not in stores.schedule.due("2026-12-04T00:00:00Z").notices


def test_a_released_notice_stays_due_until_given_up(stores: Stores, account: str):
    key, at = planned_with_notice(stores, account)
    first = stores.outbox.claim(key, at, "2026-12-01T00:00:00Z")
    stores.outbox.release(key, first.item["claimedAt"], "throttled", give_up=False)
    assert key in stores.schedule.due(at).notices
    second = stores.outbox.claim(key, "2026-12-02T00:01:00Z", "2026-12-01T00:00:00Z")
    assert (second.state, int(second.item["attempts"]), second.item["lastError"]) == ("CLAIMED", 2, "throttled")
    with pytest.raises(StaleWrite):  # that claim no longer holds it
        stores.outbox.release(key, first.item["claimedAt"], "late", give_up=False)
    stores.outbox.release(key, second.item["claimedAt"], "throttled", give_up=True)
    assert key not in stores.schedule.due(at).notices


def test_a_notice_whose_sender_died_leaves_the_outbox_in_doubt(stores: Stores, account: str):
    key, at = planned_with_notice(stores, account)
    stores.outbox.claim(key, at, "2026-12-01T00:00:00Z")
    assert stores.outbox.claim(key, "2026-12-02T00:10:00Z", "2026-12-01T23:55:00Z").state == "IN_FLIGHT"
    assert stores.outbox.claim(key, "2026-12-02T00:20:00Z", "2026-12-02T00:05:00Z").state == "IN_DOUBT"
    assert key not in stores.schedule.due("2026-12-02T00:20:00Z").notices
    never = expiring_notice(purchase_order_view(stores.purchase_orders.get(account, "PO-1")), account, 7, NOW)
    assert stores.outbox.claim(stores.outbox.key(never), at, at).state == "GONE"


# --- uploads ----------------------------------------------------------------------------------------


def upload(key: str, status: str, received: str, **fields: Any) -> dict[str, Any]:
    return {"key": key, "status": status, "invoiceId": None, "error": None, "receivedAt": received, **fields}


def test_uploads_are_recorded_per_version_and_listed_newest_first(stores: Stores, account: str):
    stores.uploads.record(account, "v1", upload("a.json", "ACCEPTED", "2026-03-01T00:00:01Z", invoiceId="INV-1"))
    stores.uploads.record(account, "v1", upload("b.json", "PENDING", "2026-03-01T00:00:02Z"))
    stores.uploads.record(account, "v2", upload("a.json", "PENDING", "2026-03-01T00:00:03Z"))
    problem = {"status": 422, "detail": [{"loc": ["body", "total"]}]}
    stores.uploads.record(account, "v1", upload("b.json", "REJECTED", "2026-03-01T00:00:02Z", error=problem))

    def listed(status: str | None = None, limit: int = 10, token: str | None = None) -> list[tuple[str, str]]:
        return [(item["key"], item["status"]) for item in stores.uploads.list(account, status, limit, token).items]

    assert listed() == [("a.json", "PENDING"), ("b.json", "REJECTED"), ("a.json", "ACCEPTED")]
    assert listed("PENDING") == [("a.json", "PENDING")]
    [rejected] = stores.uploads.list(account, "REJECTED", 10, None).items
    assert rejected == upload("b.json", "REJECTED", "2026-03-01T00:00:02Z", error=problem)
    first = stores.uploads.list(account, None, 2, None)
    assert listed(token=first.next_token) == [("a.json", "ACCEPTED")]
    token_refused(lambda: stores.uploads.list(account, "PENDING", 2, first.next_token))
    assert stores.uploads.list(new_account(), None, 10, None).items == []


# --- the AWS invoice import -------------------------------------------------------------------------

INVOICE_READER = "arn:aws:iam::111122223333:role/PomInvoiceReader"


def aws_settings(*, enabled: bool, currency: str = "USD") -> Settings:
    return SettingsBody.model_validate(
        {"currency": currency, "awsInvoices": {"enabled": enabled, "roleArn": INVOICE_READER}}
    ).record()


def test_the_import_lists_the_accounts_whose_settings_enable_it(stores: Stores, account: str):
    now = iso_timestamp(NOW)
    assert account not in stores.aws_imports.accounts()
    stores.settings.put(account, aws_settings(enabled=True), now)
    stores.settings.put(account, aws_settings(enabled=True, currency="EUR"), now)  # saved again, still on
    assert stores.aws_imports.accounts().count(account) == 1
    stores.settings.put(account, aws_settings(enabled=False), now)
    assert account not in stores.aws_imports.accounts()
    stores.settings.put(account, Settings(currency="GBP"), now)  # never on since
    assert account not in stores.aws_imports.accounts()


def test_how_far_the_import_got_only_moves_forward_and_outlives_turning_it_off(stores: Stores, account: str):
    now = iso_timestamp(NOW)
    assert stores.aws_imports.imported_through(account) is None
    stores.settings.put(account, aws_settings(enabled=True), now)
    stores.aws_imports.advance(account, "2026-03-01T00:00:00Z")
    stores.aws_imports.advance(account, "2026-02-01T00:00:00Z")  # a run that overlapped, behind it
    assert stores.aws_imports.imported_through(account) == "2026-03-01T00:00:00Z"
    stores.settings.put(account, aws_settings(enabled=False), now)
    stores.settings.put(account, aws_settings(enabled=True), now)
    assert stores.aws_imports.imported_through(account) == "2026-03-01T00:00:00Z"
    assert account in stores.aws_imports.accounts()
    assert stores.aws_imports.imported_through(new_account()) is None


def test_of_two_settings_saves_racing_the_later_one_decides_the_import_index(aws: dict[str, str], account: str):
    """DynamoDB only (the fake has no interleaving): a save's index write that comes after a later
    save's is not applied, whichever way each turned the import."""
    stores = dynamo_stores(aws["Table"])
    store = stores.settings
    now = iso_timestamp(NOW)
    store.put(account, aws_settings(enabled=True), now)  # version 1
    store.put(account, aws_settings(enabled=True), now)  # version 2
    store._aws_import_entry(account, enabled=False, version=1)  # type: ignore[attr-defined] - a late disable
    assert account in stores.aws_imports.accounts()
    store.put(account, aws_settings(enabled=False), now)  # version 3
    store._aws_import_entry(account, enabled=True, version=2)  # type: ignore[attr-defined] - a late enable
    assert account not in stores.aws_imports.accounts()
