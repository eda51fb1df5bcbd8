"""Cold start of each Lambda handler, in two figures, each a ratio to the least a handler could cost:

- import: the handler module's import against ``import boto3`` alone;
- init + first invocation: the import, then ``lambda_handler`` called once with a sample event of
  ``events/`` against the emulator, against a floor handler that imports boto3, creates the clients
  the handler's first invocation created (the same services, as many) and makes one call (a DynamoDB
  GetItem; for a handler that created no DynamoDB client, EventBridge's DescribeEventBus).

A third figure says how much of an import is the handler's own: *dependencies*, the import of the
third-party modules the handler's import loaded (boto3, Powertools, pydantic...: every module from
site-packages), with collection off as in the handlers' inits, against
``import boto3`` too. The handler's own code costs the difference: a handler cannot import less than
the packages it is built on (``make bench`` prints it; the bars stay the issue's).

Each run is a fresh interpreter reporting its own process CPU time (wall time, printed alongside,
follows the machine's load: under two CPU hogs on this 2-core machine it grows by half and more
while CPU time holds).
Runs go in rounds, the handler, its floor, then its dependencies, and each figure is the median of
the per-round ratios, so that a loaded or noisy moment hits both sides of a ratio alike. A warm-up
round first writes the bytecode, as a deployed package ships it (the runs drop
``PYTHONDONTWRITEBYTECODE``).

The emulator is moto's server, started in this process with the template's resources
(``local_runner.emulator``). Every run uses an account of its own, so each first invocation does what
a real one does: the API creates a PO, the ingest function reads an upload from S3 and records the
invoice, the matcher matches an invoice to a PO created for it, the notifier publishes an invoice's
event, the scheduler expires a PO due and mails its contact, the AWS invoice import finds no account
enabled. Prints the table, then the biggest contributors to each handler's import (``-X importtime``).

    python bench/cold_start.py [--runs 7] [--json]    (exit 1 if a handler exceeds a bar)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / "layers" / "common"
EVENTS = ROOT / "events"
sys.path[:0] = [str(ROOT), str(LAYER)]

import boto3  # noqa: E402

from local_runner.emulator import start_emulator  # noqa: E402
from local_runner.template import function_environment, function_handler, load_template  # noqa: E402

IMPORT_BAR = 1.5  # the limits: a handler's import costs at most 1.5x `import boto3`...
FIRST_INVOCATION_BAR = 1.5  # ...and its init + first invocation at most 1.5x the floor handler's
SAMPLE_ACCOUNT = "acme"  # the account the sample events name; each run replaces it with its own
PROFILES = 3  # -X importtime runs per handler, for where its import goes
FLOOR_KEY = {"PK": {"S": "COLD#START"}, "SK": {"S": "COLD#START"}}
# The floor's one call: the first of these services the handler created (a read the size of a key).
_ONE_CALL = {
    "dynamodb": ("get_item", lambda resources: {"TableName": resources["Table"], "Key": FLOOR_KEY}),
    "events": ("describe_event_bus", lambda resources: {"Name": resources["EventBus"]}),
}

# What a run prints last: its CPU and wall milliseconds at the import's end and at the invocation's
# end, the handler's response and the AWS clients that were created (found among live objects once
# the clock has stopped, so that finding them costs the measured run nothing).
_RUN = """
import json, sys, time
event = json.loads(sys.stdin.read())

class Context:  # what Powertools and the handlers read of Lambda's context
    function_name = "cold-start"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:cold-start"
    aws_request_id = "cold-start"

    @staticmethod
    def get_remaining_time_in_millis():
        return 60_000

def clock():
    return time.process_time() * 1000, time.perf_counter() * 1000

started = clock()
{body}
done = clock()
import gc
from botocore.client import BaseClient
# The type, not isinstance: an S3 client keeps a weak proxy of itself, which isinstance would count.
clients = [o.meta.service_model.service_name for o in gc.get_objects() if issubclass(type(o), BaseClient)]
measured = {{"import": [a - b for a, b in zip(imported, started)], "total": [a - b for a, b in zip(done, started)]}}
print("\\n" + json.dumps({{**measured, "response": response, "clients": sorted(clients)}}, default=str))
"""
_HANDLER = """
import {module}
imported = clock()
response = {module}.lambda_handler(event, Context())
"""
_DEPENDENCIES = """
import gc, importlib
gc.disable()
for name in {modules!r}:
    importlib.import_module(name)
