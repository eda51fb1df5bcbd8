"""EN 16931 business terms as found in either syntax, and how each one's text is checked and read:
amounts, dates, references, names, and the errors that name the term."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from pom.core.errors import FieldError, ValidationFailed
from pom.core.money import check_minor_units, is_currency, parse_amount, parse_signed_amount
from pom.core.months import parse_month

T = TypeVar("T")
Loc = tuple[str | int, ...]

MAX_REFERENCE_LENGTH = 200
MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 500
# The UNTDID 1001 document type codes (BT-3) that EN 16931 counts as credit notes; all others invoice.
CREDIT_NOTE_TYPE_CODES = frozenset({"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"})
ISO_DATE = "ISO"  # xsd:date, as UBL writes dates; CII names its format by a code ("102" is CCYYMMDD)

# One grammar for every XML amount: the JSON amount's (``pom.core.money``) behind an optional sign.
_DATE_FORMATS = {
    ISO_DATE: (re.compile(r"\A([0-9]{4})-([0-9]{2})-([0-9]{2})\Z"), "YYYY-MM-DD"),
    "102": (re.compile(r"\A([0-9]{4})([0-9]{2})([0-9]{2})\Z"), "CCYYMMDD"),
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class DateText:
    text: str
    format: str  # ISO_DATE, or the udt:DateTimeString format code of a CII date


@dataclass(frozen=True)
class LineTerms:
    line_id: str | None  # BT-126
    net_amount: str | None  # BT-131
    item_name: str | None  # BT-153
    order_line: str | None  # BT-132


@dataclass(frozen=True)
class InvoiceTerms:
    """The business terms the service reads, as the document's text (stripped; None when absent)."""

    credit_note_root: bool  # a UBL CreditNote
    type_code: str | None  # BT-3
    number: str | None  # BT-1
    issue_date: DateText | None  # BT-2
    currency: str | None  # BT-5
    seller_name: str | None  # BT-27
    period_start: DateText | None  # BT-73
    order_reference: str | None  # BT-13
    preceding_invoice: str | None  # BT-25
    allowance_total: str | None  # BT-107
    charge_total: str | None  # BT-108
    tax_exclusive_total: str | None  # BT-109
    grand_total: str | None  # BT-112
    tax_totals: list[tuple[str | None, str | None]]  # BT-110 candidates: (amount, its currencyID)
    lines: list[LineTerms]

    @property
    def is_credit_note(self) -> bool:
        return self.credit_note_root or self.type_code in CREDIT_NOTE_TYPE_CODES


def document_refused(message: str) -> ValidationFailed:
    """A problem with the document as a whole: not well-formed, hostile, of no known kind."""
    return ValidationFailed([FieldError(("body",), message)])


def read_required(
    errors: list[FieldError], loc: Loc, parse: Callable[..., T], text: str | None, *args: object
) -> T | None:
    """``parse(text, *args)``, or None with the problem added to ``errors`` (a missing text is one)."""
    if text is None:
        errors.append(FieldError(loc, "is missing", "missing"))
        return None
    return read_optional(errors, loc, parse, text, *args)


def read_optional(
    errors: list[FieldError], loc: Loc, parse: Callable[..., T], text: str | None, *args: object
) -> T | None:
    """``parse(text, *args)``; None when the text is absent, or bad (the problem added to ``errors``)."""
    if text is None:
        return None
    try:
        return parse(text, *args)
    except ValueError as error:
        errors.append(FieldError(loc, str(error)))
        return None


def amount(text: str, currency: str | None) -> Decimal:
    """An amount, exact, in the service's one amount grammar with a sign (``pom.core.money``); XML's
    ``xs:decimal`` may also write a plus sign, and surrounding whitespace, which are dropped. Within
    the currency's minor units when the currency is known."""
    written = text.strip()
    value = parse_amount(written[1:]) if written.startswith("+") else parse_signed_amount(written)
    if currency is not None:
        check_minor_units(value, currency)
    return value


def calendar_date(found: DateText) -> str:
    """The date written ``YYYY-MM-DD``, from an ISO date or a CII date in format 102 (``CCYYMMDD``)."""
    if found.format not in _DATE_FORMATS:
        raise ValueError('must be a date in format "102" (CCYYMMDD)')
    pattern, written = _DATE_FORMATS[found.format]
    parts = pattern.match(found.text)
    if not parts:
        raise ValueError(f"must be a date written {written}")
    iso = "-".join(parts.groups())
    try:
        date.fromisoformat(iso)
    except ValueError:
        raise ValueError("must be a real calendar date") from None
    return iso


def month_of(found: DateText) -> str:
    """The ``YYYY-MM`` month of the date, within the months the service knows."""
    return parse_month(calendar_date(found)[:7])


def currency_code(text: str) -> str:
    if not is_currency(text):
        raise ValueError('must be an ISO-4217 currency code, e.g. "EUR"')
    return text


def reference(text: str) -> str:
    """An identifier the seller wrote (invoice number, order or line reference), kept verbatim."""
    if len(text) > MAX_REFERENCE_LENGTH or _CONTROL.search(text):
        raise ValueError(f"must be 1 to {MAX_REFERENCE_LENGTH} characters without control characters")
    return text


def entity_name(text: str) -> str:
    """A party's name as the service compares it: inner runs of whitespace collapsed to one space."""
    name = " ".join(text.split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"must be 1 to {MAX_NAME_LENGTH} characters")
    return name


def description(text: str | None) -> str | None:
    """An item's name as a line description, cut to the length the service keeps."""
    return text[:MAX_DESCRIPTION_LENGTH] if text else None
