"""Which PO line item an invoice goes to: a pure function of (invoice, candidate POs, settings).

It implements the contract's matching steps literally:

1. POs that are ``ACTIVE`` and in effect for the invoice's issue month;
2. whose ``billFrom`` names the invoice's billing entity;
3. line items whose months contain the issue month and whose type is the invoice's or ``ALL``;
4. ranked: exact type before ``ALL``; balance covering the subtotal before not (per month for
   monthly line items; untracked always covers); most recently updated PO; lowest line item id;
5. with ``blockExceedingBalance``, candidates not covering within the tolerance are not eligible.

A PO picked by the uploader restricts the choice to it. When the invoice's lines name PO line
items and a PO is picked, each line is matched to its own line item. Every decision carries an
explanation: the candidates in rank order and why each one lost, and the POs left out and why.
The PO id is the last tie-breaker, so the result never depends on the order POs were read in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pom.core.money import ZERO
from pom.domain.models import MatchingSettings
from pom.domain.purchase_orders import LineItem, PurchaseOrder

_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class InvoiceFacts:
    """What matching needs to know about an invoice."""

    invoice_type: str
    billing_entity: str
    issue_month: str
    currency: str
    subtotal: Decimal
    chosen_po_id: str | None = None
    lines: tuple[tuple[int, Decimal, str | None], ...] = ()  # (lineNumber, amount, poLineItemId)

    @property
    def names_line_items(self) -> bool:
        return any(po_line_item_id for _, _, po_line_item_id in self.lines)


@dataclass(frozen=True)
class Debit:
    """One line item's share of a match (the whole subtotal, or one invoice line's amount)."""

    po_id: str
    line_item_id: str
    amount: Decimal
    available: Decimal | None  # the balance just before this debit; None without balance tracking
    month: str | None  # the period debited, for a monthly line item
    line_number: int | None = None
    requested_line_item_id: str | None = None  # what the invoice line named, if anything


@dataclass(frozen=True)
class Decision:
    po: PurchaseOrder | None
    debits: tuple[Debit, ...] = ()
    flags: tuple[str, ...] = ()
    unmatched_reason: str | None = None
    explanation: dict[str, Any] = field(default_factory=dict)

    @property
    def matched(self) -> bool:
        return self.po is not None

    @property
    def debited(self) -> bool:
        """False when the currencies differ: the match is recorded, the balance is not moved."""
        return self.po is not None and "CURRENCY_MISMATCH" not in self.flags


def available_balance(po: PurchaseOrder, item: LineItem, month: str) -> Decimal | None:
    """The line item's remaining balance (for ``month`` if it recurs monthly); None when untracked."""
    if not po.balanceTracking or item.amount is None:
        return None
    if item.recurrence == "MONTHLY":
        return item.amount - item.periodInvoiced.get(month, ZERO)
    total = item.total()
    return None if total is None else total - item.invoiced


def within_tolerance(amount: Decimal, available: Decimal | None, matching: MatchingSettings) -> bool:
    """The excess over the balance is within ``balance × tolerancePercent/100`` and, if set, ``toleranceAmount``."""
    if available is None:
        return True
    excess = amount - available
    if excess <= 0:
        return True
    within = excess <= available * matching.tolerancePercent / _HUNDRED
    if matching.toleranceAmount is not None:
        within = within and excess <= matching.toleranceAmount
    return within


def exceeds_beyond_tolerance(amount: Decimal, available: Decimal | None, matching: MatchingSettings) -> bool:
    return not within_tolerance(amount, available, matching)


def _amount_flags(amount: Decimal, available: Decimal | None, matching: MatchingSettings) -> set[str]:
    if available is None or amount <= available:
        return set()
    return (
        {"EXCEEDS_BALANCE", "WITHIN_TOLERANCE"}
        if within_tolerance(amount, available, matching)
        else {"EXCEEDS_BALANCE"}
    )


@dataclass(frozen=True)
class _Candidate:
    po: PurchaseOrder
    item: LineItem
    exact: bool
    available: Decimal | None
    covers: bool

    def describe(self) -> dict[str, Any]:
        return {
            "poId": self.po.poId,
            "lineItemId": self.item.lineItemId,
            "exactType": self.exact,
            "covers": self.covers,
            "availableBalance": None if self.available is None else f"{self.available:f}",
            "poUpdatedAt": self.po.updatedAt[:19] + "Z",
        }


def _rank(candidates: Iterable[_Candidate]) -> list[_Candidate]:
    """Step 4, with the PO id as the last tie-breaker (stable sorts, least significant first)."""
    ranked = sorted(candidates, key=lambda c: c.po.poId)
    ranked.sort(key=lambda c: c.item.lineItemId)
    ranked.sort(key=lambda c: c.po.updatedAt, reverse=True)
    ranked.sort(key=lambda c: (not c.exact, not c.covers))
    return ranked


