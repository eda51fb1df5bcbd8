"""What stream and queue delivery share: invoking a function with a batch as Lambda's event source
mapping does, reading its partial-batch response, one log line per batch, and the ``Activity``
that ``EventSources.drain`` watches to know that nothing is left in flight.

An invoker is any ``Callable[[event], response]``: ``LocalFunction.invoke`` in the runner, the
handler module's ``lambda_handler`` with a context in the tests, or a fake recording its events.
"""

from __future__ import annotations

import base64
import sys
import threading
import time
import traceback
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import boto3

from local_runner.template import FunctionEvent

Invoker = Callable[[dict[str, Any]], Any]
Log = Callable[[str], None]


def stderr_log(line: str) -> None:
    """The runner's log: one line per request or batch, on stderr."""
    sys.stderr.write(line + "\n")


def json_ready(value: Any) -> Any:
    """A value parsed by botocore, as Lambda's JSON event carries it: binaries in base64,
    timestamps in epoch seconds."""
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_ready(item) for item in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        return int(value.timestamp())
    return value


class Activity:
    """Invocations in flight, how many have ended, and records delivered per kind of source.

    The count of ended invocations is bumped after the invocation's own writes, so a drain pass
    during which it did not move saw every effect of every invocation before it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight = 0
        self._ended = 0
        self._delivered: Counter[str] = Counter()

    @contextmanager
    def invocation(self, kind: str, records: int) -> Iterator[None]:
        with self._lock:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                self._ended += 1
                self._delivered[kind] += records

    def mark(self) -> int:
        with self._lock:
            return self._ended

    def quiet_since(self, mark: int) -> bool:
        """No invocation ended since ``mark`` and none is running."""
        with self._lock:
            return self._ended == mark and self._in_flight == 0

    def delivered(self) -> Counter[str]:
        with self._lock:
            return Counter(self._delivered)


@dataclass(frozen=True)
class BatchOutcome:
    failed: tuple[str, ...]  # identifiers of the records to retry, in batch order
    function_error: bool = False  # the function raised: the whole batch failed

    @property
    def succeeded(self) -> bool:
        return not self.failed


def arn_parts(arn: str) -> tuple[str, str, str]:
    """(region, account, resource) of an ARN."""
    _, _, _, region, account, name = arn.split(":", 5)
    return region, account, name


class Delivery(ABC):
    """One pull event of a function (``Type: DynamoDB`` or ``SQS``), delivered to its invoker.

    ``deliver_pending()`` is serialised by a lock, so the background poller and a drain never
    deliver the same records twice; ``idle()`` says whether anything still waits for delivery.
    """

    kind: ClassVar[str]  # the key of Activity.delivered()

    def __init__(
        self,
        event: FunctionEvent,
        invoke: Invoker,
        *,
        activity: Activity | None = None,
        log: Log | None = None,
        session_kwargs: dict[str, Any] | None = None,
    ):
        self.event = event
        self.activity = activity or Activity()
        self._invoke = invoke
        self._log = log
        self._lock = threading.Lock()
        self._last_traceback = ""  # retries fail alike: each distinct traceback is logged once in a row
        self._reports_item_failures = "ReportBatchItemFailures" in event.properties.get("FunctionResponseTypes", [])
        self._session_kwargs = session_kwargs or {}

    @abstractmethod
    def deliver_pending(self) -> int:
        """Delivers what is pending now; returns the records handed to the function."""

    @abstractmethod
    def idle(self) -> bool:
        """Nothing waits for delivery."""

    def _client(self, service: str, arn: str) -> Any:
        return boto3.client(service, region_name=arn_parts(arn)[0], **self._session_kwargs)

    def _invoke_batch(self, records: list[dict[str, Any]], identifiers: list[str]) -> BatchOutcome:
        """Invokes the function once with ``{"Records": records}``.

        ``identifiers`` are the records' ids in ``batchItemFailures`` (stream SequenceNumber, SQS
        messageId); a response naming anything else fails the whole batch, as it does in Lambda.
        """
        started = time.perf_counter()
        problem = ""
        with self.activity.invocation(self.kind, len(records)):
            try:
                response = self._invoke({"Records": records})
            except Exception as error:  # the function's own failure, which the event source retries
                outcome = BatchOutcome(tuple(identifiers), function_error=True)
                first_line = next(iter(str(error).splitlines()), "")
                problem = f" ({type(error).__name__}: {first_line})"
                if (trace := traceback.format_exc().rstrip()) != self._last_traceback:
                    problem += f"\n{trace}"
                    self._last_traceback = trace
            else:
                outcome = self._partial_failures(response, identifiers)
        if self._log:
            elapsed = (time.perf_counter() - started) * 1000
            summary = f'{self.event.function} "{self.event.type} {self.event.name}" {len(records)} records'
            self._log(f"{summary} {len(outcome.failed)} failed {elapsed:.1f}ms{problem}")
        return outcome

    def _partial_failures(self, response: Any, identifiers: list[str]) -> BatchOutcome:
        if not self._reports_item_failures or not isinstance(response, dict):
            return BatchOutcome(())
        reported = {failure.get("itemIdentifier") for failure in response.get("batchItemFailures") or []}
        if not reported <= set(identifiers):
            return BatchOutcome(tuple(identifiers))
        return BatchOutcome(tuple(identifier for identifier in identifiers if identifier in reported))
