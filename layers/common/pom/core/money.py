"""Money as Decimal: ISO-4217 currencies, their minor units, parsing and formatting.

Nothing here ever touches binary floating point: JSON numbers reach us as Decimal
(see ``pom.core.jsonio``) and amounts are kept exact to the currency's minor unit.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

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
# DynamoDB's 38 significant digits would lose precision.
MAX_AMOUNT = Decimal("1e15")
ZERO = Decimal(0)


def is_currency(code: str) -> bool:
    return code in MINOR_UNITS


def minor_units(currency: str) -> int:
    return MINOR_UNITS[currency]


def parse_amount(value: object) -> Decimal:
    """A non-negative, finite amount from a JSON string or number (never a float).

    Raises ValueError with a message fit for a 422 body.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise ValueError('must be a decimal string or number, e.g. "1000.00"')
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValueError('must be a decimal string or number, e.g. "1000.00"') from None
    if not amount.is_finite():
        raise ValueError("must be a finite amount")
    if amount < 0:
        raise ValueError("must not be negative")
    if amount >= MAX_AMOUNT:
        raise ValueError(f"must be less than {MAX_AMOUNT:,f}")
    return amount + 0  # normalises -0 to 0


def fraction_digits(amount: Decimal) -> int:
    exponent = amount.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


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
