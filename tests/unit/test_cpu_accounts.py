"""The local runner's CPU accounts (``GET /_local/cpu``): each charge is its own time, nested
charges are not counted twice, and threads do not mix their charges."""

from __future__ import annotations

import threading
from collections.abc import Callable

from local_runner import cpu_accounts
from local_runner.cpu_accounts import charged


def ticking(seconds: list[float]) -> Callable[[], float]:
    """A clock that reads ``seconds[0]`` of this thread: the test moves it forward by hand."""
    return lambda: seconds[0]


def test_a_nested_charge_is_taken_out_of_the_one_around_it():
    before = cpu_accounts.totals()
    now = [0.0]
    with charged("test-function", ticking(now)):
        now[0] += 2.0  # the function's own code
        with charged("test-emulator", ticking(now)):
            now[0] += 3.0  # an emulator call it made
        now[0] += 1.0
        with charged("test-emulator", ticking(now)):
            now[0] += 0.5
            with charged("test-inner", ticking(now)):  # nesting at any depth
                now[0] += 0.25
    after = cpu_accounts.totals()
    spent = {name: after[name] - before.get(name, 0.0) for name in ("test-function", "test-emulator", "test-inner")}
    assert spent == {"test-function": 3.0, "test-emulator": 3.5, "test-inner": 0.25}


def test_a_failing_block_is_charged_and_leaves_no_charge_open():
    before = cpu_accounts.totals()
    now = [10.0]
    with charged("test-around-failure", ticking(now)):
        now[0] += 1.0
        try:
            with charged("test-failing", ticking(now)):
                now[0] += 1.5
                raise RuntimeError("the function failed")
        except RuntimeError:
            pass
        now[0] += 2.0  # after the failure, the charge around it goes on as before
    after = cpu_accounts.totals()
    spent = {name: after[name] - before.get(name, 0.0) for name in ("test-around-failure", "test-failing")}
    assert spent == {"test-around-failure": 3.0, "test-failing": 1.5}
    assert cpu_accounts._nested.seconds is None  # no charge left open in this thread


def test_threads_keep_their_own_nesting():
    before = cpu_accounts.totals().get("test-thread-outer", 0.0)
    inside, release = threading.Event(), threading.Event()
    outer_clock, other_clock = [0.0], [0.0]

    def other_thread() -> None:  # a top-level charge in another thread while the outer one is open
        inside.wait()
        with charged("test-thread-other", ticking(other_clock)):
            other_clock[0] += 7.0
        release.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    with charged("test-thread-outer", ticking(outer_clock)):
        outer_clock[0] += 2.0
        inside.set()
        release.wait(5)
    worker.join(5)
    assert cpu_accounts.totals()["test-thread-outer"] - before == 2.0  # not 2.0 - 7.0
