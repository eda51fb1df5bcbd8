"""Months as ``YYYY-MM`` strings, the unit of every PO period. All times are UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(value: str) -> str:
    """Returns the month unchanged when it is a real ``YYYY-MM`` month; raises ValueError otherwise."""
    match = _MONTH.match(value)
    if not match or int(match.group(1)) < 1900:
        raise ValueError('must be a month written YYYY-MM, e.g. "2026-11"')
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


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_timestamp(moment: datetime) -> str:
    """ISO-8601 UTC with a ``Z`` and whole seconds, as the contract writes timestamps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
