"""The invoice domain: validating documents, recording matches, approval. Pure Python, no I/O."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pom.core.errors import Conflict, FieldError, Forbidden, ValidationFailed
from pom.core.money import ZERO, check_minor_units, format_amount, pro_rata
from pom.core.records import Record
from pom.domain.audit import Actor, AuditEvent, actor_view
from pom.domain.matching import Decision, InvoiceFacts, line_mismatch, within_tolerance
from pom.domain.models import Matching, Settings, normalize_entity
from pom.domain.purchase_orders import PurchaseOrder, display_timestamp, precise_timestamp

if TYPE_CHECKING:  # request bodies: only the functions that read requests load them
    from pom.domain.inputs import InvoiceDocument


class InvoiceLine(Record):
    lineNumber: int
    lineId: str | None = None
    description: str | None = None
    amount: Decimal
    poLineItemId: str | None = None


class MatchLine(Record):
    lineNumber: int
    lineItemId: str
    amount: Decimal
    availableBalance: Decimal | None = None
    poLineItemId: str | None = None


class Match(Record):
    """Where an invoice went, with the figures its flags were decided from."""

    poId: str
    lineItemId: str | None
    amount: Decimal
    availableBalance: Decimal | None = None
    matchedAt: str
    flags: list[str] = field(default_factory=list)
    lines: list[MatchLine] | None = None
    month: str
    poCurrency: str
    # The PO incarnation matched (its createdAt): a PO id deleted and used again names a new PO,
    # which nothing this match does later may move. None on records older than this field.
    poCreatedAt: str | None = None
    debited: bool = True  # False on CURRENCY_MISMATCH: recorded, balance not moved
    manual: bool = False
    # What each PO line item was debited (it is what an unmatch credits back).
    debits: list[MatchLine] = field(default_factory=list)


class Invoice(Record):
    accountId: str
    invoiceId: str
    supplierInvoiceNumber: str | None = None  # None: the invoiceId (records older than the field too)
    documentType: str = "INVOICE"
    originalInvoiceId: str | None = None
    billingEntity: str
    invoiceType: str
    issueDate: str
    billingPeriod: str | None = None
    currency: str
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    allowanceTotal: Decimal | None = None
    chargeTotal: Decimal | None = None
    lines: list[InvoiceLine] | None = None
    poId: str | None = None
    poReference: str | None = None
    sourceFormat: str = "JSON"
    description: str | None = None
    matchStatus: str = "PENDING"
    match: Match | None = None
    unmatchedReason: str | None = None
    matchExplanation: dict[str, Any] | None = None
    approvalStatus: str = "DRAFT"
    creditedAmount: Decimal = ZERO
    contentHash: str
    documentKey: str
    createdAt: str
    updatedAt: str
    version: int = 1
    movements: int = 0  # transactions that moved a balance for this invoice: numbers its ledger entries
    # The matcher's match of the invoice as received has no entry on the invoice's trail: its match
    # record is that entry (``untrailed_event``) until a change supersedes it and writes it there.
    # One item less per match; its trail is empty until then, so the entry is its oldest but RECEIVED.
    matchUntrailed: bool = False
    # Who uploaded it ({"userId", "email"}; the RECEIVED entry of its history), and who submitted it
    # (its user id: with separateApprover, that user cannot approve it).
    receivedBy: dict[str, Any] | str | None = None
    submittedBy: str | None = None
    receivedFrom: str | None = None  # the S3 object version it was read from (``<key>?versionId=<version>``)
    rejectionReason: str | None = None
    # Credit memos that arrived while this invoice was not matched: woken (PENDING again) by the
    # write that matches it, so the matcher applies them then (API.md: credit memos).
    waitingMemos: list[str] = field(default_factory=list)

    @property
    def service_month(self) -> str:
        return service_month(self.billingPeriod, self.issueDate)

    @property
    def supplier_number(self) -> str:
        return self.supplierInvoiceNumber or self.invoiceId

    def facts(self) -> InvoiceFacts:
        """Lines carry what each debits: its share of the subtotal when document-level allowances and
        charges make the lines add up to another amount (API.md: line matching)."""
        lines = self.lines or []
        debits = pro_rata([line.amount for line in lines], self.subtotal, self.currency)
        return InvoiceFacts(
            self.invoiceType, self.billingEntity, self.service_month, self.currency, self.subtotal, self.poId,
            tuple((line.lineNumber, debit, line.poLineItemId) for line, debit in zip(lines, debits, strict=True)),
            unknown_po_reference=self.poReference is not None and self.poId is None,
        )  # fmt: skip


def service_month(billing_period: str | None, issue_date: str) -> str:
    """What matching compares with months and periods: the billing period, else the issue month."""
    return billing_period or issue_date[:7]


def supplier_identity(billing_entity: str, document_type: str, supplier_number: str) -> str:
    """What makes two documents one invoice whatever their format or channel: the seller, the kind
    (invoices and credit notes are numbered apart) and the seller's number. A digest, so any text fits a key."""
    text = "\x00".join((normalize_entity(billing_entity), document_type, supplier_number))
    return hashlib.sha256(text.encode()).hexdigest()


