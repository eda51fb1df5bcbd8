"""The shared code logs through the handlers' one Powertools Logger: JSON lines with their keys."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from pom.core import observability
from pom.services import delivery
from pom.store.ports import Claim


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the Logger writes (Powertools binds its handler to sys.stdout when it is created)."""
    handler = observability.logger.registered_handler
    captured = io.StringIO()
    previous = handler.setStream(captured)  # type: ignore[attr-defined]
    yield captured
    handler.setStream(previous)  # type: ignore[attr-defined]


class InDoubtOutbox:
    """Every claim finds the notice held by a sender that stopped long ago."""

    def claim(self, key: tuple[str, str], now: str, abandoned_before: str) -> Claim:
        return Claim(None, "IN_DOUBT")


def records(captured: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in captured.getvalue().splitlines()]


def test_delivery_logs_through_the_one_logger():
    assert delivery.logger is observability.logger


def test_a_notice_in_doubt_is_an_error_with_its_fields_and_the_handlers_keys(log_lines: io.StringIO):
    notifier = delivery.Notifier(InDoubtOutbox(), "po-notifications@example.com", ses=object())  # type: ignore[arg-type]
    with observability.logger.append_context_keys(accountId="acct-1", invoiceId="INV-1"):
        report = notifier.deliver([("ACCOUNT#acct-1", "NOTICE#balance#PO-1#50")])
    assert report.in_doubt == 1
    (record,) = (record for record in records(log_lines) if record["level"] == "ERROR")
    assert record["message"] == "notice in doubt: claimed long ago, never recorded as sent"
    assert record["notice"] == "NOTICE#balance#PO-1#50"
    assert (record["accountId"], record["invoiceId"]) == ("acct-1", "INV-1")
