"""PO balances as the contract defines them, checked after every step of random use (hypothesis).

Random sequences of PO changes, invoice uploads, matcher deliveries (some twice, some late), credit
memos, manual matches, unmatching, approval and settings changes run against the real services.
A small model keeps what the contract says each invoice and credit memo moved, and on which PO
incarnation (a PO id deleted and created again names a new PO). After every step each PO's line
items and periods must show exactly that: invoiced = the debits of the invoices matched there now
minus the credits of the credit memos applied to them. The model decides the amounts from the
contract, never from what the services recorded, and it decides where an automatic match goes by
the contract's ranking; where the contract leaves the choice to the service (manual matches, lines
matched one by one) the model takes the service's choice and checks that the line item could take
the invoice. A step the services refuse with one of their own 4xx errors did nothing; anything else
they raise fails the test.

Each example works in an account of its own (a uuid): examples share the emulator, not data.
``POM_STATEFUL_EXAMPLES`` sets how many examples run (default 200; ``make soak`` raises it). Storage is the
in-memory fake (``make_services``), so 200 sequences of up to 30 steps take about ten seconds.
"""

from __future__ import annotations

import os
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import boto3
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from local_runner.template import create_table_arguments
from pom.core.errors import ServiceError
from pom.domain.audit import Actor
from pom.domain.inputs import InvoiceDocument
from pom.domain.invoices import Invoice
from pom.domain.models import Matching, Settings
from pom.domain.purchase_orders import LineItem, PurchaseOrder, purchase_order_view
from pom.domain.requests import ManualMatch, PurchaseOrderCreate, PurchaseOrderFields
from pom.services.invoices import InvoiceService
from pom.services.matcher import MatcherService
from pom.services.purchase_orders import PurchaseOrderService
from pom.store.tables import dynamo_stores
from tests.fakes.memory_store import memory_stores
from tests.services.conftest import Documents

EXAMPLES = int(os.environ.get("POM_STATEFUL_EXAMPLES", "200"))
ZERO = Decimal(0)


# --- the system under test ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Services:
    purchase_orders: PurchaseOrderService
    invoices: InvoiceService
    matcher: MatcherService
    release: Callable[[], None]  # called once the example is over

    def all_purchase_orders(self, account_id: str) -> Iterator[PurchaseOrder]:
        yield from _every_page(lambda token: self.purchase_orders.list(account_id, None, 100, token))

    def all_invoices(self, account_id: str) -> Iterator[Invoice]:
        yield from _every_page(lambda token: self.invoices.list(account_id, 100, token))


# ``POM_STATEFUL_STORE=dynamodb``: the same machine over the DynamoDB stores on moto (slower: for a soak
# of the store itself, e.g. its bill-from pointers, which the fake derives from the POs).
ON_DYNAMODB = os.environ.get("POM_STATEFUL_STORE") == "dynamodb"


def make_services(clock: Callable[[], datetime]) -> Services:
    """The services over their storage, for one example: the one place to change to run the machine
    over other stores. The in-memory stores, which pass the same contract suite as the DynamoDB ones
    (tests/store), so hundreds of sequences run in seconds; or a moto table of the template's shape."""
    release: Callable[[], None] = lambda: None  # noqa: E731
    if ON_DYNAMODB:
        dynamodb = boto3.client("dynamodb")
        table = f"money-{uuid.uuid4().hex[:12]}"
        dynamodb.create_table(**{**create_table_arguments("Table", table), "DeletionProtectionEnabled": False})
        stores = dynamo_stores(table, dynamodb)
        release = lambda: dynamodb.delete_table(TableName=table)  # noqa: E731
    else:
        stores = memory_stores()
    invoices = InvoiceService(
        stores.purchase_orders, stores.invoices, stores.settings, stores.uploads, Documents(), clock=clock
    )
    return Services(
        PurchaseOrderService(stores.purchase_orders, stores.settings, clock=clock),
        invoices,
        MatcherService(stores.purchase_orders, stores.invoices, clock=clock),
        release=release,
    )


def _every_page(page: Callable[[str | None], Any]) -> Iterator[Any]:
    token = None
    while True:
        current = page(token)
        yield from current.items
        token = current.next_token
        if token is None:
            return


