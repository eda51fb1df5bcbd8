"""Cold starts: what each handler loads at import, and its two ratios from bench/cold_start.py (one run).

The issue's bars (the bench's: import and init + first invocation each within 1.5x) are met by the
functions that never import pydantic, not by the API's and ingest's import: they validate a document
on every invocation, and pydantic with its first model costs about 0.4x ``import boto3`` (README,
Cold start). So the ratio test guards against gross regressions, with room for a loaded machine, and
what a handler must and must not load is checked exactly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.cold_start import third_party_modules
from local_runner.template import function_environment, function_handler, resources_of_type

ROOT = Path(__file__).resolve().parents[2]
GUARD = 2.75  # each ratio: the figures are 1.0-1.7 (README), and they move by up to ±0.25 between runs
# Loaded by the code path that needs them, never at a cold start: the e-invoice parsers on the first
# XML or PDF document (bench/einvoice_parse.py prints what they cost then). Powertools' batch package
# (with its parser models) not at all: pom.core.batch reports partial batch failures. Nor the other
# resolvers of Powertools' event handler package, or the asyncio they bring (functions/api/api_powertools.py).
# The response and event shapes only when a document of them is asked for (the OpenAPI document, the
# event schemas): the API's routes name the shapes they answer with (functions/api/api_support.py).
NEVER_AT_IMPORT = (
    "pom.domain.responses",
    "lxml",
    "pypdf",
    "pom.domain.einvoice",
    "aws_lambda_powertools.utilities.batch",
    "aws_lambda_powertools.event_handler.appsync",
    "aws_lambda_powertools.event_handler.bedrock_agent",
    "asyncio",
)
# The API's resolver reads Powertools' event data classes (the other functions read their events as
# dicts), and only the API reads the bodies of writes other than invoice uploads.
API_ONLY = ("aws_lambda_powertools.utilities.data_classes", "pom.domain.requests")
# The invoice document's model (and pydantic): at init in the two functions that read a document on
# every invocation; the others read only what is stored (plain records, pom.core.records), and the AWS
# invoice import loads it on its first document (pom.domain.invoice_documents), none while no account
# has the import on.
DOCUMENTS_AT_INIT = {"ApiFunction", "IngestFunction"}
# Of the event data classes, the API loads those its REST resolver reads (functions/api/api_powertools.py).
DATA_CLASSES = "aws_lambda_powertools.utilities.data_classes"
API_DATA_CLASSES = {
    DATA_CLASSES,
    *(f"{DATA_CLASSES}.{module}" for module in ("alb_event", "api_gateway_proxy_event", "bedrock_agent_event",
                                                "common", "lambda_function_url_event", "shared_functions",
                                                "vpc_lattice")),
}  # fmt: skip


def _measure() -> list[dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "cold_start.py"), "--json", "--runs", "5"],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    rows = json.loads(result.stdout or "[]")
    assert rows, result.stderr
    return rows


def test_handler_cold_starts_within_the_guard():
    def over(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {row["function"]: row for row in rows if max(row["import_ratio"], row["first_ratio"]) > GUARD}

    first = over(_measure())
    # A noisy machine can spike one median; a real regression is over the guard both times.
    again = over(_measure()) if first else {}
    assert sorted(set(first) & set(again)) == [], first


def _handler_environment(function: str) -> tuple[str, dict[str, str]]:
    """The function's handler module and what a fresh interpreter importing it needs: its template
    environment (with probe resource names) and its code and layer on the path."""
    code_dir, module, _ = function_handler(function)
    resources = {"Table": "probe-table", "InvoiceBucket": "probe-bucket", "EventBus": "e"}
    return module, {
        **os.environ,
        **function_environment(function, resources),
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONPATH": os.pathsep.join([str(code_dir), str(ROOT / "layers" / "common")]),
    }


@pytest.mark.parametrize("function", resources_of_type("AWS::Serverless::Function"))
def test_handler_imports_leave_out_the_lazy_and_the_unused(function: str):
    module, environment = _handler_environment(function)
    unwanted = NEVER_AT_IMPORT if function == "ApiFunction" else NEVER_AT_IMPORT + API_ONLY
    unwanted += () if function in DOCUMENTS_AT_INIT else ("pom.domain.inputs", "pydantic")
    probe = f"import gc, json, sys, {module}; print(json.dumps({{"
    probe += f"'unwanted': sorted({{p for p in {unwanted!r} for m in sys.modules if m == p or m.startswith(p + '.')}}),"
    probe += f"'data_classes': sorted(m for m in sys.modules if m.startswith({DATA_CLASSES!r})),"
    probe += "'documents': 'pom.domain.inputs' in sys.modules,"
    probe += "'collecting': gc.isenabled(), 'frozen': gc.get_freeze_count()}))"
    result = subprocess.run([sys.executable, "-c", probe], env=environment, capture_output=True, text=True, check=True)
    loaded = json.loads(result.stdout)
    assert loaded["unwanted"] == []
    assert set(loaded["data_classes"]) <= API_DATA_CLASSES
    assert loaded["documents"] is (function in DOCUMENTS_AT_INIT)
    # The init ran without collections and froze what it built, then turned collection back on.
    assert loaded["collecting"] is True
    assert loaded["frozen"] > 10_000


def test_the_api_loads_powertools_names_on_demand_and_every_name_is_still_there():
    """After the API's import, the two Powertools packages it registers without their ``__init__``
    still give every name they export (each from its own module) and let their other modules import."""
    module, environment = _handler_environment("ApiFunction")
    probe = f"""
