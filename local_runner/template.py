"""Reads ``template.yaml`` so that local mode and the tests build what the template defines.

Nothing about the table, the queues, the routes, the event sources or the functions'
environment is written twice: resources are created from the template's own ``Properties``,
requests are routed by its ``Api`` events and its ``DynamoDB``/``SQS`` events are polled as
their event source mappings would be.

``references`` maps what ``!Ref X`` and ``!GetAtt X.Attr`` stand for locally: ``"X"`` and
``"X.Attr"`` to physical names, ARNs or URLs (``local_runner.emulator.create_resources`` returns it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _CloudFormationLoader(yaml.SafeLoader):
    """A YAML loader that reads CloudFormation's short tags (``!Ref``, ``!Sub``, ...) as their long form."""


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


@cache
def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_CloudFormationLoader)  # noqa: S506 - safe loader subclass


def resource(logical_id: str) -> dict[str, Any]:
    return load_template()["Resources"][logical_id]


# DynamoDB CreateTable takes these table properties as they are written in CloudFormation.
_CREATE_TABLE_PROPERTIES = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
    "DeletionProtectionEnabled",
)


def create_table_arguments(logical_id: str, table_name: str) -> dict[str, Any]:
    """CreateTable arguments from the template's ``AWS::DynamoDB::Table`` properties."""
    properties = resource(logical_id)["Properties"]
    arguments: dict[str, Any] = {"TableName": table_name}
    arguments.update({name: properties[name] for name in _CREATE_TABLE_PROPERTIES if name in properties})
    if stream := properties.get("StreamSpecification"):
        arguments["StreamSpecification"] = {"StreamEnabled": True, **stream}
    if sse := properties.get("SSESpecification"):
        arguments["SSESpecification"] = {"Enabled": bool(sse.get("SSEEnabled"))}
    return arguments


def resources_of_type(resource_type: str) -> list[str]:
    """Logical ids of the template's resources of one type, in template order."""
    return [
        logical_id
        for logical_id, definition in load_template()["Resources"].items()
        if definition.get("Type") == resource_type
    ]


def resolve(value: Any, references: dict[str, str], parameters: dict[str, str] | None = None) -> Any:
    """``value`` with every ``Ref`` and ``Fn::GetAtt`` in it replaced from ``references`` (``Ref``
    also from ``parameters``; a ``CommaDelimitedList`` parameter is a list), and ``Fn::If`` (on the
    template's conditions, over ``parameters`` and the defaults) and ``Fn::Join`` evaluated; other
    intrinsic functions are refused, not guessed."""
    if isinstance(value, list):
        return [resolve(item, references, parameters) for item in value]
    if not isinstance(value, dict):
        return value
    if "Ref" in value:
        name = value["Ref"]
        found = references.get(name, (parameters or {}).get(name))
        if name not in references and _parameter_type(name) == "CommaDelimitedList" and found is not None:
            found = found.split(",")
    elif "Fn::GetAtt" in value:
        name = ".".join(value["Fn::GetAtt"])
        found = references.get(name)
    elif "Fn::If" in value:
        condition, when_true, when_false = value["Fn::If"]
        chosen = when_true if _condition_holds(condition, parameters) else when_false
        return resolve(chosen, references, parameters)
    elif "Fn::Join" in value:
        delimiter, items = value["Fn::Join"]
        return delimiter.join(str(item) for item in resolve(items, references, parameters))
    elif intrinsic := next((key for key in value if key.startswith("Fn::")), None):
        raise ValueError(f"local mode does not evaluate {intrinsic}: {value}")
    else:
        return {key: resolve(item, references, parameters) for key, item in value.items()}
    if found is None:
        raise KeyError(f"local mode cannot resolve {name}")
    return found


def _parameter_type(name: str) -> str | None:
    return load_template().get("Parameters", {}).get(name, {}).get("Type")


def _condition_holds(name: str, parameters: Mapping[str, str] | None) -> bool:
    """One of the template's ``Conditions``, over the parameters given, else their local values."""
    values = parameter_values(parameters)

    def holds(expression: Any) -> bool:
        if "Condition" in expression:
            return holds(load_template()["Conditions"][expression["Condition"]])
        if "Fn::Equals" in expression:
            left, right = (resolve(side, {}, values) for side in expression["Fn::Equals"])
            return bool(left == right)
        if "Fn::Not" in expression:
            return not holds(expression["Fn::Not"][0])
        if "Fn::And" in expression:
            return all(holds(part) for part in expression["Fn::And"])
        if "Fn::Or" in expression:
            return any(holds(part) for part in expression["Fn::Or"])
        raise ValueError(f"local mode does not evaluate the condition {expression}")

    return holds(load_template()["Conditions"][name])


# SQS queue attributes as AWS::SQS::Queue writes them (its other properties are not attributes).
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "SqsManagedSseEnabled",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "RedrivePolicy",
    "RedriveAllowPolicy",
)


def queue_attributes(logical_id: str, references: dict[str, str]) -> dict[str, str]:
    """SetQueueAttributes arguments from an ``AWS::SQS::Queue``'s properties (a redrive policy's
    target resolved from ``references``, so the queues it names must exist first)."""
    properties = resolve(resource(logical_id)["Properties"], references)

    def text(value: Any) -> str:
        if isinstance(value, bool):
            return str(value).lower()
        return json.dumps(value) if isinstance(value, dict) else str(value)

    return {name: text(properties[name]) for name in _QUEUE_ATTRIBUTES if name in properties}


