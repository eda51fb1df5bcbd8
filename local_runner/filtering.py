"""Lambda event filtering (an event source's ``FilterCriteria``), the subset the template uses.

A pattern is a JSON object: each key must be in the record; a nested object matches the record's
object at that key, and a list of values matches when the record's value (or, for an array, any
of its elements) equals one of them. A record passes when any filter's pattern matches; Lambda
drops the others without invoking the function. Operators (``prefix``, ``exists``, ``numeric``,
``anything-but``, ...) are refused when the filter is read, not silently mismatched.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

RecordFilter = Callable[[dict[str, Any]], bool]


def record_filter(filter_criteria: dict[str, Any] | None) -> RecordFilter:
    """The test a record must pass to be delivered (every record passes without filters)."""
    patterns = [json.loads(entry["Pattern"]) for entry in (filter_criteria or {}).get("Filters", [])]
    for pattern in patterns:
        _check(pattern)
    return lambda record: not patterns or any(_matches(pattern, record) for pattern in patterns)


def _check(pattern: dict[str, Any]) -> None:
    for key, expected in pattern.items():
        if isinstance(expected, dict):
            _check(expected)
        elif not isinstance(expected, list) or any(isinstance(value, dict | list) for value in expected):
            raise ValueError(f"local mode filters on objects and lists of exact values only, not {key}: {expected}")


def _matches(pattern: dict[str, Any], record: Any) -> bool:
    return isinstance(record, dict) and all(
        key in record and _value_matches(expected, record[key]) for key, expected in pattern.items()
    )


def _value_matches(expected: dict[str, Any] | list[Any], actual: Any) -> bool:
    if isinstance(expected, dict):
        return _matches(expected, actual)
    return any(value in expected for value in (actual if isinstance(actual, list) else [actual]))
