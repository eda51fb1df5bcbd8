"""Amazon SES: sends one e-mail per call, one SendEmail request each (never resent by the SDK).

botocore's default retries would send SendEmail again after a read timeout or a dropped
connection, when SES may well have accepted the first request: a duplicate mail. Here the client
makes a single attempt, and the caller decides what a failure means (see ``pom.services.delivery``).
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

# One attempt in total, the first included (``max_attempts`` would count retries only).
SEND_ONCE = Config(retries={"total_max_attempts": 1})


class Mailer:
    def __init__(self, client: Any = None):
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:  # created on first use: most invocations send nothing
            self._client = boto3.client("ses", config=SEND_ONCE)
        return self._client

    def send(self, sender: str, to: list[str], subject: str, text: str, html: str) -> str:
        """Sends a text and HTML mail; returns SES's message id."""
        response = self.client.send_email(
            Source=sender,
            Destination={"ToAddresses": to},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": text, "Charset": "UTF-8"}, "Html": {"Data": html, "Charset": "UTF-8"}},
            },
        )
        return response["MessageId"]
