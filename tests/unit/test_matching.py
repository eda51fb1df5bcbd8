"""The selection (contract steps 1-5) as a pure function, with hypothesis for its invariants."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pom.core import jsonio
from pom.domain.matching import (
    LISTED,
    Decision,
    InvoiceFacts,
    available_balance,
    line_item_refusal,
    po_refusal,
    select,
    within_tolerance,
)
from pom.domain.models import Matching
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
    return PurchaseOrder.from_document(document)


def item(line_item_id: str = "1", kind: str = "ALL", amount: str | None = "1000", **fields: Any) -> LineItem:
    document = {"lineItemId": line_item_id, "type": kind, "startMonth": "2026-01", "endMonth": "2026-12"}
    return LineItem.from_document({**document, "amount": amount, **fields})


def facts(subtotal: str = "100", **fields: Any) -> InvoiceFacts:
    document: dict[str, Any] = {
        "invoice_type": "MONTHLY_USAGE",
        "billing_entity": "AWS Inc.",
        "service_month": "2026-03",
        "currency": "USD",
        "subtotal": Decimal(subtotal),
    }
    return InvoiceFacts(**{**document, **fields})


RULES = Matching()
ACCOUNT_CURRENCY = "USD"


def decide(invoice: InvoiceFacts, pos: list[PurchaseOrder], rules: Matching) -> Decision:
    return select(invoice, pos, rules, account_currency=ACCOUNT_CURRENCY)


def tolerated(amount: Decimal, available: Decimal | None, rules: Matching, currency: str = "USD") -> bool:
    return within_tolerance(amount, available, rules, currency=currency, account_currency=ACCOUNT_CURRENCY)


def chosen(decision: Any) -> tuple[str, str] | None:
    return (decision.po.poId, decision.debits[0].line_item_id) if decision.po else None


# --- the contract's steps, one at a time ----------------------------------------------------------


def test_step_1_active_and_in_effect():
    assert decide(facts(), [po("S", status="SUSPENDED")], RULES).unmatched_reason == "NO_ACTIVE_PO"
    assert decide(facts(), [po("E", status="EXPIRED")], RULES).unmatched_reason == "NO_ACTIVE_PO"
    later = po("L", effectiveMonth="2026-04", lineItems=[item(startMonth="2026-04")])
    assert decide(facts(), [later], RULES).unmatched_reason == "NO_ACTIVE_PO"
    assert chosen(decide(facts(), [po("A")], RULES)) == ("A", "1")


def test_step_2_bill_from_entity_splits_invoices():
    emea = po("EMEA", billFrom=["AWS EMEA SARL"])
    us = po("US")
    assert chosen(decide(facts(billing_entity="AWS EMEA SARL"), [emea, us], RULES)) == ("EMEA", "1")
    assert chosen(decide(facts(), [emea, us], RULES)) == ("US", "1")
    decision = decide(facts(billing_entity="Other"), [emea, us], RULES)
    assert decision.unmatched_reason == "NO_BILL_FROM_MATCH"
    assert {entry["poId"] for entry in decision.explanation["excluded"]} == {"EMEA", "US"}


def test_step_3_type_and_months():
    subscription = po("P", item("1", "SUBSCRIPTION_PURCHASE"), item("2", "ALL", startMonth="2026-06"))
    assert decide(facts(), [subscription], RULES).unmatched_reason == "NO_LINE_ITEM_MATCH"
    assert chosen(decide(facts(service_month="2026-07"), [subscription], RULES)) == ("P", "2")


def test_step_4_exact_type_before_all():
    decision = decide(facts(), [po("G", item("1", "ALL")), po("S", item("9", "MONTHLY_USAGE"))], RULES)
    assert chosen(decision) == ("S", "9")
    lost = next(entry for entry in decision.explanation["candidates"] if entry["poId"] == "G")
    assert lost["outcome"] == "OUTRANKED"
    assert "ALL" in lost["reason"]


def test_step_4_covering_balance_before_the_most_recently_updated():
    small = po("SMALL", item(amount="50"), updatedAt="2026-09-01T00:00:00.000000Z")
    big = po("BIG", item(amount="5000"), updatedAt="2026-02-01T00:00:00.000000Z")
    assert chosen(decide(facts("100"), [small, big], RULES)) == ("BIG", "1")
    assert chosen(decide(facts("10"), [small, big], RULES)) == ("SMALL", "1")  # both cover: most recent


def test_step_4_monthly_balance_is_per_month_and_untracked_always_covers():
    monthly = po("M", item(amount="500", recurrence="MONTHLY", periodInvoiced={"2026-03": Decimal("450")}))
    untracked = po("U", item(amount=None), balanceTracking=False, updatedAt="2025-01-01T00:00:00.000000Z")
    assert available_balance(monthly, monthly.lineItems[0], "2026-03") == Decimal(50)
    assert available_balance(monthly, monthly.lineItems[0], "2026-04") == Decimal(500)
    assert chosen(decide(facts("100"), [monthly, untracked], RULES)) == ("U", "1")
    assert chosen(decide(facts("100", service_month="2026-04"), [monthly, untracked], RULES)) == ("M", "1")


def test_step_4_lowest_line_item_id_then_po_id():
    assert chosen(decide(facts(), [po("P", item("2"), item("10"), item("1"))], RULES)) == ("P", "1")
    assert chosen(decide(facts(), [po("B"), po("A")], RULES)) == ("A", "1")


def test_step_5_block_flag_or_allow_within_tolerance():
    """A $1,100 bill against a $1,000 PO: blocked, flagged, or allowed within a 10% tolerance."""
    thousand = [po("PO", item(amount="1000"))]
    bill = facts("1100")
    flagged = decide(bill, thousand, RULES)
    assert chosen(flagged) == ("PO", "1")
    assert flagged.flags == ("EXCEEDS_BALANCE",)
    blocked = decide(bill, thousand, Matching(blockExceedingBalance=True))
    assert blocked.unmatched_reason == "INSUFFICIENT_BALANCE"
    assert blocked.explanation["candidates"][0]["outcome"] == "BLOCKED"
    tolerant = Matching(blockExceedingBalance=True, tolerancePercent=Decimal(10))
    allowed = decide(bill, thousand, tolerant)
    assert chosen(allowed) == ("PO", "1")
    assert allowed.flags == ("EXCEEDS_BALANCE", "WITHIN_TOLERANCE")
    stricter = Matching(blockExceedingBalance=True, tolerancePercent=Decimal(10), toleranceAmount=Decimal(50))
    assert decide(bill, thousand, stricter).unmatched_reason == "INSUFFICIENT_BALANCE"


def test_tolerance_is_the_stricter_of_percent_and_amount():
    rules = Matching(tolerancePercent=Decimal(10), toleranceAmount=Decimal(50))
    assert tolerated(Decimal(1050), Decimal(1000), rules)
    assert not tolerated(Decimal(1051), Decimal(1000), rules)
    assert tolerated(Decimal(1000), Decimal(1000), Matching())
    assert tolerated(Decimal(5), None, Matching())


def test_a_picked_po_restricts_the_choice():
    picked = facts(chosen_po_id="OTHER")
    assert chosen(decide(picked, [po("BEST", item(kind="MONTHLY_USAGE")), po("OTHER")], RULES)) == ("OTHER", "1")
    assert decide(picked, [po("OTHER", status="SUSPENDED")], RULES).unmatched_reason == "PO_NOT_ELIGIBLE"
    assert decide(facts(chosen_po_id="GONE"), [po("A")], RULES).unmatched_reason == "PO_NOT_ELIGIBLE"


def test_line_by_line_matching():
    """A $205 bill line against a $200 PO line: LINE_ITEM_MISMATCH whether or not requireLineItemMatch
    is on (the setting decides only submission); within a 5% tolerance, no mismatch."""
    purchase = po("P", item("A", amount="200"), item("B", amount="1000"))
    bill = facts("305", chosen_po_id="P", lines=((1, Decimal(205), "A"), (2, Decimal(100), "B")))
    plain = decide(bill, [purchase], RULES)
    assert [(d.line_item_id, d.amount, d.available) for d in plain.debits] == [
        ("A", Decimal(205), Decimal(200)),
        ("B", Decimal(100), Decimal(1000)),
    ]
    assert plain.flags == ("EXCEEDS_BALANCE", "LINE_ITEM_MISMATCH")
    assert decide(bill, [purchase], Matching(requireLineItemMatch=True)).flags == plain.flags
    lenient = decide(bill, [purchase], Matching(tolerancePercent=Decimal(5)))
    assert lenient.flags == ("EXCEEDS_BALANCE", "WITHIN_TOLERANCE")
    unknown = facts("100", chosen_po_id="P", lines=((1, Decimal(100), "Z"),))
    fallback = decide(unknown, [purchase], RULES)
    assert fallback.debits[0].line_item_id == "A"  # the PO's best line item for it (both cover; lower id)
    assert fallback.flags == ("LINE_ITEM_MISMATCH",)
    assert fallback.explanation["lines"][0]["how"] == "selected: the PO has no line item Z"


def test_automatic_matching_flags_a_line_naming_a_line_item_the_po_lacks_with_the_rule_off():
    decision = decide(facts("100", lines=((1, Decimal(100), "Z"),)), [po("P")], RULES)
    assert (chosen(decision), decision.flags) == (("P", "1"), ("LINE_ITEM_MISMATCH",))


def test_a_line_never_lands_on_a_named_line_item_that_does_not_take_the_invoice():
    """Named line items outside the invoice's month or of another type are not debited: the line
    goes to the PO's best fitting line item, and the invoice carries LINE_ITEM_MISMATCH."""
    purchase = po(
        "P",
        item("Q1", "MONTHLY_USAGE", "500", startMonth="2026-01", endMonth="2026-02"),
        item("SUB", "SUBSCRIPTION_PURCHASE", "500"),
        item("USAGE", "MONTHLY_USAGE", "500"),
    )
    bill = facts("150", chosen_po_id="P", lines=((1, Decimal(100), "Q1"), (2, Decimal(50), "SUB")))
    decision = decide(bill, [purchase], RULES)
    assert [(d.line_item_id, d.requested_line_item_id) for d in decision.debits] == [("USAGE", "Q1"), ("USAGE", "SUB")]
    assert decision.flags == ("LINE_ITEM_MISMATCH",)
    assert [line["how"] for line in decision.explanation["lines"]] == [
        "selected: line item Q1 does not take the invoice: its months are 2026-01..2026-02, not 2026-03",
        "selected: line item SUB does not take the invoice: its type is SUBSCRIPTION_PURCHASE, "
        "not MONTHLY_USAGE or ALL",
    ]
    nothing_fits = po("P", item("Q1", "MONTHLY_USAGE", startMonth="2026-01", endMonth="2026-02"))
    refused = decide(facts("100", chosen_po_id="P", lines=((1, Decimal(100), "Q1"),)), [nothing_fits], RULES)
    assert (refused.po, refused.unmatched_reason) == (None, "PO_NOT_ELIGIBLE")


