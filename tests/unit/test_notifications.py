"""When expiry notices fall due, and what every notice says (pure, with hypothesis for the invariants)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from pom.domain.notices import DAY, MAX_NOTICE_DAYS, balance_alert, end_of, expiry_step, first_check

NOTICE_DAYS = st.lists(st.integers(1, MAX_NOTICE_DAYS), min_size=0, max_size=10, unique=True).map(
    lambda days: sorted(days, reverse=True)
)
MONTHS = st.builds(lambda year, month: f"{year}-{month:02d}", st.integers(2020, 2030), st.integers(1, 12))


def test_end_of_month_is_the_first_instant_after_it():
    assert end_of("2026-11") == datetime(2026, 12, 1, tzinfo=UTC)
    assert end_of("2026-12") == datetime(2027, 1, 1, tzinfo=UTC)
    assert first_check("2026-11") == datetime(2025, 11, 30, tzinfo=UTC)


def test_steps_of_a_november_po():
    days = [30, 7]
    first = expiry_step("2026-11", days, datetime(2026, 11, 5, tzinfo=UTC))
    assert (first.expire, first.notice_days, first.next_check) == (False, 30, datetime(2026, 11, 24, tzinfo=UTC))
    assert expiry_step("2026-11", days, datetime(2026, 12, 1, tzinfo=UTC)).expire


@settings(max_examples=300, deadline=None)
@given(NOTICE_DAYS, MONTHS, st.integers(1, 500 * 24))
def test_daily_runs_send_each_notice_at_most_once_then_expire(days: list[int], month: str, hours_before: int):
    """Following the job from any start: the next check is always ahead, it ends expired, and the
    notices sent are exactly the nearest threshold already passed plus each one still ahead."""
    start = now = end_of(month) - timedelta(hours=hours_before)
    sent: list[int] = []
    for _ in range(1000):
        step = expiry_step(month, days, now)
        if step.expire:
            break
        if step.notice_days is not None:
            sent.append(step.notice_days)
        assert step.next_check is not None
        assert step.next_check > now
        now = step.next_check
    assert now >= end_of(month)
    already = [d for d in days if end_of(month) - d * DAY <= start]
    upcoming = [d for d in days if end_of(month) - d * DAY > start]
    # Late: only the nearest of the thresholds already passed; then every later one, once, in order.
    assert sent == [min(already, default=0)][: len(already)] + upcoming


def test_notices_name_the_po_escape_html_and_need_contacts():
    po = {
        "poId": "<Q3>", "status": "ACTIVE", "billFrom": ["A & B"], "effectiveMonth": "2026-01",
        "expirationMonth": "2026-11", "currency": "EUR", "totalAmount": "10.00", "invoicedAmount": "7.50",
        "balance": "2.50", "contacts": [{"email": "a@example.com"}, {"email": "a@example.com"}],
    }  # fmt: skip
    notice = balance_alert(po, "acct", 75, datetime(2026, 3, 1, tzinfo=UTC))
    assert notice is not None
    assert notice.subject == "Purchase order <Q3> has reached 75% of its amount"
    assert notice.to == ["a@example.com"]
    assert "&lt;Q3&gt;" in notice.html
    assert "A &amp; B" in notice.html
    assert "Balance: 2.50 EUR" in notice.text
    assert "last day 2026-11-30" in notice.text
    assert balance_alert({**po, "contacts": []}, "acct", 75, datetime(2026, 3, 1, tzinfo=UTC)) is None