class SteppingClock:
    """A fixed clock that moves one second at every reading: timestamps (and so the matcher's
    ``updatedAt`` ranking) follow the order of the steps, the same on every replay."""

    def __init__(self) -> None:
        self._now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self._now += timedelta(seconds=1)
        return self._now


REFUSED = object()  # what a step's call returned when the service refused it: the step did nothing


def attempt(call: Callable[[], Any]) -> Any:
    """Runs a step's call: its result, or REFUSED when the service answered with one of its own
    4xx errors. Any other exception (a 5xx) propagates and fails the test."""
    try:
        return call()
    except ServiceError as error:
        if error.status >= 500:
            raise
        return REFUSED


# --- what the steps write ----------------------------------------------------------------------------

PO_IDS = ("PO-1", "PO-2")
ENTITIES = ("AWS Inc.", "AWS EMEA SARL")
CURRENCIES = ("USD", "JPY")
MONTHS = ("2026-01", "2026-02", "2026-03")
LINE_ITEM_IDS = ("1", "2")
INVOICE_TYPES = ("MONTHLY_USAGE", "SUBSCRIPTION_PURCHASE")


class Line(NamedTuple):
    """A PO line item as a step writes it (``months`` None: the PO's own months)."""

    line_item_id: str
    type: str
    recurrence: str
    amount: int  # whole units: valid in JPY as in USD
    months: tuple[str, str] | None

    def document(self) -> dict[str, Any]:
        start, end = self.months or (None, None)
        return {
            "lineItemId": self.line_item_id,
            "type": self.type,
            "recurrence": self.recurrence,
            "amount": self.amount,
            "startMonth": start,
            "endMonth": end,
        }


class Bill(NamedTuple):
    """An invoice line: its amount and the PO line item it names, if any ("9": one no PO has)."""

    amount: int
    po_line_item_id: str | None


class PoSpec(NamedTuple):
    """What a create or a PUT writes: the fields that decide matching, and the line items."""

    bill_from: tuple[str, ...]
    currency: str
    months: tuple[str, str]
    lines: list[Line]

    def fields(self) -> dict[str, Any]:
        return {
            "billFrom": list(self.bill_from),
            "currency": self.currency,
            "effectiveMonth": self.months[0],
            "expirationMonth": self.months[1],
            "lineItems": [line.document() for line in self.lines],
        }


def month_spans(months: tuple[str, ...] = MONTHS) -> st.SearchStrategy[tuple[str, str]]:
    return st.tuples(st.sampled_from(months), st.sampled_from(months)).map(lambda pair: (min(pair), max(pair)))


def line_lists(months: tuple[str, ...] = MONTHS) -> st.SearchStrategy[list[Line]]:
    line = st.builds(
        Line,
        st.sampled_from(LINE_ITEM_IDS),
        st.sampled_from(("ALL", *INVOICE_TYPES)),
        st.sampled_from(("NONE", "MONTHLY")),
        st.sampled_from((100, 50)),
        st.none() | month_spans(months),
    )
    return st.lists(line, min_size=1, max_size=2, unique_by=lambda line: line.line_item_id)


bill_froms = st.lists(st.sampled_from(ENTITIES), min_size=1, max_size=2, unique=True).map(tuple)


@st.composite
def po_specs(draw: st.DrawFn) -> PoSpec:
    """A valid PO: line items lie within its months (a refused write would only waste the step)."""
    months = draw(month_spans())
    lines = draw(line_lists(tuple(month for month in MONTHS if months[0] <= month <= months[1])))
    return PoSpec(draw(bill_froms), draw(st.sampled_from(CURRENCIES)), months, lines)


invoice_lines = st.lists(
    st.builds(Bill, st.sampled_from((40, 100, 70)), st.none() | st.sampled_from((*LINE_ITEM_IDS, "9"))),
    min_size=1,
    max_size=2,
)


# --- the model -------------------------------------------------------------------------------------

Incarnation = tuple[str, int]  # (poId, n): the n-th PO created under that id
Slot = tuple[str, str | None]  # (lineItemId, the period's month on a monthly line item)


