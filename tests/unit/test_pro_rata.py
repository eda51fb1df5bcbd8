"""Line debits when document-level allowances and charges make the lines add up to another amount
than the subtotal (API.md: line matching): exact sums, each line within one minor unit of its share."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from pom.core.money import minor_units, pro_rata

CURRENCIES = ["USD", "JPY", "KWD"]


@st.composite
def invoices(draw: st.DrawFn) -> tuple[list[Decimal], Decimal, str]:
    """Lines (some negative: discounts) and a subtotal = lines − allowances + charges ≥ 0."""
    currency = draw(st.sampled_from(CURRENCIES))
    unit = Decimal(1).scaleb(-minor_units(currency))
    units = st.integers(min_value=-50_000, max_value=5_000_000)
    lines = [count * unit for count in draw(st.lists(units, min_size=1, max_size=100))]
    allowance = draw(st.integers(min_value=0, max_value=1_000_000)) * unit
    charge = draw(st.integers(min_value=0, max_value=1_000_000)) * unit
    subtotal = sum(lines, Decimal(0)) - allowance + charge
    return lines, max(subtotal, Decimal(0)), currency


@settings(max_examples=500, deadline=None)
@given(invoices())
def test_line_debits_add_up_to_the_subtotal_each_within_a_minor_unit_of_its_share(
    invoice: tuple[list[Decimal], Decimal, str],
):
    lines, subtotal, currency = invoice
    debits = pro_rata(lines, subtotal, currency)

    assert sum(debits, Decimal(0)) == subtotal
    unit = Fraction(1, 10 ** minor_units(currency))
    line_sum = sum(lines, Decimal(0))
    for line, debit in zip(lines, debits, strict=True):
        assert Fraction(debit) / unit == int(Fraction(debit) / unit)  # whole minor units
        if line_sum != 0:
            share = Fraction(line) * Fraction(subtotal) / Fraction(line_sum)
            assert abs(Fraction(debit) - share) <= unit


def test_lines_that_add_up_are_debited_as_they_are():
    lines = [Decimal("10.00"), Decimal("-2.50"), Decimal("7.50")]
    assert pro_rata(lines, Decimal("15.00"), "EUR") == lines


def test_the_rounding_remainder_goes_to_the_largest_line():
    assert pro_rata([Decimal(1), Decimal(2), Decimal(3)], Decimal("1.00"), "USD") == [
        Decimal("0.17"),
        Decimal("0.33"),
        Decimal("0.50"),
    ]
    # Three equal thirds of 2.00 round to 0.67 each, a cent too many: the first largest line gives it back.
    assert pro_rata([Decimal(100)] * 3, Decimal("200.00"), "USD") == [
        Decimal("66.66"),
        Decimal("66.67"),
        Decimal("66.67"),
    ]


def test_lines_that_cancel_out_put_the_whole_difference_on_the_largest():
    assert pro_rata([Decimal(50), Decimal(-50)], Decimal("10.00"), "USD") == [Decimal("60.00"), Decimal(-50)]