imported = clock()
response = None
"""
# Prints, as JSON, what importing the handler loaded from site-packages (importing a module runs its
# parents first, so the order does not matter), leaving out aliases (a module registered under a name
# not its own). A package the handler registered without running its ``__init__``
# (``api_powertools``; its code never ran, so it was never given ``__builtins__``) is not imported
# whole: the handler's module that registered it (the one its ``__getattr__`` comes from) is
# imported first instead, as in the handler.
_THIRD_PARTY = """
import importlib, json, site, sys
before = set(sys.modules)
importlib.import_module({module!r})
sites = tuple(site.getsitepackages() + [site.getusersitepackages()])
loaded = [
    (name, module) for name, module in list(sys.modules.items())
    if name not in before and getattr(module, "__spec__", None) is not None and module.__spec__.name == name
    and (module.__spec__.origin or "").startswith(sites)
]
registered = {{
    name: module for name, module in loaded
    if module.__spec__.origin.endswith(".py") and "__builtins__" not in vars(module)
}}
unknown = sorted(name for name, module in registered.items() if not hasattr(module, "__getattr__"))
if unknown:
    sys.exit(f"registered without their __init__, by no module this can name: {{unknown}}")
loaders = list(dict.fromkeys(module.__getattr__.__module__ for module in registered.values()))
print(json.dumps(loaders + [name for name, _ in loaded if name not in registered]))
"""
_FLOOR = """
import boto3
imported = clock()
clients = [boto3.client(name) for name in {services!r}]
response = getattr(clients[{index}], {operation!r})(**{parameters!r})["ResponseMetadata"]["HTTPStatusCode"]
"""


def _functions() -> list[str]:
    return sorted(
        logical_id
        for logical_id, definition in load_template()["Resources"].items()
        if definition.get("Type") == "AWS::Serverless::Function"
    )


def _run(body: str, event: dict[str, Any], environment: dict[str, str]) -> dict[str, Any]:
    """One fresh interpreter running ``body`` (see ``_RUN``); what it measured."""
    result = subprocess.run(
        [sys.executable, "-c", _RUN.format(body=body)],
        input=json.dumps(event),
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"a cold-start run failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.rstrip().rsplit("\n", 1)[-1])


def _succeeded(response: Any) -> bool:
    """An API response under 400, or a batch or scheduled run with no failure."""
    if not isinstance(response, dict):
        return False
    return int(response.get("statusCode", 200)) < 400 and not response.get("batchItemFailures")


# --- the first invocation of each function: its sample event, for an account of its own -------------


def _sample(name: str, account: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8").replace(SAMPLE_ACCOUNT, account))


def _create_po(account: str, **fields: str) -> None:
    """The sample PO (``events/api/create_purchase_order.json``), created through the API handler here."""
    import api_handler  # noqa: PLC0415 - loaded only to set up state, in this process

    from local_runner.events import LambdaContext  # noqa: PLC0415

    event = _sample("api/create_purchase_order.json", account)
    event["body"] = json.dumps({**json.loads(event["body"]), **fields})
    response = api_handler.lambda_handler(event, LambdaContext())
    if response["statusCode"] != 201:
        raise RuntimeError(f"the PO for the cold-start run was not created: {response}")


def _upload_event(account: str, resources: dict[str, str]) -> dict[str, Any]:
    """The sample S3 upload's message, for the sample invoice put under the account's prefix now."""
    from local_runner.sample_events import SAMPLE_INVOICE  # noqa: PLC0415

    event = _sample("sqs/s3_object_created.json", account)
    notification = json.loads(event["Records"][0]["body"])
    s3_object = notification["Records"][0]["s3"]["object"]
    body = json.dumps(SAMPLE_INVOICE).encode()
    key = f"invoices/{account}/{SAMPLE_INVOICE['invoiceId']}.json"
    put = boto3.client("s3").put_object(Bucket=resources["InvoiceBucket"], Key=key, Body=body)
    s3_object.update(versionId=put["VersionId"], size=len(body))  # the version just put
    event["Records"][0]["body"] = json.dumps(notification)
    return event


def _match_event(account: str, resources: dict[str, str]) -> dict[str, Any]:
    """The sample stream record of a new invoice, its item written and a PO there for it to match."""
    _create_po(account)
    event = _sample("stream/new_invoice.json", account)
    image = event["Records"][0]["dynamodb"]["NewImage"]
    boto3.client("dynamodb").put_item(TableName=resources["Table"], Item=image)  # the write the record reports
    return event


def _daily_run_with_a_po_due(account: str, resources: dict[str, str]) -> dict[str, Any]:
    """The sample daily run (2026-12-01) with the account's PO expiring at the end of November."""
    _create_po(account, effectiveMonth="2026-09", expirationMonth="2026-11")
    return _sample("schedule/daily_run.json", account)


