"""Matching a new invoice: read the candidates, decide (pure), write once.

The path costs three DynamoDB requests: the bill-from pointers (Query), the settings and those POs
(BatchGetItem), and one TransactWriteItems that moves the invoice out of PENDING, the line item's
balance, and writes the ledger and audit entries. The transaction's own conditions make it
idempotent: a duplicate or retried delivery finds the invoice no longer at the version it read.
A PO that moved meanwhile comes back with the failed condition and the choice is made again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from pom.core.months import utc_now
from pom.core.retry import pause
from pom.domain import invoices, ledger
from pom.domain.audit import Actor, system_actor
from pom.domain.invoices import Invoice
from pom.domain.ledger import PurchaseOrderMovement, numbered, po_movement
from pom.domain.matching import LISTED, select
from pom.domain.models import PO_ID_PATTERN, Settings
from pom.domain.purchase_orders import PurchaseOrder
from pom.services.waiting_memos import wake_memos
from pom.store.ports import InvoiceChanged, InvoiceStore, PurchaseOrderChanged, PurchaseOrderStore, StaleWrite

_ATTEMPTS = 8
PO_ID = re.compile(PO_ID_PATTERN)


class MatchContention(Exception):
    """The invoice's POs kept changing; the record fails and its delivery is retried."""


