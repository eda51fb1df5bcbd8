"""Powertools' REST resolver without the rest of its event handler and event data class packages.

Two package ``__init__`` modules import far more than the REST resolver uses:

- ``aws_lambda_powertools.event_handler`` imports every resolver Powertools has: AppSync (with
  asyncio), AppSync Events, Bedrock Agents, VPC Lattice, Function URLs and the HTTP resolver (about
  27 ms of the API's import);
- ``aws_lambda_powertools.utilities.data_classes`` imports the data class of every event source
  (Kinesis, Kafka, S3 Batch Operations, Connect, CodePipeline and two dozen more; about 12 ms), where
  the REST resolver reads seven classes of five modules.

Here each package is registered without running its ``__init__``. Its submodules still import
through its path, and a name asked of the package (``api_gateway`` imports the event classes from
the data class package, ``openapi.params`` imports ``Response`` from the event handler; later in
the process, Powertools' batch utility might import ``S3Event``) is found where the package's own
``__init__`` would import it from: that module is imported then, and only that one. So every name
the package exports resolves to the same object as when the package is imported whole (but
``data_classes.event_source``, both a module and the function it defines, once that module was
imported by its own name).

This must run before anything imports either package: every API module takes the resolver's names
from here, and import sorting keeps ``api_*`` ahead of ``aws_*``.
``tests/integration/test_cold_start.py`` checks that the API's import loads none of the other
resolvers or event classes and that the packages still give every name, and the API's tests run
every route through the resolver imported this way.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

_PACKAGES = ("aws_lambda_powertools.utilities.data_classes", "aws_lambda_powertools.event_handler")


def _exports(package: ModuleType) -> dict[str, tuple[str, str]]:
    """{name: (module, name there)} of the package's ``__init__``, read from its imports, not run."""
    tree = ast.parse(Path(package.__file__ or "").read_bytes())
    found = {}
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom) and statement.module:
            module = statement.module if statement.level == 0 else f"{package.__name__}.{statement.module}"
            if statement.level in (0, 1) and module.startswith(f"{package.__name__}."):
                found.update({alias.asname or alias.name: (module, alias.name) for alias in statement.names})
    return found


def _import_on_demand(package: ModuleType) -> Callable[[str], Any]:
    """The package's ``__getattr__``: a name its ``__init__`` exports, imported from where it lives."""
    exports: dict[str, tuple[str, str]] = {}

    def missing_name(name: str) -> Any:
        if not exports:
            exports.update(_exports(package))
        if name not in exports:  # a submodule (the import system loads it next) or no such name
            raise AttributeError(name)
        module, original = exports[name]
        value = getattr(importlib.import_module(module), original)
        setattr(package, name, value)
        return value

    return missing_name


for _name in _PACKAGES:
    if _name in sys.modules:  # the whole package was imported already: nothing to save
        continue
    _spec = importlib.util.find_spec(_name)
    if _spec is None:
        raise ImportError(_name)
    _package = importlib.util.module_from_spec(_spec)
    _package.__getattr__ = _import_on_demand(_package)  # type: ignore[method-assign]
    sys.modules[_name] = _package
    _parent, _, _child = _name.rpartition(".")
    setattr(sys.modules[_parent], _child, _package)

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response, Router  # noqa: E402

__all__ = ["APIGatewayRestResolver", "Response", "Router"]
