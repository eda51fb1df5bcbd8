"""The HTTP side of local mode: each request becomes an API Gateway event for the real handler."""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from local_runner import aws_invoicing, aws_limits, cpu_accounts, event_bus, outbox
from local_runner.console import console_file
from local_runner.delivery import stderr_log
from local_runner.emulator import REGION, Emulator
from local_runner.event_sources import DrainTimeout, EventSources
from local_runner.events import LambdaContext, api_gateway_event, claims_of_local_token
from local_runner.schedule import Schedules
from local_runner.template import find_route, function_environment, function_handler, resources_of_type

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's own limit: larger requests never reach a function
EXPIRY_JOB = "SchedulerFunction"  # what POST /_local/schedule runs unless told another scheduled function


class LocalFunction:
    """One function's handler, imported with its template environment, invoked one event at a time
    (a Lambda container never runs two invocations at once, and Powertools' resolver relies on it)."""

    def __init__(self, logical_id: str, references: dict[str, str], parameters: dict[str, str]):
        os.environ.update(function_environment(logical_id, references, parameters))
        code_dir, module, self._function_name = function_handler(logical_id)
        for path in (str(code_dir), str(code_dir.parent.parent / "layers" / "common")):
            if path not in sys.path:
                sys.path.insert(0, path)
        self.module = importlib.import_module(module)
        self._logical_id = logical_id
        self._lock = threading.Lock()

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        with self._lock, cpu_accounts.charged(self._logical_id):
            return getattr(self.module, self._function_name)(event, LambdaContext())


class LocalApi:
    """Every function of the template, its API routes and its event sources (polled once started)."""

    def __init__(self, emulator: Emulator, parameters: dict[str, str] | None = None):
        self.emulator = emulator
        self.functions = {
            logical_id: LocalFunction(logical_id, emulator.resources, parameters or {})
            for logical_id in resources_of_type("AWS::Serverless::Function")
        }
        invokers = {logical_id: function.invoke for logical_id, function in self.functions.items()}
        self.event_sources = EventSources.from_template(emulator.resources, invokers, log=stderr_log)
        self.schedules = Schedules(emulator.resources, parameters or {}, invokers, log=stderr_log)

    def local_endpoint(self, method: str, path: str, body: str | None) -> tuple[int, Any] | None:
        """The development-only endpoints of the contract's local mode, and the OpenAPI document."""
        endpoints: dict[tuple[str, str], Callable[[str | None], tuple[int, Any]]] = {
            ("GET", "/_local/info"): lambda _: (200, self._info()),
            ("GET", "/_local/cpu"): lambda _: (200, _cpu()),
            ("GET", "/openapi.json"): lambda _: (200, self.functions["ApiFunction"].module.openapi_document()),
            ("POST", "/_local/drain"): lambda _: self._drain(),
            ("POST", "/_local/schedule"): self._run_schedules,
            ("GET", "/_local/outbox"): lambda _: (200, {"items": outbox.sent_messages()}),
            ("GET", "/_local/events"): lambda _: (200, {"items": event_bus.put_entries()}),
            ("POST", "/_local/aws-invoices"): _add_aws_invoices,
        }
        endpoint = endpoints.get((method, path))
        return endpoint(body) if endpoint else None

    def _info(self) -> dict[str, str]:
        return {
            "awsEndpoint": self.emulator.endpoint,
            "region": REGION,
            "invoiceBucket": self.emulator.resources["InvoiceBucket"],
        }

    def _drain(self) -> tuple[int, Any]:
        try:
            return 200, {"drained": True, **self.event_sources.drain()}
        except DrainTimeout as timeout:
            return _problem(504, "Gateway Timeout", str(timeout))

    def _run_schedules(self, body: str | None) -> tuple[int, Any]:
        """Runs a scheduled function as of ``{"time": ISO-8601}`` (default: now); its summary. The
        expiry job unless ``"function"`` names another (``AwsInvoiceImportFunction``)."""
        try:
            document = json.loads(body or "{}")
            moment = datetime.fromisoformat(document.get("time") or datetime.now(UTC).isoformat())
            function = str(document.get("function") or EXPIRY_JOB)
        except (ValueError, TypeError, AttributeError) as error:
            return _problem(422, "Unprocessable Entity", f'send {{"time": "2026-12-01T00:00:00Z"}}: {error}')
        if moment.tzinfo is None:
            return _problem(422, "Unprocessable Entity", "time: give a time zone, e.g. 2026-12-01T00:00:00Z")
        if function not in self.schedules.functions():
            scheduled = ", ".join(self.schedules.functions())
            return _problem(422, "Unprocessable Entity", f"function: one of the scheduled functions, {scheduled}")
        try:
            runs = self.schedules.run(moment, function)
        except Exception:  # the function failed (as Lambda would retry it): say so, with its log
            traceback.print_exc()
            return _problem(502, "Bad gateway", "the scheduled function failed; see the runner's log")
        if len(runs) == 1:
            return 200, runs[0]["result"]
        return 200, {"runs": runs}