@dataclass
class MatchRecord:
    """Where the contract has an invoice matched now, and what that moved there."""

    po: Incarnation
    debits: dict[Slot, Decimal]  # in the order credit memos take from them
    credits: dict[str, dict[Slot, Decimal]] = field(default_factory=dict)  # by credit memo id

    def held(self) -> dict[Slot, Decimal]:
        left = dict(self.debits)
        for credit in self.credits.values():
            for slot, amount in credit.items():
                left[slot] -= amount
        return left


@dataclass
class ModelInvoice:
    invoice_id: str
    billing_entity: str
    invoice_type: str
    month: str  # the service month
    currency: str
    subtotal: Decimal
    lines: dict[int, Bill]  # by line number
    po_id: str | None = None  # the PO the uploader picked
    original_id: str | None = None  # set on a credit memo
    processed: bool = False  # the matcher took it: later deliveries change nothing
    approval: str = "DRAFT"  # followed only to pick steps that can apply
    match: MatchRecord | None = None
    credited_by_hand: bool = False  # a credit memo matched by hand to a line item: its match is its credit
    waiting: bool = False  # a credit memo that found its original unmatched: woken when it is matched

    @property
    def by_line(self) -> bool:
        """The contract matches lines one by one when they name PO line items and a PO is picked."""
        return self.po_id is not None and any(bill.po_line_item_id for bill in self.lines.values())


def why_po_cannot_take(po: PurchaseOrder, invoice: ModelInvoice) -> str | None:
    if po.status != "ACTIVE":
        return f"{po.poId} is {po.status}"
    if not po.effectiveMonth <= invoice.month <= po.expirationMonth:
        return f"{po.poId} is in effect {po.effectiveMonth}..{po.expirationMonth}, the invoice is for {invoice.month}"
    if invoice.billing_entity not in po.billFrom:
        return f"{po.poId}'s billFrom lacks {invoice.billing_entity!r}"
    return None


def why_line_item_cannot_take(item: LineItem, invoice: ModelInvoice) -> str | None:
    if item.type not in (invoice.invoice_type, "ALL"):
        return f"line item {item.lineItemId} is {item.type}, the invoice {invoice.invoice_type}"
    if not item.startMonth <= invoice.month <= item.endMonth:
        return f"line item {item.lineItemId} runs {item.startMonth}..{item.endMonth}, not in {invoice.month}"
    return None


def within_tolerance(amount: Decimal, balance: Decimal, rules: Matching) -> bool:
    excess = amount - balance
    if excess <= 0:
        return True
    by_amount = rules.toleranceAmount is None or excess <= rules.toleranceAmount
    return excess <= balance * rules.tolerancePercent / 100 and by_amount


def total(entries: list[tuple[str, Decimal]]) -> Decimal:
    return sum((amount for _, amount in entries), ZERO)