def _why_lost(loser: _Candidate, winner: _Candidate) -> str:
    if loser.exact != winner.exact:
        return "type ALL ranks after the invoice's exact type"
    if loser.covers != winner.covers:
        return "its balance does not cover the subtotal"
    if loser.po.updatedAt != winner.po.updatedAt:
        return "its PO was updated less recently"
    if loser.item.lineItemId != winner.item.lineItemId:
        return "a lower line item id ranks first"
    return "a lower PO id ranks first"


def _po_exclusion(po: PurchaseOrder, facts: InvoiceFacts) -> tuple[int, str] | None:
    """The first of steps 1-2 that leaves the PO out, as (step, reason), or None."""
    if po.status != "ACTIVE":
        return 1, f"PO is {po.status}"
    if not po.effectiveMonth <= facts.issue_month <= po.expirationMonth:
        return 1, f"PO is in effect {po.effectiveMonth}..{po.expirationMonth}, not in {facts.issue_month}"
    if facts.billing_entity not in po.billFrom:
        return 2, f"billFrom does not name {facts.billing_entity!r}"
    return None


def _line_item_fits(item: LineItem, invoice_type: str, month: str) -> bool:
    return item.startMonth <= month <= item.endMonth and item.type in (invoice_type, "ALL")


def _candidates(pos: Iterable[PurchaseOrder], facts: InvoiceFacts, amount: Decimal) -> list[_Candidate]:
    found = []
    for po in pos:
        for item in po.lineItems:
            if _line_item_fits(item, facts.invoice_type, facts.issue_month):
                available = available_balance(po, item, facts.issue_month)
                # Untracked always covers; a PO in another currency cannot be debited, so it does not.
                covers = available is None or (po.currency == facts.currency and amount <= available)
                found.append(_Candidate(po, item, item.type == facts.invoice_type, available, covers))
    return found


_REASON_BY_STEP = {1: "NO_ACTIVE_PO", 2: "NO_BILL_FROM_MATCH", 3: "NO_LINE_ITEM_MATCH"}


def _eligible_pos(facts: InvoiceFacts, pos: Sequence[PurchaseOrder]) -> tuple[list[PurchaseOrder], list[dict], int]:
    """Steps 1-2 (and the uploader's pick): the POs left, the ones left out and why, and how far the
    best PO got (1: not active or in effect, 2: billFrom, 3: eligible) to name the unmatched reason."""
    excluded: list[dict[str, Any]] = []
    considered = sorted(pos, key=lambda po: po.poId)
    if facts.chosen_po_id is not None:
        excluded += [{"poId": po.poId, "reason": "the uploader picked another PO"} for po in considered]
        considered = [po for po in considered if po.poId == facts.chosen_po_id]
        excluded = [entry for entry in excluded if entry["poId"] != facts.chosen_po_id]
        if not considered:
            excluded.append({"poId": facts.chosen_po_id, "reason": "no such PO in this account"})
    deepest_step, eligible = 0, []
    for po in considered:
        exclusion = _po_exclusion(po, facts)
        if exclusion:
            deepest_step = max(deepest_step, exclusion[0])
            excluded.append({"poId": po.poId, "reason": exclusion[1]})
        else:
            deepest_step = 3
            eligible.append(po)
    return eligible, excluded, deepest_step


def _unmatched(facts: InvoiceFacts, reason: str, candidates: list[dict], excluded: list[dict]) -> Decision:
    if facts.chosen_po_id is not None and reason in _REASON_BY_STEP.values():
        reason = "PO_NOT_ELIGIBLE"  # the picked PO fails steps 1-3; a lack of balance stays INSUFFICIENT_BALANCE
    return Decision(None, unmatched_reason=reason, explanation=_explain(candidates, excluded, reason))


def select(facts: InvoiceFacts, pos: Sequence[PurchaseOrder], matching: MatchingSettings) -> Decision:
    """Steps 1-5 (and line-by-line matching when the lines name PO line items of a picked PO)."""
    eligible, excluded, deepest_step = _eligible_pos(facts, pos)
    if not eligible:
        return _unmatched(facts, _REASON_BY_STEP[max(deepest_step, 1)], [], excluded)
    if facts.chosen_po_id is not None and facts.names_line_items:
        return _select_lines(facts, eligible[0], matching, excluded)
    ranked = _rank(_candidates(eligible, facts, facts.subtotal))
    for po in eligible:
        if not any(candidate.po is po for candidate in ranked):
            fits = f"no line item of type {facts.invoice_type} or ALL in {facts.issue_month}"
            excluded.append({"poId": po.poId, "reason": fits})
    if not ranked:
        return _unmatched(facts, "NO_LINE_ITEM_MATCH", [], excluded)
    described = [candidate.describe() for candidate in ranked]
    allowed = []
    for candidate, description in zip(ranked, described, strict=True):
        if matching.blockExceedingBalance and not _covers_within_tolerance(candidate, facts, matching):
            description["outcome"] = "BLOCKED"
            description["reason"] = "exceeds its balance beyond the tolerance (blockExceedingBalance)"
        else:
            allowed.append(candidate)
    if not allowed:
        return _unmatched(facts, "INSUFFICIENT_BALANCE", described, excluded)
    winner = allowed[0]
    for candidate, description in zip(ranked, described, strict=True):
        if candidate is winner:
            description["outcome"] = "SELECTED"
        elif "outcome" not in description:
            description["outcome"] = "OUTRANKED"
            description["reason"] = _why_lost(candidate, winner)
    month = facts.issue_month if winner.item.recurrence == "MONTHLY" else None
    debit = Debit(winner.po.poId, winner.item.lineItemId, facts.subtotal, winner.available, month)
    flags = flags_for(facts, winner.po, [debit], matching)
    return Decision(winner.po, (debit,), flags, explanation=_explain(described, excluded, None))