def _cpu() -> dict[str, Any]:
    """The runner's CPU seconds so far, and what the emulator and each function took of them."""
    accounts = {name: round(seconds, 6) for name, seconds in cpu_accounts.totals().items()}
    return {"process": round(time.process_time(), 6), "accounts": accounts}  # every thread's


def _add_aws_invoices(body: str | None) -> tuple[int, Any]:
    """Adds invoice summaries to the emulated AWS Invoicing API that the AWS invoice import reads."""
    try:
        return 200, aws_invoicing.add(json.loads(body or "null"))
    except ValueError as error:  # JSONDecodeError included
        return _problem(422, "Unprocessable Entity", str(error))


def _problem(status: int, title: str, detail: str) -> tuple[int, dict[str, Any]]:
    return status, {"status": status, "title": title, "detail": detail}


class _RequestHandler(BaseHTTPRequestHandler):
    api: LocalApi
    protocol_version = "HTTP/1.1"
    server_version = "po-local"
    # Headers and body go out in two writes: with Nagle's algorithm the body waits for the client's
    # delayed ACK of the headers (40 ms on Linux) on every kept-alive request.
    disable_nagle_algorithm = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What the HTTP server answers by itself (an unknown method, a request line too long), in
        the contract's error shape rather than the standard library's HTML page."""
        short, long = self.responses.get(code, ("Error", ""))
        body = json.dumps({"status": code, "title": message or short, "detail": explain or long}).encode()
        self.close_connection = True
        self.send_response(code, short)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self) -> None:
        started = time.perf_counter()
        status, headers, body = self._respond()
        payload = body if isinstance(body, bytes) else body.encode("utf-8")
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        elapsed = (time.perf_counter() - started) * 1000
        sys.stderr.write(f'{self.address_string()} "{self.command} {self.path}" {status} {elapsed:.1f}ms\n')

    def _respond(self) -> tuple[int, dict[str, str], str | bytes]:  # noqa: PLR0911 - one return per kind of answer
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return self._json(*_problem(413, "Payload too large", f"the body exceeds {MAX_BODY_BYTES} bytes"))
        body = self.rfile.read(length) if length else None
        static = console_file(self.command, split.path)
        if static is not None:
            return static
        text = None if body is None else body.decode("utf-8", errors="replace")
        local = self.api.local_endpoint(self.command, split.path, text)
        if local is not None:
            return self._json(*local)
        matched = find_route(self.command, split.path)
        if matched is None:
            return self._json(*_problem(404, "Not found", f"no route {self.command} {split.path}"))
        route, parameters = matched
        claims = claims_of_local_token(self.headers.get("Authorization", ""))
        if claims is None:
            hint = "send Authorization: Bearer local:<accountId> or local:<accountId>:<userId>:<role>+<role>"
            return self._json(*_problem(401, "Unauthorized", hint))
        event = api_gateway_event(
            self.command,
            split.path,
            resource=route.path,
            path_parameters=parameters,
            query=split.query,
            headers=dict(self.headers.items()),
            body=body,
            claims=claims,
        )
        try:
            response = self.api.functions[route.function].invoke(event)
        except Exception:  # as API Gateway does: a crashed function is a 502, never a dropped connection
            traceback.print_exc()
            return self._json(*_problem(502, "Bad gateway", "the function failed; see the runner's log"))
        if (refusal := aws_limits.lambda_response_refusal(response)) is not None:  # as Lambda and API Gateway
            sys.stderr.write(f"{route.function}: {refusal}\n")
            return self._json(*_problem(502, "Bad gateway", refusal))
        headers = {**(response.get("headers") or {})}
        for name, values in (response.get("multiValueHeaders") or {}).items():
            headers[name] = ", ".join(values)
        return response["statusCode"], headers, response.get("body") or ""

    @staticmethod
    def _json(status: int, document: Any) -> tuple[int, dict[str, str], str]:
        return status, {"Content-Type": "application/json"}, json.dumps(document)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request is written by _handle, with the status and time


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The standard library listens with a backlog of 5: a burst of new connections (28 clients at
    # once) overflowed it and got ECONNRESET. The kernel caps it at net.core.somaxconn.
    request_queue_size = 1024


def make_server(api: LocalApi, port: int) -> ThreadingHTTPServer:
    handler = type("RequestHandler", (_RequestHandler,), {"api": api})
    return _Server(("127.0.0.1", port), handler)
