"""The stack's EventBridge bus: events published in order, each entry until it is accepted.

PutEvents takes up to 10 entries and may accept some and refuse others (``FailedEntryCount``, an
``ErrorCode`` per refused entry): the refused ones are sent again, in their order, after a short
pause; the SDK's own retries cover throttling of the whole call. What is still refused after that
raises ``EventsNotPublished``, so the stream record fails and Lambda delivers it again: events are
published at least once, with the same ``eventId`` each time. One request per 10 events (fewer when
they pass 256 KB together).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import boto3

from pom.core import jsonio
from pom.domain.events import Event

ENTRIES_PER_CALL = 10
# EventBridge refuses a PutEvents request whose entries pass 256 KB (each entry: its source, detail
# type, detail and bus name in UTF-8, plus 14 bytes for its time); one event per request stays under.
ENTRY_LIMIT = 256 * 1024
_ATTEMPTS = 4


def entry_size(entry: dict[str, Any]) -> int:
    """A PutEvents entry's size as EventBridge counts it against its 256 KB."""
    fields = ("Source", "DetailType", "Detail", "EventBusName")
    return 14 + sum(len(str(entry.get(name, "")).encode()) for name in fields)


class EventsNotPublished(Exception):
    """EventBridge kept refusing some entries: their records are failed, to be delivered again.
    ``published``: how many of the events, from the first, were all published."""

    def __init__(self, message: str, published: int = 0):
        super().__init__(message)
        self.published = published


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
        """Publishes the events in order, as many per request as fit EventBridge's limits; an event too
        large on its own goes without its resource (``Event.without_resource``)."""
        batch: list[dict[str, Any]] = []
        sent = 0
        for event in events:
            entry = self._entry(event)
            if entry_size(entry) > ENTRY_LIMIT:
                entry = self._entry(event.without_resource())
            if len(batch) == ENTRIES_PER_CALL or sum(map(entry_size, [*batch, entry])) > ENTRY_LIMIT:
                self._put(batch, sent)
                sent, batch = sent + len(batch), []
            batch.append(entry)
        if batch:
            self._put(batch, sent)

    def _entry(self, event: Event) -> dict[str, Any]:
        entry = event.entry
        return {**entry, "Detail": jsonio.dumps(entry["Detail"]), "EventBusName": self.bus_name}

    def _put(self, entries: list[dict[str, Any]], sent: int) -> None:
        """One PutEvents of ``entries`` (``sent`` events were published before them), its refused
        entries sent again."""
        pending = list(enumerate(entries))
        for attempt in range(_ATTEMPTS):
            results = self.client.put_events(Entries=[entry for _, entry in pending])["Entries"]
            pending = [pair for pair, result in zip(pending, results, strict=True) if result.get("ErrorCode")]
            if not pending:
                return
            self._pause(0.05 * 2**attempt)
        message = f"{len(pending)} of {len(entries)} events refused by EventBridge"
        raise EventsNotPublished(message, published=sent + pending[0][0])
