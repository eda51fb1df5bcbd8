"""Money (Decimal, minor units) and months (YYYY-MM): the pure building blocks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from boto3.dynamodb.types import TypeSerializer
from hypothesis import given
from hypothesis import strategies as st

from pom.core import jsonio
from pom.core.money import MINOR_UNITS, check_minor_units, format_amount, fraction_digits, parse_amount
from pom.core.months import (
    add_months,
    month_count,
    month_index,
    month_is_over,
    months_between,
    parse_month,
)

# Years to 8999, so that adding up to 1,000 months stays a four-digit YYYY-MM.
months = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(1900, 8999), st.integers(1, 12))
po_months = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(2000, 2099), st.integers(1, 12))
currencies = st.sampled_from(sorted(MINOR_UNITS))


@st.composite
def amounts_in(draw: st.DrawFn, currency: str) -> Decimal:
    minor = draw(st.integers(0, 10**14))
    return Decimal(minor).scaleb(-MINOR_UNITS[currency])


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", "0"), ("1000", "1000"), ("1000.10", "1000.10"), (250, "250"), (Decimal("12.5"), "12.5"), (12, "12")],
)
def test_parse_amount_accepts_strings_integers_and_decimals(value: object, expected: str):
    assert parse_amount(value) == Decimal(expected)


@pytest.mark.parametrize("value", [0.1, True, None, [], "abc", "NaN", "Infinity", "-1", "1e15", Decimal("1e400"), ""])
def test_parse_amount_refuses_floats_and_non_amounts(value: object):
    with pytest.raises(ValueError, match=r"."):
        parse_amount(value)


# Decimal() takes all of these: Arabic-Indic and full-width digits, underscores, a sign, padding, an exponent.
LOOSE_AMOUNTS = ["\u0661\u0660\u0660\u0660", "\uff11\uff10\uff10", "1_000", "+100", " 100.00 ", "1e3", "100.00\n"]


@pytest.mark.parametrize(
    "value",
    [*LOOSE_AMOUNTS, "0E-1000", Decimal("0E-1000"), Decimal("1E+3"), Decimal("-0.0"), "1.", ".5", "1.2.3"],
)
def test_parse_amount_refuses_whatever_is_not_the_grammar(value: object):
    with pytest.raises(ValueError, match="decimal string of ASCII digits"):
        parse_amount(value)


def test_parse_amount_never_rounds():
    amount = parse_amount("100.0000000000000000000000000001")  # 31 digits: past Decimal's default 28
    assert amount == Decimal("100.0000000000000000000000000001")
    assert fraction_digits(amount) == 28
    with pytest.raises(ValueError, match="at most 2"):
        check_minor_units(amount, "USD")


digit_strings = st.text(alphabet="0123456789", min_size=1, max_size=15)
# Texts in the grammar below MAX_AMOUNT: leading zeros, up to 15 significant digits, any fraction.
amount_texts = st.builds(
    lambda zeros, whole, fraction: "0" * zeros + whole + (f".{fraction}" if fraction else ""),
    st.integers(0, 40),
    digit_strings,
    st.none() | st.text(alphabet="0123456789", min_size=1, max_size=60),
)
not_in_the_grammar = st.sampled_from(["+", "-", "e", "E", " ", "\t", "\n", "\u00a0", "_", ","]) | st.characters(
    categories=["Nd"]
).filter(lambda char: not "0" <= char <= "9")


@given(amount_texts)
def test_every_text_in_the_grammar_is_read_exactly(text: str):
    assert parse_amount(text) == Decimal(text)


@given(amount_texts, not_in_the_grammar, st.data())
def test_a_sign_exponent_space_underscore_or_other_digit_anywhere_is_refused(
    text: str, intruder: str, data: st.DataObject
):
    at = data.draw(st.integers(0, len(text)))
    with pytest.raises(ValueError, match="decimal string of ASCII digits"):
        parse_amount(text[:at] + intruder + text[at:])


@given(currencies, digit_strings, st.data(), st.integers(0, 60))
def test_every_valid_amount_fits_a_dynamodb_number(currency: str, whole: str, data: st.DataObject, zeros: int):
    """boto3 refuses (a 5xx) a number past DynamoDB's 38 digits or its exponent range, even trailing zeros."""
    fraction = data.draw(st.text(alphabet="0123456789", max_size=MINOR_UNITS[currency])) + "0" * zeros
    amount = parse_amount(f"{whole}.{fraction}" if fraction else whole)
    check_minor_units(amount, currency)
    assert TypeSerializer().serialize(amount) == {"N": f"{amount:f}"}