class MatcherService:
    def __init__(
        self, purchase_orders: PurchaseOrderStore, invoices: InvoiceStore, clock: Callable[[], datetime] = utc_now
    ):
        self.purchase_orders = purchase_orders
        self.invoices = invoices
        self.clock = clock

    def process(self, invoice: Invoice) -> str:
        """Matches one PENDING invoice (or applies one credit memo) exactly once; returns the outcome."""
        if invoice.matchStatus != "PENDING":
            return "skipped"
        if invoice.documentType == "CREDIT_MEMO":
            return self._credit(invoice)
        return self._match(invoice)

    def _candidates(self, invoice: Invoice) -> tuple[Settings, dict[str, PurchaseOrder]]:
        """The settings and the POs that may take the invoice; the PO its document references (BT-13)
        is read in the same BatchGetItem, to tell whether the account has it."""
        account = invoice.accountId
        if invoice.poId is not None:
            po_ids = [invoice.poId]
        else:
            po_ids = self.purchase_orders.candidate_ids(account, invoice.billingEntity, invoice.service_month)
            po_ids += [reference for reference in [_reference(invoice)] if reference and reference not in po_ids]
        settings, pos = self.purchase_orders.with_settings(account, po_ids)
        return settings.settings, {po.poId: po for po in pos}

    def _match(self, invoice: Invoice) -> str:
        settings, pos = self._candidates(invoice)
        diagnosed = invoice.poId is not None
        for _ in range(_ATTEMPTS):
            invoice = invoices.with_po_reference(invoice, _reference(invoice) in pos)
            decision = select(
                invoice.facts(), list(pos.values()), settings.matching, account_currency=settings.currency
            )
            if decision.unmatched_reason == "NO_ACTIVE_PO" and not diagnosed:
                # Only POs naming the entity were read; whether any other PO is in effect tells
                # NO_ACTIVE_PO from NO_BILL_FROM_MATCH. Read a few, as many as an explanation lists,
                # on this (unmatched) path only: never every PO of the account.
                diagnosed = True
                others = self.purchase_orders.in_effect(invoice.accountId, invoice.service_month, LISTED)
                pos.update({po.poId: po for po in others})
                continue
            now = self.clock()
            changes: list[PurchaseOrderMovement] = []
            also: list[tuple[Invoice, Invoice]] = []
            if decision.po is not None:
                after, also = wake_memos(self.invoices, invoices.matched(invoice, decision, now), now)
                movements = ledger.debits_of(after, decision.po)
                alerts = settings.notifications.balanceAlertPercents
                change = po_movement(
                    decision.po, movements, after, action="INVOICE_MATCHED", reason="MATCHED", alert_percents=alerts,
                    forecast_alerts=settings.notifications.forecastAlerts,
                )  # fmt: skip
                changes = [change]
                after = numbered(after, changes)
            else:
                assert decision.unmatched_reason is not None  # noqa: S101
                after = invoices.unmatched(invoice, decision.unmatched_reason, now, decision.explanation)
            try:
                history = invoices.trail_entries(invoice, after, also)
                written = [(record, read.version) for read, record in also]
                self.invoices.save_change(
                    after, invoice.version, changes, self._actor(invoice), also=written, history=history
                )
            except PurchaseOrderChanged as changed:
                if changed.current is None:
                    pos.pop(changed.po_id, None)
                else:
                    pos[changed.po_id] = changed.current
                continue
            except InvoiceChanged as changed:
                if changed.current is None or changed.current.matchStatus != "PENDING":
                    return "already-processed"
                invoice = changed.current
                continue
            except StaleWrite:  # lost to a concurrent transaction on the same items: try again shortly
                pause()
                continue
            return after.matchStatus
        raise MatchContention(invoice.invoiceId)

    def _credit(self, memo: Invoice) -> str:
        """A credit memo credits the line items its original invoice was matched to, never more
        than the original still holds there. Reads the original and its PO, then one transaction."""
        for _ in range(_ATTEMPTS):
            after, changes, also = self._credit_plan(memo, self.clock())
            history = invoices.trail_entries(memo, after, also)
            written = [(record, read.version) for read, record in also]
            try:
                self.invoices.save_change(
                    after, memo.version, changes, self._actor(memo), also=written, history=history
                )
            except InvoiceChanged as changed:
                current = changed.current
                if current is not None and current.invoiceId == memo.invoiceId:
                    if current.matchStatus != "PENDING":
                        return "already-processed"
                    memo = current  # delivered as an older image (woken since): go on from the memo as it is
                continue  # or the original moved (another memo, an unmatch): plan again from fresh reads
            except (PurchaseOrderChanged, StaleWrite):
                pause()
                continue
            return after.matchStatus
        raise MatchContention(memo.invoiceId)

    def _credit_plan(
        self, memo: Invoice, now: datetime
    ) -> tuple[Invoice, list[PurchaseOrderMovement], list[tuple[Invoice, Invoice]]]:
        # A credit note in a standard format need not name its original (BT-25): none is then found.
        original = self.invoices.get(memo.accountId, memo.originalInvoiceId) if memo.originalInvoiceId else None
        po = None
        if original is not None and original.match is not None:
            po = self.purchase_orders.get(memo.accountId, original.match.poId)
            po = po if ledger.holds_on(original, po) else None
        refusal = ledger.credit_refusal(memo, original, po)
        if refusal is not None:
            reason, why = refusal
            after = invoices.unmatched(memo, reason, now, {"creditMemo": {"reason": why}})
            if original is not None and original.match is None and reason == "NO_LINE_ITEM_MATCH":
                return after, [], [(original, invoices.awaiting(original, memo, now))]  # applied once it is matched
            return after, [], []
        assert original is not None  # noqa: S101
        assert po is not None  # noqa: S101
        amount = min(memo.subtotal, ledger.creditable(original))
        movements = ledger.credit_memo_movements(original, po, amount)
        credits = [(movement.line_item_id, -movement.amount) for movement in movements]
        after, original_after = invoices.apply_credit_memo(memo, original, credits, now)
        change = po_movement(po, movements, after, action="INVOICE_MATCHED", reason="CREDIT_MEMO", alert_percents=[])
        return after, [change], [(original, original_after)]

    def _actor(self, invoice: Invoice) -> Actor:
        return system_actor(invoice.accountId)


def _reference(invoice: Invoice) -> str | None:
    """The PO id the document references, when the uploader picked none and it can be a PO id."""
    if invoice.poId is not None or invoice.poReference is None:
        return None
    return invoice.poReference if PO_ID.match(invoice.poReference) else None