FIRST_INVOCATIONS: dict[str, Callable[[str, dict[str, str]], dict[str, Any]]] = {
    "ApiFunction": lambda account, _: _sample("api/create_purchase_order.json", account),
    "AwsInvoiceImportFunction": lambda account, _: _sample("schedule/daily_run.json", account),
    "IngestFunction": _upload_event,
    "MatcherFunction": _match_event,
    "NotifierFunction": lambda account, _: _sample("stream/new_invoice.json", account),
    "SchedulerFunction": _daily_run_with_a_po_due,
}


# --- measuring ---------------------------------------------------------------------------------------


def _import_times(module: str, environment: dict[str, str]) -> dict[str, tuple[int, int]]:
    """{module: (self, cumulative) microseconds} from one fresh interpreter importing ``module``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    times: dict[str, tuple[int, int]] = {}
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "cumulative" not in line:
            self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
            times[name.strip()] = (int(self_us), int(cumulative_us))
    return times


def _by_package(profiles: list[dict[str, tuple[int, int]]]) -> list[tuple[str, float]]:
    """Self time summed per top-level package, the median of the profiles, biggest first: where the
    import time really goes."""
    totals: dict[str, list[int]] = {}
    for times in profiles:
        for package in {name.split(".", 1)[0] for name in times}:
            totals.setdefault(package, []).append(0)
        for name, (self_us, _) in times.items():
            totals[name.split(".", 1)[0]][-1] += self_us
    medians = {package: statistics.median(us) for package, us in totals.items()}
    return [(package, round(us / 1000, 1)) for package, us in sorted(medians.items(), key=lambda kv: -kv[1])[:8]]


def third_party_modules(module: str, environment: dict[str, str]) -> list[str]:
    """The modules from site-packages that importing ``module`` loads (after the handler's own
    modules that register a package of them without its ``__init__``, if any)."""
    result = subprocess.run(
        [sys.executable, "-c", _THIRD_PARTY.format(module=module)],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def _runs(
    logical_id: str, account: str, resources: dict[str, str], environment: dict[str, str], dependencies: list[str]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The handler's run on a fresh account's first event, the floor creating the same clients, then
    the import of the handler's dependencies alone."""
    _, module, _ = function_handler(logical_id)
    handler = _run(_HANDLER.format(module=module), FIRST_INVOCATIONS[logical_id](account, resources), environment)
    if not _succeeded(handler["response"]):
        raise RuntimeError(f"{logical_id}'s first invocation failed: {handler['response']}")
    services = handler["clients"]
    service = next((service for service in _ONE_CALL if service in services), None)
    if service is None:
        raise RuntimeError(f"{logical_id}'s first invocation created none of {list(_ONE_CALL)}: {services}")
    operation, parameters = _ONE_CALL[service]
    floor_body = _FLOOR.format(
        services=services, index=services.index(service), operation=operation, parameters=parameters(resources)
    )
    floor = _run(floor_body, {}, environment)
    return handler, floor, _run(_DEPENDENCIES.format(modules=dependencies), {}, environment)


