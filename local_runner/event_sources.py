"""The template's pull event sources (its functions' ``DynamoDB`` and ``SQS`` events), polled.

    sources = EventSources.from_template(references, {"MatcherFunction": invoke, "IngestFunction": invoke})
    sources.drain()                          # deliver until nothing is pending; no threads needed
    sources.start(); ...; sources.stop()     # or poll in background threads (the runner does)

``references`` is what ``local_runner.emulator.create_resources`` returned; an invoker takes the
event and returns the handler's response. Only the events of functions given an invoker are
delivered, so a test can drive just the matcher. S3 notifications need no poller: the emulator
puts them on the queue when the object is written.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from typing import Any

from local_runner.delivery import Activity, Delivery, Invoker, Log, stderr_log
from local_runner.queues import QueueDelivery
from local_runner.streams import StreamDelivery, StreamReader
from local_runner.template import FunctionEvent, function_events, resolve

POLL_INTERVAL_SECONDS = 0.2
DRAIN_TIMEOUT_SECONDS = 60.0


class DrainTimeout(Exception):
    """Records or messages were still pending (or kept failing) when the drain's time ran out."""


class EventSources:
    def __init__(self, deliveries: Sequence[Delivery], activity: Activity, log: Log | None = None):
        self.deliveries = list(deliveries)
        self.activity = activity
        self._log = log
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    @classmethod
    def from_template(
        cls,
        references: dict[str, str],
        invokers: Mapping[str, Invoker],
        *,
        log: Log | None = None,
        session_kwargs: dict[str, Any] | None = None,
        starting_position: str | None = None,
    ) -> EventSources:
        """One delivery per ``DynamoDB``/``SQS`` event of the functions in ``invokers``, and one
        reader per stream for its deliveries; ``log`` gets one line per batch; ``session_kwargs`` go
        to the boto3 clients (e.g. ``endpoint_url``); ``starting_position`` (``LATEST``) replaces the
        template's for streams, as a new consumer that only wants records written from now on."""
        activity = Activity()
        common: dict[str, Any] = {"activity": activity, "log": log, "session_kwargs": session_kwargs}
        readers: dict[str, StreamReader] = {}

        def properties(event: FunctionEvent) -> dict[str, Any]:
            resolved = resolve(event.properties, references)
            if starting_position and "StartingPosition" in resolved:
                resolved["StartingPosition"] = starting_position
            return resolved

        def stream_delivery(event: FunctionEvent) -> StreamDelivery:
            resolved = properties(event)
            stream = resolved["Stream"]
            if stream not in readers:
                readers[stream] = StreamReader(stream, resolved["StartingPosition"], session_kwargs)
            event = dataclasses.replace(event, properties=resolved)
            return StreamDelivery(event, invokers[event.function], reader=readers[stream], **common)

        def queue_delivery(event: FunctionEvent) -> QueueDelivery:
            event = dataclasses.replace(event, properties=properties(event))
            return QueueDelivery(event, invokers[event.function], **common)

        deliveries: list[Delivery] = [
            *(stream_delivery(event) for event in function_events("DynamoDB") if event.function in invokers),
            *(queue_delivery(event) for event in function_events("SQS") if event.function in invokers),
        ]
        return cls(deliveries, activity, log)

    def drain(self, timeout: float = DRAIN_TIMEOUT_SECONDS) -> dict[str, int]:
        """Delivers until a whole pass over every source finds nothing to do: no record or message
        pending, no invocation ended during the pass (its writes may have added records to a source
        already passed) and none running (in a poller thread). Returns what was delivered meanwhile,
        by anyone: ``{"streamRecords": n, "queueMessages": m}`` (retries count again).

        Raises ``DrainTimeout`` when that takes longer than ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        before = self.activity.delivered()
        while True:
            mark = self.activity.mark()
            for delivery in self.deliveries:
                delivery.deliver_pending()
            if self.activity.quiet_since(mark) and all(delivery.idle() for delivery in self.deliveries):
                break
            if time.monotonic() > deadline:
                busy = [f"{d.event.function} {d.event.name}" for d in self.deliveries if not d.idle()]
                raise DrainTimeout(
                    f"still pending after {timeout:g} s: {', '.join(busy) or 'invocations keep failing'}"
                )
            time.sleep(0.02)  # e.g. a delayed message: let it become visible
        delivered = self.activity.delivered() - before
        return {"streamRecords": delivered[StreamDelivery.kind], "queueMessages": delivered[QueueDelivery.kind]}

    def start(self, interval: float = POLL_INTERVAL_SECONDS) -> None:
        """Polls every source in a daemon thread of its own, every ``interval`` seconds."""
        for delivery in self.deliveries:
            name = f"poll {delivery.event.function} {delivery.event.name}"
            thread = threading.Thread(target=self._poll, args=(delivery, interval), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        """Stops the pollers, letting a running invocation finish."""
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def _poll(self, delivery: Delivery, interval: float) -> None:
        while not self._stopping.wait(interval):
            try:
                delivery.deliver_pending()
            except Exception:  # not the function's failure (that is retried) but the emulator's: say so, go on
                log = self._log or stderr_log
                log(
                    f"poller {delivery.event.function} {delivery.event.name} failed:\n{traceback.format_exc().rstrip()}"
                )
