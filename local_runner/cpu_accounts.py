"""Where the runner's CPU time goes: the emulator's answers to the runner's own calls, and each
function's invocations less the emulator calls they made (``GET /_local/cpu``).

Each account is charged the thread CPU time (``time.thread_time``) of the work it wraps, less what
nested accounts took of it in the same thread: a function's invocation is charged its own code,
botocore's client side included, and the emulator is charged each call's answer. What neither holds
(the HTTP server, the pollers' own loops, the emulator's requests over HTTP) is the rest of the
process's CPU time. ``bench/throughput.py`` prints the split per invoice.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

EMULATOR = "emulator"

_totals: Counter[str] = Counter()
_lock = threading.Lock()
_nested = threading.local()  # seconds the nested accounts of this thread's open charge have taken


@contextmanager
def charged(account: str, clock: Callable[[], float] = time.thread_time) -> Iterator[None]:
    """Charges ``account`` with the CPU time of the block, less the nested charges' time."""
    outer = getattr(_nested, "seconds", None)
    _nested.seconds = 0.0
    started = clock()
    try:
        yield
    finally:
        elapsed = clock() - started
        own = elapsed - _nested.seconds
        _nested.seconds = None if outer is None else outer + elapsed
        with _lock:
            _totals[account] += own


def totals() -> dict[str, float]:
    """CPU seconds charged to each account since the runner started."""
    with _lock:
        return dict(_totals)