def bucket_notification_configuration(logical_id: str, references: dict[str, str]) -> dict[str, Any]:
    """PutBucketNotificationConfiguration's argument from an ``AWS::S3::Bucket``'s queue notifications
    (CloudFormation writes one ``Event`` and ``S3Key.Rules`` where the API takes ``Events`` and ``Key.FilterRules``)."""
    notifications = resource(logical_id)["Properties"].get("NotificationConfiguration", {})
    queues = []
    for entry in resolve(notifications.get("QueueConfigurations", []), references):
        queue = {"QueueArn": entry["Queue"], "Events": [entry["Event"]]}
        if rules := entry.get("Filter", {}).get("S3Key", {}).get("Rules"):
            queue["Filter"] = {"Key": {"FilterRules": rules}}
        queues.append(queue)
    return {"QueueConfigurations": queues}


@dataclass(frozen=True)
class FunctionEvent:
    """One entry of a function's ``Events``."""

    function: str  # the function's logical id
    name: str  # the event's name under Events
    type: str  # Api, DynamoDB, SQS, ...
    properties: dict[str, Any]


def function_events(event_type: str) -> tuple[FunctionEvent, ...]:
    """Every event of one ``Type`` of every function in the template, properties as written."""
    return tuple(
        FunctionEvent(logical_id, name, event["Type"], event.get("Properties", {}))
        for logical_id in resources_of_type("AWS::Serverless::Function")
        for name, event in (resource(logical_id)["Properties"].get("Events") or {}).items()
        if event.get("Type") == event_type
    )


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str  # as the template writes it: /purchase-orders/{poId}
    function: str
    pattern: re.Pattern[str]

    def match(self, method: str, raw_path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        found = self.pattern.match(raw_path)
        return found.groupdict() if found else None


def _path_pattern(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[A-Za-z0-9_]+\+?\})", path)
    regex = "".join(f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part) for part in parts if part)
    return re.compile(f"^{regex}$")


@cache
def cognito_groups() -> frozenset[str]:
    """The user pool's groups, the roles of API.md (local tokens may name only these)."""
    return frozenset(
        resource(group)["Properties"]["GroupName"] for group in resources_of_type("AWS::Cognito::UserPoolGroup")
    )


@cache
def binary_media_types() -> frozenset[str]:
    """The API's ``BinaryMediaTypes`` (``application~1pdf`` is ``application/pdf``): request bodies of
    these types reach the function base64-encoded."""
    apis = [resource(logical_id)["Properties"] for logical_id in resources_of_type("AWS::Serverless::Api")]
    return frozenset(kind.replace("~1", "/") for api in apis for kind in api.get("BinaryMediaTypes", []))


@cache
def api_routes() -> tuple[ApiRoute, ...]:
    """Every ``Type: Api`` event of every function in the template."""
    routes = []
    for event in function_events("Api"):
        path = event.properties["Path"]
        routes.append(ApiRoute(event.properties["Method"].upper(), path, event.function, _path_pattern(path)))
    return tuple(routes)


def find_route(method: str, raw_path: str) -> tuple[ApiRoute, dict[str, str]] | None:
    """The template route that API Gateway would send this request to, with its path parameters."""
    for route in api_routes():
        parameters = route.match(method, raw_path)
        if parameters is not None:
            return route, parameters
    return None


def function_environment(
    logical_id: str, references: dict[str, str], parameters: dict[str, str] | None = None
) -> dict[str, str]:
    """The function's environment (Globals merged with its own), with ``!Ref``/``!GetAtt`` resolved
    from ``references`` (resources), else ``parameters``, else the parameters' defaults."""
    template = load_template()
    variables = {
        **(template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})),
        **(resource(logical_id)["Properties"].get("Environment", {}).get("Variables", {})),
    }
    resolved = resolve(variables, references, parameter_values(parameters))
    return {name: str(value) for name, value in resolved.items()}


# Local values of the parameters that have no default (a deployer must choose them).
LOCAL_PARAMETER_VALUES = {"NotificationSender": "po-notifications@example.com"}
# The app client local tokens are issued to (their "aud", local_runner.events).
LOCAL_APP_CLIENT_ID = "local"


def parameter_values(parameters: Mapping[str, str] | None = None) -> dict[str, str]:
    """The template's parameters: ``parameters`` given, else their defaults, else their local values
    (``LOCAL_PARAMETER_VALUES``; empty for any other parameter without a default)."""
    defaults = {
        name: str(spec["Default"]) if "Default" in spec else LOCAL_PARAMETER_VALUES.get(name, "")
        for name, spec in load_template().get("Parameters", {}).items()
    }
    return {**defaults, **(parameters or {})}


def function_handler(logical_id: str) -> tuple[Path, str, str]:
    """(code directory, module, function) of a function's ``Handler``."""
    properties = resource(logical_id)["Properties"]
    module, function = properties["Handler"].rsplit(".", 1)
    return ROOT / properties["CodeUri"], module, function
