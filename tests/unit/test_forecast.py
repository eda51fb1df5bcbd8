"""The balance forecast (API.md: ``forecast``): the run rate over the last three whole months in
effect, its projection to the expiration month, and when the balance runs out."""

from __future__ import annotations

from decimal import Decimal

from pom.domain.forecast import forecast, run_rate, runs_out_early

D = Decimal


def project(monthly: dict[str, str], now: str, total: str = "1200.00", **months: str) -> dict:
    sums = {month: D(amount) for month, amount in monthly.items()}
    invoiced = sum(sums.values(), D(0))
    span = {"effective": months.get("effective", "2026-01"), "expiration": months.get("expiration", "2026-12")}
    return forecast(sums, total=D(total), invoiced=invoiced, current_month=now, currency="USD", **span)


def test_no_run_rate_before_a_whole_month_in_effect():
    assert project({}, "2026-01") == {
        "monthlyRunRate": None,
        "projectedDepletionMonth": None,
        "projectedInvoicedAtExpiration": None,
    }


def test_the_run_rate_averages_the_last_three_whole_months_only():
    monthly = {"2026-01": "900.00", "2026-02": "100.00", "2026-03": "200.00", "2026-04": "300.00", "2026-05": "50.00"}
    assert run_rate({m: D(a) for m, a in monthly.items()}, "2026-01", "2026-12", "2026-05", "USD") == D("200.00")
    # Younger than three months: the months it was in effect.
    assert run_rate({"2026-03": D("90")}, "2026-03", "2026-12", "2026-05", "USD") == D("45.00")


def test_a_balance_that_lasts_has_no_depletion_month():
    result = project({"2026-01": "50", "2026-02": "50", "2026-03": "50"}, "2026-04")
    assert result == {
        "monthlyRunRate": "50.00",
        "projectedDepletionMonth": None,
        "projectedInvoicedAtExpiration": "600.00",  # 150 + 9 months × 50
    }
    assert not runs_out_early(result, "2026-12")


def test_a_fast_burn_runs_out_before_the_expiration_month():
    result = project({"2026-01": "300", "2026-02": "300", "2026-03": "300"}, "2026-04")
    assert result["monthlyRunRate"] == "300.00"
    assert result["projectedDepletionMonth"] == "2026-04"  # 900 + 300 reaches the 1200 total in April
    assert result["projectedInvoicedAtExpiration"] == "3600.00"
    assert runs_out_early(result, "2026-12")


def test_this_months_debits_count_towards_its_share():
    result = project({"2026-01": "100", "2026-02": "100", "2026-03": "100", "2026-04": "80"}, "2026-04")
    assert result["projectedInvoicedAtExpiration"] == "1200.00"  # 380 + 20 more in April + 8 × 100
    assert result["projectedDepletionMonth"] == "2026-12"
    assert not runs_out_early(result, "2026-12")  # in its expiration month: not a month early


def test_credits_lower_the_run_rate_and_an_expired_po_projects_what_it_has():
    result = project({"2026-01": "100", "2026-02": "-40", "2026-03": "0"}, "2027-02", expiration="2026-03")
    assert result == {"monthlyRunRate": None, "projectedDepletionMonth": None, "projectedInvoicedAtExpiration": None}
    credited = project({"2026-01": "100", "2026-02": "-40", "2026-03": "0"}, "2026-04")
    assert credited["monthlyRunRate"] == "20.00"
