"""The events of local mode: every entry the emulated EventBridge accepted, as put (``GET /_local/events``).

moto keeps put events only where a rule or an archive takes them, so the emulator's PutEvents response
is wrapped to record each accepted entry: its bus, source, detail-type and detail (parsed).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from moto.events.responses import EventsHandler

_lock = threading.Lock()
_entries: list[dict[str, Any]] = []


def install() -> None:
    if getattr(EventsHandler.put_events, "records_events", False):
        return
    original = EventsHandler.put_events

    def put_events(self: EventsHandler) -> str:
        response = original(self)
        results = json.loads(response)["Entries"]
        accepted = [
            {
                "eventBusName": entry.get("EventBusName"),
                "source": entry.get("Source"),
                "detail-type": entry.get("DetailType"),
                "detail": json.loads(entry.get("Detail") or "{}"),
            }
            for entry, result in zip(self._get_param("Entries"), results, strict=False)
            if "ErrorCode" not in result
        ]
        with _lock:
            _entries.extend(accepted)
        return response

    put_events.records_events = True  # type: ignore[attr-defined]
    EventsHandler.put_events = put_events  # type: ignore[method-assign]


def put_entries() -> list[dict[str, Any]]:
    with _lock:
        return list(_entries)