import {module}
import aws_lambda_powertools.utilities.batch  # imports S3Event and SQSRecord from the data class package
from aws_lambda_powertools.utilities.data_classes import SQSEvent, S3Event
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSEvent as defined
from aws_lambda_powertools.event_handler import AppSyncResolver, APIGatewayRestResolver
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver as resolver
assert SQSEvent is defined and APIGatewayRestResolver is resolver and S3Event.__name__ == "S3Event"
try:
    from aws_lambda_powertools.utilities.data_classes import NoSuchEvent
except ImportError:
    print("ok")
"""
    result = subprocess.run([sys.executable, "-c", probe], env=environment, capture_output=True, text=True, check=False)
    assert result.stdout.strip() == "ok", result.stderr[-2000:]


@pytest.mark.parametrize("function", resources_of_type("AWS::Serverless::Function"))
def test_a_failed_init_leaves_garbage_collection_on(function: str):
    module, environment = _handler_environment(function)
    del environment["TABLE_NAME"]  # every function's configuration requires it
    probe = f"import gc\ntry:\n    import {module}\nexcept Exception as error:\n"
    probe += "    print(type(error).__name__, gc.isenabled())"
    result = subprocess.run([sys.executable, "-c", probe], env=environment, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "ConfigError True"


@pytest.mark.parametrize("function", ["ApiFunction", "MatcherFunction"])
def test_the_dependency_floor_imports_what_the_handler_loaded_from_site_packages_only(function: str):
    """bench/cold_start.py's *deps* run: the third-party modules the handler's import loaded, and of
    the service's own code only the API's api_powertools, first, so that the two Powertools packages
    it registers without their ``__init__`` are registered so again, not imported whole."""
    module, environment = _handler_environment(function)
    names = third_party_modules(module, environment)
    assert {"boto3", "botocore.client", "aws_lambda_powertools.logging.logger"} <= set(names)
    assert not [name for name in names if name.split(".")[0] in ("pom", module, "api_support")]
    if function == "ApiFunction":
        assert names[0] == "api_powertools"
        assert {"pydantic.main", "aws_lambda_powertools.event_handler.api_gateway"} <= set(names)
        assert not {"aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.data_classes"} & set(names)
    else:
        assert "pydantic" not in names
    # The run itself: every name imports, and no other resolver comes with them (as in the API's import).
    probe = f"import importlib, sys\nfor name in {names!r}:\n    importlib.import_module(name)\n"
    probe += "print('aws_lambda_powertools.event_handler.appsync' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], env=environment, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
