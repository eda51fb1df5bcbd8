"""Powertools' REST resolver without the rest of its event handler and event data class packages.

Two package ``__init__`` modules import far more than the REST resolver uses:

- ``aws_lambda_powertools.event_handler`` imports every resolver Powertools has: AppSync (with
  asyncio), AppSync Events, Bedrock Agents, VPC Lattice, Function URLs and the HTTP resolver (about
  27 ms of the API's import);
- ``aws_lambda_powertools.utilities.data_classes`` imports the data class of every event source
  (Kinesis, Kafka, S3 Batch Operations, Connect, CodePipeline and two dozen more; about 12 ms), where
  the REST resolver reads five.

Here each package is registered without running its ``__init__``. Its submodules still import
through its path. The package then gets the names its ``__init__`` exports from the modules the
REST resolver loads anyway, which its modules import from it (``api_gateway`` imports the event
classes from the data class package, ``openapi.params`` imports ``Response`` from the event handler).

This must run before anything imports either package: every API module takes the resolver's names
from here, and import sorting keeps ``api_*`` ahead of ``aws_*``.
``tests/integration/test_cold_start.py`` checks that the API's import loads none of the other
resolvers or event classes, and the API's tests run every route through the resolver imported this way.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

# For each package: what its __init__ exports from the modules the REST resolver loads anyway. The
# rest is left out: importing another resolver or event class from the package fails at once.
# Data classes first: the event handler's api_gateway imports its event classes from that package.
_EXPORTS = {
    "aws_lambda_powertools.utilities.data_classes": {
        "alb_event": ("ALBEvent",),
        "api_gateway_proxy_event": ("APIGatewayProxyEvent", "APIGatewayProxyEventV2"),
        "bedrock_agent_event": ("BedrockAgentEvent",),
        "lambda_function_url_event": ("LambdaFunctionUrlEvent",),
        "vpc_lattice": ("VPCLatticeEvent", "VPCLatticeEventV2"),
    },
    "aws_lambda_powertools.event_handler": {
        "api_gateway": ("ALBResolver", "APIGatewayHttpResolver", "ApiGatewayResolver", "APIGatewayRestResolver",
                        "CORSConfig", "Response"),
        "depends": ("DependencyResolutionError", "Depends"),
        "request": ("Request",),
    },
}  # fmt: skip

for _package_name, _exports in _EXPORTS.items():
    if _package_name in sys.modules:  # the whole package was imported already: nothing to save
        continue
    _spec = importlib.util.find_spec(_package_name)
    if _spec is None:
        raise ImportError(_package_name)
    _package = importlib.util.module_from_spec(_spec)
    sys.modules[_package_name] = _package
    _parent, _, _child = _package_name.rpartition(".")
    setattr(sys.modules[_parent], _child, _package)
    for _module, _names in _exports.items():
        _loaded = importlib.import_module(f"{_package_name}.{_module}")
        for _name in _names:
            setattr(_package, _name, getattr(_loaded, _name))

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response, Router  # noqa: E402

__all__ = ["APIGatewayRestResolver", "Response", "Router"]
