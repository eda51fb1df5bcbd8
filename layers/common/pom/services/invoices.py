"""Use cases of invoices: upload (API and S3), reading, manual matching, approval.

Uploads write the invoice ``PENDING`` with a conditional put; the matcher takes it from the
table's stream. Every user change is conditioned on the invoice's version and, when it moves a
balance, on the PO's rev, in one transaction with its ledger and audit entries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from pom.adapters.documents import LINK_SECONDS, DocumentGone, DocumentStore
from pom.core import page_tokens
from pom.core.errors import (
    BadRequest,
    Conflict,
    FieldError,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
    check_if_match,
)
from pom.core.months import utc_now
from pom.domain import invoice_documents as documents_in
from pom.domain import invoices, ledger
from pom.domain.audit import Actor, AuditEvent, system_actor
from pom.domain.invoice_documents import ReceivedDocument
from pom.domain.invoices import Invoice
from pom.domain.ledger import PurchaseOrderMovement, numbered, po_movement
from pom.domain.matching import (
    Debit,
    Decision,
    available_balance,
    flags_for,
    line_item_refusal,
    po_refusal,
    within_tolerance,
)
from pom.domain.models import Settings, normalize_entity
from pom.domain.purchase_orders import LineItem, PurchaseOrder
from pom.services.waiting_memos import wake_memos
from pom.store.ports import (
    InvoiceChanged,
    InvoiceStore,
    Page,
    PurchaseOrderChanged,
    PurchaseOrderStore,
    SettingsStore,
    StaleWrite,
    UploadStore,
)

if TYPE_CHECKING:  # validated by pom.domain.invoice_documents; a match by hand's body, by the API
    from pom.domain.inputs import InvoiceDocument
    from pom.domain.requests import ManualMatch

MAX_S3_DOCUMENT_BYTES = 20 * 2**20  # larger objects are REJECTED unread


class Received(NamedTuple):
    document: InvoiceDocument
    source_format: str  # JSON | UBL | CII | FACTURX | AWS


class InvoiceWrite(NamedTuple):
    """What one user change writes: the invoice, the POs' balances, and other invoices it updates."""

    after: Invoice
    changes: Sequence[PurchaseOrderMovement] = ()
    also: Sequence[tuple[Invoice, Invoice]] = ()  # other invoices: (as read, as written)


Change = Callable[[Invoice, datetime], InvoiceWrite]
_ATTEMPTS = 4


