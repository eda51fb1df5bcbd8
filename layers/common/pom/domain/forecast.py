"""Whether a PO's balance lasts to its expiration month (API.md: ``forecast``). Pure Python, no I/O.

The run rate is the average of the PO's net debits (debits less credits) per service month over
the last three whole calendar months before now in which the PO was in effect (fewer if it is
younger; none before a whole month has passed). It comes from the monthly sums kept with every
balance movement, so no invoice is read. The projection adds, for the current month, what the run
rate expects beyond what it has already debited, and the run rate for each month after it up to the
expiration month; the balance is projected to run out in the first month where the projected
invoiced amount reaches the total.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pom.core.money import ZERO, format_amount, minor_units
from pom.core.months import add_months, month_index, months_between

RUN_RATE_MONTHS = 3


def forecast(
    monthly: dict[str, Decimal], *, total: Decimal | None, invoiced: Decimal | None, effective: str, expiration: str,
    current_month: str, currency: str,
) -> dict[str, Any] | None:  # fmt: skip
    """The contract's ``forecast`` (None without balance tracking)."""
    if total is None or invoiced is None:
        return None
    rate = run_rate(monthly, effective, expiration, current_month, currency)
    if rate is None:
        return {"monthlyRunRate": None, "projectedDepletionMonth": None, "projectedInvoicedAtExpiration": None}
    projected, depletion = invoiced, None if invoiced < total else current_month
    for month in months_between(current_month, expiration):
        expected = max(rate - monthly.get(month, ZERO), ZERO) if month == current_month else rate
        projected += expected
        if depletion is None and projected >= total and expected > 0:
            depletion = month
    return {
        "monthlyRunRate": format_amount(rate, currency),
        "projectedDepletionMonth": depletion,
        "projectedInvoicedAtExpiration": format_amount(projected, currency),
    }


def run_rate(
    monthly: dict[str, Decimal], effective: str, expiration: str, current_month: str, currency: str
) -> Decimal | None:
    """The average net debit of the last (up to) three whole months in effect; None if there is none."""
    whole = [
        month
        for month in months_between(add_months(current_month, -RUN_RATE_MONTHS), add_months(current_month, -1))
        if effective <= month <= expiration
    ]
    if not whole:
        return None
    average = sum((monthly.get(month, ZERO) for month in whole), ZERO) / len(whole)
    return average.quantize(Decimal(1).scaleb(-minor_units(currency)))


def runs_out_early(projection: dict[str, Any] | None, expiration: str) -> bool:
    """Whether the balance is projected to run out more than a month before the expiration month
    ends: in a month before it (the ``BALANCE_FORECAST`` notice)."""
    depletion = (projection or {}).get("projectedDepletionMonth")
    return depletion is not None and month_index(depletion) < month_index(expiration)
