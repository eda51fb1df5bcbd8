"""Each function's configuration reads only its own environment variables and names every bad one."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest

from pom.core.config import (
    DEFAULT_MAX_BODY_BYTES,
    ApiConfig,
    AwsInvoiceImportConfig,
    ConfigError,
    IngestConfig,
    MatcherConfig,
    NotifierConfig,
    SchedulerConfig,
    read_config,
)

GOOD = {
    "TABLE_NAME": "po-table",
    "INVOICE_BUCKET": "po-invoices",
    "MAX_BODY_BYTES": "1024",
    "NOTIFICATION_SENDER": "po-notifications@example.com",
    "EVENT_BUS_NAME": "po-events",
}
NEEDS = {
    ApiConfig: {"TABLE_NAME", "INVOICE_BUCKET", "MAX_BODY_BYTES", "MAX_DOCUMENT_BYTES", "TRUSTED_CLIENT_IDS"},
    IngestConfig: {"TABLE_NAME", "INVOICE_BUCKET"},
    MatcherConfig: {"TABLE_NAME"},
    SchedulerConfig: {"TABLE_NAME", "NOTIFICATION_SENDER"},
    NotifierConfig: {"TABLE_NAME", "NOTIFICATION_SENDER", "EVENT_BUS_NAME"},
    AwsInvoiceImportConfig: {"TABLE_NAME", "INVOICE_BUCKET"},
}
OPTIONAL = {"MAX_BODY_BYTES", "MAX_DOCUMENT_BYTES", "TRUSTED_CLIENT_IDS"}
REQUIRED = [(config, name) for config, names in NEEDS.items() for name in sorted(names - OPTIONAL)]


def reader_of(name: str) -> type:
    return next(config for config, names in NEEDS.items() if name in names)


class RecordingEnvironment(Mapping[str, str]):
    """An environment that remembers which variables were looked up."""

    def __init__(self, variables: dict[str, str]):
        self.variables = variables
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return self.variables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.variables)

    def __len__(self) -> int:
        return len(self.variables)


@pytest.mark.parametrize("config", list(NEEDS), ids=lambda config: config.__name__)
def test_each_config_reads_only_its_variables(config: type):
    environment = RecordingEnvironment({**GOOD, "PYDANTIC_DISABLE_PLUGINS": "true"})
    assert type(read_config(config, environment)) is config
    assert environment.read == NEEDS[config]


def test_values_are_parsed_and_max_body_bytes_has_a_default():
    assert read_config(ApiConfig, GOOD) == ApiConfig("po-table", "po-invoices", 1024)
    without_limit = {name: value for name, value in GOOD.items() if name != "MAX_BODY_BYTES"}
    assert read_config(ApiConfig, without_limit).max_body_bytes == DEFAULT_MAX_BODY_BYTES
    expected = NotifierConfig("po-table", "po-notifications@example.com", "po-events")
    assert read_config(NotifierConfig, GOOD) == expected


def test_the_matcher_needs_neither_the_bucket_nor_the_sender():
    assert read_config(MatcherConfig, {"TABLE_NAME": "po-table"}) == MatcherConfig("po-table")
    # Variables it does not use are not checked either.
    assert read_config(MatcherConfig, {"TABLE_NAME": "po-table", "INVOICE_BUCKET": "", "NOTIFICATION_SENDER": "x"})


def test_reads_the_process_environment_by_default(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TABLE_NAME", "from-the-process")
    assert read_config(MatcherConfig).table_name == "from-the-process"


@pytest.mark.parametrize(("config", "name"), REQUIRED, ids=lambda value: getattr(value, "__name__", value))
def test_a_missing_variable_is_named(config: type, name: str):
    environment = {variable: value for variable, value in GOOD.items() if variable != name}
    with pytest.raises(ConfigError, match=rf"\b{name}: not set"):
        read_config(config, environment)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TABLE_NAME", "ab"),
        ("TABLE_NAME", "t" * 256),
        ("TABLE_NAME", ""),
        ("INVOICE_BUCKET", "ab"),
        ("INVOICE_BUCKET", "b" * 64),
        ("MAX_BODY_BYTES", "0"),
        ("MAX_BODY_BYTES", "-1"),
        ("MAX_BODY_BYTES", "1.5"),
        ("MAX_BODY_BYTES", "many"),
        ("MAX_BODY_BYTES", ""),
        ("NOTIFICATION_SENDER", "no-at-sign"),
        ("NOTIFICATION_SENDER", "a@b@example.com"),
        ("NOTIFICATION_SENDER", "a b@example.com"),
        ("NOTIFICATION_SENDER", "a@example.com\n"),
    ],
)
def test_a_bad_variable_is_named(name: str, value: str):
    with pytest.raises(ConfigError, match=rf"\b{name}: must be"):
        read_config(reader_of(name), {**GOOD, name: value})


@pytest.mark.parametrize(
    ("name", "value", "parsed"),
    [
        ("TABLE_NAME", "abc", "abc"),
        ("TABLE_NAME", "t" * 255, "t" * 255),
        ("INVOICE_BUCKET", "b" * 63, "b" * 63),
        ("MAX_BODY_BYTES", "1", 1),
        ("NOTIFICATION_SENDER", "a@b", "a@b"),
    ],
)
def test_values_at_the_limits_are_accepted(name: str, value: str, parsed: object):
    assert getattr(read_config(reader_of(name), {**GOOD, name: value}), name.lower()) == parsed


def test_every_problem_is_named_at_once():
    with pytest.raises(ConfigError) as raised:
        read_config(SchedulerConfig, {"NOTIFICATION_SENDER": "nobody"})
    message = str(raised.value)
    assert "SchedulerConfig" in message
    assert "TABLE_NAME: not set" in message
    assert "NOTIFICATION_SENDER: must be an e-mail address" in message
