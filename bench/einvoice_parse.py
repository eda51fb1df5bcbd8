"""What reading an invoice document costs, per format, next to the JSON path; and what the e-invoice
parsers add to a cold start, which pays for them only on its first XML or PDF document.

- Parse time: the sample documents of ``tests/documents`` (one invoice as JSON, UBL, CII and a
  Factur-X PDF), each read to its upload document as the service does, median of many in one process,
  with its ratio to JSON measured in the same run.
- Import: in fresh interpreters, the API and ingest handlers' import against ``import boto3`` (the
  parsers are not loaded: checked), and the one-time cost of the first XML and the first PDF
  document (loading lxml, and pypdf) against ``import boto3``, medians of alternating runs.

    python bench/einvoice_parse.py [--runs 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / "layers" / "common"
sys.path[:0] = [str(ROOT), str(LAYER)]

from local_runner.template import function_environment, function_handler  # noqa: E402
from pom.domain import invoice_documents  # noqa: E402
from tests.documents.factur_x import factur_x_pdf  # noqa: E402

PLACEHOLDERS = {"Table": "bench-table", "InvoiceBucket": "bench-bucket"}
PARSERS = ("lxml", "pypdf", "pom.domain.einvoice")
JSON_TWIN = {
    "invoiceId": "INV-2024-0042",
    "billingEntity": "Nimbus Cloud Services GmbH",
    "invoiceType": "MONTHLY_USAGE",
    "issueDate": "2024-08-02",
    "billingPeriod": "2024-07",
    "currency": "EUR",
    "subtotal": "1400.00",
    "tax": "266.00",
    "total": "1666.00",
    "allowanceTotal": "100.50",
    "poReference": "PO-2024-117",
    "lines": [
        {"lineNumber": 1, "lineId": "1", "amount": "1200.00", "poLineItemId": "1"},
        {"lineNumber": 2, "lineId": "2", "amount": "350.50", "poLineItemId": "2"},
        {"lineNumber": 3, "lineId": "3", "amount": "-50.00"},
    ],
}


def _documents() -> dict[str, tuple[bytes, Callable[[bytes], object]]]:
    cii = (ROOT / "tests" / "documents" / "cii_invoice.xml").read_bytes()
    xml, pdf = invoice_documents.XML, invoice_documents.PDF
    return {
        "JSON": (json.dumps(JSON_TWIN).encode(), invoice_documents.json_document),
        "UBL": ((ROOT / "tests" / "documents" / "ubl_invoice.xml").read_bytes(), lambda b: _read(b, xml)),
        "CII": (cii, lambda b: _read(b, xml)),
        "Factur-X": (factur_x_pdf(cii), lambda b: _read(b, pdf)),
    }


def _read(body: bytes, kind: str) -> object:
    return invoice_documents.read_einvoice(body, kind)


def parse_times(rounds: int = 7, per_round: int = 50) -> list[dict[str, object]]:
    """Median microseconds per document; formats interleaved each round, so noise hits them alike."""
    documents = _documents()
    for body, read in documents.values():
        read(body)  # the first document loads the parsers: not what a warm function pays
    samples: dict[str, list[float]] = {name: [] for name in documents}
    for _ in range(rounds):
        for name, (body, read) in documents.items():
            started = time.perf_counter()
            for _ in range(per_round):
                read(body)
            samples[name].append((time.perf_counter() - started) / per_round * 1e6)
    json_us = statistics.median(samples["JSON"])
    return [
        {
            "format": name,
            "bytes": len(documents[name][0]),
            "us": round(statistics.median(times)),
            "ratio_to_json": round(statistics.median(times) / json_us, 2),
        }
        for name, times in samples.items()
    ]


def _fresh(code: str, environment: dict[str, str], path: list[str]) -> dict[str, float]:
    """Runs ``code`` in a fresh interpreter; it prints a JSON object of its own measurements."""
    env = {**os.environ, **environment, "PYTHONPATH": os.pathsep.join(path)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


_TIMED_IMPORT = """
import json, sys, time
started = time.perf_counter()
import {module}
elapsed = time.perf_counter() - started
print(json.dumps({{"ms": elapsed * 1000, "parsers": [m for m in {parsers!r} if m in sys.modules]}}))
"""
_FIRST_DOCUMENT = """
import json, time
from pom.domain import invoice_documents
body = open({path!r}, "rb").read()
started = time.perf_counter()
invoice_documents.read_einvoice(body, {kind!r})
print(json.dumps({{"ms": (time.perf_counter() - started) * 1000}}))
"""


def cold_costs(runs: int) -> list[dict[str, object]]:
    """The handlers' imports and the first documents' one-time cost, each against ``import boto3``."""
    environment = {"AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_METRICS_DISABLED": "true"}
    pdf_path = ROOT / "test-output" / "bench-factur-x.pdf"
    pdf_path.parent.mkdir(exist_ok=True)
    pdf_path.write_bytes(_documents()["Factur-X"][0])
    cases: dict[str, tuple[str, dict[str, str], list[str]]] = {}
    for logical_id in ("ApiFunction", "IngestFunction"):
        code_dir, module, _ = function_handler(logical_id)
        env = {**environment, **function_environment(logical_id, PLACEHOLDERS)}
        cases[logical_id] = (_TIMED_IMPORT.format(module=module, parsers=PARSERS), env, [str(code_dir), str(LAYER)])
    xml_path = ROOT / "tests" / "documents" / "cii_invoice.xml"
    for name, path, kind in (
        ("first XML document", xml_path, "application/xml"),
        ("first PDF document", pdf_path, "application/pdf"),
    ):
        cases[name] = (_FIRST_DOCUMENT.format(path=str(path), kind=kind), environment, [str(LAYER)])
    boto3 = (_TIMED_IMPORT.format(module="boto3", parsers=PARSERS), environment, [])
    for code, env, path in [boto3, *cases.values()]:
        _fresh(code, env, path)  # warm the bytecode caches
    samples: dict[str, list[float]] = {name: [] for name in ["boto3", *cases]}
    loaded: dict[str, list[str]] = {}
    for _ in range(runs):
        samples["boto3"].append(_fresh(*boto3)["ms"])
        for name, case in cases.items():
            measured = _fresh(*case)
            samples[name].append(measured["ms"])
            loaded[name] = measured.get("parsers")  # None for a document: it loads them
    boto3_ms = statistics.median(samples["boto3"])
    return [
        {
            "what": name,
            "ms": round(statistics.median(samples[name]), 1),
            "ratio_to_boto3": round(statistics.median(samples[name]) / boto3_ms, 2),
            "parsers_loaded": loaded.get(name),
        }
        for name in cases
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    parsing, cold = parse_times(), cold_costs(arguments.runs)
    if arguments.json:
        print(json.dumps({"parse": parsing, "cold": cold}))
        return 0
    print(f"{'document':<10}{'bytes':>8}{'µs each':>10}{'× JSON':>8}")
    for row in parsing:
        print(f"{row['format']:<10}{row['bytes']:>8}{row['us']:>10}{row['ratio_to_json']:>8}")
    print(f"\n{'cold start':<22}{'ms':>8}{'× boto3':>9}  parsers loaded at import")
    for row in cold:
        loaded = row["parsers_loaded"]
        shown = "-" if loaded is None else (", ".join(loaded) or "none")
        print(f"{row['what']:<22}{row['ms']:>8}{row['ratio_to_boto3']:>9}  {shown}")
    handlers = [row for row in cold if row["parsers_loaded"] is not None]
    return 1 if any(row["parsers_loaded"] for row in handlers) else 0


if __name__ == "__main__":
    sys.exit(main())