def measure(runs: int) -> list[dict[str, Any]]:
    emulator = start_emulator()  # also points this process's clients at it (fake credentials)
    resources = emulator.resources
    # Each run's environment: this one's (the emulator's endpoint and credentials) and the function's.
    inherited = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    # _create_po calls the API handler in this process (metrics off: they would print amid the table).
    os.environ.update({**function_environment("ApiFunction", resources), "POWERTOOLS_METRICS_DISABLED": "true"})
    sys.path.insert(0, str(function_handler("ApiFunction")[0]))
    rows = []
    try:
        for logical_id in _functions():
            code_dir, module, _ = function_handler(logical_id)
            environment = {
                **inherited,
                **function_environment(logical_id, resources),
                "PYTHONPATH": os.pathsep.join([str(code_dir), str(LAYER)]),  # the floor's too: the same lookups
            }
            dependencies = third_party_modules(module, environment)
            _runs(logical_id, f"cold-{logical_id}-warm", resources, environment, dependencies)  # writes the bytecode
            rounds = [
                _runs(logical_id, f"cold-{logical_id}-{run}", resources, environment, dependencies)
                for run in range(runs)
            ]
            profiles = [_import_times(module, environment) for _ in range(PROFILES)]
            rows.append(_row(logical_id, module, rounds, _by_package(profiles)))
    finally:
        emulator.stop()
    return rows


def _row(logical_id: str, module: str, rounds: list[tuple[dict[str, Any], ...]], biggest: list[Any]) -> dict[str, Any]:
    """``rounds``: (handler, floor, dependencies) runs."""

    def median(side: int, phase: str, clock: int) -> float:
        return round(statistics.median(measured[side][phase][clock] for measured in rounds), 1)

    def ratio(side: int, phase: str) -> float:
        return round(statistics.median(measured[side][phase][0] / measured[1][phase][0] for measured in rounds), 2)

    return {
        "function": logical_id,
        "module": module,
        "import_ms": median(0, "import", 0),
        "boto3_ms": median(1, "import", 0),
        "import_ratio": ratio(0, "import"),
        "import_bar": IMPORT_BAR,
        "dependencies_ms": median(2, "import", 0),
        "dependencies_ratio": ratio(2, "import"),
        "first_ms": median(0, "total", 0),
        "floor_ms": median(1, "total", 0),
        "first_ratio": ratio(0, "total"),
        "first_bar": FIRST_INVOCATION_BAR,
        "first_wall_ms": median(0, "total", 1),
        "floor_wall_ms": median(1, "total", 1),
        "clients": rounds[-1][0]["clients"],
        "biggest": biggest,
    }


def over_bars(row: dict[str, Any]) -> list[str]:
    """The figures of ``row`` over their bars."""
    return [name for name in ("import", "first") if row[f"{name}_ratio"] > row[f"{name}_bar"]]


_COLUMNS = "{:<26}{:>8}{:>7}{:>6}{:>5}{:>7}{:>6}{:>10}{:>7}{:>6}{:>5}{:>10}{:>7}{}"


def print_table(rows: list[dict[str, Any]], runs: int) -> None:
    print(f"Cold start: CPU ms of fresh interpreters, medians of {runs} runs; x: the median of per-run ratios")
    print(
        _COLUMNS.format(
            "", "import", "boto3", "x", "bar", "deps", "x", "init+1st", "floor", "x", "bar", "wall 1st", "floor", ""
        )
    )
    for row in rows:
        over = over_bars(row)
        print(
            _COLUMNS.format(
                row["function"],
                f"{row['import_ms']:.0f}",
                f"{row['boto3_ms']:.0f}",
                f"{row['import_ratio']:.2f}",
                row["import_bar"],
                f"{row['dependencies_ms']:.0f}",
                f"{row['dependencies_ratio']:.2f}",
                f"{row['first_ms']:.0f}",
                f"{row['floor_ms']:.0f}",
                f"{row['first_ratio']:.2f}",
                row["first_bar"],
                f"{row['first_wall_ms']:.0f}",
                f"{row['floor_wall_ms']:.0f}",
                f"  over: {', '.join(over)}" if over else "",
            )
        )
    print(
        "\ndeps: the import of the third-party modules the handler's import loaded, alone (collection off, as"
        "\nin the handlers' inits), against import boto3: the least the handler's import could cost."
    )
    print("\nThe clients each first invocation created, and where its import goes (self ms by package):")
    for row in rows:
        biggest = ", ".join(f"{name} {ms}" for name, ms in row["biggest"])
        print(f"  {row['function']} ({', '.join(row['clients'])}): {biggest}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    arguments = parser.parse_args()
    rows = measure(arguments.runs)
    if arguments.json:
        print(json.dumps(rows))
    else:
        print_table(rows, arguments.runs)
    return 1 if any(map(over_bars, rows)) else 0


if __name__ == "__main__":
    sys.exit(main())