class InvoiceService:
    def __init__(
        self, purchase_orders: PurchaseOrderStore, invoices: InvoiceStore, settings: SettingsStore,
        uploads: UploadStore, documents: DocumentStore, *, clock: Callable[[], datetime] = utc_now,
    ):  # fmt: skip
        self.purchase_orders = purchase_orders
        self.invoices = invoices
        self.settings = settings
        self.uploads = uploads
        self.documents = documents
        self.clock = clock

    # --- ingestion ------------------------------------------------------------------------------

    def upload(self, actor: Actor, body: bytes, content_type: str | None) -> tuple[Invoice, bool]:
        """``POST /invoices``: a JSON, XML or PDF document by its content type. Keeps the original and
        writes the invoice PENDING; the same invoice received before (by id, or by billing entity,
        document type and supplier number with the same figures) returns the existing one (``False``:
        not created); the same id or number with other content or figures is a conflict."""
        kind = documents_in.media_type(content_type)
        if kind is None:
            raise BadRequest("an invoice is application/json, application/xml (UBL or CII) or application/pdf")
        received = self._received(actor.account_id, body, kind)
        invoice, outcome = self._store_and_create(actor.account_id, received, body, actor)
        return invoice, outcome == "ACCEPTED"

    def _received(self, account_id: str, body: bytes, kind: str) -> Received:
        """The upload document a body holds, validated (errors of a standard document name business terms)."""
        if kind == documents_in.JSON:
            document = documents_in.json_document(body)
            invoices.validate_document(document, account_id)
            return Received(document, "JSON")
        return self._resolved(account_id, documents_in.read_einvoice(body, kind))

    def _resolved(
        self, account_id: str, read: ReceivedDocument, invoice_type: str | None = None,
        rename: Callable[[FieldError], FieldError] = documents_in.by_business_term,
    ) -> Received:  # fmt: skip
        """A standard document's upload document, with what the service resolves: its id (derived), its
        type (``invoice_type``, else the settings' for its entity) and the invoice a credit memo
        corrects; errors name the document's own terms (``rename``)."""
        fields = read.fields
        entity, document_type = fields["billingEntity"], fields["documentType"]
        if invoice_type is None:
            einvoicing = self.settings.get(account_id).settings.einvoicing
            invoice_type = einvoicing.invoiceTypeByEntity.get(normalize_entity(entity), einvoicing.defaultInvoiceType)
        original = None
        if document_type == "CREDIT_MEMO" and read.preceding_number is not None:
            original = self._invoice_id_of(account_id, entity, read.preceding_number)
        document = documents_in.einvoice_document(
            read,
            invoices.derived_invoice_id(entity, document_type, fields["supplierInvoiceNumber"]),
            invoice_type,
            original,
            rename,
        )
        try:
            invoices.validate_document(document, account_id, original_required=False)
        except ValidationFailed as failed:
            raise ValidationFailed([rename(error) for error in failed.errors]) from None
        return Received(document, read.source_format)

    def receive_document(
        self, account_id: str, read: ReceivedDocument, original: Callable[[], bytes], *,
        invoice_type: str | None = None, rename: Callable[[FieldError], FieldError] = documents_in.by_business_term,
    ) -> tuple[Invoice, str]:  # fmt: skip
        """A document another channel read (the AWS import), received by the service (``system``) as an
        upload is: (the new invoice, ``ACCEPTED``) or (the one it duplicates, ``DUPLICATE``); Conflict
        when its supplier number is taken with other figures. ``original()`` gives the bytes to keep,
        and is called only for a new invoice: a document received before is told by its supplier
        number (one read, or two when found) without fetching it again."""
        received = self._resolved(account_id, read, invoice_type, rename)
        document = received.document
        number = document.supplierInvoiceNumber or document.invoiceId
        holder = self.invoices.by_supplier_number(
            account_id, invoices.supplier_identity(document.billingEntity, document.documentType, number)
        )
        if holder is None:
            return self._store_and_create(account_id, received, original(), system_actor(account_id))
        digest = invoices.content_hash(document)
        again = invoices.new_invoice(
            account_id, document, self.clock(), holder.documentKey, digest, source_format=received.source_format
        )
        if not invoices.same_invoice(holder, again):
            raise Conflict(invoices.collision(holder, again))
        return holder, "DUPLICATE"

    def _invoice_id_of(self, account_id: str, entity: str, supplier_number: str) -> str:
        """The id of the invoice a credit note corrects (BT-25): the account's invoice with that number
        from that entity, whatever its format; else the id it will have if it comes as an e-invoice."""
        holder = self.invoices.by_supplier_number(
            account_id, invoices.supplier_identity(entity, "INVOICE", supplier_number)
        )
        return (
            holder.invoiceId if holder is not None else invoices.derived_invoice_id(entity, "INVOICE", supplier_number)
        )

    def _store_and_create(
        self, account_id: str, received: Received, original: bytes, received_by: Actor, received_from: str | None = None
    ) -> tuple[Invoice, str]:
        """Keeps the original and creates the invoice: (the invoice, ``ACCEPTED``), or (the one it
        duplicates, ``DUPLICATE``). The original, exactly as received, goes under ``originals/``
        where nothing overwrites it (the download link serves it with its own content type).
        ``received_from``: the S3 object version it was read from, so a redelivered event is
        recognized as the same upload, not a duplicate of it."""
        document, source_format = received
        digest = invoices.content_hash(document)
        kind = documents_in.MEDIA_TYPES[source_format]
        # Named by the bytes' digest: the same invoice in another format is another original, kept beside it.
        original_digest = hashlib.sha256(original).hexdigest()
        folder = invoices.originals_folder(account_id, document.invoiceId)
        key = f"{folder}{original_digest}.{documents_in.EXTENSIONS[kind]}"
        self.documents.put(key, original, kind)
        invoice = invoices.new_invoice(
            account_id, document, self.clock(), key, digest,
            received_by=received_by, source_format=source_format, received_from=received_from,
        )  # fmt: skip
        existing = self.invoices.create(invoice)
        if existing is None or (received_from is not None and existing.receivedFrom == received_from):
            return existing or invoice, "ACCEPTED"
        if invoices.same_invoice(existing, invoice):
            return existing, "DUPLICATE"
        raise Conflict(invoices.collision(existing, invoice))

    def ingest_object(
        self, account_id: str, key: str, version: str, body: bytes | None, received_at: str, *, size: int = 0
    ) -> dict[str, Any]:
        """One object version put under ``invoices/<account>/``: the invoice it holds, the one it
        duplicates, or why it is rejected (``body`` None: that version no longer exists, or, with
        ``size`` over the limit, it was not read). The object itself is never changed or deleted;
        the outcome is recorded per key and version (``version``: the event's versionId, else its
        sequencer), so a redelivered event records it once."""
        outcome: dict[str, Any] = {"key": key, "receivedAt": received_at, "invoiceId": None, "error": None}
        try:
            if max(size, len(body or b"")) > MAX_S3_DOCUMENT_BYTES:
                raise PayloadTooLarge(f"the object is larger than {MAX_S3_DOCUMENT_BYTES // 2**20} MiB: not read")
            if body is None:
                raise DocumentGone(key)
            kind = documents_in.sniffed_media_type(body)
            if kind is None:
                raise BadRequest("not an invoice document: neither JSON, XML (UBL or CII) nor PDF")
            received = self._received(account_id, body, kind)
            received_from = f"{key}?versionId={version}"
            invoice, status = self._store_and_create(
                account_id, received, body, system_actor(account_id), received_from
            )
            outcome.update(status=status, invoiceId=invoice.invoiceId)
        except (ValidationFailed, Conflict, BadRequest, PayloadTooLarge) as error:
            outcome.update(status="REJECTED", error=error.detail)
        except DocumentGone:
            outcome.update(status="REJECTED", error="the object (version) no longer exists")
        self.uploads.record(account_id, version, outcome)
        return outcome

    # --- reading --------------------------------------------------------------------------------

    def get(self, account_id: str, invoice_id: str) -> Invoice:
        invoice = self.invoices.get(account_id, invoice_id)
        if invoice is None:
            raise NotFound(f"invoice {invoice_id!r} not found")
        return invoice

    def list(self, account_id: str, limit: int, token: str | None, **filters: str | None) -> Page:
        return self.invoices.list(account_id, limit, token, **filters)

    def of_purchase_order(self, account_id: str, po_id: str, limit: int, token: str | None) -> Page:
        page = self.invoices.list(account_id, limit, token, po_id=po_id)
        if not page.items and token is None and self.purchase_orders.get(account_id, po_id) is None:
            raise NotFound(f"PO {po_id!r} not found")
        return page

    def history(self, account_id: str, invoice_id: str, limit: int, token: str | None) -> Page:
        """The invoice's trail, newest first, then the entries the invoice records itself (its
        untrailed match, its receipt: ``invoices.recorded_entries``), paged as one list."""
        invoice = self.get(account_id, invoice_id)
        recorded = invoices.recorded_entries(invoice)
        skip = _recorded_offset(token, invoice_id, len(recorded))
        items: list[dict[str, Any]] = []
        if skip is None:
            page = self.invoices.history(account_id, invoice_id, limit, token)
            if page.next_token is not None:
                return page
            items, skip = page.items, 0
        shown = recorded[skip : skip + limit - len(items)]
        more = skip + len(shown) < len(recorded)
        return Page([*items, *shown], _recorded_token(invoice_id, skip + len(shown)) if more else None)

    def document_link(self, account_id: str, invoice_id: str) -> dict[str, Any]:
        invoice = self.get(account_id, invoice_id)
        return {"url": self.documents.link(invoice.documentKey), "expiresInSeconds": LINK_SECONDS}

    def upload_outcomes(self, account_id: str, status: str | None, limit: int, token: str | None) -> Page:
        return self.uploads.list(account_id, status, limit, token)

    # --- user changes ---------------------------------------------------------------------------

    def rematch(self, actor: Actor, invoice_id: str, target: ManualMatch, if_match: str | None) -> Invoice:
        return self._change(
            actor, invoice_id, if_match, lambda invoice, now: self._rematch(actor, invoice, target, now)
        )

    def unmatch(self, actor: Actor, invoice_id: str, if_match: str | None) -> Invoice:
        def change(invoice: Invoice, now: datetime) -> InvoiceWrite:
            invoices.require_draft(invoice, "unmatched")
            if invoice.matchStatus != "MATCHED":
                raise Conflict(f"invoice {invoice.invoiceId!r} is not matched")
            self._require_no_credits(invoice)
            after = invoices.unmatched(invoice, "UNMATCHED_BY_USER", now, {"unmatchedBy": actor.name})
            return self._credited_back(invoice, after)

        return self._change(actor, invoice_id, if_match, change)

    def submit(self, actor: Actor, invoice_id: str, if_match: str | None) -> Invoice:
        settings = self.settings.get(actor.account_id).settings
        return self._change(
            actor,
            invoice_id,
            if_match,
            lambda invoice, now: InvoiceWrite(invoices.submit(invoice, settings, now, actor.user_id)),
        )

    def approve(self, actor: Actor, invoice_id: str, if_match: str | None) -> Invoice:
        separate = self.settings.get(actor.account_id).settings.approval.separateApprover

        def change(invoice: Invoice, now: datetime) -> InvoiceWrite:
            return InvoiceWrite(invoices.approve(invoice, now, actor.user_id, separate_approver=separate))

        return self._change(actor, invoice_id, if_match, change)

    def reject(self, actor: Actor, invoice_id: str, if_match: str | None, reason: str | None = None) -> Invoice:
        """``SUBMITTED`` → ``REJECTED``: a matched invoice is unmatched and credited back, a matched
        credit memo's credit is reversed, in the same write."""

        def change(invoice: Invoice, now: datetime) -> InvoiceWrite:
            after = invoices.reject(invoice, now, reason)
            if invoice.matchStatus != "MATCHED":
                return InvoiceWrite(after)
            if invoice.documentType == "CREDIT_MEMO" and invoice.match is not None and not invoice.match.manual:
                return self._memo_reversed(invoice, after, now)
            return self._credited_back(invoice, after)

        return self._change(actor, invoice_id, if_match, change)

    def _change(self, actor: Actor, invoice_id: str, if_match: str | None, change: Change) -> Invoice:
        for _ in range(_ATTEMPTS):
            invoice = self.get(actor.account_id, invoice_id)
            check_if_match(invoice.version, if_match, f"invoice {invoice_id!r}")
            after, changes, also = change(invoice, self.clock())
            if after is invoice:
                return invoice
            after = numbered(after, changes)
            history = invoices.trail_entries(invoice, after, also)
            written = [(record, read.version) for read, record in also]
            try:
                self.invoices.save_change(after, invoice.version, changes, actor, also=written, history=history)
            except (InvoiceChanged, PurchaseOrderChanged, StaleWrite):
                continue  # moved meanwhile (the matcher, another user): decide again on fresh state
            return after
        raise Conflict(f"invoice {invoice_id!r} kept changing: retry")

    def _credited_back(self, before: Invoice, after: Invoice) -> InvoiceWrite:
        """The credit that undoes ``before``'s match (nothing to move if its PO was deleted, even if
        its id names a new PO now)."""
        assert before.match is not None  # noqa: S101
        po = self.purchase_orders.get(before.accountId, before.match.poId)
        if po is None or not ledger.holds_on(before, po):
            return InvoiceWrite(after)
        credits = ledger.undo_of(before, po)
        reason = after.unmatchedReason or "UNMATCHED"
        return InvoiceWrite(
            after, [po_movement(po, credits, after, action="INVOICE_UNMATCHED", reason=reason, alert_percents=[])]
        )

    def _memo_reversed(self, memo: Invoice, after: Invoice, now: datetime) -> InvoiceWrite:
        """A rejected credit memo gives its credit back: the line items it credited are debited
        again and its original holds that much again. Once the original itself no longer holds on
        that PO (rejected, unmatched, its PO deleted), its credit back already left the memo's part
        out, so nothing moves."""
        assert memo.match is not None  # noqa: S101
        assert memo.originalInvoiceId is not None  # noqa: S101
        original = self.invoices.get(memo.accountId, memo.originalInvoiceId)
        po = self.purchase_orders.get(memo.accountId, memo.match.poId)
        if original is None or not (ledger.holds_on(memo, po) and ledger.holds_on(original, po)):
            return InvoiceWrite(after)
        assert po is not None  # noqa: S101 - holds_on says so
        movements = ledger.memo_reversal(memo, po)
        change = po_movement(
            po, movements, after, action="INVOICE_UNMATCHED", reason="CREDIT_MEMO_REJECTED", alert_percents=[]
        )
        original_after = invoices.credit_withdrawn(original, memo.match.amount, now)
        return InvoiceWrite(after, [change], [(original, original_after)])

    @staticmethod
    def _require_no_credits(invoice: Invoice) -> None:
        if invoice.documentType == "CREDIT_MEMO" and invoice.match is not None and not invoice.match.manual:
            raise Conflict("a credit memo's match follows its original invoice and cannot be changed")
        if invoice.creditedAmount > 0:
            raise Conflict("credit memos have been applied against this invoice: its match can no longer change")

    def _rematch(self, actor: Actor, invoice: Invoice, target: ManualMatch, now: datetime) -> InvoiceWrite:
        """Takes the match off its old line item and puts it on the chosen one in one step, under
        the account's rules: an invoice debits it, a credit memo credits it (at most what it holds)."""
        invoices.require_draft(invoice, "rematched")
        self._require_no_credits(invoice)
        old = invoice.match
        po_ids = [target.poId] + ([old.poId] if old is not None and old.poId != target.poId else [])
        versioned, found = self.purchase_orders.with_settings(invoice.accountId, po_ids)
        pos = {po.poId: po for po in found}
        po = pos.get(target.poId)
        unchanged = old is not None and (old.poId, old.lineItemId, old.lines) == (target.poId, target.lineItemId, None)
        if unchanged and ledger.holds_on(invoice, po):
            return InvoiceWrite(invoice)  # already there (on this very PO, not one whose id was used again)
        po, item = _target_line_item(invoice, po, target)
        old_po = pos.get(old.poId) if old is not None and ledger.holds_on(invoice, pos.get(old.poId)) else None
        undo = ledger.undo_of(invoice, old_po) if old_po is not None else []
        same_po = old_po is not None and old_po.poId == po.poId
        base = ledger.apply(po, undo) if same_po else po
        if invoice.documentType == "CREDIT_MEMO":
            after = _credited_by_hand(invoice, base, item.lineItemId, now)
        else:
            after = _debited_by_hand(actor, invoice, base, item, versioned.settings, now=now)
        after, woken = wake_memos(self.invoices, after, now)
        moves = ledger.match_movements(after, po)
        percents = versioned.settings.notifications.balanceAlertPercents
        if same_po:
            change = po_movement(
                po, undo + moves, after, action="INVOICE_MATCHED", reason="REMATCH", alert_percents=percents,
                forecast_alerts=versioned.settings.notifications.forecastAlerts,
            )  # fmt: skip
            unmatched_event = AuditEvent("INVOICE_UNMATCHED", {"invoiceId": invoice.invoiceId, "reason": "REMATCH"})
            return InvoiceWrite(after, [change._replace(events=[unmatched_event, *change.events])], woken)
        changes = []
        if old_po is not None and undo:
            changes.append(
                po_movement(old_po, undo, after, action="INVOICE_UNMATCHED", reason="REMATCH", alert_percents=[])
            )
        changes.append(
            po_movement(
                po,
                moves,
                after,
                action="INVOICE_MATCHED",
                reason="REMATCH",
                alert_percents=percents,
                forecast_alerts=versioned.settings.notifications.forecastAlerts,
            )
        )
        return InvoiceWrite(after, changes, woken)


