"""The stack's EventBridge bus: events published in order, each entry until it is accepted.

PutEvents takes up to 10 entries and may accept some and refuse others (``FailedEntryCount``, an
``ErrorCode`` per refused entry): the refused ones are sent again, in their order, after a short
pause; the SDK's own retries cover throttling of the whole call. What is still refused after that
raises ``EventsNotPublished``, so the stream record fails and Lambda delivers it again: events are
published at least once, with the same ``eventId`` each time. One request per 10 events.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import boto3

from pom.core import jsonio
from pom.domain.events import Event

ENTRIES_PER_CALL = 10
_ATTEMPTS = 4


class EventsNotPublished(Exception):
    """EventBridge kept refusing some entries: the record is failed, to be delivered again."""


class EventBus:
    def __init__(self, bus_name: str, client: Any = None, pause: Callable[[float], None] = time.sleep):
        self.bus_name = bus_name
        self._client = client
        self._pause = pause

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client("events")
        return self._client

    def publish(self, events: Sequence[Event]) -> None:
        for offset in range(0, len(events), ENTRIES_PER_CALL):
            self._put([self._entry(event) for event in events[offset : offset + ENTRIES_PER_CALL]])

    def _entry(self, event: Event) -> dict[str, Any]:
        entry = event.entry
        return {**entry, "Detail": jsonio.dumps(entry["Detail"]), "EventBusName": self.bus_name}

    def _put(self, entries: list[dict[str, Any]]) -> None:
        pending = entries
        for attempt in range(_ATTEMPTS):
            results = self.client.put_events(Entries=pending)["Entries"]
            pending = [entry for entry, result in zip(pending, results, strict=True) if result.get("ErrorCode")]
            if not pending:
                return
            self._pause(0.05 * 2**attempt)
        raise EventsNotPublished(f"{len(pending)} of {len(entries)} events refused by EventBridge")