class MoneyModel:
    """What the contract says the steps so far moved, per PO incarnation and slot."""

    def __init__(self) -> None:
        self.incarnations: dict[str, int] = {}  # how many POs each id has named so far
        self.alive: dict[str, Incarnation] = {}
        self.invoices: dict[str, ModelInvoice] = {}
        self.rules = Matching()
        self.violations: list[str] = []  # contract breaks seen in a step's outcome

    def some_invoice_is(self, approval: str) -> bool:
        return any(invoice.processed and invoice.approval == approval for invoice in self.invoices.values())

    def created(self, po_id: str) -> None:
        self.incarnations[po_id] = self.incarnations.get(po_id, 0) + 1
        self.alive[po_id] = (po_id, self.incarnations[po_id])

    def deleted(self, po_id: str) -> None:
        del self.alive[po_id]

    def moved(self) -> dict[tuple[Incarnation, Slot], list[tuple[str, Decimal]]]:
        """Per incarnation and slot, what each invoice matched there now debits (+) and each credit
        memo applied to it credits (-)."""
        moved: dict[tuple[Incarnation, Slot], list[tuple[str, Decimal]]] = defaultdict(list)
        for invoice in self.invoices.values():
            if invoice.match is None:
                continue
            for slot, amount in invoice.match.debits.items():
                moved[(invoice.match.po, slot)].append((invoice.invoice_id, amount))
            for memo_id, credit in invoice.match.credits.items():
                for slot, amount in credit.items():
                    moved[(invoice.match.po, slot)].append((memo_id, -amount))
        return moved

    def balance(self, po: PurchaseOrder, item: LineItem, month: str) -> Decimal:
        """The line item's remaining balance (of the month's period, on a monthly line item)."""
        assert item.amount is not None
        incarnation = self.alive[po.poId]
        line_entries = [
            entries
            for (where, (line_item_id, period)), entries in self.moved().items()
            if where == incarnation and line_item_id == item.lineItemId and period in (None, month)
        ]
        return item.amount - sum((total(entries) for entries in line_entries), ZERO)

    def ranked_choice(self, invoice: ModelInvoice, pos: list[PurchaseOrder]) -> tuple[PurchaseOrder, LineItem] | None:
        """Where the contract's matching steps 1-5 put a whole invoice (only the picked PO, if any)."""
        candidates = []
        for po in pos:
            if invoice.po_id not in (None, po.poId) or why_po_cannot_take(po, invoice):
                continue
            for item in po.lineItems:
                if why_line_item_cannot_take(item, invoice):
                    continue
                balance = self.balance(po, item, invoice.month)
                # A PO in another currency is never debited: its balance covers nothing and blocks nothing.
                same_currency = po.currency == invoice.currency
                within = within_tolerance(invoice.subtotal, balance, self.rules)
                if self.rules.blockExceedingBalance and same_currency and not within:
                    continue
                covers = same_currency and invoice.subtotal <= balance
                updated = datetime.fromisoformat(po.updatedAt).timestamp()
                rank = (item.type != invoice.invoice_type, not covers, -updated, item.lineItemId, po.poId)
                candidates.append((rank, po, item))
        if not candidates:
            return None
        _, po, item = min(candidates, key=lambda candidate: candidate[0])
        return po, item

    def matcher_ran(self, invoice_id: str, pos: list[PurchaseOrder], stored: Invoice) -> None:
        """The matcher took a pending invoice: ``pos`` as it found them, ``stored`` as it left the invoice."""
        invoice = self.invoices[invoice_id]
        invoice.processed = True
        if invoice.original_id is not None:
            self._credit_memo(invoice)
        elif invoice.by_line:
            self._matched_by_line(invoice, pos, stored)
        else:
            choice = self.ranked_choice(invoice, pos)
            expected = None if choice is None else (choice[0].poId, choice[1].lineItemId)
            actual = None if stored.match is None else (stored.match.poId, stored.match.lineItemId)
            if actual != expected:
                self.violations.append(
                    f"the matcher put {invoice_id} on {actual or stored.unmatchedReason}; "
                    f"the contract's ranking puts it on {expected or 'no line item (UNMATCHED)'}"
                )
            if choice is not None:
                self.matched(invoice, choice[0], [(choice[1].lineItemId, invoice.subtotal)], "the matcher")

    def _matched_by_line(self, invoice: ModelInvoice, pos: list[PurchaseOrder], stored: Invoice) -> None:
        """Which line item takes a line is the service's choice; the model checks it and decides the amounts."""
        if stored.match is None:
            return
        po = next((po for po in pos if po.poId == stored.match.poId), None)
        if po is None or po.poId != invoice.po_id:
            self.violations.append(f"the matcher put {invoice.invoice_id} on {stored.match.poId}, not the picked PO")
            return
        lines = stored.match.lines or []
        placements = [(line.lineItemId, Decimal(invoice.lines[line.lineNumber].amount)) for line in lines]
        self.matched(invoice, po, placements or [(stored.match.lineItemId or "", invoice.subtotal)], "the matcher")

    def matched(self, invoice: ModelInvoice, po: PurchaseOrder, placements: list[tuple[str, Decimal]], by: str) -> None:
        """``invoice`` is matched to ``po`` as it is now: each placement (line item, amount) debits the
        amount, in the PO's currency, only if the invoice is in that currency. Credit memos waiting
        for the invoice to be matched are applied."""
        debits: dict[Slot, Decimal] = {}
        for line_item_id, amount in placements:
            item = po.line_item(line_item_id)
            why = why_po_cannot_take(po, invoice) or (
                f"{po.poId} has no line item {line_item_id}"
                if item is None
                else why_line_item_cannot_take(item, invoice)
            )
            if why:
                self.violations.append(f"{by} debited {invoice.invoice_id} on {po.poId}/{line_item_id}: {why}")
            if item is not None:
                slot = (line_item_id, invoice.month if item.recurrence == "MONTHLY" else None)
                debit = amount if po.currency == invoice.currency else ZERO
                debits[slot] = debits.get(slot, ZERO) + debit
        invoice.match = MatchRecord(self.alive[po.poId], debits)
        for memo in self.invoices.values():
            if memo.original_id == invoice.invoice_id and memo.waiting and memo.approval == "DRAFT":
                memo.waiting, memo.processed = False, False  # PENDING again: the next delivery applies it

    def credited_by_hand(self, memo: ModelInvoice, po: PurchaseOrder, line_item_id: str) -> None:
        """A credit memo matched by hand credits its subtotal, never more than the line item holds
        (for the memo's month, on a monthly one), after its own earlier match is taken off."""
        memo.match, memo.waiting = None, False
        item = po.line_item(line_item_id)
        assert item is not None
        slot = (line_item_id, memo.month if item.recurrence == "MONTHLY" else None)
        incarnation = self.alive[po.poId]
        held = sum(
            (total(entries) for (at, (lid, period)), entries in self.moved().items()
             if at == incarnation and lid == line_item_id and (slot[1] is None or period == slot[1])),
            ZERO,
        )  # fmt: skip
        memo.match = MatchRecord(incarnation, {slot: -min(memo.subtotal, held)})
        memo.credited_by_hand = True

    def _credit_memo(self, memo: ModelInvoice) -> None:
        assert memo.original_id is not None
        original = self.invoices[memo.original_id]
        if original.original_id is not None:
            return  # a credit memo of a credit memo credits nothing
        if (memo.currency, memo.billing_entity) != (original.currency, original.billing_entity):
            return  # ORIGINAL_MISMATCH: credits nothing
        if original.match is None:
            memo.waiting = True  # applied once the original is matched
        else:
            self._apply(memo, original)

    def _apply(self, memo: ModelInvoice, original: ModelInvoice) -> None:
        """The memo credits its subtotal, never more than the original still holds, from the
        original's line items in order (on a deleted PO: nothing anyone can see any more)."""
        assert original.match is not None
        left, credit = memo.subtotal, {}
        for slot, held in original.match.held().items():
            taken = min(left, held)
            if taken > 0:
                credit[slot] = taken
                left -= taken
        original.match.credits[memo.invoice_id] = credit

    def unmatched(self, invoice_id: str) -> None:
        self.invoices[invoice_id].match = None

    def rejected(self, invoice_id: str) -> None:
        """An invoice is unmatched (its memos' credits go with it); a memo's credit is given back."""
        invoice = self.invoices[invoice_id]
        if invoice.original_id is None or invoice.credited_by_hand:
            invoice.match = None
            return
        original = self.invoices[invoice.original_id]
        if original.match is not None:
            original.match.credits.pop(invoice_id, None)


