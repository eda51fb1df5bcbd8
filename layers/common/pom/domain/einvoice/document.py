"""The service's upload document (the JSON contract's fields) from an e-invoice's business terms,
whichever syntax carried them: every term checked, every problem reported at once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pom.core.errors import FieldError, ValidationFailed
from pom.core.money import ZERO
from pom.domain.einvoice.terms import (
    InvoiceTerms,
    LineTerms,
    amount,
    calendar_date,
    currency_code,
    description,
    entity_name,
    month_of,
    read_optional,
    read_required,
    reference,
)

MAX_LINES = 100
INVOICE, CREDIT_MEMO = "INVOICE", "CREDIT_MEMO"
# The totals a negative correction negates and that must then not be negative, with their terms.
_TOTALS = {
    "subtotal": "BT-109",
    "tax": "BT-110",
    "total": "BT-112",
    "allowanceTotal": "BT-107",
    "chargeTotal": "BT-108",
}


def upload_document(terms: InvoiceTerms, source_format: str) -> dict[str, Any]:
    """The contract's fields of the invoice or credit memo; ValidationFailed naming each bad term."""
    errors: list[FieldError] = []
    currency = read_required(errors, ("BT-5",), currency_code, terms.currency)
    document = {
        "sourceFormat": source_format,
        "documentType": CREDIT_MEMO if terms.is_credit_note else INVOICE,
        "supplierInvoiceNumber": read_required(errors, ("BT-1",), reference, terms.number),
        "issueDate": read_required(errors, ("BT-2",), calendar_date, terms.issue_date),
        "currency": currency,
        "billingEntity": read_required(errors, ("BT-27",), entity_name, terms.seller_name),
        "billingPeriod": read_optional(errors, ("BT-73",), month_of, terms.period_start),
        "poReference": read_optional(errors, ("BT-13",), reference, terms.order_reference),
        "precedingInvoiceNumber": read_optional(errors, ("BT-25",), reference, terms.preceding_invoice),
        **_totals(terms, currency, errors),
        "lines": _lines(terms.lines, currency, errors),
        "description": None,
    }
    if errors:
        raise ValidationFailed(errors)
    return _not_negative(_corrected(document))


def _totals(terms: InvoiceTerms, currency: str | None, errors: list[FieldError]) -> dict[str, Decimal | None]:
    return {
        "subtotal": read_required(errors, ("BT-109",), amount, terms.tax_exclusive_total, currency),
        "tax": _tax(terms.tax_totals, currency, errors),
        "total": read_required(errors, ("BT-112",), amount, terms.grand_total, currency),
        "allowanceTotal": read_optional(errors, ("BT-107",), amount, terms.allowance_total, currency),
        "chargeTotal": read_optional(errors, ("BT-108",), amount, terms.charge_total, currency),
    }


def _tax(
    candidates: list[tuple[str | None, str | None]], currency: str | None, errors: list[FieldError]
) -> Decimal | None:
    """BT-110, the VAT total in the invoice currency: a document may add BT-111, the same in the VAT
    accounting currency. A single total without a currency is the document's."""
    if not candidates:
        return ZERO
    if currency is None:
        return None  # BT-5 is already reported: no way to tell BT-110 from BT-111
    in_currency = [text for text, code in candidates if code == currency]
    if not in_currency and len(candidates) == 1 and candidates[0][1] is None:
        in_currency = [candidates[0][0]]
    if not in_currency:
        errors.append(FieldError(("BT-110",), "no VAT total is in the invoice currency (BT-5)"))
        return None
    return read_required(errors, ("BT-110",), amount, in_currency[0], currency)


def _lines(lines: list[LineTerms], currency: str | None, errors: list[FieldError]) -> list[dict[str, Any]] | None:
    if not lines:
        return None
    if len(lines) > MAX_LINES:
        errors.append(FieldError(("lines",), f"at most {MAX_LINES} lines, not {len(lines)}"))
        return None
    return [_line(index, line, currency, errors) for index, line in enumerate(lines)]


def _line(index: int, line: LineTerms, currency: str | None, errors: list[FieldError]) -> dict[str, Any]:
    return {
        "lineNumber": index + 1,
        "lineId": read_optional(errors, ("lines", index, "BT-126"), reference, line.line_id),
        "amount": read_required(errors, ("lines", index, "BT-131"), amount, line.net_amount, currency),
        "description": description(line.item_name),
        "poLineItemId": read_optional(errors, ("lines", index, "BT-132"), reference, line.order_line),
    }


def _corrected(document: dict[str, Any]) -> dict[str, Any]:
    """A document whose total (BT-112) is negative corrects the other way: an invoice is then a credit
    memo for the negated amounts, and a credit note an invoice."""
    if document["total"] >= 0:
        return document
    negated = {field: None if document[field] is None else document[field].copy_negate() for field in _TOTALS}
    lines = document["lines"] and [{**line, "amount": line["amount"].copy_negate()} for line in document["lines"]]
    flipped = CREDIT_MEMO if document["documentType"] == INVOICE else INVOICE
    return {**document, **negated, "lines": lines, "documentType": flipped}


def _not_negative(document: dict[str, Any]) -> dict[str, Any]:
    """Only lines may be negative (a discount line); totals have the sign of the whole document."""
    errors = [
        FieldError((term,), "must not be of the opposite sign to the total (BT-112)")
        for field, term in _TOTALS.items()
        if document[field] is not None and document[field] < 0
    ]
    if errors:
        raise ValidationFailed(errors)
    return document
