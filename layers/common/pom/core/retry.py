"""Trying a conditional write again after it lost to a concurrent one."""

from __future__ import annotations

import random
import time


def pause() -> None:
    """A short random pause before trying again, so that two contenders do not collide again."""
    time.sleep(random.uniform(0.01, 0.05))  # noqa: S311 - jitter, not a secret
