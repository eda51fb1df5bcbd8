"""Configuration: each function's environment variables, read once at start into a typed, immutable tuple.

Each function declares only the variables it uses, so it never fails for one it does not need; a
field is named after its variable (``table_name`` is ``TABLE_NAME``) and ``read_config`` checks it
by the one rule of that variable. NamedTuples, not pydantic models or dataclasses: this runs in
every cold start, and a NamedTuple class is about a tenth of the cost of a frozen dataclass to define.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypeVar

# API Gateway allows 10 MB; no PO or JSON invoice comes near this.
DEFAULT_MAX_BODY_BYTES = 256 * 1024
# An e-invoice (XML, or a PDF with its XML) by POST; larger ones go through S3. Base64 makes it 5.4 MB,
# within Lambda's 6 MB request limit.
DEFAULT_MAX_DOCUMENT_BYTES = 4 * 2**20


class ConfigError(RuntimeError):
    pass


class ApiConfig(NamedTuple):
    table_name: str
    invoice_bucket: str
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
    # The app clients whose tokens the API takes (a token's aud or client_id); empty: any the
    # authorizer's user pool issued. With an existing user pool, none of them may write custom:accountId.
    trusted_client_ids: frozenset[str] = frozenset()


class IngestConfig(NamedTuple):
    table_name: str
    invoice_bucket: str


class MatcherConfig(NamedTuple):
    table_name: str


class SchedulerConfig(NamedTuple):
    table_name: str
    notification_sender: str


class AwsInvoiceImportConfig(NamedTuple):
    table_name: str
    invoice_bucket: str


class NotifierConfig(NamedTuple):
    table_name: str
    notification_sender: str
    event_bus_name: str


def _length(low: int, high: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not low <= len(value) <= high:
            raise ValueError(f"must be {low} to {high} characters long, not {len(value)}")
        return value

    return check


def _positive_int(value: str) -> int:
    digits = value.strip()
    if not digits.isdecimal() or int(digits) == 0:
        raise ValueError(f"must be a whole number above 0, not {value!r}")
    return int(digits)


_CLIENT_ID = re.compile(r"[\w+]{1,128}")


def _client_ids(value: str) -> frozenset[str]:
    ids = frozenset(part.strip() for part in value.split(",") if part.strip())
    bad = sorted(client_id for client_id in ids if not _CLIENT_ID.fullmatch(client_id))
    if bad:
        raise ValueError(f"must be app client ids separated by commas, not {', '.join(map(repr, bad))}")
    return ids


_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+")


def _address(value: str) -> str:
    if not _ADDRESS.fullmatch(value):
        raise ValueError(f"must be an e-mail address, not {value!r}")
    return value


# The rule of each variable, whichever function reads it.
_RULES: dict[str, Callable[[str], Any]] = {
    "TABLE_NAME": _length(3, 255),
    "INVOICE_BUCKET": _length(3, 63),
    "MAX_BODY_BYTES": _positive_int,
    "MAX_DOCUMENT_BYTES": _positive_int,
    "TRUSTED_CLIENT_IDS": _client_ids,
    "EVENT_BUS_NAME": _length(1, 256),
    # The From address of notification e-mails, a verified SES identity (template parameter).
    "NOTIFICATION_SENDER": _address,
}

Config = TypeVar("Config", bound=tuple)


def read_config(config_class: type[Config], environ: Mapping[str, str] = os.environ) -> Config:
    """The function's configuration from ``environ``; raises ConfigError naming every missing or bad variable."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    defaults = config_class._field_defaults  # type: ignore[attr-defined]
    for field in config_class._fields:  # type: ignore[attr-defined]
        variable = field.upper()
        raw = environ.get(variable)
        if raw is None:
            if field not in defaults:
                problems.append(f"{variable}: not set")
            continue
        try:
            values[field] = _RULES[variable](raw)
        except ValueError as error:
            problems.append(f"{variable}: {error}")
    if problems:
        raise ConfigError(f"invalid {config_class.__name__} (environment variables): {'; '.join(problems)}")
    return config_class(**values)
