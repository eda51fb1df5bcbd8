"""Credit memos that arrived before their original was matched wait on it; the write that matches
the original wakes them (PENDING again, so the stream hands them to the matcher, which applies them).
Costs one GetItem per waiting memo, and nothing when none waits (the common case).
"""

from __future__ import annotations

from datetime import datetime

from pom.domain import invoices
from pom.domain.invoices import Invoice
from pom.store.ports import InvoiceStore


def wake_memos(store: InvoiceStore, matched: Invoice, now: datetime) -> tuple[Invoice, list[tuple[Invoice, Invoice]]]:
    """``matched`` without its waiting memos, and those memos (as read, as written) made PENDING."""
    if not matched.waitingMemos:
        return matched, []
    woken = []
    for memo_id in matched.waitingMemos:
        memo = store.get(matched.accountId, memo_id)
        awake = None if memo is None else invoices.woken(memo, now)
        if memo is not None and awake is not None:
            woken.append((memo, awake))
    return matched.replace(waitingMemos=[]), woken