def test_minor_units_of_known_currencies():
    assert (MINOR_UNITS["USD"], MINOR_UNITS["JPY"], MINOR_UNITS["KWD"], MINOR_UNITS["CLF"]) == (2, 0, 3, 4)
    check_minor_units(Decimal("1.10"), "USD")  # trailing zeros are not extra precision
    with pytest.raises(ValueError, match="at most 0"):
        check_minor_units(Decimal("1.5"), "JPY")


@given(st.data(), currencies)
def test_formatting_round_trips_exactly(data: st.DataObject, currency: str):
    amount = data.draw(amounts_in(currency))
    text = format_amount(amount, currency)
    assert parse_amount(text) == amount
    assert fraction_digits(Decimal(text)) <= MINOR_UNITS[currency]
    assert ("." in text) == (MINOR_UNITS[currency] > 0)


@given(st.lists(st.decimals(min_value=0, max_value=10**9, places=2), max_size=20))
def test_sums_of_parsed_amounts_are_exact(values: list[Decimal]):
    document = jsonio.loads(json.dumps([f"{value:f}" for value in values]))
    assert sum(parse_amount(value) for value in document) == sum(values)


def test_json_numbers_are_decimal_and_nan_is_refused():
    assert jsonio.loads('{"a": 0.1, "b": 2}') == {"a": Decimal("0.1"), "b": 2}
    assert jsonio.loads("1e400") == Decimal("1e400")
    for text in ("NaN", "[Infinity]", "-Infinity", "[" * 100_000 + "]" * 100_000):
        with pytest.raises(json.JSONDecodeError):
            jsonio.loads(text)
    assert jsonio.dumps({"x": Decimal("1.50")}) == '{"x":"1.50"}'


@given(po_months)
def test_parse_month_accepts_real_months(month: str):
    assert parse_month(month) == month


@pytest.mark.parametrize(
    "text",
    ["2026-13", "2026-00", "2026-1", "26-01", "2026-01-01", " 2026-01", "2026-01\n", "\u0662\u0660\u0662\u0666-01"],
)
def test_parse_month_refuses_the_rest(text: str):
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month(text)


@pytest.mark.parametrize("text", ["1999-12", "2100-01", "9999-12", "0000-01"])
def test_parse_month_refuses_months_out_of_range(text: str):
    with pytest.raises(ValueError, match=r"2000-01\.\.2099-12"):
        parse_month(text)


def test_the_months_range_is_inclusive():
    assert (parse_month("2000-01"), parse_month("2099-12")) == ("2000-01", "2099-12")


@given(months, st.integers(-1000, 1000))
def test_month_arithmetic(month: str, count: int):
    later = add_months(month, count)
    assert month_index(later) - month_index(month) == count
    assert add_months(later, -count) == month
    if count >= 0:
        span = months_between(month, later)
        assert len(span) == month_count(month, later) == count + 1
        assert span == sorted(span)  # string order is month order
        assert span[0] == month
        assert span[-1] == later


def test_a_month_is_over_after_its_last_instant_utc():
    assert not month_is_over("2026-11", datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC))
    assert month_is_over("2026-11", datetime(2026, 12, 1, tzinfo=UTC))
    assert month_is_over("2025-12", datetime(2026, 1, 1, tzinfo=UTC))
