"""The e-mail outbox of local mode: every message the emulated SES accepted, as sent.

moto keeps only one body per message (the HTML one when both are sent) and no time, so the
emulator's SendEmail response is wrapped to record the plain-text body, the HTML body and the
moment it was accepted. A message SES refuses (an unverified sender) is not recorded.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from moto.ses.responses import EmailResponse

from local_runner.events import iso_utc

_lock = threading.Lock()
_sent: list[dict[str, Any]] = []


def install() -> None:
    if getattr(EmailResponse.send_email, "records_outbox", False):
        return
    original = EmailResponse.send_email

    def send_email(self: EmailResponse) -> Any:
        result = original(self)  # raises when SES refuses the message: nothing is recorded
        destination = self._get_param("Destination", {})
        message = {
            "from": self._get_param("Source"),
            "to": destination.get("ToAddresses", []),
            "cc": destination.get("CcAddresses", []),
            "subject": self._get_param("Message.Subject.Data"),
            "body": self._get_param("Message.Body.Text.Data"),
            "html": self._get_param("Message.Body.Html.Data"),
            "sentAt": iso_utc(datetime.now(UTC)),
        }
        with _lock:
            _sent.append(message)
        return result

    send_email.records_outbox = True  # type: ignore[attr-defined]
    EmailResponse.send_email = send_email  # type: ignore[method-assign]


def sent_messages() -> list[dict[str, Any]]:
    with _lock:
        return list(_sent)
