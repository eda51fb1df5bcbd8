"""``make local``: the API on http://127.0.0.1:${PORT:-3000} with AWS emulated in-process, and the
template's event sources (table stream, upload queue) polled and delivered to their functions."""

from __future__ import annotations

import os
import sys

from local_runner.emulator import start_emulator
from local_runner.server import LocalApi, make_server


def main() -> int:
    port = int(os.environ.get("PORT", "3000"))
    # Locally only warnings unless asked (LOG_LEVEL=INFO), so the one line per request stays readable;
    # metrics would be CloudWatch EMF documents on stdout, which nothing reads here.
    parameters = {"LogLevel": os.environ.get("LOG_LEVEL", "WARNING")}
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    emulator = start_emulator()
    api = LocalApi(emulator, parameters)
    server = make_server(api, port)
    api.event_sources.start()
    if os.environ.get("LOCAL_SCHEDULE", "clock") != "manual":
        api.schedules.start()
    host, bound_port = server.server_address[:2]
    sources = ", ".join(f"{d.event.function} <- {d.event.name}" for d in api.event_sources.deliveries)
    print(f"Purchase Order Management, local mode: http://{host}:{bound_port}", flush=True)
    print(f"  AWS emulator (moto): {emulator.endpoint}   table: {emulator.resources['Table']}", flush=True)
    print(f"  polling: {sources}", flush=True)
    for schedule in api.schedules.schedules:
        print(f"  schedule: {schedule.function} <- {schedule.name} {schedule.expression}", flush=True)
    print(f"  try: curl -H 'Authorization: Bearer local:acme' http://{host}:{bound_port}/purchase-orders", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopping", file=sys.stderr)
    finally:
        server.server_close()
        api.event_sources.stop()
        api.schedules.stop()
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