def test_refusals_say_why_in_plain_words():
    assert line_item_refusal(item("1", "ALL"), "MONTHLY_USAGE", "2026-05") is None
    quarter = item("1", "ALL", startMonth="2026-01", endMonth="2026-03")
    assert line_item_refusal(quarter, "MONTHLY_USAGE", "2026-05") == "its months are 2026-01..2026-03, not 2026-05"
    usage = item("1", "MONTHLY_USAGE")
    assert (
        line_item_refusal(usage, "SUBSCRIPTION_PURCHASE", "2026-05")
        == "its type is MONTHLY_USAGE, not SUBSCRIPTION_PURCHASE or ALL"
    )
    assert po_refusal(po("P"), facts()) is None
    assert po_refusal(po("P", status="SUSPENDED"), facts()) == "PO is SUSPENDED"
    assert po_refusal(po("P"), facts(billing_entity="Other")) == "billFrom does not name 'Other'"


def test_an_amount_tolerance_in_the_account_currency_excuses_no_excess_in_another():
    """toleranceAmount is in the account's currency and there is no exchange rate: for a PO in another
    currency any excess is beyond the tolerance, whatever the percent allows."""
    rules = Matching(tolerancePercent=Decimal(10), toleranceAmount=Decimal(100))
    assert tolerated(Decimal(1050), Decimal(1000), rules)
    assert not tolerated(Decimal(1050), Decimal(1000), rules, currency="EUR")
    assert tolerated(Decimal(1000), Decimal(1000), rules, currency="EUR")  # no excess at all
    assert tolerated(Decimal(1050), Decimal(1000), Matching(tolerancePercent=Decimal(10)), currency="EUR")
    euro_bill, euro_po = facts("1050", currency="EUR"), po("P", currency="EUR")
    blocking = rules.replace(blockExceedingBalance=True)
    assert decide(euro_bill, [euro_po], blocking).unmatched_reason == "INSUFFICIENT_BALANCE"
    in_euros = select(euro_bill, [euro_po], blocking, account_currency="EUR")
    assert in_euros.flags == ("EXCEEDS_BALANCE", "WITHIN_TOLERANCE")


