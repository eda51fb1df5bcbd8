"""What each change of the table publishes (API.md: events for other systems), from stream images."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pom.adapters.event_bus import ENTRY_LIMIT, EventBus, EventsNotPublished, entry_size
from pom.domain import events, invoices
from pom.domain.events import StreamChange, event_of
from pom.domain.models import Settings
from pom.domain.purchase_orders import change_status, expire
from tests.store.builders import NOW, matched, new_inv, new_po

ACCOUNT = "acct-events"
ANA = {"userId": "ana", "email": "ana@example.com"}


def image(model: Any, changed_by: dict[str, Any] | None = ANA) -> dict[str, Any]:
    entity = "PO" if hasattr(model, "lineItems") else "INVOICE"
    return {**model.to_document(), "entity": entity, "changedBy": changed_by}


def change(old: Any, new: Any, sequence: str = "100") -> StreamChange:
    name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
    return StreamChange(name, sequence, "2026-03-01T09:00:00Z", old, new)


def test_a_po_created_changed_expired_and_deleted():
    po, _ = new_po(ACCOUNT, "PO-1")
    suspended, _ = change_status(po, "SUSPENDED", NOW)
    moved = suspended.replace(rev=suspended.rev + 1)  # the job moving its next check: nothing shown

    created = event_of(change(None, image(po)))
    status = event_of(change(image(po), image(suspended)))
    expired = event_of(change(image(suspended), image(expire(suspended)[0], {"userId": "system", "email": None})))
    deleted = event_of(change(image(suspended), None))

    assert (created.detail_type, created.detail["poId"], created.detail["actor"]) == (
        "Purchase Order Created",
        "PO-1",
        ANA,
    )
    assert created.detail["resource"]["poId"] == "PO-1"
    assert status.detail_type == "Purchase Order Status Changed"
    assert status.detail["changes"]["status"] == {"old": "ACTIVE", "new": "SUSPENDED"}
    assert (expired.detail["resource"]["status"], expired.detail["actor"]["userId"]) == ("SUSPENDED_EXPIRED", "system")
    assert event_of(change(image(suspended), image(moved))) is None
    assert (deleted.detail_type, deleted.detail["actor"]) == (
        "Purchase Order Deleted",
        None,
    )  # completed from the trail


def test_an_invoice_received_matched_submitted_and_rejected():
    po, _ = new_po(ACCOUNT, "PO-1")
    invoice = new_inv(ACCOUNT, "INV-1")
    after_match, _ = matched(invoice, po, NOW)
    submitted = invoices.submit(after_match, Settings(), NOW, "ana")
    rejected = invoices.reject(submitted, NOW, "twice")

    kinds = [
        event_of(change(old, new)).detail_type
        for old, new in (
            (None, image(invoice)),
            (image(invoice), image(after_match)),
            (image(after_match), image(submitted)),
            (image(submitted), image(rejected)),
        )
    ]

    assert kinds == ["Invoice Received", "Invoice Matched", "Invoice Submitted", "Invoice Rejected"]
    unmatched = invoices.unmatched(invoice, "NO_ACTIVE_PO", NOW)
    assert event_of(change(image(invoice), image(unmatched))).detail_type == "Invoice Unmatched"


def test_a_notice_is_published_once_it_is_sent():
    notice = {"entity": "NOTICE", "accountId": ACCOUNT, "kind": "BALANCE_ALERT", "threshold": 75, "poId": "PO-1"}
    claimed = {**notice, "claimedAt": "2026-03-01T09:00:00Z"}
    sent = {**claimed, "sentAt": "2026-03-01T09:00:01Z", "to": ["ana@example.com"], "subject": "PO-1 at 75%"}

    assert event_of(change(notice, claimed)) is None
    published = event_of(change(claimed, sent))
    assert published.detail_type == "Notification Sent"
    assert published.detail["resource"]["threshold"] == 75
    assert event_of(change(sent, {**sent, "note": "x"})) is None


def test_the_event_id_is_the_records_own():
    po, _ = new_po(ACCOUNT, "PO-1")
    first = event_of(change(None, image(po), "100"))
    again = event_of(change(None, image(po), "100"))
    other = event_of(change(None, image(po), "101"))
    assert first.detail["eventId"] == again.detail["eventId"] != other.detail["eventId"]
    assert set(events.DETAIL_TYPES) >= {first.detail_type}


class FlakyEvents:
    """An EventBridge client that refuses the given entries (by position) on its first calls."""

    def __init__(self, refusals: list[set[int]]):
        self.refusals = refusals
        self.calls: list[list[dict[str, Any]]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        self.calls.append(Entries)
        refused = self.refusals.pop(0) if self.refusals else set()
        results = [
            {"ErrorCode": "InternalFailure"} if i in refused else {"EventId": f"e{i}"} for i in range(len(Entries))
        ]
        return {"FailedEntryCount": len(refused), "Entries": results}


def some_events(count: int) -> list[events.Event]:
    return [events.Event("Invoice Received", {"eventId": f"id-{n}"}) for n in range(count)]


def test_entries_refused_are_sent_again_and_only_they():
    client = FlakyEvents([{1, 2}])
    EventBus("bus", client, pause=lambda _: None).publish(some_events(3))
    sent_ids = [[entry["Detail"] for entry in call] for call in client.calls]
    assert sent_ids == [
        ['{"eventId":"id-0"}', '{"eventId":"id-1"}', '{"eventId":"id-2"}'],
        ['{"eventId":"id-1"}', '{"eventId":"id-2"}'],
    ]


def test_entries_still_refused_fail_the_record():
    client = FlakyEvents([{0}] * 10)
    with pytest.raises(EventsNotPublished):
        EventBus("bus", client, pause=lambda _: None).publish(some_events(1))
    assert len(client.calls) == 4


def test_more_than_ten_events_go_in_calls_of_ten():
    client = FlakyEvents([])
    EventBus("bus", client, pause=lambda _: None).publish(some_events(23))
    assert [len(call) for call in client.calls] == [10, 10, 3]
    assert {entry["EventBusName"] for call in client.calls for entry in call} == {"bus"}


def test_requests_stay_within_eventbridges_256_kb_and_a_larger_resource_is_left_out():
    client = FlakyEvents([])
    resource = {"poId": "BIG", "lineItems": ["x" * 1000] * 300}  # a PO of thousands of periods: 300 KB
    big = events.Event("Purchase Order Changed", {"eventId": "big", "resource": resource, "changes": {"a": 1}})
    medium = [events.Event("Invoice Received", {"eventId": f"m{n}", "resource": "y" * 100_000}) for n in range(3)]
    EventBus("bus", client, pause=lambda _: None).publish([*medium, big])
    assert [[json.loads(entry["Detail"])["eventId"] for entry in call] for call in client.calls] == [
        ["m0", "m1"],
        ["m2", "big"],
    ]
    assert all(sum(map(entry_size, call)) <= ENTRY_LIMIT for call in client.calls)
    sent = json.loads(client.calls[-1][-1]["Detail"])
    assert (sent["resource"], sent["changes"], sent["resourceOmitted"]) == (None, None, True)


def test_every_detail_fits_the_schema_generated_for_its_detail_type():
    """events/schemas/*.json (``make events``) is what the models say, and the events fit the models."""
    import json

    from local_runner.event_schemas import SCHEMAS_DIR, detail_schemas
    from pom.domain.responses import InvoiceEventDetail, PurchaseOrderEventDetail

    for name, schema in detail_schemas().items():
        assert json.loads((SCHEMAS_DIR / name).read_text()) == schema, f"run make events: {name} is stale"
    po, _ = new_po(ACCOUNT, "PO-1")
    invoice = new_inv(ACCOUNT, "INV-1")
    PurchaseOrderEventDetail.model_validate(event_of(change(None, image(po))).detail)
    InvoiceEventDetail.model_validate(event_of(change(None, image(invoice))).detail)


def test_a_refusal_says_how_many_events_from_the_first_were_all_published():
    """Entry 4 of the second call (event 14) is refused every time; entry 6 once: 14 were published
    before the first one refused, which is where the records are delivered again from."""
    client = FlakyEvents([set(), {4, 6}, {0}, {0}, {0}])
    with pytest.raises(EventsNotPublished) as refused:
        EventBus("bus", client, pause=lambda _: None).publish(some_events(23))
    assert refused.value.published == 14
    assert [len(call) for call in client.calls] == [10, 10, 2, 1, 1]
