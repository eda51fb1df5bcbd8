"""Money as Decimal: ISO-4217 currencies, their minor units, parsing and formatting.

Nothing here ever touches binary floating point: JSON numbers reach us as Decimal
(see ``pom.core.jsonio``) and amounts are kept exact to the currency's minor unit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

# Minor units of the active ISO-4217 currencies. Two is the rule; the exceptions are listed.
_ZERO_DECIMALS = {
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF",
    "XOF", "XPF",
}  # fmt: skip
_THREE_DECIMALS = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}
_FOUR_DECIMALS = {"CLF", "UYW"}
_TWO_DECIMALS = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BMD",
    "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CNY",
    "COP", "COU", "CRC", "CUP", "CVE", "CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP",
    "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR",
    "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA",
    "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO",
    "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD",
    "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS",
    "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "USN", "UYU", "UZS", "VED", "VES", "WST", "XCD",
    "XCG", "YER", "ZAR", "ZMW", "ZWG",
}  # fmt: skip

MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(_TWO_DECIMALS, 2),
    **dict.fromkeys(_ZERO_DECIMALS, 0),
    **dict.fromkeys(_THREE_DECIMALS, 3),
    **dict.fromkeys(_FOUR_DECIMALS, 4),
}

# Largest amount accepted anywhere: far above any real bill, far below where Decimal or
# DynamoDB's 38 significant digits would lose precision (with at most four fraction digits, an
# amount has at most 19).
MAX_AMOUNT = Decimal("1e15")
ZERO = Decimal(0)


def is_currency(code: str) -> bool:
    return code in MINOR_UNITS


def minor_units(currency: str) -> int:
    return MINOR_UNITS[currency]


# The one grammar of an amount: ASCII digits, optionally a point and more digits. No sign, exponent,
# padding, underscores or other scripts' digits, all of which Decimal() alone would accept.
_AMOUNT = re.compile(r"\A([0-9]+)(?:\.([0-9]+))?\Z")
_NOT_AN_AMOUNT = 'must be a decimal string of ASCII digits with an optional point, e.g. "1000.00"'


def parse_amount(value: object) -> Decimal:
    """A non-negative amount, read exactly, from a JSON string or number (never a float).

    A JSON number (a Decimal or int from ``pom.core.jsonio``) must write itself in the same grammar,
    so ``1e3``, read as ``Decimal('1E+3')``, is refused like the string ``"1e3"``. Trailing zeros of
    the fraction are dropped (the value is the same): they are not precision, and DynamoDB would
    count them against its 38 digits. Raises ValueError with a message fit for a 422 body.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise ValueError(_NOT_AN_AMOUNT)
    match = _AMOUNT.match(value if isinstance(value, str) else str(value))
    if not match:
        raise ValueError(_NOT_AN_AMOUNT)
    whole, fraction = match.group(1), (match.group(2) or "").rstrip("0")
    amount = Decimal(f"{whole}.{fraction}" if fraction else whole)  # exact: no context rounding
    if amount >= MAX_AMOUNT:
        raise ValueError(f"must be less than {MAX_AMOUNT:,f}")
    return amount


def parse_signed_amount(value: object) -> Decimal:
    """An amount that may be negative (an invoice line: a discount): the same grammar behind an
    optional minus. Minus zero is refused like any sign on zero: write ``0``."""
    text = value if isinstance(value, str) else str(value) if isinstance(value, (int, Decimal)) else None
    if isinstance(value, bool) or text is None:
        raise ValueError(_NOT_AN_AMOUNT)
    if not text.startswith("-"):
        return parse_amount(value)
    magnitude = parse_amount(text[1:])
    if magnitude == 0:
        raise ValueError("minus zero is not an amount: write 0")
    return -magnitude


def fraction_digits(amount: Decimal) -> int:
    """Fraction digits without the trailing zeros, counted exactly (``normalize()`` would round to
    the context's 28 digits and hide a 29th)."""
    return len(f"{amount:f}".partition(".")[2].rstrip("0"))


def check_minor_units(amount: Decimal, currency: str) -> None:
    """Raises ValueError when the amount is finer than the currency's minor unit."""
    places = minor_units(currency)
    if fraction_digits(amount) > places:
        raise ValueError(f"{currency} amounts have at most {places} fraction digits")


def quantize(amount: Decimal, currency: str) -> Decimal:
    """The amount written with exactly the currency's minor units (exact: never rounds a valid amount)."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)))


def format_amount(amount: Decimal, currency: str) -> str:
    return f"{quantize(amount, currency):f}"


def pro_rata(amounts: Sequence[Decimal], total: Decimal, currency: str) -> list[Decimal]:
    """``amounts`` scaled to add up to ``total`` exactly, in the currency's minor units: each gets its
    exact share (amount × total / sum), rounded to the nearest unit, and the rounding remainder goes
    to the largest amounts first, one unit each, to those it keeps within one unit of their share
    (the largest alone in all but contrived cases). So every result lies within one minor unit of
    its exact share. With amounts that sum to zero there are no shares: the largest takes the
    difference. Exact throughout: shares are fractions, never binary floating point."""
    unit = Fraction(1, 10 ** minor_units(currency))
    line_sum = sum(amounts, ZERO)
    largest_first = sorted(range(len(amounts)), key=lambda index: (-amounts[index], index))
    if line_sum == total or not amounts:
        return list(amounts)
    if line_sum == 0:
        spread = list(amounts)
        spread[largest_first[0]] += total
        return spread
    shares = [Fraction(amount) * Fraction(total) / Fraction(line_sum) for amount in amounts]
    units = [round(share / unit) for share in shares]
    remainder = round(Fraction(total) / unit) - sum(units)
    step = 1 if remainder > 0 else -1
    for index in largest_first:
        if remainder == 0:
            break
        if abs((units[index] + step) * unit - shares[index]) <= unit:
            units[index] += step
            remainder -= step
    return [Decimal(count).scaleb(-minor_units(currency)) for count in units]
