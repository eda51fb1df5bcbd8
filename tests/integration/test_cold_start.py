"""Every handler's import stays within 2.5x of `import boto3` (a ratio measured in one run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_handler_imports_within_the_bar():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "cold_start.py"), "--json", "--runs", "5"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    rows = json.loads(result.stdout)
    assert rows, result.stderr
    for row in rows:
        assert row["ratio"] <= row["bar"], row
    assert result.returncode == 0