# --- the stored explanation is bounded -----------------------------------------------------------

EXPLANATION_BYTES = 20_000


def test_the_explanation_stays_small_among_thousands_of_pos():
    """3,000 POs of another entity and 3,000 candidate line items: the winner and the best losers are
    listed, the rest counted, and the whole stays far below DynamoDB's 400 KB item limit."""
    others = [po(f"OTHER-{n:04}", billFrom=["AWS EMEA SARL"]) for n in range(3000)]
    items = [item(f"{n:03}") for n in range(100)]
    ours = [po(f"OURS-{n:02}", *items, updatedAt=f"2026-02-{n % 28 + 1:02}T00:00:00.000000Z") for n in range(30)]
    decision = decide(facts(), others + ours, RULES)
    explanation = decision.explanation
    assert len(jsonio.dumps(explanation)) < EXPLANATION_BYTES
    assert chosen(decision) == ("OURS-27", "000")  # updated most recently, then the lowest line item id
    assert explanation["candidates"][0] | {"outcome": "SELECTED"} == explanation["candidates"][0]
    assert (explanation["candidates"][0]["poId"], explanation["candidateCount"]) == ("OURS-27", 3000)
    assert len(explanation["candidates"]) == LISTED
    assert (len(explanation["excluded"]), explanation["excludedCount"]) == (LISTED, 3000)
    assert explanation["excludedByReason"] == {"billFrom": 3000}


