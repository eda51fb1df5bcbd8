"""Balance movements: what a match, an unmatch or a credit memo does to a PO's line items.

Each movement is written atomically with an immutable ledger entry, so a line item's invoiced
amount always equals the sum of its ledger entries. Pure Python, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from pom.core.money import ZERO, format_amount
from pom.domain.audit import AuditEvent
from pom.domain.forecast import runs_out_early
from pom.domain.invoices import Invoice, remaining_debits
from pom.domain.notices import Notice, balance_alert, forecast_notice
from pom.domain.purchase_orders import LineItem, PurchaseOrder, purchase_order_view


class LineItemMovement(NamedTuple):
    line_item_id: str
    amount: Decimal  # positive: debit; negative: credit
    month: str | None  # the period moved, for a recurring line item
    matches: int  # +1 when an invoice is matched to the line item, -1 when unmatched, 0 for a credit memo
    service_month: str | None = None  # the month of the debits moved (the PO's monthly sums: its forecast)


def holds_on(invoice: Invoice, po: PurchaseOrder | None) -> bool:
    """Whether ``invoice``'s match is on this very PO (not on a deleted one whose id was used again),
    so that crediting it back moves this PO: the one check every later movement of a match makes."""
    match = invoice.match
    if po is None or match is None or match.poId != po.poId:
        return False
    return match.poCreatedAt in (None, po.createdAt)


def _period(po: PurchaseOrder, line_item_id: str, month: str) -> str | None:
    item = po.line_item(line_item_id)
    return None if item is None else item.period(month)


def debits_of(invoice: Invoice, po: PurchaseOrder) -> list[LineItemMovement]:
    """The movements of a match just recorded on ``invoice``."""
    assert invoice.match is not None  # noqa: S101
    match = invoice.match
    return [
        LineItemMovement(
            debit.lineItemId,
            debit.amount if match.debited else ZERO,
            _period(po, debit.lineItemId, match.month),
            1,
            match.month,
        )
        for debit in match.debits
    ]


def credits_of(invoice: Invoice, po: PurchaseOrder) -> list[LineItemMovement]:
    """The movements that undo ``invoice``'s match (what credit memos already took back excepted)."""
    assert invoice.match is not None  # noqa: S101
    left = dict(remaining_debits(invoice))
    return [
        LineItemMovement(
            debit.lineItemId,
            -left.get(debit.lineItemId, ZERO),
            _period(po, debit.lineItemId, invoice.match.month),
            -1,
            invoice.match.month,
        )
        for debit in invoice.match.debits
    ]


def undo_of(invoice: Invoice, po: PurchaseOrder) -> list[LineItemMovement]:
    """What takes ``invoice``'s match off ``po``: an invoice's debits credited back (less what memos
    took), a credit memo's credits debited again."""
    return memo_reversal(invoice, po) if invoice.documentType == "CREDIT_MEMO" else credits_of(invoice, po)


def match_movements(invoice: Invoice, po: PurchaseOrder) -> list[LineItemMovement]:
    """What a match just recorded on ``invoice`` moves: an invoice debits, a credit memo credits."""
    if invoice.documentType != "CREDIT_MEMO":
        return debits_of(invoice, po)
    assert invoice.match is not None  # noqa: S101
    month = invoice.match.month
    return [
        LineItemMovement(c.lineItemId, -c.amount, _period(po, c.lineItemId, month), 0, month)
        for c in invoice.match.debits
    ]


def invoiced_on(item: LineItem, month: str) -> Decimal:
    """What a line item holds for an invoice of ``month`` (its period's, for a monthly one): the
    most a credit memo matched by hand to it can credit."""
    period = item.period(month)
    return item.invoiced if period is None else item.periodInvoiced.get(period, ZERO)


def credit_memo_movements(original: Invoice, po: PurchaseOrder, amount: Decimal) -> list[LineItemMovement]:
    """Credits ``amount`` (at most what the original still holds) from the original's line items, in order."""
    assert original.match is not None  # noqa: S101
    movements, left = [], amount
    for line_item_id, held in remaining_debits(original):
        taken = min(left, held)
        if taken > 0:
            movements.append(
                LineItemMovement(
                    line_item_id, -taken, _period(po, line_item_id, original.match.month), 0, original.match.month
                )
            )
            left -= taken
    return movements


def memo_reversal(memo: Invoice, po: PurchaseOrder) -> list[LineItemMovement]:
    """What undoes a credit memo: the line items it credited are debited again."""
    assert memo.match is not None  # noqa: S101
    return [
        LineItemMovement(
            credit.lineItemId, credit.amount, _period(po, credit.lineItemId, memo.match.month), 0, memo.match.month
        )
        for credit in memo.match.debits
    ]


def credit_refusal(memo: Invoice, original: Invoice | None, po: PurchaseOrder | None) -> tuple[str, str] | None:
    """Why a credit memo credits nothing, as (unmatched reason, plain words), or None when it credits
    ``po``: the original must be an invoice of the same currency and entity, holding on that PO."""
    refusal = None
    if original is None:
        named = f"original invoice {memo.originalInvoiceId} not found"
        refusal = "NO_LINE_ITEM_MATCH", named if memo.originalInvoiceId else "the memo names no original invoice"
    elif original.documentType == "CREDIT_MEMO":
        refusal = "PO_NOT_ELIGIBLE", "the original is itself a credit memo"
    elif (memo.currency, memo.billingEntity) != (original.currency, original.billingEntity):
        refusal = (
            "ORIGINAL_MISMATCH",
            (
                f"the memo is in {memo.currency} from {memo.billingEntity!r}, the original in"
                f" {original.currency} from {original.billingEntity!r}: a credit is never converted"
            ),
        )
    elif original.match is None:
        refusal = "NO_LINE_ITEM_MATCH", "the original invoice is not matched to a PO"
    elif not original.match.debited:
        refusal = "PO_NOT_ELIGIBLE", "the original invoice is not matched to a PO balance"
    elif not holds_on(original, po):
        refusal = "PO_NOT_ELIGIBLE", "the original invoice's PO was deleted"
    elif creditable(original) <= 0:
        refusal = "INSUFFICIENT_BALANCE", "the original invoice has been credited in full already"
    return refusal


