"""Reads ``template.yaml`` so that local mode and the tests build what the template defines.

Nothing about the table, the routes or the functions' environment is written twice: the
DynamoDB table is created from the template's own ``Properties`` and requests are routed by
the template's own ``Api`` events.
"""

from __future__ import annotations

import re
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
def api_routes() -> tuple[ApiRoute, ...]:
    """Every ``Type: Api`` event of every function in the template."""
    routes = []
    for logical_id, definition in load_template()["Resources"].items():
        if definition.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (definition["Properties"].get("Events") or {}).values():
            if event.get("Type") == "Api":
                path, method = event["Properties"]["Path"], event["Properties"]["Method"].upper()
                routes.append(ApiRoute(method, path, logical_id, _path_pattern(path)))
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
    """The function's environment (Globals merged with its own), with ``!Ref`` resolved from
    ``references`` (resources), else ``parameters``, else the parameters' defaults."""
    template = load_template()
    variables = {
        **(template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})),
        **(resource(logical_id)["Properties"].get("Environment", {}).get("Variables", {})),
    }
    parameters = {
        **{name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()},
        **(parameters or {}),
    }

    def resolve(value: Any) -> str:
        if isinstance(value, dict) and "Ref" in value:
            name = value["Ref"]
            if name in references:
                return references[name]
            if name in parameters:
                return parameters[name]
            raise KeyError(f"local mode cannot resolve !Ref {name} in {logical_id}'s environment")
        return str(value)

    return {name: resolve(value) for name, value in variables.items()}


def function_handler(logical_id: str) -> tuple[Path, str, str]:
    """(code directory, module, function) of a function's ``Handler``."""
    properties = resource(logical_id)["Properties"]
    module, function = properties["Handler"].rsplit(".", 1)
    return ROOT / properties["CodeUri"], module, function