def test_a_winner_ranked_below_the_listed_ones_is_still_listed():
    short = [po(f"SHORT-{n:02}", item(kind="MONTHLY_USAGE", amount="50")) for n in range(20)]
    decision = decide(facts("100"), [*short, po("ENOUGH")], Matching(blockExceedingBalance=True))
    listed = decision.explanation["candidates"]
    assert chosen(decision) == ("ENOUGH", "1")
    assert [entry["outcome"] for entry in listed] == ["BLOCKED"] * (LISTED - 1) + ["SELECTED"]
    assert (listed[-1]["poId"], decision.explanation["candidateCount"]) == ("ENOUGH", 21)


def test_an_unknown_entity_among_hundreds_of_pos_is_unmatched_with_a_small_explanation():
    pos = [po(f"P{n:03}", status="SUSPENDED" if n % 3 == 0 else "ACTIVE") for n in range(300)]
    decision = decide(facts(billing_entity="Nobody Ltd"), pos, RULES)
    explanation = decision.explanation
    assert decision.unmatched_reason == "NO_BILL_FROM_MATCH"
    assert len(jsonio.dumps(explanation)) < 2_000  # ten POs listed, whatever the number left out
    assert (explanation["candidates"], explanation["candidateCount"], explanation["excludedCount"]) == ([], 0, 300)
    assert explanation["excludedByReason"] == {"billFrom": 200, "not ACTIVE or not in effect": 100}
    assert [entry["reason"] for entry in explanation["excluded"]] == ["billFrom does not name 'Nobody Ltd'"] * LISTED


def test_currency_mismatch_matches_without_debit():
    decision = decide(facts(currency="EUR"), [po("P")], RULES)
    assert decision.flags == ("CURRENCY_MISMATCH",)
    assert decision.matched
    assert not decision.debited
    newer_eur = po("EUR", currency="EUR", updatedAt="2026-06-01T00:00:00.000000Z")
    assert chosen(decide(facts(), [newer_eur, po("USD")], RULES)) == ("USD", "1")  # only USD covers


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
        i.replace(startMonth=max(i.startMonth, effective), endMonth=min(i.endMonth, expiration))
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
        service_month=months,
    ),
    st.builds(
        Matching,
        blockExceedingBalance=st.booleans(),
        tolerancePercent=st.sampled_from([Decimal(0), Decimal(10)]),
    ),
)


@settings(max_examples=300)
@given(scenarios, st.randoms(use_true_random=False))
def test_never_picks_an_ineligible_line_item_and_ignores_read_order(scenario: Any, shuffler: random.Random):
    pos, invoice, rules = scenario
    decision = decide(invoice, list(pos), rules)
    shuffled = list(pos)
    shuffler.shuffle(shuffled)
    assert decide(invoice, shuffled, rules) == decision
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
    assert winner.effectiveMonth <= invoice.service_month <= winner.expirationMonth
    assert invoice.billing_entity in winner.billFrom
    assert line is not None
    assert line.startMonth <= invoice.service_month <= line.endMonth
    assert line.type in (invoice.invoice_type, "ALL")
    if rules.blockExceedingBalance:
        assert tolerated(invoice.subtotal, debit.available, rules)
    assert debit.available == available_balance(winner, line, invoice.service_month)
    ranked = decision.explanation["candidates"]
    assert [entry for entry in ranked if entry["outcome"] == "SELECTED"] == [
        next(entry for entry in ranked if entry["outcome"] != "BLOCKED")
    ]