def creditable(original: Invoice) -> Decimal:
    return sum((held for _, held in remaining_debits(original)), ZERO)


def apply(po: PurchaseOrder, movements: list[LineItemMovement]) -> PurchaseOrder:
    """The PO as the movements leave it (what the store's update expression does, in memory)."""
    items = []
    for item in po.lineItems:
        mine = [movement for movement in movements if movement.line_item_id == item.lineItemId]
        if not mine:
            items.append(item)
            continue
        periods = dict(item.periodInvoiced)
        for movement in mine:
            if movement.month:
                periods[movement.month] = periods.get(movement.month, ZERO) + movement.amount
        items.append(
            item.replace(
                invoiced=item.invoiced + sum((m.amount for m in mine), ZERO),
                matchCount=item.matchCount + sum(m.matches for m in mine),
                periodInvoiced=periods,
            )
        )
    return po.replace(lineItems=items, rev=po.rev + 1, monthlyInvoiced=monthly_sums(po, movements))


def monthly_sums(po: PurchaseOrder, movements: list[LineItemMovement]) -> dict[str, Decimal]:
    """The PO's net debits per service month once the movements are made."""
    sums = dict(po.monthlyInvoiced or {})
    for movement in movements:
        if movement.service_month and movement.amount:
            sums[movement.service_month] = sums.get(movement.service_month, ZERO) + movement.amount
    return sums


def invoiced_share(po: PurchaseOrder) -> Decimal | None:
    """Invoiced amount as a percentage of the PO's total; None without balance tracking or total."""
    totals = [item.total() for item in po.lineItems]
    if not po.balanceTracking or any(total is None for total in totals):
        return None
    total = sum(totals, ZERO)  # type: ignore[arg-type]
    if total <= 0:
        return None
    return sum((item.invoiced for item in po.lineItems), ZERO) * 100 / total


def crossed_thresholds(before: PurchaseOrder, after: PurchaseOrder, percents: list[int]) -> list[int]:
    """The ``balanceAlertPercents`` a movement made the PO's invoiced share reach."""
    old, new = invoiced_share(before), invoiced_share(after)
    if old is None or new is None:
        return []
    return [percent for percent in percents if old < percent <= new]


def ledger_details(movements: list[LineItemMovement], currency: str) -> list[dict[str, Any]]:
    return [
        {"lineItemId": m.line_item_id, "month": m.month, "amount": format_amount(m.amount, currency)}
        for m in movements
        if m.amount != 0
    ]


class PurchaseOrderMovement(NamedTuple):
    """What one invoice change does to one PO: balances, audit entries, a ledger entry, alerts due."""

    po: PurchaseOrder  # as read: its rev is the write's condition
    movements: list[LineItemMovement]
    events: list[AuditEvent]
    ledger: dict[str, Any] | None  # None: no amount moved
    notices: list[Notice]  # the balance alerts this movement makes due


def po_movement(
    po: PurchaseOrder,
    movements: list[LineItemMovement],
    invoice: Invoice,
    *,
    action: str,
    reason: str,
    alert_percents: list[int],
    forecast_alerts: bool = False,
) -> PurchaseOrderMovement:
    """A PO's part of an invoice change: the balances, an audit entry, a ledger entry if money moved,
    and the balance alerts the movement makes due (rendered with the balances it leaves)."""
    after = apply(po, movements)
    moved = ledger_details(movements, po.currency)
    debiting = any(movement.amount > 0 for movement in movements)
    details = {
        "invoiceId": invoice.invoiceId,
        "documentType": invoice.documentType,
        "reason": reason,
        "lineItems": [movement.line_item_id for movement in movements],
        "movements": moved,
    }
    crossed = crossed_thresholds(po, after, alert_percents) if debiting else []
    at = datetime.fromisoformat(invoice.updatedAt)
    view = purchase_order_view(after, at) if crossed or (debiting and forecast_alerts) else {}
    alerts = [balance_alert(view, po.accountId, percent, at) for percent in crossed]
    if debiting and forecast_alerts and runs_out_early(view["forecast"], po.expirationMonth):
        # Recorded with the debit that shows it; the next daily run sends it (once per expiration month).
        alerts.append(forecast_notice(view, po.accountId, at))
    return PurchaseOrderMovement(
        po=po,
        movements=movements,
        events=[AuditEvent(action, details)],
        ledger={"reason": reason} if moved else None,
        notices=[notice for notice in alerts if notice is not None],
    )


def numbered(invoice: Invoice, changes: Sequence[PurchaseOrderMovement]) -> Invoice:
    """Counts a transaction that writes ledger entries, so that their keys are new and unique."""
    if any(change.ledger is not None for change in changes):
        return invoice.replace(movements=invoice.movements + 1)
    return invoice
