"""Months as ``YYYY-MM`` strings, the unit of every PO period. All times are UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_MONTH = re.compile(r"\A[0-9]{4}-(0[1-9]|1[0-2])\Z")
# The months a PO may name: far wider than any contract, and far from where four-digit years (and
# month arithmetic on them: 9999-12 plus a month) break.
FIRST_MONTH, LAST_MONTH = "2000-01", "2099-12"


def parse_month(value: str) -> str:
    """The month unchanged when it is a ``YYYY-MM`` month in the range; raises ValueError otherwise."""
    if not _MONTH.match(value):
        raise ValueError('must be a month written YYYY-MM, e.g. "2026-11"')
    if not FIRST_MONTH <= value <= LAST_MONTH:
        raise ValueError(f"must lie within {FIRST_MONTH}..{LAST_MONTH}")
    return value


def month_index(month: str) -> int:
    """Months since year 0, so that month arithmetic is integer arithmetic."""
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def month_from_index(index: int) -> str:
    year, month0 = divmod(index, 12)
    return f"{year:04d}-{month0 + 1:02d}"


def add_months(month: str, count: int) -> str:
    return month_from_index(month_index(month) + count)


def months_between(start: str, end: str) -> list[str]:
    """Every month from start to end, both included (empty when start is after end)."""
    return [month_from_index(i) for i in range(month_index(start), month_index(end) + 1)]


def month_count(start: str, end: str) -> int:
    return max(0, month_index(end) - month_index(start) + 1)


def month_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


def month_is_over(month: str, now: datetime) -> bool:
    """True once the last instant of the month (UTC) has passed."""
    return month_index(month_of(now)) > month_index(month)


def scheduled_moment(text: str) -> datetime:
    """A scheduled event's ``time`` as an aware datetime (the moment a run acts as of); a time
    without a zone is refused, so a malformed event fails the invocation."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"the scheduled event's time has no time zone: {text!r}")
    return moment


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_timestamp(moment: datetime) -> str:
    """ISO-8601 UTC with a ``Z`` and whole seconds, as the contract writes timestamps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
