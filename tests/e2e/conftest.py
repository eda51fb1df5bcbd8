"""Starts ``python -m local_runner`` (what ``make local`` runs) on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Runner:
    process: subprocess.Popen[str]
    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_runner(log_path: Path) -> Runner:
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    # The tests set the scheduled job's time themselves (POST /_local/schedule), never the wall clock.
    environment.update({"PORT": str(port), "PYTHONUNBUFFERED": "1", "LOCAL_SCHEDULE": "manual"})
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "local_runner"],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log.close()  # the child holds its own descriptor
    runner = Runner(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"local runner exited early:\n{runner.log()}")
        try:
            if requests.get(f"{runner.base_url}/_local/info", timeout=2).status_code == 200:
                return runner
        except requests.ConnectionError:
            time.sleep(0.2)
    runner.stop()
    raise RuntimeError(f"local runner did not answer within 60 s:\n{runner.log()}")


@pytest.fixture(scope="session")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    started = start_runner(tmp_path_factory.mktemp("runner") / "runner.log")
    yield started
    started.stop()