def _covers_within_tolerance(candidate: _Candidate, facts: InvoiceFacts, matching: MatchingSettings) -> bool:
    if candidate.po.currency != facts.currency:
        return True  # nothing is debited: no balance to exceed
    return within_tolerance(facts.subtotal, candidate.available, matching)


def _select_lines(
    facts: InvoiceFacts, po: PurchaseOrder, matching: MatchingSettings, excluded: list[dict[str, Any]]
) -> Decision:
    """Each invoice line to the PO line item it names; a line naming none (or an unknown one) goes to
    the PO's best line item for it. Lines on the same line item draw down the same balance in turn."""
    drawn: dict[str, Decimal] = {}
    debits: list[Debit] = []
    lines_explained: list[dict[str, Any]] = []
    blocked = False
    for line_number, amount, requested in facts.lines:
        item = po.line_item(requested) if requested else None
        if item is None:
            ranked = _rank(_candidates([po], facts, amount))
            if not ranked:
                excluded.append({"poId": po.poId, "reason": f"line {line_number}: no line item fits it"})
                return Decision(
                    None, unmatched_reason="PO_NOT_ELIGIBLE", explanation=_explain([], excluded, "PO_NOT_ELIGIBLE")
                )
            item = ranked[0].item
        base = available_balance(po, item, facts.issue_month)
        available = None if base is None else base - drawn.get(item.lineItemId, ZERO)
        drawn[item.lineItemId] = drawn.get(item.lineItemId, ZERO) + amount
        month = facts.issue_month if item.recurrence == "MONTHLY" else None
        debits.append(Debit(po.poId, item.lineItemId, amount, available, month, line_number, requested))
        same_currency = po.currency == facts.currency
        if matching.blockExceedingBalance and same_currency and not within_tolerance(amount, available, matching):
            blocked = True
        lines_explained.append(
            {
                "lineNumber": line_number,
                "poLineItemId": requested,
                "lineItemId": item.lineItemId,
                "availableBalance": None if available is None else f"{available:f}",
                "how": "named by the line"
                if requested == item.lineItemId
                else "selected (the line names none, or one the PO lacks)",
            }
        )
    if blocked:
        return Decision(
            None,
            unmatched_reason="INSUFFICIENT_BALANCE",
            explanation=_explain(lines_explained, excluded, "INSUFFICIENT_BALANCE"),
        )
    return Decision(
        po,
        tuple(debits),
        flags_for(facts, po, debits, matching),
        explanation=_explain(lines_explained, excluded, None, by_line=True),
    )


def flags_for(
    facts: InvoiceFacts, po: PurchaseOrder, debits: Sequence[Debit], matching: MatchingSettings
) -> tuple[str, ...]:
    if po.currency != facts.currency:
        return ("CURRENCY_MISMATCH",)
    flags: set[str] = set()
    for debit in debits:
        flags |= _amount_flags(debit.amount, debit.available, matching)
    if line_item_mismatch(facts, po, debits, matching):
        flags.add("LINE_ITEM_MISMATCH")
    return tuple(sorted(flags))


def line_item_mismatch(
    facts: InvoiceFacts, po: PurchaseOrder, debits: Sequence[Debit], matching: MatchingSettings
) -> bool:
    """With ``requireLineItemMatch``: a line names a line item the PO lacks, or exceeds its line item's
    balance (per period for monthly ones) beyond the tolerance."""
    if not matching.requireLineItemMatch or not facts.names_line_items:
        return False
    if any(requested and po.line_item(requested) is None for _, _, requested in facts.lines):
        return True
    return any(
        debit.requested_line_item_id and exceeds_beyond_tolerance(debit.amount, debit.available, matching)
        for debit in debits
    )


def _explain(
    candidates: list[dict[str, Any]], excluded: list[dict[str, Any]], reason: str | None, *, by_line: bool = False
) -> dict[str, Any]:
    explanation: dict[str, Any] = {"lines" if by_line else "candidates": candidates, "excluded": excluded}
    if reason:
        explanation["unmatchedReason"] = reason
    return explanation
