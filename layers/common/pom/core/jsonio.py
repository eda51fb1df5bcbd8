"""JSON in and out without binary floating point.

Numbers are read as Decimal (or int), so ``1000.10`` stays exact and ``1e400`` stays a
(rejected) Decimal rather than becoming ``inf``; ``NaN``/``Infinity`` are not JSON and are refused.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads(text: str | bytes) -> Any:
    """json.loads with Decimal numbers; any unreadable document raises json.JSONDecodeError."""
    document = text.decode("utf-8", errors="strict") if isinstance(text, bytes) else text
    try:
        return json.loads(document, parse_float=Decimal, parse_constant=_refuse_constant)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as error:  # NaN/Infinity, nesting too deep
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise json.JSONDecodeError(reason, document, 0) from None


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return f"{o:f}"
        return super().default(o)


def dumps(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, cls=_Encoder)