def _target_line_item(
    invoice: Invoice, po: PurchaseOrder | None, target: ManualMatch
) -> tuple[PurchaseOrder, LineItem]:
    """The PO and line item a manual match names, if they exist (422) and can take the invoice (409:
    the one fit check automatic matching uses; a credit memo also needs the PO's currency)."""
    if po is None:
        raise ValidationFailed([FieldError(("body", "poId"), f"no PO {target.poId!r} in this account")])
    item = po.line_item(target.lineItemId)
    if item is None:
        raise ValidationFailed([FieldError(("body", "lineItemId"), f"PO {po.poId!r} has no such line item")])
    refusal = po_refusal(po, invoice.facts()) or line_item_refusal(item, invoice.invoiceType, invoice.service_month)
    if refusal is None and invoice.documentType == "CREDIT_MEMO" and po.currency != invoice.currency:
        refusal = f"a credit memo in {invoice.currency} cannot credit a PO in {po.currency}"
    if refusal is not None:
        raise Conflict(f"PO {po.poId!r} line item {item.lineItemId!r} cannot take the invoice: {refusal}")
    return po, item


def _credited_by_hand(memo: Invoice, po: PurchaseOrder, line_item_id: str, now: datetime) -> Invoice:
    """The memo on that line item, crediting at most what it holds (``po``: as the old match's
    removal leaves it)."""
    item = po.line_item(line_item_id)
    assert item is not None  # noqa: S101 - checked by _target_line_item
    credit = min(memo.subtotal, ledger.invoiced_on(item, memo.service_month))
    if credit <= 0:
        raise Conflict(f"line item {line_item_id!r} holds nothing invoiced to credit")
    return invoices.credited_by_hand(memo, po, line_item_id, credit, now)


