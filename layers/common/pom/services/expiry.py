"""The scheduled job: expire POs whose expiration month is over, and send the notices that are due.

A run reads only what the schedule index says is due at its ``now`` (see ``pom.store.keys``):
each open PO is due when its next expiry check comes, so the work grows with the POs due, not
with the table. Each PO is handled in its own transaction (expire it, or move its next check),
together with the notices that makes due; those notices are then sent, along with any left
unsent by an earlier run. Every step is conditional, so a run can be repeated, run late (it
catches up: a key due days ago is still due) or crash halfway: the next run finds what is left.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from pom.core.months import iso_timestamp
from pom.domain.audit import system_actor
from pom.domain.notices import Notice, expired_notice, expiring_notice, expiry_step
from pom.domain.purchase_orders import OPEN_STATUSES, expire, purchase_order_view
from pom.services.delivery import Notifier
from pom.store.ports import (
    OutboxStore,
    PurchaseOrderStore,
    ScheduledPurchaseOrder,
    ScheduleStore,
    StaleWrite,
    VersionedSettings,
)

_ATTEMPTS = 4


@dataclass
class RunSummary:
    time: str
    checked: int = 0  # open POs looked at
    expired: int = 0
    noticesDue: int = 0
    mailsSent: int = 0
    mailsFailed: int = 0
    mailsSkipped: int = 0
    mailsInDoubt: int = 0
    accountsReplanned: int = 0

    def as_dict(self) -> dict[str, int | str]:
        return asdict(self)


class ExpiryJob:
    def __init__(
        self, purchase_orders: PurchaseOrderStore, schedule: ScheduleStore, outbox: OutboxStore, notifier: Notifier
    ):
        self.purchase_orders = purchase_orders
        self.schedule = schedule
        self.outbox = outbox
        self.notifier = notifier

    def run(self, now: datetime) -> RunSummary:
        at = iso_timestamp(now)
        summary = RunSummary(time=at)
        due = self.schedule.due(at)
        accounts = [account for account, _ in due.purchase_orders] + due.settings_accounts
        settings, scheduled = self.schedule.scheduled(due.purchase_orders, accounts)
        replanned = {account: self.schedule.open_purchase_orders(account) for account in due.settings_accounts}
        seen: set[tuple[str, str]] = set()
        outbox = list(due.notices)
        for entry in [*scheduled, *(entry for entries in replanned.values() for entry in entries)]:
            if (entry.po.accountId, entry.po.poId) in seen:
                continue
            seen.add((entry.po.accountId, entry.po.poId))
            summary.checked += 1
            notices = self._advance(entry, settings[entry.po.accountId], now, summary)
            outbox += [self.outbox.key(notice) for notice in notices]
        for account in replanned:
            self.schedule.settings_replanned(account, settings[account].version)
            summary.accountsReplanned += 1
        report = self.notifier.deliver(outbox)
        summary.mailsSent, summary.mailsFailed, summary.mailsSkipped = report.sent, report.failed, report.skipped
        summary.mailsInDoubt = report.in_doubt
        return summary

    def _advance(
        self, entry: ScheduledPurchaseOrder, settings: VersionedSettings, now: datetime, summary: RunSummary
    ) -> list[Notice]:
        """Expires the PO or moves its next check; returns the notices that became due."""
        at = iso_timestamp(now)
        for _ in range(_ATTEMPTS):
            po = entry.po
            step = expiry_step(po.expirationMonth, settings.settings.notifications.expiryNoticeDays, now)
            if step.expire:
                expired, events = expire(po)
                notice = expired_notice(purchase_order_view(expired), po.accountId, now)
                notices = [notice] if notice else []
                try:
                    actor = system_actor(po.accountId)
                    self.purchase_orders.save(po, expired, actor, at, events, notices=notices)
                except StaleWrite:  # a match or an edit came first: decide again on the PO as it is now
                    current = self.purchase_orders.get(po.accountId, po.poId)
                    if current is None or current.status not in OPEN_STATUSES:
                        return []
                    entry = ScheduledPurchaseOrder(current, entry.check_key)
                    continue
                summary.expired += 1
                summary.noticesDue += len(notices)
                return notices
            notice = None
            if step.notice_days is not None:
                notice = expiring_notice(purchase_order_view(po), po.accountId, step.notice_days, now)
            notices = [notice] if notice else []
            assert step.next_check is not None  # noqa: S101 - only an expired PO has no next check
            if self.schedule.plan_next_check(entry, iso_timestamp(step.next_check), notices):
                summary.noticesDue += len(notices)
                return notices
            # Written since it was read (a match, an edit of its contacts or months): the notice
            # was rendered from a stale PO. Decide again on the PO as it is now.
            _, fresh = self.schedule.scheduled([(po.accountId, po.poId)], [])
            if not fresh or fresh[0].po.status not in OPEN_STATUSES:
                return []
            entry = fresh[0]
        return []
