"""Cold-start cost of each Lambda handler module, as a ratio to ``import boto3`` alone.

Each figure is the cumulative import time that ``python -X importtime`` reports for the module,
in a fresh interpreter, median of 5 runs; the handler and boto3 runs alternate so that both see
the same machine noise. Prints a table and the biggest contributors to each handler's import.

    python bench/cold_start.py [--runs 5] [--json]    (exit 1 if a handler exceeds the bar)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from local_runner.template import function_environment, function_handler, load_template  # noqa: E402

BAR = 2.5  # the limit: a handler's import costs at most 2.5x `import boto3`
PLACEHOLDERS = {"Table": "bench-table", "InvoiceBucket": "bench-bucket", "EventBus": "bench-events"}


def _import_times(module: str, pythonpath: list[str], environment: dict[str, str]) -> dict[str, tuple[int, int]]:
    """{module: (self, cumulative) microseconds} from one fresh interpreter importing ``module``."""
    env = {**os.environ, **environment, "PYTHONPATH": os.pathsep.join(pythonpath)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the warm-up writes the bytecode a deployed package ships
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=env,
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


def _by_package(times: dict[str, tuple[int, int]]) -> list[tuple[str, float]]:
    """Self time summed per top-level package, biggest first: where the import time really goes."""
    totals: dict[str, int] = {}
    for name, (self_us, _) in times.items():
        package = name.split(".", 1)[0]
        totals[package] = totals.get(package, 0) + self_us
    return [(package, round(us / 1000, 1)) for package, us in sorted(totals.items(), key=lambda kv: -kv[1])[:8]]


def _functions() -> list[str]:
    return sorted(
        logical_id
        for logical_id, definition in load_template()["Resources"].items()
        if definition.get("Type") == "AWS::Serverless::Function"
    )


def measure(runs: int) -> list[dict[str, object]]:
    layer = str(ROOT / "layers" / "common")
    environment = {"AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_METRICS_DISABLED": "true"}
    rows = []
    for logical_id in _functions():
        code_dir, module, _ = function_handler(logical_id)
        function_env = {**environment, **function_environment(logical_id, PLACEHOLDERS)}
        path = [str(code_dir), layer]
        _import_times(module, path, function_env)  # warm the bytecode cache, as a deployed package has it
        handler_runs, boto3_runs, last = [], [], {}
        for _ in range(runs):
            boto3_runs.append(_import_times("boto3", [], environment)["boto3"][1])
            last = _import_times(module, path, function_env)
            handler_runs.append(last[module][1])
        handler_ms = statistics.median(handler_runs) / 1000
        boto3_ms = statistics.median(boto3_runs) / 1000
        rows.append(
            {
                "function": logical_id,
                "module": module,
                "handler_ms": round(handler_ms, 1),
                "boto3_ms": round(boto3_ms, 1),
                "ratio": round(handler_ms / boto3_ms, 2),
                "bar": BAR,
                "biggest": _by_package(last),
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    arguments = parser.parse_args()
    rows = measure(arguments.runs)
    if arguments.json:
        print(json.dumps(rows))
    else:
        print(f"{'function':<18}{'module':<18}{'import ms':>10}{'boto3 ms':>10}{'ratio':>8}{'bar':>6}")
        for row in rows:
            print(
                f"{row['function']:<18}{row['module']:<18}{row['handler_ms']:>10}{row['boto3_ms']:>10}"
                f"{row['ratio']:>8}{row['bar']:>6}"
            )
            print("  self time by package (ms): " + ", ".join(f"{name} {ms}" for name, ms in row["biggest"]))
    return 0 if all(row["ratio"] <= BAR for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