def _debited_by_hand(
    actor: Actor, invoice: Invoice, base: PurchaseOrder, item: LineItem, settings: Settings, *, now: datetime
) -> Invoice:
    """The invoice on that line item (``base``: the PO as the old match's removal leaves it), refused
    when blockExceedingBalance and it exceeds beyond the tolerance."""
    rules, account_currency = settings.matching, settings.currency
    available = available_balance(base, item, invoice.service_month)
    within = within_tolerance(
        invoice.subtotal, available, rules, currency=base.currency, account_currency=account_currency
    )
    if rules.blockExceedingBalance and base.currency == invoice.currency and not within:
        raise Conflict("blockExceedingBalance: the invoice exceeds that line item's balance beyond the tolerance")
    debit = Debit(base.poId, item.lineItemId, invoice.subtotal, available, item.period(invoice.service_month))
    flags = flags_for(invoice.facts(), base, [debit], rules, account_currency=account_currency)
    previous = None if invoice.match is None else invoice.match.to_document(text_decimals=True)
    explanation = {"manual": {"by": actor.name, "previous": previous}}
    return invoices.matched(invoice, Decision(base, (debit,), flags, explanation=explanation), now, manual=True)


def _recorded_token(invoice_id: str, offset: int) -> str:
    """The token of a history page that starts ``offset`` entries into the invoice's recorded ones."""
    return page_tokens.encode({"recordedOf": invoice_id, "offset": offset})


def _recorded_offset(token: str | None, invoice_id: str, recorded: int) -> int | None:
    """The offset a ``_recorded_token`` of this invoice's history (``recorded`` entries of its own)
    carries; None for any other token (the trail's own, which its store checks)."""
    plain = None if token is None else page_tokens.decode(token)
    if not isinstance(plain, dict) or "recordedOf" not in plain:
        return None
    offset = plain.get("offset")
    if plain["recordedOf"] != invoice_id or not isinstance(offset, int) or not 0 <= offset <= recorded:
        raise page_tokens.bad_token()
    return offset
