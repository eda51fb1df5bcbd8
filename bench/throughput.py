"""End-to-end invoice throughput in local mode, against bare PutItem on the same emulator.

Starts the local runner (what ``make local`` runs), creates a PO whose balance covers every
invoice, then for each concurrency (1 and 8 uploaders by default) POSTs N invoices to
``/invoices`` and times from the first upload until every one is MATCHED (``POST /_local/drain``,
then counted through ``GET /invoices?matchStatus=MATCHED``). Each concurrency gets an account of
its own. The baseline is boto3 PutItem of small items into the runner's table (a throwaway key
prefix) with as many threads. Prints a markdown table, the ratio of the two rates and the runner's
CPU time per invoice (the runner process's CPU time over the invoices' run, from ``GET /_local/cpu``,
divided by the invoices: what the API, the pollers, the functions and the emulator cost together),
and how it splits (the same answer's accounts): the emulator's answers to the runner's calls
the functions' own code (botocore's client side included), the rest (HTTP server, pollers). The
ratio the emulator's share alone would give (its CPU per invoice times PutItem/s) is a floor for
the ratio while the runner is CPU-bound. Exits 1 when a ratio is over ``RATIO_BAR`` or the CPU per
invoice over ``CPU_BAR_MS``.

The runner invokes each function one event at a time, as one Lambda execution environment
would: concurrent uploaders queue at the API function, where AWS would start more environments.

    python bench/throughput.py [--invoices 100] [--puts 400] [--concurrency 1 8]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from local_runner.emulator import FAKE_CREDENTIALS, TABLE_NAME  # noqa: E402
from tests.e2e.client import TIMEOUT, Client, drain, invoice_document, line_item  # noqa: E402
from tests.e2e.conftest import Runner, start_runner  # noqa: E402

SUBTOTAL = Decimal("10.00")
RATIO_BAR = 6.0  # bare PutItem/s over invoices/s
CPU_BAR_MS = 40.0  # the runner's CPU time per invoice


def _timed(work: Callable[[Any, int], None], states: list[Any], count: int) -> float:
    """Seconds for one thread per state (an HTTP session or an AWS client, made beforehand and never
    shared) to run ``work(state, n)`` for n in 0..count-1 between them."""
    numbers = iter(range(count))
    lock = threading.Lock()

    def worker(state: Any) -> None:
        while True:
            with lock:
                number = next(numbers, None)
            if number is None:
                return
            work(state, number)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(states)) as pool:
        for finished in [pool.submit(worker, state) for state in states]:
            finished.result()
    return time.perf_counter() - started


def runner_cpu(runner: Runner) -> tuple[float, dict[str, float]]:
    """The runner's CPU seconds so far: the whole process's, and the emulator's and each function's."""
    reply = requests.get(f"{runner.base_url}/_local/cpu", timeout=TIMEOUT).json()
    return reply["process"], reply["accounts"]


def invoices_until_matched(runner: Runner, uploaders: int, count: int) -> tuple[float, float, float, dict[str, float]]:
    """(seconds until every upload was answered, seconds until every invoice was MATCHED, the
    runner's CPU seconds meanwhile, and what the emulator and each function took of them)."""
    client = Client(runner)
    client.create_po("BENCH", [line_item("1", "ALL", str(SUBTOTAL * count * 10))])
    run_id = uuid.uuid4().hex[:8]

    def upload(session: requests.Session, number: int) -> None:
        document = invoice_document(f"INV-{run_id}-{number}", str(SUBTOTAL), "2026-03-15")
        reply = session.post(f"{client.base_url}/invoices", json=document, headers=client.headers, timeout=TIMEOUT)
        if reply.status_code != 202:
            raise RuntimeError(f"upload {number}: {reply.status_code} {reply.text}")

    sessions = [requests.Session() for _ in range(uploaders)]
    (cpu_before, accounts_before), started = runner_cpu(runner), time.perf_counter()
    uploaded = _timed(upload, sessions, count)
    drain(client.base_url)
    elapsed = time.perf_counter() - started
    cpu_after, accounts_after = runner_cpu(runner)
    cpu = cpu_after - cpu_before
    accounts = {name: seconds - accounts_before.get(name, 0.0) for name, seconds in accounts_after.items()}
    matched = len(client.invoices(matchStatus="MATCHED", limit="100"))
    if matched != count or client.po("BENCH")["invoicedAmount"] != f"{SUBTOTAL * count:.2f}":
        raise RuntimeError(f"{matched} of {count} invoices matched, PO {client.po('BENCH')}")
    return uploaded, elapsed, cpu, accounts


def bare_put_items(endpoint: str, threads: int, count: int) -> float:
    prefix = f"BENCH#{uuid.uuid4().hex[:8]}"

    def put(dynamodb: Any, number: int) -> None:
        item = {"PK": {"S": prefix}, "SK": {"S": f"{number:06d}"}, "entity": {"S": "BENCH"}, "n": {"N": str(number)}}
        dynamodb.put_item(TableName=TABLE_NAME, Item=item)

    return _timed(put, [boto3.client("dynamodb", endpoint_url=endpoint) for _ in range(threads)], count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=100, help="invoices per concurrency (at most 100)")
    parser.add_argument("--puts", type=int, default=400, help="PutItem requests per thread count")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    arguments = parser.parse_args()
    if not 1 <= arguments.invoices <= 100:  # one page of GET /invoices counts them
        parser.error("--invoices must be 1..100")
    os.environ.update(FAKE_CREDENTIALS)  # for the baseline's clients; the runner is started without them
    with tempfile.TemporaryDirectory() as scratch:
        runner = start_runner(Path(scratch) / "runner.log")
        try:
            endpoint = requests.get(f"{runner.base_url}/_local/info", timeout=TIMEOUT).json()["awsEndpoint"]
            rows = []
            for workers in arguments.concurrency:
                uploaded, matched, cpu, accounts = invoices_until_matched(runner, workers, arguments.invoices)
                puts = bare_put_items(endpoint, workers, arguments.puts)
                rows.append((workers, uploaded, matched, arguments.puts / puts, cpu, accounts))
        finally:
            runner.stop()
    count = arguments.invoices
    print(f"{count} invoices per row, each uploaded with POST /invoices and matched to one PO line item.\n")
    columns = ["concurrency", "uploads answered (s)", "all MATCHED (s)", "invoices/s", "bare PutItem/s", "ratio"]
    columns += ["runner CPU per invoice (ms)", "emulator", "functions", "rest", "ratio of the emulator alone"]
    print(f"| {' | '.join(columns)} |")
    print("| ---: " * len(columns) + "|")
    failed = []
    for workers, uploaded, matched, put_rate, cpu, accounts in rows:
        rate, cpu_ms = count / matched, cpu / count * 1000
        ratio = put_rate / rate
        emulator_ms = accounts.get("emulator", 0.0) / count * 1000
        functions_ms = sum(seconds for name, seconds in accounts.items() if name != "emulator") / count * 1000
        split = f"{emulator_ms:.1f} | {functions_ms:.1f} | {cpu_ms - emulator_ms - functions_ms:.1f}"
        figures = f"{uploaded:.2f} | {matched:.2f} | {rate:.1f} | {put_rate:.0f} | {ratio:.1f} | {cpu_ms:.1f}"
        print(f"| {workers} | {figures} | {split} | {emulator_ms / 1000 * put_rate:.1f} |")
        if ratio > RATIO_BAR:
            failed.append(f"ratio {ratio:.1f} > {RATIO_BAR:g} at concurrency {workers}")
        if cpu_ms > CPU_BAR_MS:
            failed.append(f"runner CPU {cpu_ms:.1f} ms > {CPU_BAR_MS:g} ms per invoice at concurrency {workers}")
    print("\nratio: bare PutItem/s over invoices/s, the time of one invoice end to end counted in bare writes.")
    print("emulator: moto answering the runner's calls; functions: their own code, botocore's client side")
    print("included; rest: the HTTP server and the pollers. The emulator alone: its CPU per invoice in PutItems.")
    for failure in failed:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
