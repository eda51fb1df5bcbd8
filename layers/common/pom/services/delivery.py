"""Sending due notices through Amazon SES, each at most once.

For each notice: claim it (a conditional write), send it (``pom.adapters.mail``: one request,
never resent by the SDK), record it as sent with the PO's ``NOTIFIED`` audit entry. SES answering
with an error, or the request not reaching it, means it did not send: the claim is released and
the notice is tried again (now, then on later runs, up to ``max_attempts``). A request whose answer
is lost (a read timeout: SES may have accepted it), or a sender that dies between the claim and
the record, leaves the notice claimed and it is never sent again: a duplicate mail is what the
contract rules out, so an unknown outcome counts as sent. Once the claim is older than any sender
lives (``CLAIM_LEASE``), the notice leaves the outbox, marked in doubt, and is logged as an error,
for someone to check whether it arrived.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from pom.adapters.mail import Mailer
from pom.core.months import iso_timestamp, utc_now
from pom.core.observability import logger
from pom.store.ports import OutboxStore

# SES refused it, or the request never reached SES: certainly not sent, safe to try again.
_NOT_SENT = (ClientError, EndpointConnectionError, ConnectTimeoutError)
# The request went out and its answer was lost: SES may have sent it, so it is never tried again.
_OUTCOME_UNKNOWN = (ReadTimeoutError, ConnectionClosedError)
# Longer than the longest-lived sender (the scheduler's 300 s timeout): an older claim's sender is gone.
CLAIM_LEASE = timedelta(minutes=15)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0  # SES refused it this time; it stays due (or gave up after max_attempts)
    skipped: int = 0  # already sent, or another sender holds it
    in_doubt: int = 0  # SES's answer was lost, or its sender died after claiming it: never resent

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.skipped += other.skipped
        self.in_doubt += other.in_doubt


class Notifier:
    def __init__(
        self, outbox: OutboxStore, sender: str, ses: Any = None, *, clock: Callable[[], datetime] = utc_now,
        tries_now: int = 2, max_attempts: int = 5, pause_seconds: float = 1.0,
    ):  # fmt: skip
        self.outbox = outbox
        self.sender = sender
        self.mailer = Mailer(ses)  # ``ses``: an SES client to use instead of the default one
        self.clock = clock
        self.tries_now = tries_now
        self.max_attempts = max_attempts
        self.pause_seconds = pause_seconds

    def deliver(self, keys: Sequence[tuple[str, str]]) -> DeliveryReport:
        report = DeliveryReport()
        for key in dict.fromkeys(keys):
            report.add(self._deliver_one(key))
        return report

    def _deliver_one(self, key: tuple[str, str]) -> DeliveryReport:
        for attempt in range(self.tries_now):
            if attempt:
                time.sleep(self.pause_seconds * attempt)
            now = self.clock()
            claim = self.outbox.claim(key, iso_timestamp(now), iso_timestamp(now - CLAIM_LEASE))
            if claim.state == "IN_DOUBT":
                logger.error("notice in doubt: claimed long ago, never recorded as sent", extra={"notice": key[1]})
                return DeliveryReport(in_doubt=1)
            if claim.item is None:
                return DeliveryReport(skipped=1)
            notice = claim.item
            try:
                message_id = self.mailer.send(
                    self.sender, notice["to"], notice["subject"], notice["text"], notice["html"]
                )
            except _OUTCOME_UNKNOWN as error:
                # The claim stays: nobody resends it, and once the lease ends it is set aside in doubt.
                logger.error("notice in doubt: SES's answer was lost", extra={"notice": key[1], "error": str(error)})
                return DeliveryReport(in_doubt=1)
            except _NOT_SENT as error:
                give_up = int(notice.get("attempts", 1)) >= self.max_attempts
                logger.warning("notice not sent", extra={"notice": key[1], "error": str(error), "givingUp": give_up})
                self.outbox.release(key, notice["claimedAt"], str(error), give_up=give_up)
                if give_up:
                    return DeliveryReport(failed=1)
                continue
            self.outbox.sent(notice, key, iso_timestamp(self.clock()), message_id)
            return DeliveryReport(sent=1)
        return DeliveryReport(failed=1)
