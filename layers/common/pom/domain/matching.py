"""Which PO line item an invoice goes to: a pure function of (invoice, candidate POs, settings).

It implements the contract's matching steps literally:

1. POs that are ``ACTIVE`` and in effect for the invoice's service month (its billing period, else
   its issue month);
2. whose ``billFrom`` names the invoice's billing entity;
3. line items whose months contain the service month and whose type is the invoice's or ``ALL``;
4. ranked: exact type before ``ALL``; balance covering the subtotal before not (per month for
   monthly line items; untracked always covers); most recently updated PO; lowest line item id;
5. with ``blockExceedingBalance``, candidates not covering within the tolerance are not eligible.

A PO picked by the uploader restricts the choice to it. When the invoice's lines name PO line
items and a PO is picked, each line is matched to its own line item. Steps 1-2 and 3 are
``po_refusal`` and ``line_item_refusal``: automatic, line-by-line and manual matching all decide
with them. The PO id is the last tie-breaker, so the result never depends on the order POs were read in.

Every decision carries an explanation, stored on the invoice (``matchExplanation``) and so bounded
whatever the number of POs (a DynamoDB item holds at most 400 KB):

- ``candidates``: the best ``LISTED`` candidate line items in rank order, the winner always among
  them, each with its ``outcome`` (``SELECTED`` | ``OUTRANKED`` | ``BLOCKED``) and why it lost;
  ``candidateCount``: how many were ranked. Matched line by line, ``lines`` instead: one entry per
  invoice line (at most 100, as the document), saying which line item took it and how.
- ``excluded``: at most ``LISTED`` POs left out, those that came closest first, each with its
  reason; ``excludedCount``: how many were; ``excludedByReason``: that count by category
  (``EXCLUSION_CATEGORIES``, only those that occur).
- ``unmatchedReason``, when unmatched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from pom.core.money import ZERO
from pom.domain.models import Matching
from pom.domain.purchase_orders import LineItem, PurchaseOrder

_HUNDRED = Decimal(100)
LISTED = 10  # candidates and excluded POs an explanation lists; the others are only counted

# Why a PO was left out, closest to matching first (the order excluded POs are listed in).
_NO_LINE_ITEM_FITS = "no line item fits"
_BILL_FROM = "billFrom"
_NOT_IN_EFFECT = "not ACTIVE or not in effect"
_NO_SUCH_PO = "no such PO"
_NOT_PICKED = "not the PO picked"
EXCLUSION_CATEGORIES = (_NO_LINE_ITEM_FITS, _BILL_FROM, _NOT_IN_EFFECT, _NO_SUCH_PO, _NOT_PICKED)


class InvoiceFacts(NamedTuple):
    """What matching needs to know about an invoice."""

    invoice_type: str
    billing_entity: str
    service_month: str
    currency: str
    subtotal: Decimal
    chosen_po_id: str | None = None
    lines: tuple[tuple[int, Decimal, str | None], ...] = ()  # (lineNumber, amount debited, poLineItemId)
    unknown_po_reference: bool = False  # the document names a PO the account does not have

    @property
    def names_line_items(self) -> bool:
        return any(po_line_item_id for _, _, po_line_item_id in self.lines)


class Debit(NamedTuple):
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
    period = item.period(month)
    if period is not None:
        return item.amount - item.periodInvoiced.get(period, ZERO)
    total = item.total()
    return None if total is None else total - item.invoiced


def within_tolerance(
    amount: Decimal, available: Decimal | None, matching: Matching, *, currency: str, account_currency: str
) -> bool:
    """The excess over the balance (both in ``currency``, the PO's) is within
    ``balance × tolerancePercent/100`` and, if set, within ``toleranceAmount``. That amount is in
    ``account_currency`` and there is no exchange rate: it excuses no excess in another currency,
    where any excess is then beyond the tolerance (the stricter of the two applies)."""
    if available is None:
        return True
    excess = amount - available
    if excess <= 0:
        return True
    within = excess <= available * matching.tolerancePercent / _HUNDRED
    if matching.toleranceAmount is not None:
        within = within and currency == account_currency and excess <= matching.toleranceAmount
    return within


def po_refusal(po: PurchaseOrder, facts: InvoiceFacts) -> str | None:
    """Why the PO cannot take the invoice (steps 1-2: ``ACTIVE``, in effect, ``billFrom``), in plain
    words; None when it can."""
    exclusion = _po_exclusion(po, facts)
    return None if exclusion is None else exclusion[1]


def line_item_refusal(item: LineItem, invoice_type: str, month: str) -> str | None:
    """Why the line item cannot take an invoice of ``invoice_type`` for ``month`` (step 3: its months
    and type), in plain words; None when it can."""
    if not item.startMonth <= month <= item.endMonth:
        return f"its months are {item.startMonth}..{item.endMonth}, not {month}"
    if item.type not in (invoice_type, "ALL"):
        return f"its type is {item.type}, not {invoice_type} or ALL"
    return None


def _named_refusal(po: PurchaseOrder, line_item_id: str, facts: InvoiceFacts) -> str | None:
    """Why the line item an invoice line names cannot take it: the PO lacks it, or it does not fit."""
    named = po.line_item(line_item_id)
    if named is None:
        return f"the PO has no line item {line_item_id}"
    refusal = line_item_refusal(named, facts.invoice_type, facts.service_month)
    return None if refusal is None else f"line item {line_item_id} does not take the invoice: {refusal}"


def _amount_flags(
    amount: Decimal, available: Decimal | None, matching: Matching, *, currency: str, account_currency: str
) -> set[str]:
    if available is None or amount <= available:
        return set()
    within = within_tolerance(amount, available, matching, currency=currency, account_currency=account_currency)
    return {"EXCEEDS_BALANCE", "WITHIN_TOLERANCE"} if within else {"EXCEEDS_BALANCE"}


class _Candidate(NamedTuple):
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


class _Exclusion(NamedTuple):
    po_id: str
    category: str  # one of EXCLUSION_CATEGORIES
    reason: str


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
    if not po.effectiveMonth <= facts.service_month <= po.expirationMonth:
        return 1, f"PO is in effect {po.effectiveMonth}..{po.expirationMonth}, not in {facts.service_month}"
    if facts.billing_entity not in po.billFrom:
        return 2, f"billFrom does not name {facts.billing_entity!r}"
    return None


def _candidates(pos: Iterable[PurchaseOrder], facts: InvoiceFacts, amount: Decimal) -> list[_Candidate]:
    found = []
    for po in pos:
        for item in po.lineItems:
            if line_item_refusal(item, facts.invoice_type, facts.service_month) is None:
                available = available_balance(po, item, facts.service_month)
                # Untracked always covers; a PO in another currency cannot be debited, so it does not.
                covers = available is None or (po.currency == facts.currency and amount <= available)
                found.append(_Candidate(po, item, item.type == facts.invoice_type, available, covers))
    return found


_REASON_BY_STEP = {1: "NO_ACTIVE_PO", 2: "NO_BILL_FROM_MATCH", 3: "NO_LINE_ITEM_MATCH"}
_CATEGORY_BY_STEP = {1: _NOT_IN_EFFECT, 2: _BILL_FROM}


def _eligible_pos(
    facts: InvoiceFacts, pos: Sequence[PurchaseOrder]
) -> tuple[list[PurchaseOrder], list[_Exclusion], int]:
    """Steps 1-2 (and the uploader's pick): the POs left, the ones left out and why, and how far the
    best PO got (1: not active or in effect, 2: billFrom, 3: eligible) to name the unmatched reason."""
    excluded: list[_Exclusion] = []
    considered = list(pos)
    if facts.chosen_po_id is not None:
        picked = "the uploader picked another PO"
        excluded += [_Exclusion(po.poId, _NOT_PICKED, picked) for po in considered if po.poId != facts.chosen_po_id]
        considered = [po for po in considered if po.poId == facts.chosen_po_id]
        if not considered:
            excluded.append(_Exclusion(facts.chosen_po_id, _NO_SUCH_PO, "no such PO in this account"))
    deepest_step, eligible = 0, []
    for po in sorted(considered, key=lambda po: po.poId):
        exclusion = _po_exclusion(po, facts)
        if exclusion:
            deepest_step = max(deepest_step, exclusion[0])
            excluded.append(_Exclusion(po.poId, _CATEGORY_BY_STEP[exclusion[0]], exclusion[1]))
        else:
            deepest_step = 3
            eligible.append(po)
    return eligible, excluded, deepest_step


def _unmatched(
    facts: InvoiceFacts, reason: str, excluded: list[_Exclusion], candidates: list[dict[str, Any]], count: int
) -> Decision:
    if facts.chosen_po_id is not None and reason in _REASON_BY_STEP.values():
        reason = "PO_NOT_ELIGIBLE"  # the picked PO fails steps 1-3; a lack of balance stays INSUFFICIENT_BALANCE
    return Decision(None, unmatched_reason=reason, explanation=_explain(excluded, reason, candidates, count))


def select(facts: InvoiceFacts, pos: Sequence[PurchaseOrder], matching: Matching, *, account_currency: str) -> Decision:
    """Steps 1-5 (and line-by-line matching when the lines name PO line items of a picked PO).
    ``account_currency``: the settings' currency, the one ``toleranceAmount`` is in."""
    eligible, excluded, deepest_step = _eligible_pos(facts, pos)
    if not eligible:
        return _unmatched(facts, _REASON_BY_STEP[max(deepest_step, 1)], excluded, [], 0)
    if facts.chosen_po_id is not None and facts.names_line_items:
        return _select_lines(facts, eligible[0], matching, excluded, account_currency)
    ranked = _rank(_candidates(eligible, facts, facts.subtotal))
    with_candidates = {candidate.po.poId for candidate in ranked}
    fits = f"no line item of type {facts.invoice_type} or ALL in {facts.service_month}"
    excluded += [_Exclusion(po.poId, _NO_LINE_ITEM_FITS, fits) for po in eligible if po.poId not in with_candidates]
    if not ranked:
        return _unmatched(facts, "NO_LINE_ITEM_MATCH", excluded, [], 0)
    blocked = [
        matching.blockExceedingBalance and not _covers_within_tolerance(candidate, facts, matching, account_currency)
        for candidate in ranked
    ]
    winner_rank = blocked.index(False) if False in blocked else None
    winner = None if winner_rank is None else ranked[winner_rank]
    listed = [_outcome(ranked[rank], blocked[rank], winner) for rank in _listed_ranks(len(ranked), winner_rank)]
    if winner is None:
        return _unmatched(facts, "INSUFFICIENT_BALANCE", excluded, listed, len(ranked))
    period = winner.item.period(facts.service_month)
    debit = Debit(winner.po.poId, winner.item.lineItemId, facts.subtotal, winner.available, period)
    flags = flags_for(facts, winner.po, [debit], matching, account_currency=account_currency)
    return Decision(winner.po, (debit,), flags, explanation=_explain(excluded, None, listed, len(ranked)))


def _listed_ranks(count: int, winner_rank: int | None) -> list[int]:
    """The ranks an explanation lists: the best ``LISTED``, the winner in place of the last if lower."""
    ranks = list(range(min(count, LISTED)))
    if winner_rank is not None and winner_rank >= LISTED:
        ranks[-1] = winner_rank
    return ranks


def _outcome(candidate: _Candidate, blocked: bool, winner: _Candidate | None) -> dict[str, Any]:
    description = candidate.describe()
    if blocked:
        description["outcome"] = "BLOCKED"
        description["reason"] = "exceeds its balance beyond the tolerance (blockExceedingBalance)"
    elif candidate is winner:
        description["outcome"] = "SELECTED"
    else:
        assert winner is not None  # noqa: S101 - a candidate not blocked means there is a winner
        description["outcome"] = "OUTRANKED"
        description["reason"] = _why_lost(candidate, winner)
    return description


def _covers_within_tolerance(
    candidate: _Candidate, facts: InvoiceFacts, matching: Matching, account_currency: str
) -> bool:
    if candidate.po.currency != facts.currency:
        return True  # nothing is debited: no balance to exceed
    return within_tolerance(
        facts.subtotal, candidate.available, matching, currency=candidate.po.currency, account_currency=account_currency
    )


def _line_item_for(
    po: PurchaseOrder, facts: InvoiceFacts, requested: str | None, amount: Decimal
) -> tuple[LineItem | None, str]:
    """The line item an invoice line is debited from (None if no line item of the PO fits it), and
    how it was chosen: the one it names if that one takes the invoice, else the PO's best for it."""
    if requested:
        refusal = _named_refusal(po, requested, facts)
        if refusal is None:
            return po.line_item(requested), "named by the line"
        how = f"selected: {refusal}"
    else:
        how = "selected: the line names none"
    ranked = _rank(_candidates([po], facts, amount))
    return (ranked[0].item if ranked else None), how


def _select_lines(
    facts: InvoiceFacts,
    po: PurchaseOrder,
    matching: Matching,
    excluded: list[_Exclusion],
    account_currency: str,
) -> Decision:
    """Each invoice line to the PO line item it names; a line naming none, one the PO lacks, or one
    that does not take the invoice (type, months) goes to the PO's best line item for it. Lines on
    the same line item draw down the same balance in turn."""
    debits: list[Debit] = []
    lines_explained: list[dict[str, Any]] = []
    for line in facts.lines:
        line_number, amount, requested = line
        item, how = _line_item_for(po, facts, requested, amount)
        if item is None:
            excluded.append(_Exclusion(po.poId, _NO_LINE_ITEM_FITS, f"line {line_number}: no line item fits it"))
            return _unmatched(facts, "PO_NOT_ELIGIBLE", excluded, [], 0)
        debit = _line_debit(po, item, line, facts.service_month, debits)
        debits.append(debit)
        lines_explained.append(_line_explained(debit, how))
    if _any_line_blocked(facts, po, debits, matching, account_currency):
        return Decision(
            None,
            unmatched_reason="INSUFFICIENT_BALANCE",
            explanation=_explain(excluded, "INSUFFICIENT_BALANCE", lines_explained, by_line=True),
        )
    return Decision(
        po,
        tuple(debits),
        flags_for(facts, po, debits, matching, account_currency=account_currency),
        explanation=_explain(excluded, None, lines_explained, by_line=True),
    )


def _line_debit(
    po: PurchaseOrder,
    item: LineItem,
    line: tuple[int, Decimal, str | None],
    month: str,
    earlier: Sequence[Debit],
) -> Debit:
    """One invoice line's debit of ``item``, from the balance the ``earlier`` lines left it."""
    line_number, amount, requested = line
    base = available_balance(po, item, month)
    drawn = sum((debit.amount for debit in earlier if debit.line_item_id == item.lineItemId), ZERO)
    available = None if base is None else base - drawn
    return Debit(po.poId, item.lineItemId, amount, available, item.period(month), line_number, requested)


def _line_explained(debit: Debit, how: str) -> dict[str, Any]:
    return {
        "lineNumber": debit.line_number,
        "poLineItemId": debit.requested_line_item_id,
        "lineItemId": debit.line_item_id,
        "availableBalance": None if debit.available is None else f"{debit.available:f}",
        "how": how,
    }


def _any_line_blocked(
    facts: InvoiceFacts, po: PurchaseOrder, debits: Sequence[Debit], matching: Matching, account_currency: str
) -> bool:
    """With ``blockExceedingBalance``, a line exceeds its balance beyond the tolerance (a PO in
    another currency is not debited, so it has no balance to exceed)."""
    if not matching.blockExceedingBalance or po.currency != facts.currency:
        return False
    return not all(
        within_tolerance(
            debit.amount, debit.available, matching, currency=po.currency, account_currency=account_currency
        )
        for debit in debits
    )


def flags_for(
    facts: InvoiceFacts,
    po: PurchaseOrder,
    debits: Sequence[Debit],
    matching: Matching,
    *,
    account_currency: str,
) -> tuple[str, ...]:
    flags = {"UNKNOWN_PO_REFERENCE"} if facts.unknown_po_reference else set()
    if po.currency != facts.currency:
        return tuple(sorted({*flags, "CURRENCY_MISMATCH"}))
    for debit in debits:
        flags |= _amount_flags(
            debit.amount, debit.available, matching, currency=po.currency, account_currency=account_currency
        )
    if line_item_mismatch(facts, po, debits, matching, account_currency=account_currency):
        flags.add("LINE_ITEM_MISMATCH")
    return tuple(sorted(flags))


def line_item_mismatch(
    facts: InvoiceFacts,
    po: PurchaseOrder,
    debits: Sequence[Debit],
    matching: Matching,
    *,
    account_currency: str,
) -> bool:
    """Whether the invoice carries ``LINE_ITEM_MISMATCH``, whatever ``requireLineItemMatch`` says (it
    decides only whether the invoice can be submitted): a line names a line item the PO lacks or one
    that does not take the invoice (type, months), or a line exceeds the balance of the line item it
    names (per period for monthly ones) beyond the tolerance."""
    if any(requested and _named_refusal(po, requested, facts) for _, _, requested in facts.lines):
        return True
    return any(
        line_mismatch(
            debit.requested_line_item_id, debit.line_item_id, debit.amount, debit.available, matching,
            currency=po.currency, account_currency=account_currency,
        )
        for debit in debits
    )  # fmt: skip


def line_mismatch(
    requested: str | None,
    line_item_id: str,
    amount: Decimal,
    available: Decimal | None,
    matching: Matching,
    *,
    currency: str,
    account_currency: str,
) -> bool:
    """One debited invoice line's part of ``LINE_ITEM_MISMATCH``, from its figures: it named a line
    item and was debited from another (the named one is missing or does not take the invoice), or
    it exceeds the balance it found (``available``, in ``currency``) beyond the tolerance."""
    if not requested:
        return False
    within = within_tolerance(amount, available, matching, currency=currency, account_currency=account_currency)
    return requested != line_item_id or not within


def _explain(
    excluded: list[_Exclusion],
    reason: str | None,
    listed: list[dict[str, Any]],
    count: int = 0,
    *,
    by_line: bool = False,
) -> dict[str, Any]:
    """The bounded explanation (shape in the module's docstring); ``listed``: the candidates already
    chosen to list (``count`` of them ranked), or with ``by_line`` one entry per invoice line."""
    closest_first = sorted(excluded, key=lambda entry: (EXCLUSION_CATEGORIES.index(entry.category), entry.po_id))
    explanation: dict[str, Any] = {"lines": listed} if by_line else {"candidates": listed, "candidateCount": count}
    explanation["excluded"] = [{"poId": entry.po_id, "reason": entry.reason} for entry in closest_first[:LISTED]]
    explanation["excludedCount"] = len(excluded)
    explanation["excludedByReason"] = dict(Counter(entry.category for entry in closest_first))
    if reason:
        explanation["unmatchedReason"] = reason
    return explanation
