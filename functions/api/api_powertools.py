"""Powertools' REST resolver without the rest of its event handler package.

The ``aws_lambda_powertools.event_handler`` package's ``__init__`` imports every resolver
Powertools has: AppSync (with asyncio), AppSync Events, Bedrock Agents, VPC Lattice, Function
URLs and the HTTP resolver: about 27 ms of the API's import, for classes it never uses.
Here the package is registered without running its ``__init__``. Its submodules still import
through its path. The package then gets the names its ``__init__`` exports from the modules the
REST resolver loads anyway, which its submodules import from it (``openapi.params`` imports
``Response``).

This must run before anything imports the event handler: every API module takes the resolver's
names from here, and import sorting keeps ``api_*`` ahead of ``aws_*``.
``tests/integration/test_cold_start.py`` checks that the API's import loads none of the other
resolvers, and the API's tests run every route through the resolver imported this way.
"""

from __future__ import annotations

import importlib.util
import sys

_PACKAGE = "aws_lambda_powertools.event_handler"

if _PACKAGE not in sys.modules:  # the whole package was imported already: nothing to save
    _spec = importlib.util.find_spec(_PACKAGE)
    if _spec is None:
        raise ImportError(_PACKAGE)
    _package = importlib.util.module_from_spec(_spec)
    sys.modules[_PACKAGE] = _package
    sys.modules["aws_lambda_powertools"].event_handler = _package  # type: ignore[attr-defined]

# What the package's __init__ exports from the modules the REST resolver loads anyway. The other
# resolvers' names are left out: importing one of them from the package fails at once.
_EXPORTS = {
    "api_gateway": ("ALBResolver", "APIGatewayHttpResolver", "ApiGatewayResolver", "APIGatewayRestResolver",
                    "CORSConfig", "Response"),
    "depends": ("DependencyResolutionError", "Depends"),
    "request": ("Request",),
}  # fmt: skip
for _module, _names in _EXPORTS.items():
    _loaded = importlib.import_module(f"{_PACKAGE}.{_module}")
    for _name in _names:
        setattr(sys.modules[_PACKAGE], _name, getattr(_loaded, _name))

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response, Router  # noqa: E402

__all__ = ["APIGatewayRestResolver", "Response", "Router"]