def derived_invoice_id(billing_entity: str, document_type: str, supplier_number: str) -> str:
    """The ``invoiceId`` of a document in a standard format: readable (the seller's number, in the id's
    characters) and stable for the same seller, kind and number, so the same invoice as XML and as
    PDF, or sent twice, gets the same id."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", supplier_number).strip("-.")[:48] or "invoice"
    return f"{readable}-{supplier_identity(billing_entity, document_type, supplier_number)[:12]}"


def same_invoice(existing: Invoice, new: Invoice) -> bool:
    """Whether ``new`` is ``existing`` received again: the same content, or, for the same seller,
    kind and number, the same figures (the same invoice in another format). A JSON invoice id the
    uploader chose names one content: the same id with other content is not the same invoice."""
    if existing.contentHash == new.contentHash:
        return True
    if existing.invoiceId == new.invoiceId and "JSON" == existing.sourceFormat == new.sourceFormat:
        return False
    identity = (existing.billingEntity, existing.documentType, existing.supplier_number)
    return identity == (new.billingEntity, new.documentType, new.supplier_number) and _figures(existing) == _figures(
        new
    )


def collision(existing: Invoice, new: Invoice) -> str:
    """Why ``new`` is refused: it takes an id or a supplier number ``existing`` holds, with other content."""
    same_number = (existing.billingEntity, existing.documentType, existing.supplier_number) == (
        new.billingEntity, new.documentType, new.supplier_number
    )  # fmt: skip
    if same_number and _figures(existing) != _figures(new):
        return (
            f"invoice {existing.invoiceId!r} has the same billing entity, document type and supplier invoice number "
            f"({new.supplier_number!r}) with other figures: the same invoice is never debited twice"
        )
    return f"invoice {existing.invoiceId!r} exists with different content"


def _figures(invoice: Invoice) -> tuple[str, str, Decimal, Decimal, Decimal]:
    return invoice.issueDate, invoice.currency, invoice.subtotal, invoice.tax, invoice.total


def content_hash(document: InvoiceDocument) -> str:
    """Identifies a document's content, whatever its key, formatting or field order: amounts are
    compared as money (``250`` is ``"250.00"``) and ``accountId`` (if valid, the uploader's own)
    is left out."""
    fields = document.model_dump(mode="json", exclude_none=True, exclude={"accountId"})
    for name in ("subtotal", "tax", "total"):
        fields[name] = format_amount(getattr(document, name), document.currency)
    for line, parsed in zip(fields.get("lines", []), document.lines or [], strict=True):
        line["amount"] = format_amount(parsed.amount, document.currency)
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def validate_document(document: InvoiceDocument, account_id: str, *, original_required: bool = True) -> None:
    """The rules that span fields; raises ValidationFailed naming each offending field.
    ``original_required``: False for a credit note in a standard format, where BT-25 is optional (a
    memo without an original is kept unmatched, for a match by hand)."""
    errors = _money_errors(document)
    if document.documentType == "CREDIT_MEMO" and not document.originalInvoiceId and original_required:
        errors.append(FieldError(("body", "originalInvoiceId"), "is required on a credit memo", "missing"))
    if document.documentType == "INVOICE" and document.originalInvoiceId:
        errors.append(FieldError(("body", "originalInvoiceId"), "is only for credit memos"))
    if document.accountId is not None and document.accountId != account_id:
        errors.append(FieldError(("body", "accountId"), "names another account than the uploader's"))
    if errors:
        raise ValidationFailed(errors)


def _money_errors(document: InvoiceDocument) -> list[FieldError]:
    """Minor units, total = subtotal + tax, and lines − allowances + charges = subtotal."""
    errors: list[FieldError] = []
    money = [("subtotal", document.subtotal), ("tax", document.tax), ("total", document.total)]
    money += [(name, getattr(document, name)) for name in ("allowanceTotal", "chargeTotal") if getattr(document, name)]
    money += [(("lines", index, "amount"), line.amount) for index, line in enumerate(document.lines or [])]
    for name, amount in money:
        try:
            check_minor_units(amount, document.currency)
        except ValueError as error:
            errors.append(FieldError(("body", *(name if isinstance(name, tuple) else (name,))), str(error)))
    if document.subtotal + document.tax != document.total:
        errors.append(
            FieldError(("body", "total"), f"must equal subtotal + tax ({document.subtotal + document.tax:f})")
        )
    if document.lines is not None:
        line_sum = sum((line.amount for line in document.lines), ZERO)
        expected = line_sum - (document.allowanceTotal or ZERO) + (document.chargeTotal or ZERO)
        if expected != document.subtotal:
            adjusted = (
                " less allowanceTotal plus chargeTotal" if document.allowanceTotal or document.chargeTotal else ""
            )
            errors.append(FieldError(("body", "lines"), f"amounts sum to {line_sum:f}{adjusted}, not the subtotal"))
        numbers = [line.lineNumber for line in document.lines]
        if len(set(numbers)) != len(numbers):
            errors.append(FieldError(("body", "lines"), "lineNumber values must be unique"))
    return errors


def new_invoice(
    account_id: str, document: InvoiceDocument, now: datetime, document_key: str, digest: str,
    *, received_by: Actor | None = None, source_format: str = "JSON", received_from: str | None = None,
) -> Invoice:  # fmt: skip
    stamp = precise_timestamp(now)
    return Invoice.from_document(
        {
            **document.model_dump(exclude={"accountId"}), "accountId": account_id, "contentHash": digest,
            "documentKey": document_key, "createdAt": stamp, "updatedAt": stamp, "sourceFormat": source_format,
            "receivedBy": None if received_by is None else received_by.audit(), "receivedFrom": received_from,
        }
    )  # fmt: skip


def originals_folder(account_id: str, invoice_id: str) -> str:
    """Where an invoice's originals are kept in the document bucket, each named by its bytes' digest."""
    return f"originals/{account_id}/{invoice_id}/"


def recorded_entries(invoice: Invoice) -> list[dict[str, Any]]:
    """The oldest entries of an invoice's history, newest first, as the API shows them, which the
    invoice itself records: its untrailed match, if any, and its receipt."""
    if not invoice.matchUntrailed:
        return [received_entry(invoice)]
    event = untrailed_event(invoice)
    assert event.at is not None  # noqa: S101
    untrailed = {"at": display_timestamp(event.at), "actor": actor_view(None), "action": event.action}
    return [{**untrailed, "details": event.details}, received_entry(invoice)]


def received_entry(invoice: Invoice) -> dict[str, Any]:
    """The first entry of an invoice's history, as the API shows it: the invoice itself records it."""
    details = {"documentType": invoice.documentType, "documentKey": invoice.documentKey.rsplit("/", 1)[-1]}
    actor = actor_view(invoice.receivedBy)
    return {"at": display_timestamp(invoice.createdAt), "actor": actor, "action": "RECEIVED", "details": details}


def _changed(invoice: Invoice, now: datetime, **changes: Any) -> Invoice:
    """The invoice with ``changes``, a version on; a change of its match state no longer stands on an
    untrailed match (``history_events`` writes that match's entry)."""
    if any(name in changes and changes[name] != getattr(invoice, name) for name in ("matchStatus", "match")):
        changes.setdefault("matchUntrailed", False)
    return invoice.replace(**{**changes, "version": invoice.version + 1, "updatedAt": precise_timestamp(now)})


def with_po_reference(invoice: Invoice, referenced_po_exists: bool) -> Invoice:
    """The invoice with ``poId`` from its document's PO reference when the account has that PO, so that
    matching is restricted to it; otherwise unchanged, and matched automatically with UNKNOWN_PO_REFERENCE."""
    if invoice.poId is not None or not referenced_po_exists:
        return invoice
    return invoice.replace(poId=invoice.poReference)


def match_record(decision: Decision, month: str, now: datetime, *, manual: bool = False) -> Match:
    """The invoice's ``match`` from a decision: the figures flags were decided from, and the debits."""
    assert decision.po is not None  # noqa: S101 - only matched decisions are recorded as matches
    debits = decision.debits
    by_line = any(debit.line_number is not None for debit in debits)
    line_items = {debit.line_item_id for debit in debits}
    single = debits[0] if len(line_items) == 1 else None
    per_item: dict[str, Decimal] = {}
    for debit in debits:
        per_item[debit.line_item_id] = per_item.get(debit.line_item_id, ZERO) + debit.amount
    return Match(
        poId=decision.po.poId,
        lineItemId=single.line_item_id if single else None,
        amount=sum((debit.amount for debit in debits), ZERO),
        availableBalance=single.available if single else None,
        matchedAt=precise_timestamp(now),
        flags=list(decision.flags),
        lines=[
            MatchLine(
                lineNumber=debit.line_number or 0,
                lineItemId=debit.line_item_id,
                amount=debit.amount,
                availableBalance=debit.available,
                poLineItemId=debit.requested_line_item_id,
            )
            for debit in debits
        ]
        if by_line
        else None,
        month=month,
        poCurrency=decision.po.currency,
        poCreatedAt=decision.po.createdAt,
        debited=decision.debited,
        manual=manual,
        debits=[MatchLine(lineNumber=0, lineItemId=item, amount=amount) for item, amount in per_item.items()],
    )


def matched(invoice: Invoice, decision: Decision, now: datetime, *, manual: bool = False) -> Invoice:
    """The invoice matched; the matcher's match of the invoice as received (nothing written since:
    its trail is empty) stays untrailed."""
    return _changed(
        invoice,
        now,
        matchStatus="MATCHED",
        match=match_record(decision, invoice.service_month, now, manual=manual),
        unmatchedReason=None,
        matchExplanation=decision.explanation,
        matchUntrailed=not manual and invoice.version == 1,
    )


def unmatched(invoice: Invoice, reason: str, now: datetime, explanation: dict[str, Any] | None = None) -> Invoice:
    return _changed(
        invoice,
        now,
        matchStatus="UNMATCHED",
        match=None,
        unmatchedReason=reason,
        matchExplanation=explanation if explanation is not None else invoice.matchExplanation,
    )


def remaining_debits(invoice: Invoice) -> list[tuple[str, Decimal]]:
    """What the invoice still holds on each PO line item: its debits less what credit memos took back
    (memos take from the debits in order)."""
    if invoice.match is None or not invoice.match.debited:
        return []
    credited = invoice.creditedAmount
    remaining = []
    for debit in invoice.match.debits:
        taken = min(credited, debit.amount)
        credited -= taken
        if debit.amount - taken > 0:
            remaining.append((debit.lineItemId, debit.amount - taken))
    return remaining


def apply_credit_memo(
    memo: Invoice, original: Invoice, credits: list[tuple[str, Decimal]], now: datetime
) -> tuple[Invoice, Invoice]:
    """The memo matched to the line items it credits (``credits``: line item, amount), and the
    original with what has been credited against it."""
    assert original.match is not None  # noqa: S101 - only a matched original is credited
    amount = sum((credit for _, credit in credits), ZERO)
    line_items = [line_item_id for line_item_id, _ in credits]
    match = Match(
        poId=original.match.poId,
        lineItemId=line_items[0] if len(line_items) == 1 else None,
        amount=amount,
        matchedAt=precise_timestamp(now),
        month=original.match.month,
        poCurrency=original.match.poCurrency,
        poCreatedAt=original.match.poCreatedAt,
        debits=[MatchLine(lineNumber=0, lineItemId=line_item_id, amount=credit) for line_item_id, credit in credits],
    )
    explanation = {
        "creditMemo": {
            "originalInvoiceId": original.invoiceId,
            "credited": f"{amount:f}",
            "requested": f"{memo.subtotal:f}",
            "note": "a credit memo credits at most what the original invoice still holds on its PO",
        }
    }
    memo_after = _changed(
        memo, now, matchStatus="MATCHED", match=match, unmatchedReason=None, matchExplanation=explanation,
        movements=memo.movements + 1,
    )  # fmt: skip
    original_after = _changed(original, now, creditedAmount=original.creditedAmount + amount)
    return memo_after, original_after


def credited_by_hand(memo: Invoice, po: PurchaseOrder, line_item_id: str, credit: Decimal, now: datetime) -> Invoice:
    """A credit memo matched by hand to one line item of a PO of its entity and currency, crediting
    ``credit`` (the caller caps it at what the line item holds)."""
    match = Match(
        poId=po.poId,
        lineItemId=line_item_id,
        amount=credit,
        matchedAt=precise_timestamp(now),
        month=memo.service_month,
        poCurrency=po.currency,
        poCreatedAt=po.createdAt,
        manual=True,
        debits=[MatchLine(lineNumber=0, lineItemId=line_item_id, amount=credit)],
    )
    explanation = {
        "creditMemo": {
            "credited": f"{credit:f}",
            "requested": f"{memo.subtotal:f}",
            "note": "matched by hand: a credit memo credits at most what the line item holds",
        }
    }
    return _changed(memo, now, matchStatus="MATCHED", match=match, unmatchedReason=None, matchExplanation=explanation)


def awaiting(original: Invoice, memo: Invoice, now: datetime) -> Invoice:
    """The original, noting that ``memo`` waits for it to be matched."""
    if memo.invoiceId in original.waitingMemos:
        return original
    return _changed(original, now, waitingMemos=[*original.waitingMemos, memo.invoiceId])


def woken(memo: Invoice, now: datetime) -> Invoice | None:
    """A waiting memo made PENDING again (the stream hands it to the matcher), if it still waits."""
    if memo.matchStatus != "UNMATCHED" or memo.approvalStatus != "DRAFT" or memo.match is not None:
        return None
    return _changed(memo, now, matchStatus="PENDING", unmatchedReason=None)


def credit_withdrawn(original: Invoice, amount: Decimal, now: datetime) -> Invoice:
    """The original once a credit memo against it is rejected."""
    return _changed(original, now, creditedAmount=original.creditedAmount - amount)


# --- approval -------------------------------------------------------------------------------------


def exceeds_under(match: Match, matching: Matching, account_currency: str) -> bool:
    """Whether the recorded figures exceed the balance beyond the tolerance of ``matching``."""
    if not match.debited:
        return False
    figures = match.lines or [
        MatchLine(lineNumber=0, lineItemId="", amount=match.amount, availableBalance=match.availableBalance)
    ]
    return any(
        not within_tolerance(
            line.amount, line.availableBalance, matching, currency=match.poCurrency, account_currency=account_currency
        )
        for line in figures
    )


def line_item_mismatch_under(match: Match, matching: Matching, account_currency: str) -> bool:
    """Whether the recorded match is a line-item mismatch under the tolerance of ``matching``. Matched
    line by line, from each line's figures: a line debited from another line item than the one it
    named always is; an exceeding line only beyond this tolerance. Otherwise (a match as a whole, or
    in another currency, where no balance was compared) the recorded flag stands: it records names
    (a line naming a line item the PO lacks or that does not take the invoice), which no setting changes."""
    if match.lines is None or not match.debited:
        return "LINE_ITEM_MISMATCH" in match.flags
    return any(
        line_mismatch(
            line.poLineItemId, line.lineItemId, line.amount, line.availableBalance, matching,
            currency=match.poCurrency, account_currency=account_currency,
        )
        for line in match.lines
    )  # fmt: skip


def submit(invoice: Invoice, settings: Settings, now: datetime, user_id: str) -> Invoice:
    """``DRAFT`` → ``SUBMITTED`` by ``user_id``, re-checking the recorded figures under the settings in force now."""
    _require_approval_status(invoice, "DRAFT", "submitted")
    if invoice.matchStatus == "PENDING":
        raise Conflict("the invoice is still being matched: submit it once it is MATCHED or UNMATCHED")
    rules = settings.matching
    if rules.requirePurchaseOrder and invoice.matchStatus != "MATCHED":
        raise Conflict("requirePurchaseOrder: the invoice is not matched to a PO")
    if invoice.match is not None:
        if rules.blockExceedingBalance and exceeds_under(invoice.match, rules, settings.currency):
            raise Conflict("blockExceedingBalance: the invoice exceeds its PO line item's balance beyond the tolerance")
        if rules.requireLineItemMatch and line_item_mismatch_under(invoice.match, rules, settings.currency):
            raise Conflict("requireLineItemMatch: the invoice carries LINE_ITEM_MISMATCH")
    return _changed(invoice, now, approvalStatus="SUBMITTED", submittedBy=user_id)


def approve(invoice: Invoice, now: datetime, user_id: str, *, separate_approver: bool) -> Invoice:
    """``SUBMITTED`` → ``APPROVED``; with ``separate_approver`` (separation of duties) never by the user
    who submitted it. The write is conditioned on the version read, so who submitted cannot change
    between this check and the approval."""
    _require_approval_status(invoice, "SUBMITTED", "approved")
    if separate_approver and invoice.submittedBy == user_id:
        raise Forbidden("separateApprover: the user who submitted an invoice cannot approve it")
    return _changed(invoice, now, approvalStatus="APPROVED")


def reject(invoice: Invoice, now: datetime, reason: str | None = None) -> Invoice:
    """``SUBMITTED`` → ``REJECTED``; the caller credits a matched invoice back in the same write."""
    _require_approval_status(invoice, "SUBMITTED", "rejected")
    rejected = {"approvalStatus": "REJECTED", "rejectionReason": reason}
    if invoice.matchStatus == "MATCHED":
        return unmatched(invoice, "UNMATCHED_BY_USER", now).replace(**rejected)
    return _changed(invoice, now, **rejected)


# --- the invoice's own history ----------------------------------------------------------------------


def history_events(before: Invoice, after: Invoice, details: dict[str, Any] | None = None) -> list[AuditEvent]:
    """What a change did to an invoice, for its own trail (the store adds who and when): its match
    (MATCHED, REMATCHED, UNMATCHED), credits against it (CREDITED) and its approval (SUBMITTED,
    APPROVED, REJECTED). ``details`` (a reason, the memo that credited it) go on every entry. An
    untrailed match the change supersedes goes on the trail first, as it was made."""
    extra = details or {}
    events: list[AuditEvent] = []
    match_moved = (before.matchStatus, before.match) != (after.matchStatus, after.match)
    if match_moved and before.matchUntrailed:
        events.append(untrailed_event(before))
    if after.matchStatus == "PENDING":
        return events  # a memo woken for the matcher: its match is recorded when it is matched
    if match_moved and not after.matchUntrailed:
        events.append(_match_event(before.match, after, extra))
    credited = after.creditedAmount - before.creditedAmount
    if credited:
        events.append(AuditEvent("CREDITED", {"amount": format_amount(credited, after.currency), **extra}))
    if before.approvalStatus != after.approvalStatus:
        reason = {"reason": after.rejectionReason} if after.approvalStatus == "REJECTED" else {}
        events.append(AuditEvent(after.approvalStatus, {**reason, **extra}))
    return events


def untrailed_event(invoice: Invoice) -> AuditEvent:
    """The entry of an untrailed match (``matchUntrailed``): made by the service when it was matched."""
    assert invoice.match is not None  # noqa: S101 - only a match is left untrailed
    return AuditEvent("MATCHED", _match_event(None, invoice, {}).details, at=invoice.match.matchedAt, by_service=True)


def trail_entries(
    before: Invoice, after: Invoice, also: Sequence[tuple[Invoice, Invoice]] = (), details: dict[str, Any] | None = None
) -> list[tuple[str, AuditEvent]]:
    """(invoice id, event) for every invoice one change writes: the invoice itself, and ``also``
    (as read, as written), the originals a credit memo's change credits or gives back."""
    entries = [(after.invoiceId, event) for event in history_events(before, after, details)]
    for read, written in also:
        entries += [(written.invoiceId, e) for e in history_events(read, written, {"creditMemoId": after.invoiceId})]
    return entries


def _match_event(previous: Match | None, after: Invoice, extra: dict[str, Any]) -> AuditEvent:
    if after.match is None:
        return AuditEvent("UNMATCHED", {"reason": after.unmatchedReason, "poId": previous and previous.poId, **extra})
    match = after.match
    details = {
        "poId": match.poId,
        "lineItemId": match.lineItemId,
        "amount": format_amount(match.amount, after.currency),
        "debited": match.debited,
        "flags": match.flags,
        "manual": match.manual,
        **extra,
    }
    if previous is not None:
        details["previous"] = {"poId": previous.poId, "lineItemId": previous.lineItemId}
        return AuditEvent("REMATCHED", details)
    return AuditEvent("MATCHED", details)


def require_draft(invoice: Invoice, action: str) -> None:
    _require_approval_status(invoice, "DRAFT", action)
    if invoice.matchStatus == "PENDING":
        raise Conflict("the invoice is still being matched")


def _require_approval_status(invoice: Invoice, expected: str, action: str) -> None:
    if invoice.approvalStatus != expected:
        raise Conflict(f"only a {expected} invoice can be {action}; this one is {invoice.approvalStatus}")


# --- presentation ---------------------------------------------------------------------------------


def invoice_view(invoice: Invoice) -> dict[str, Any]:
    currency = invoice.currency
    return {
        "invoiceId": invoice.invoiceId,
        "supplierInvoiceNumber": invoice.supplier_number,
        "documentType": invoice.documentType,
        "originalInvoiceId": invoice.originalInvoiceId,
        "billingEntity": invoice.billingEntity,
        "invoiceType": invoice.invoiceType,
        "issueDate": invoice.issueDate,
        "billingPeriod": invoice.billingPeriod,
        "serviceMonth": invoice.service_month,
        "currency": currency,
        "subtotal": format_amount(invoice.subtotal, currency),
        "tax": format_amount(invoice.tax, currency),
        "total": format_amount(invoice.total, currency),
        "allowanceTotal": _optional_amount(invoice.allowanceTotal, currency),
        "chargeTotal": _optional_amount(invoice.chargeTotal, currency),
        "lines": None if invoice.lines is None else [_line_view(line, currency) for line in invoice.lines],
        "poId": invoice.poId,
        "poReference": invoice.poReference,
        "sourceFormat": invoice.sourceFormat,
        "description": invoice.description,
        "matchStatus": invoice.matchStatus,
        "match": None if invoice.match is None else _match_view(invoice.match, currency),
        "unmatchedReason": invoice.unmatchedReason,
        "matchExplanation": invoice.matchExplanation,
        "creditedAmount": format_amount(invoice.creditedAmount, currency),
        "approvalStatus": invoice.approvalStatus,
        "rejectionReason": invoice.rejectionReason,
        "createdAt": display_timestamp(invoice.createdAt),
        "updatedAt": display_timestamp(invoice.updatedAt),
        "version": invoice.version,
    }


def _line_view(line: InvoiceLine, currency: str) -> dict[str, Any]:
    return {
        "lineNumber": line.lineNumber,
        "lineId": line.lineId,
        "description": line.description,
        "amount": format_amount(line.amount, currency),
        "poLineItemId": line.poLineItemId,
    }


def _optional_amount(amount: Decimal | None, currency: str) -> str | None:
    return None if amount is None else format_amount(amount, currency)


def _match_view(match: Match, currency: str) -> dict[str, Any]:
    """``currency``: the invoice's, what it debited; balances are in the PO's (``poCurrency``)."""
    return {
        "poId": match.poId,
        "lineItemId": match.lineItemId,
        "amount": format_amount(match.amount, currency),
        "availableBalance": _balance_view(match.availableBalance, match.poCurrency),
        "matchedAt": display_timestamp(match.matchedAt),
        "flags": match.flags,
        "lines": None
        if match.lines is None
        else [_match_line_view(line, currency, match.poCurrency) for line in match.lines],
        "month": match.month,
        "manual": match.manual,
    }


def _match_line_view(line: MatchLine, currency: str, po_currency: str) -> dict[str, Any]:
    return {
        "lineNumber": line.lineNumber,
        "lineItemId": line.lineItemId,
        "amount": format_amount(line.amount, currency),
        "availableBalance": _balance_view(line.availableBalance, po_currency),
        "poLineItemId": line.poLineItemId,
    }


def _balance_view(balance: Decimal | None, po_currency: str) -> str | None:
    """None when the PO does not track its balance."""
    return None if balance is None else format_amount(balance, po_currency)
