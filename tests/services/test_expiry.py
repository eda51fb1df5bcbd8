"""The scheduled job's notices say what is true when they fall due (pom.services.expiry)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from pom.domain.notices import Notice
from pom.store.ports import ScheduledPurchaseOrder, ScheduleStore
from tests.services.conftest import ACCOUNT, USER, Services, po_body


class EditedBeforePlan:
    """The schedule store, with a user's edit landing once between the job's read and its first plan."""

    def __init__(self, schedule: ScheduleStore, edit: Callable[[], Any]):
        self._schedule = schedule
        self._edit: Callable[[], Any] | None = edit

    def __getattr__(self, name: str) -> Any:
        return getattr(self._schedule, name)

    def plan_next_check(self, scheduled: ScheduledPurchaseOrder, next_check: str, notices: Sequence[Notice]) -> bool:
        if self._edit is not None:
            edit, self._edit = self._edit, None
            edit()
        return self._schedule.plan_next_check(scheduled, next_check, notices)


def test_an_expiry_notice_goes_to_the_contacts_replaced_after_the_job_read_the_po(services: Services):
    """Defect 8: the job recorded and sent the notice rendered from the PO it had read, to the
    contacts a PUT had just replaced."""
    expiring = {"expirationMonth": "2026-03", "contacts": [{"name": "Old", "email": "old@example.com"}]}
    services.create_po(**expiring)
    new_contacts = {**expiring, "contacts": [{"name": "New", "email": "new@example.com"}]}
    job = services.expiry_job(
        EditedBeforePlan(
            services.stores.schedule,
            lambda: services.purchase_orders.replace(USER, "P", po_body(**new_contacts), None),
        )
    )
    thirty_days_before_the_end = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)

    summary = job.run(thirty_days_before_the_end)
    services.expiry_job().run(thirty_days_before_the_end)

    assert services.ses.recipients == [["new@example.com"]]
    assert (summary.noticesDue, summary.mailsSent) == (1, 1)


def test_a_suspended_po_expires_suspended_and_an_extension_gives_its_status_back(services: Services):
    """API.md: the job sets SUSPENDED_EXPIRED on a SUSPENDED PO, and a PUT that moves the expiration
    month to one not yet over makes it SUSPENDED again (an EXPIRED one ACTIVE); a CLOSED PO never expires."""
    services.create_po("S", expirationMonth="2026-03")
    services.purchase_orders.change_status(USER, "S", "SUSPENDED", None)
    services.create_po("A", expirationMonth="2026-03")
    services.create_po("C", expirationMonth="2026-03")
    services.purchase_orders.change_status(USER, "C", "CLOSED", None)

    services.expiry_job().run(datetime(2026, 4, 1, 0, 15, tzinfo=UTC))

    statuses = {po_id: services.purchase_orders.get(ACCOUNT, po_id).status for po_id in ("S", "A", "C")}
    assert statuses == {"S": "SUSPENDED_EXPIRED", "A": "EXPIRED", "C": "CLOSED"}
    services.clock.now = datetime(2026, 4, 2, tzinfo=UTC)
    for po_id in ("S", "A"):
        services.purchase_orders.replace(USER, po_id, po_body(po_id, expirationMonth="2026-06"), None)
    extended = {po_id: services.purchase_orders.get(ACCOUNT, po_id).status for po_id in ("S", "A")}
    assert extended == {"S": "SUSPENDED", "A": "ACTIVE"}
    assert services.purchase_orders.history(ACCOUNT, "S", 10, None).items[0]["details"]["new"] == "SUSPENDED"