# --- the machine -----------------------------------------------------------------------------------


class MoneyMachine(RuleBasedStateMachine):
    invoices = Bundle("invoices")

    def __init__(self) -> None:
        super().__init__()
        self.account = f"acct-{uuid.uuid4().hex[:12]}"
        self.actor = Actor(self.account, "tester")
        self.services = make_services(SteppingClock())
        self.model = MoneyModel()
        self.uploaded: dict[str, Invoice] = {}  # each invoice as first written: what the stream delivers
        # The POs as the check last read them: it runs after every step, so they are as a step finds them.
        self.pos: list[PurchaseOrder] = []

    def teardown(self) -> None:
        self.services.release()

    def invoice(self, invoice_id: str) -> Invoice:
        return self.services.invoices.get(self.account, invoice_id)

    # --- purchase orders ---

    @initialize(first=po_specs(), second=st.none() | po_specs())
    def first_pos(self, first: PoSpec, second: PoSpec | None) -> None:
        """Every example starts with a PO or two: without any it would exercise little."""
        self.create_po("PO-1", first)
        if second is not None:
            self.create_po("PO-2", second)

    @rule(po_id=st.sampled_from(PO_IDS), spec=po_specs())
    def create_po(self, po_id: str, spec: PoSpec) -> None:
        """Creates a PO, or a new one under the id of a deleted one."""
        data = PurchaseOrderCreate.model_validate({"poId": po_id, **spec.fields()})
        if attempt(lambda: self.services.purchase_orders.create(self.actor, data)) is not REFUSED:
            self.model.created(po_id)

    @precondition(lambda self: bool(self.model.alive))
    @rule(po_id=st.sampled_from(PO_IDS), effective=st.none() | st.sampled_from(MONTHS),
          expiration=st.none() | st.sampled_from(MONTHS), bill_from=st.none() | bill_froms,
          lines=st.none() | line_lists())  # fmt: skip
    def edit_po(self, po_id: str, effective: str | None, expiration: str | None, bill_from: tuple[str, ...] | None,
                lines: list[Line] | None) -> None:  # fmt: skip
        """PUT: the PO as it stands with new months, bill-from or line items (None: kept as they are)."""
        po = next((po for po in self.pos if po.poId == po_id), None)
        if po is None:
            return
        kept = [
            Line(item.lineItemId, item.type, item.recurrence, int(item.amount or 0), (item.startMonth, item.endMonth))
            for item in po.lineItems
        ]
        months = (effective or po.effectiveMonth, expiration or po.expirationMonth)
        spec = PoSpec(bill_from or tuple(po.billFrom), po.currency, months, lines or kept)
        data = PurchaseOrderFields.model_validate(spec.fields())
        attempt(lambda: self.services.purchase_orders.replace(self.actor, po_id, data, None))

    @precondition(lambda self: bool(self.model.alive))
    @rule(po_id=st.sampled_from(PO_IDS), status=st.sampled_from(("SUSPENDED", "ACTIVE")))
    def change_status(self, po_id: str, status: str) -> None:
        attempt(lambda: self.services.purchase_orders.change_status(self.actor, po_id, status, None))

    @precondition(lambda self: bool(self.model.alive))
    @rule(po_id=st.sampled_from(PO_IDS))
    def delete_po(self, po_id: str) -> None:
        if attempt(lambda: self.services.purchase_orders.delete(self.actor, po_id, None)) is not REFUSED:
            self.model.deleted(po_id)

    @precondition(lambda self: bool(self.model.alive))
    @rule(po_id=st.sampled_from(PO_IDS), spec=po_specs())
    def recreate_po(self, po_id: str, spec: PoSpec) -> None:
        """Deletes a PO and creates a new one under its id at once (a PO re-keyed): a new incarnation."""
        self.delete_po(po_id)
        self.create_po(po_id, spec)

    @rule(block_exceeding=st.booleans(), tolerance_percent=st.sampled_from((0, 10, 50)),
          tolerance_amount=st.sampled_from((None, 5)))  # fmt: skip
    def change_settings(self, block_exceeding: bool, tolerance_percent: int, tolerance_amount: int | None) -> None:
        rules = Matching(
            blockExceedingBalance=block_exceeding, tolerancePercent=tolerance_percent, toleranceAmount=tolerance_amount
        )
        account_settings = Settings(matching=rules)
        if attempt(lambda: self.services.purchase_orders.put_settings(self.account, account_settings)) is not REFUSED:
            self.model.rules = rules

    # --- invoices ---

    @rule(target=invoices, entity=st.sampled_from(ENTITIES), invoice_type=st.sampled_from(INVOICE_TYPES),
          month=st.sampled_from(MONTHS), currency=st.sampled_from(CURRENCIES),
          po_id=st.none() | st.sampled_from(PO_IDS), bills=invoice_lines, delivered=st.booleans())  # fmt: skip
    def upload_invoice(self, *, entity: str, invoice_type: str, month: str, currency: str, po_id: str | None,
                       bills: list[Bill], delivered: bool) -> Any:  # fmt: skip
        """An invoice (``delivered``: the stream hands it to the matcher at once, as it does in production)."""
        subtotal = sum(bill.amount for bill in bills)
        lines = [
            {"lineNumber": number, "amount": bill.amount, "poLineItemId": bill.po_line_item_id}
            for number, bill in enumerate(bills, start=1)
        ]
        invoice = ModelInvoice(
            f"INV-{len(self.model.invoices) + 1}", entity, invoice_type, month, currency, Decimal(subtotal),
            dict(enumerate(bills, start=1)), po_id,
        )  # fmt: skip
        return self._upload(invoice, {"subtotal": subtotal, "lines": lines, "poId": po_id}, delivered)

    @rule(target=invoices, original=invoices, amount=st.sampled_from((40, 100)),
          differs=st.none() | st.sampled_from(("currency", "billingEntity")), delivered=st.booleans())  # fmt: skip
    def upload_credit_memo(self, original: str, amount: int, differs: str | None, delivered: bool) -> Any:
        """A credit memo of an invoice, in its currency and from its entity unless one ``differs``."""
        of = self.model.invoices[original]
        other_currency = next(currency for currency in CURRENCIES if currency != of.currency)
        other_entity = next(entity for entity in ENTITIES if entity != of.billing_entity)
        currency = other_currency if differs == "currency" else of.currency
        entity = other_entity if differs == "billingEntity" else of.billing_entity
        memo = ModelInvoice(
            f"CM-{len(self.model.invoices) + 1}", entity, of.invoice_type, of.month, currency, Decimal(amount), {},
            original_id=original,
        )  # fmt: skip
        fields = {"subtotal": amount, "documentType": "CREDIT_MEMO", "originalInvoiceId": original}
        return self._upload(memo, fields, delivered)

    def _upload(self, invoice: ModelInvoice, fields: dict[str, Any], delivered: bool) -> Any:
        document = InvoiceDocument.model_validate(
            {
                "invoiceId": invoice.invoice_id,
                "billingEntity": invoice.billing_entity,
                "invoiceType": invoice.invoice_type,
                "issueDate": f"{invoice.month}-15",
                "currency": invoice.currency,
                "tax": 0,
                "total": fields["subtotal"],
                **fields,
            }
        )
        original = document.model_dump_json().encode()
        uploaded = attempt(lambda: self.services.invoices.upload(self.actor, original, "application/json"))
        if uploaded is REFUSED:
            return multiple()
        self.model.invoices[invoice.invoice_id] = invoice
        self.uploaded[invoice.invoice_id] = uploaded[0]
        if delivered:
            self._deliver(invoice.invoice_id, 1)
        return invoice.invoice_id

    @precondition(lambda self: any(not invoice.processed for invoice in self.model.invoices.values()))
    @rule(twice=st.booleans())
    def deliver_pending(self, twice: bool) -> None:
        """The stream delivers each invoice not yet matched, in upload order (``twice``: a duplicate delivery)."""
        for invoice_id in [i for i, invoice in self.model.invoices.items() if not invoice.processed]:
            self._deliver(invoice_id, 2 if twice else 1)

    @rule(invoice=invoices)
    def deliver_one(self, invoice: str) -> None:
        """The stream delivers one invoice's first record: ahead of others, or again long after."""
        self._deliver(invoice, 1)

    def _deliver(self, invoice_id: str, times: int) -> None:
        pending = not self.model.invoices[invoice_id].processed
        for _ in range(times):
            self.services.matcher.process(self.uploaded[invoice_id])
        if pending:
            # The POs' fields are as the step found them; balances, which matching moves, come from the model.
            self.model.matcher_ran(invoice_id, self.pos, self.invoice(invoice_id))

    @rule(invoice=invoices, po_id=st.sampled_from(PO_IDS), line_item_id=st.sampled_from(LINE_ITEM_IDS))
    def rematch(self, invoice: str, po_id: str, line_item_id: str) -> None:
        before = self.invoice(invoice)
        po = next((po for po in self.pos if po.poId == po_id), None)
        target = ManualMatch(poId=po_id, lineItemId=line_item_id)
        after = attempt(lambda: self.services.invoices.rematch(self.actor, invoice, target, None))
        if after is REFUSED or after.version == before.version:
            return  # refused, or already matched there
        assert po is not None, f"{invoice} was matched by hand to {po_id}, which does not exist"
        model = self.model.invoices[invoice]
        if model.original_id is not None:
            self.model.credited_by_hand(model, po, line_item_id)
        else:
            self.model.matched(model, po, [(line_item_id, model.subtotal)], "a manual match")

    @rule(invoice=invoices)
    def unmatch(self, invoice: str) -> None:
        if attempt(lambda: self.services.invoices.unmatch(self.actor, invoice, None)) is not REFUSED:
            self.model.unmatched(invoice)

    @precondition(lambda self: self.model.some_invoice_is("DRAFT"))
    @rule(invoice=invoices)
    def submit(self, invoice: str) -> None:
        self._approval(invoice, self.services.invoices.submit, "SUBMITTED")

    @precondition(lambda self: self.model.some_invoice_is("SUBMITTED"))
    @rule(invoice=invoices)
    def approve(self, invoice: str) -> None:
        self._approval(invoice, self.services.invoices.approve, "APPROVED")

    @precondition(lambda self: self.model.some_invoice_is("SUBMITTED"))
    @rule(invoice=invoices)
    def reject(self, invoice: str) -> None:
        if self._approval(invoice, self.services.invoices.reject, "REJECTED"):
            self.model.rejected(invoice)

    @precondition(lambda self: self.model.some_invoice_is("DRAFT"))
    @rule(invoice=invoices)
    def submit_and_reject(self, invoice: str) -> None:
        """An approver turns a bill down as soon as it is submitted."""
        self.submit(invoice)
        self.reject(invoice)

    def _approval(self, invoice: str, change: Callable[..., Invoice], status: str) -> bool:
        if attempt(lambda: change(self.actor, invoice, None)) is REFUSED:
            return False
        self.model.invoices[invoice].approval = status
        return True

    # --- the invariant ---

    @invariant()
    def balances_follow_the_contract(self) -> None:
        """No step's outcome broke a contract rule, and each PO's line items and periods show as
        invoiced exactly what the contract says is matched there now."""
        assert not self.model.violations, "\n".join(self.model.violations)
        self.pos = list(self.services.all_purchase_orders(self.account))
        moved = self.model.moved()
        problems: list[str] = []
        shown: set[tuple[Incarnation, Slot]] = set()
        for po in self.pos:
            incarnation = self.model.alive.get(po.poId)
            assert incarnation is not None, f"{po.poId} exists, yet it was deleted"
            for item in purchase_order_view(po)["lineItems"]:
                line_item_id, periods = item["lineItemId"], item["periods"] or []
                where = f"{po.poId} (incarnation {incarnation[1]}) line item {line_item_id}"
                line_entries = [
                    entry for (at, slot), entries in moved.items() if (at, slot[0]) == (incarnation, line_item_id)
                    for entry in entries
                ]  # fmt: skip
                problems += difference(where, item["invoicedAmount"], line_entries)
                shown.add((incarnation, (line_item_id, None)))
                for period in periods:
                    month = period["month"]
                    at_period = (incarnation, (line_item_id, month))
                    problems += difference(f"{where} period {month}", period["invoicedAmount"], moved[at_period])
                    shown.add(at_period)
        alive = set(self.model.alive.values())
        problems += [
            f"{at[0]} (incarnation {at[1]}) shows no line item {slot[0]} or period {slot[1]}: {listed(entries)}"
            for (at, slot), entries in moved.items()
            if at in alive and (at, slot) not in shown and total(entries)
        ]
        if problems:
            stored = [stored_match(invoice) for invoice in self.services.all_invoices(self.account)]
            raise AssertionError("\n".join([*problems, "stored invoices:", *stored]))


def difference(where: str, shown: str, entries: list[tuple[str, Decimal]]) -> list[str]:
    """The message if the amount a PO shows is not what the contract's entries add up to."""
    if Decimal(shown) == total(entries):
        return []
    return [f"{where}: invoiced {shown}, the contract says {total(entries):f} ({listed(entries)})"]


def listed(entries: list[tuple[str, Decimal]]) -> str:
    return ", ".join(f"{who} {amount:+f}" for who, amount in entries) or "nothing matched there"


def stored_match(invoice: Invoice) -> str:
    where = f" on {invoice.match.poId}/{invoice.match.lineItemId} {invoice.match.amount:f}" if invoice.match else ""
    return f"  {invoice.invoiceId}: {invoice.matchStatus}, {invoice.approvalStatus}{where}"


def test_balances_follow_the_contract(request: pytest.FixtureRequest) -> None:
    if ON_DYNAMODB:
        request.getfixturevalue("aws")  # moto, for the whole run
    run_state_machine_as_test(
        MoneyMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
