"""DynamoDB's own size and capacity formulas, for what moto does not account for: the 400 KB item
limit (``local_runner.aws_limits``) and the read and write units an operation consumes (``make bench``).

Sizes follow the developer guide ("Item sizes and formats"): an attribute is its name's UTF-8 length
plus its value's size; a number is one byte per two significant digits plus one; a list or a map
adds 3 bytes and one byte per element; a boolean or null is one byte. Units follow "Read and write
operations" and on-demand pricing: a write unit per started KB, a read unit per started 4 KB
(strongly consistent; half that eventually consistent), both doubled inside a transaction.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable
from typing import Any

KB = 1024
ITEM_LIMIT = 400 * KB
# On-demand list prices in us-east-1, dollars per million request units.
WRITE_UNIT_PRICE, READ_UNIT_PRICE = 1.25, 0.25


def _number_size(text: str) -> int:
    digits = text.lstrip("+-").replace(".", "").split("e")[0].split("E")[0].strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def value_size(value: dict[str, Any]) -> int:  # noqa: PLR0911 - one return per type
    """The size of one attribute value in the wire format (``{"S": ...}``, ``{"M": {...}}``)."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return _number_size(inner)
    if kind == "B":
        return len(inner if isinstance(inner, bytes) else base64.b64decode(inner))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(element.encode()) for element in inner)
    if kind == "NS":
        return sum(_number_size(element) for element in inner)
    if kind == "BS":
        return sum(len(element) for element in inner)
    if kind == "L":
        return 3 + sum(1 + value_size(element) for element in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_size(element) for name, element in inner.items())
    raise ValueError(f"not a DynamoDB attribute value: {kind}")


def item_size(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it against the 400 KB limit and in capacity units."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(size: int, *, transactional: bool = False) -> int:
    return max(1, math.ceil(size / KB)) * (2 if transactional else 1)


def read_units(sizes: Iterable[int], *, consistent: bool = True, transactional: bool = False) -> float:
    """The read units of one request returning items of these sizes (a Query rounds their sum, a
    GetItem its one item; BatchGetItem is a GetItem per key: pass one size at a time)."""
    units = max(1, math.ceil(sum(sizes) / (4 * KB)))
    if transactional:
        return units * 2
    return units if consistent else units / 2


def dollars_per_million(write: float, read: float) -> float:
    return write * WRITE_UNIT_PRICE + read * READ_UNIT_PRICE
