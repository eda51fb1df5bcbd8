"""The selection (contract steps 1-5) as a pure function, with hypothesis for its invariants."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pom.domain.matching import InvoiceFacts, available_balance, select, within_tolerance
from pom.domain.models import MatchingSettings
from pom.domain.purchase_orders import LineItem, PurchaseOrder

ENTITIES = ["AWS Inc.", "AWS EMEA SARL"]
TYPES = ["ALL", "MONTHLY_USAGE", "SUBSCRIPTION_PURCHASE", "MARKETPLACE_PURCHASE"]


def po(po_id: str, *items: LineItem, **fields: Any) -> PurchaseOrder:
    document: dict[str, Any] = {
        "accountId": "a",
        "poId": po_id,
        "billFrom": ["AWS Inc."],
        "paymentTerms": "Net 30",
        "currency": "USD",
        "effectiveMonth": "2026-01",
        "expirationMonth": "2026-12",
        "lineItems": list(items) or [item("1")],
        "createdAt": "2026-01-01T00:00:00.000000Z",
        "updatedAt": "2026-01-01T00:00:00.000000Z",
        **fields,
    }
    return PurchaseOrder.model_validate(document)


def item(line_item_id: str = "1", kind: str = "ALL", amount: str | None = "1000", **fields: Any) -> LineItem:
    document = {"lineItemId": line_item_id, "type": kind, "startMonth": "2026-01", "endMonth": "2026-12"}
    return LineItem.model_validate({**document, "amount": amount, **fields})


def facts(subtotal: str = "100", **fields: Any) -> InvoiceFacts:
    document: dict[str, Any] = {
        "invoice_type": "MONTHLY_USAGE",
        "billing_entity": "AWS Inc.",
        "issue_month": "2026-03",
        "currency": "USD",
        "subtotal": Decimal(subtotal),
    }
    return InvoiceFacts(**{**document, **fields})


RULES = MatchingSettings()


def chosen(decision: Any) -> tuple[str, str] | None:
    return (decision.po.poId, decision.debits[0].line_item_id) if decision.po else None


# --- the contract's steps, one at a time ----------------------------------------------------------


def test_step_1_active_and_in_effect():
    assert select(facts(), [po("S", status="SUSPENDED")], RULES).unmatched_reason == "NO_ACTIVE_PO"
    assert select(facts(), [po("E", status="EXPIRED")], RULES).unmatched_reason == "NO_ACTIVE_PO"
    later = po("L", effectiveMonth="2026-04", lineItems=[item(startMonth="2026-04")])
    assert select(facts(), [later], RULES).unmatched_reason == "NO_ACTIVE_PO"
    assert chosen(select(facts(), [po("A")], RULES)) == ("A", "1")


def test_step_2_bill_from_entity_splits_invoices():
    emea = po("EMEA", billFrom=["AWS EMEA SARL"])
    us = po("US")
    assert chosen(select(facts(billing_entity="AWS EMEA SARL"), [emea, us], RULES)) == ("EMEA", "1")
    assert chosen(select(facts(), [emea, us], RULES)) == ("US", "1")
    decision = select(facts(billing_entity="Other"), [emea, us], RULES)
    assert decision.unmatched_reason == "NO_BILL_FROM_MATCH"
    assert {entry["poId"] for entry in decision.explanation["excluded"]} == {"EMEA", "US"}


def test_step_3_type_and_months():
    subscription = po("P", item("1", "SUBSCRIPTION_PURCHASE"), item("2", "ALL", startMonth="2026-06"))
    assert select(facts(), [subscription], RULES).unmatched_reason == "NO_LINE_ITEM_MATCH"
    assert chosen(select(facts(issue_month="2026-07"), [subscription], RULES)) == ("P", "2")


def test_step_4_exact_type_before_all():
    decision = select(facts(), [po("G", item("1", "ALL")), po("S", item("9", "MONTHLY_USAGE"))], RULES)
    assert chosen(decision) == ("S", "9")
    lost = next(entry for entry in decision.explanation["candidates"] if entry["poId"] == "G")
    assert lost["outcome"] == "OUTRANKED"
    assert "ALL" in lost["reason"]


def test_step_4_covering_balance_before_the_most_recently_updated():
    small = po("SMALL", item(amount="50"), updatedAt="2026-09-01T00:00:00.000000Z")
    big = po("BIG", item(amount="5000"), updatedAt="2026-02-01T00:00:00.000000Z")
    assert chosen(select(facts("100"), [small, big], RULES)) == ("BIG", "1")
    assert chosen(select(facts("10"), [small, big], RULES)) == ("SMALL", "1")  # both cover: most recent


def test_step_4_monthly_balance_is_per_month_and_untracked_always_covers():
    monthly = po("M", item(amount="500", recurrence="MONTHLY", periodInvoiced={"2026-03": Decimal("450")}))
    untracked = po("U", item(amount=None), balanceTracking=False, updatedAt="2025-01-01T00:00:00.000000Z")
    assert available_balance(monthly, monthly.lineItems[0], "2026-03") == Decimal(50)
    assert available_balance(monthly, monthly.lineItems[0], "2026-04") == Decimal(500)
    assert chosen(select(facts("100"), [monthly, untracked], RULES)) == ("U", "1")
    assert chosen(select(facts("100", issue_month="2026-04"), [monthly, untracked], RULES)) == ("M", "1")


def test_step_4_lowest_line_item_id_then_po_id():
    assert chosen(select(facts(), [po("P", item("2"), item("10"), item("1"))], RULES)) == ("P", "1")
    assert chosen(select(facts(), [po("B"), po("A")], RULES)) == ("A", "1")


def test_step_5_block_flag_or_allow_within_tolerance():
    """A $1,100 bill against a $1,000 PO: blocked, flagged, or allowed within a 10% tolerance."""
    thousand = [po("PO", item(amount="1000"))]
    bill = facts("1100")
    flagged = select(bill, thousand, RULES)
    assert chosen(flagged) == ("PO", "1")
    assert flagged.flags == ("EXCEEDS_BALANCE",)
    blocked = select(bill, thousand, MatchingSettings(blockExceedingBalance=True))
    assert blocked.unmatched_reason == "INSUFFICIENT_BALANCE"
    assert blocked.explanation["candidates"][0]["outcome"] == "BLOCKED"
    tolerant = MatchingSettings(blockExceedingBalance=True, tolerancePercent=Decimal(10))
    allowed = select(bill, thousand, tolerant)
    assert chosen(allowed) == ("PO", "1")
    assert allowed.flags == ("EXCEEDS_BALANCE", "WITHIN_TOLERANCE")
    stricter = MatchingSettings(blockExceedingBalance=True, tolerancePercent=Decimal(10), toleranceAmount=Decimal(50))
    assert select(bill, thousand, stricter).unmatched_reason == "INSUFFICIENT_BALANCE"


def test_tolerance_is_the_stricter_of_percent_and_amount():
    rules = MatchingSettings(tolerancePercent=Decimal(10), toleranceAmount=Decimal(50))
    assert within_tolerance(Decimal(1050), Decimal(1000), rules)
    assert not within_tolerance(Decimal(1051), Decimal(1000), rules)
    assert within_tolerance(Decimal(1000), Decimal(1000), MatchingSettings())
    assert within_tolerance(Decimal(5), None, MatchingSettings())


def test_a_picked_po_restricts_the_choice():
    picked = facts(chosen_po_id="OTHER")
    assert chosen(select(picked, [po("BEST", item(kind="MONTHLY_USAGE")), po("OTHER")], RULES)) == ("OTHER", "1")
    assert select(picked, [po("OTHER", status="SUSPENDED")], RULES).unmatched_reason == "PO_NOT_ELIGIBLE"
    assert select(facts(chosen_po_id="GONE"), [po("A")], RULES).unmatched_reason == "PO_NOT_ELIGIBLE"


def test_line_by_line_matching():
    """A $205 bill line against a $200 PO line: flagged only under requireLineItemMatch, within 5% allowed."""
    purchase = po("P", item("A", amount="200"), item("B", amount="1000"))
    bill = facts("305", chosen_po_id="P", lines=((1, Decimal(205), "A"), (2, Decimal(100), "B")))
    plain = select(bill, [purchase], RULES)
    assert [(d.line_item_id, d.amount, d.available) for d in plain.debits] == [
        ("A", Decimal(205), Decimal(200)),
        ("B", Decimal(100), Decimal(1000)),
    ]
    assert plain.flags == ("EXCEEDS_BALANCE",)
    strict = select(bill, [purchase], MatchingSettings(requireLineItemMatch=True))
    assert "LINE_ITEM_MISMATCH" in strict.flags
    lenient = select(bill, [purchase], MatchingSettings(requireLineItemMatch=True, tolerancePercent=Decimal(5)))
    assert lenient.flags == ("EXCEEDS_BALANCE", "WITHIN_TOLERANCE")
    unknown = facts("100", chosen_po_id="P", lines=((1, Decimal(100), "Z"),))
    fallback = select(unknown, [purchase], MatchingSettings(requireLineItemMatch=True))
    assert fallback.debits[0].line_item_id == "A"  # the PO's best line item for it (both cover; lower id)
    assert "LINE_ITEM_MISMATCH" in fallback.flags


def test_currency_mismatch_matches_without_debit():
    decision = select(facts(currency="EUR"), [po("P")], RULES)
    assert decision.flags == ("CURRENCY_MISMATCH",)
    assert decision.matched
    assert not decision.debited
    newer_eur = po("EUR", currency="EUR", updatedAt="2026-06-01T00:00:00.000000Z")
    assert chosen(select(facts(), [newer_eur, po("USD")], RULES)) == ("USD", "1")  # only USD covers


# --- invariants --------------------------------------------------------------------------------------

months = st.sampled_from(["2026-01", "2026-03", "2026-06", "2026-12"])


@st.composite
def line_items(draw: st.DrawFn, line_item_id: str) -> LineItem:
    start = draw(months)
    end = draw(months.filter(lambda month: month >= start))
    recurrence = draw(st.sampled_from(["NONE", "MONTHLY"]))
    amount = draw(st.sampled_from(["0", "50", "100", "1000"]))
    invoiced = draw(st.sampled_from(["0", "60", "900"]))
    periods = {draw(months): Decimal(invoiced)} if recurrence == "MONTHLY" else {}
    return item(
        line_item_id, draw(st.sampled_from(TYPES)), amount, startMonth=start, endMonth=end, recurrence=recurrence,
        invoiced=Decimal(invoiced), periodInvoiced=periods,
    )  # fmt: skip


@st.composite
def purchase_orders(draw: st.DrawFn, po_id: str) -> PurchaseOrder:
    count = draw(st.integers(1, 3))
    items = [draw(line_items(str(number))) for number in range(1, count + 1)]
    effective = draw(months)
    expiration = draw(months.filter(lambda month: month >= effective))
    items = [
        i.model_copy(update={"startMonth": max(i.startMonth, effective), "endMonth": min(i.endMonth, expiration)})
        for i in items
        if max(i.startMonth, effective) <= min(i.endMonth, expiration)
    ] or [item("1", startMonth=effective, endMonth=expiration)]
    return po(
        po_id, *items, status=draw(st.sampled_from(["ACTIVE", "ACTIVE", "SUSPENDED", "EXPIRED"])),
        billFrom=draw(st.lists(st.sampled_from(ENTITIES), min_size=1, max_size=2, unique=True)),
        effectiveMonth=effective, expirationMonth=expiration,
        balanceTracking=draw(st.booleans()), updatedAt=f"2026-0{draw(st.integers(1, 3))}-01T00:00:00.000000Z",
    )  # fmt: skip


scenarios = st.tuples(
    st.lists(st.integers(0, 9), min_size=0, max_size=6, unique=True).flatmap(
        lambda ids: st.tuples(*[purchase_orders(f"PO{n}") for n in ids])
    ),
    st.builds(
        facts,
        subtotal=st.sampled_from(["10", "100", "1100"]),
        invoice_type=st.sampled_from(TYPES[1:]),
        billing_entity=st.sampled_from(ENTITIES),
        issue_month=months,
    ),
    st.builds(
        MatchingSettings,
        blockExceedingBalance=st.booleans(),
        tolerancePercent=st.sampled_from([Decimal(0), Decimal(10)]),
    ),
)


@settings(max_examples=300)
@given(scenarios, st.randoms(use_true_random=False))
def test_never_picks_an_ineligible_line_item_and_ignores_read_order(scenario: Any, shuffler: random.Random):
    pos, invoice, rules = scenario
    decision = select(invoice, list(pos), rules)
    shuffled = list(pos)
    shuffler.shuffle(shuffled)
    assert select(invoice, shuffled, rules) == decision
    if decision.po is None:
        assert decision.unmatched_reason in {
            "NO_ACTIVE_PO",
            "NO_BILL_FROM_MATCH",
            "NO_LINE_ITEM_MATCH",
            "INSUFFICIENT_BALANCE",
        }
        return
    winner, debit = decision.po, decision.debits[0]
    line = winner.line_item(debit.line_item_id)
    assert winner.status == "ACTIVE"
    assert winner.effectiveMonth <= invoice.issue_month <= winner.expirationMonth
    assert invoice.billing_entity in winner.billFrom
    assert line is not None
    assert line.startMonth <= invoice.issue_month <= line.endMonth
    assert line.type in (invoice.invoice_type, "ALL")
    if rules.blockExceedingBalance:
        assert within_tolerance(invoice.subtotal, debit.available, rules)
    assert debit.available == available_balance(winner, line, invoice.issue_month)
    ranked = decision.explanation["candidates"]
    assert [entry for entry in ranked if entry["outcome"] == "SELECTED"] == [
        next(entry for entry in ranked if entry["outcome"] != "BLOCKED")
    ]
