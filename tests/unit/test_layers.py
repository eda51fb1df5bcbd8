"""The structure of ``pom``, read from its source with ``ast``: which layer may import which, empty
package files, and how long the domain's classes and functions may grow.

Layers, lowest first: ``pom.core`` < ``pom.domain`` < ``pom.store`` and ``pom.adapters`` (neither
imports the other) < ``pom.services``. A module imports only from its own layer or lower ones; the
handlers under ``functions/`` may import anything. ``pom.core`` and ``pom.domain`` are pure: no AWS SDK.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POM = ROOT / "layers" / "common" / "pom"

LAYERS = {"pom.core": 0, "pom.domain": 1, "pom.store": 2, "pom.adapters": 2, "pom.services": 3}
PURE = {"pom.core", "pom.domain"}
SDK = {"boto3", "botocore"}
MAX_CLASS_LINES = 250
MAX_FUNCTION_LINES = 40


def _modules() -> list[Path]:
    return sorted(POM.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(POM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_of(name: str) -> str | None:
    """The layer package ``name`` is in (``pom.store.keys`` → ``pom.store``), or None."""
    return next((package for package in LAYERS if name == package or name.startswith(package + ".")), None)


def _imported_names(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """What the statement imports, as absolute dotted names: ``from pom import services`` imports
    ``pom.services``, ``from pom.core.money import ZERO`` ``pom.core.money.ZERO``."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        anchor = package[: len(package) - (node.level - 1)]
        base = ".".join([*anchor, base] if base else anchor)
    return [f"{base}.{alias.name}" for alias in node.names]


def _refusal(importer: str | None, name: str) -> str | None:
    """Why the layer package ``importer`` may not import ``name``; None when it may."""
    if name.split(".", maxsplit=1)[0] in SDK:
        return f"{importer} is pure: no AWS SDK" if importer in PURE else None
    if name != "pom" and not name.startswith("pom."):
        return None
    imported = _package_of(name)
    if importer is None or imported is None:
        return f"{name} is in no layer"
    if LAYERS[imported] > LAYERS[importer]:
        return f"{importer} (layer {LAYERS[importer]}) imports from {imported} (layer {LAYERS[imported]})"
    if LAYERS[imported] == LAYERS[importer] and imported != importer:
        return f"{importer} and {imported} are side by side: neither imports the other"
    return None


def layer_violations(source: str, module: str, *, is_package: bool = False) -> Iterator[tuple[int, str, str]]:
    """Each import of ``module``'s source that breaks the layers, at any depth (inside functions
    too), as (line, statement, why)."""
    importer = _package_of(module)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for name in _imported_names(node, module, is_package):
                why = _refusal(importer, name)
                if why:
                    yield node.lineno, ast.unparse(node), why
                    break


def test_pom_is_read_whole():
    """A wrong path would pass every check below on nothing."""
    packages = {_package_of(_module_name(path)) for path in _modules()}
    assert packages >= set(LAYERS)


def test_every_module_is_in_a_layer():
    outside = [str(path.relative_to(ROOT)) for path in _modules() if _package_of(_module_name(path)) is None]
    assert outside == ["layers/common/pom/__init__.py"], "a module outside the layers escapes their rules"


def test_no_import_from_a_higher_layer():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {statement} ({why})"
        for path in _modules()
        for line, statement, why in layer_violations(
            path.read_text(), _module_name(path), is_package=path.name == "__init__.py"
        )
    ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("module", "source", "why"),
    [
        ("pom.domain.ledger", "def f():\n    from pom.store import keys\n", "pom.domain (layer 1) imports from"),
        ("pom.domain.ledger", "import boto3\n", "pom.domain is pure"),
        ("pom.core.money", "from botocore.exceptions import ClientError\n", "pom.core is pure"),
        ("pom.store.keys", "from pom.adapters.documents import DocumentStore\n", "side by side"),
        ("pom.adapters.mail", "import pom.store.keys\n", "side by side"),
        ("pom.store.keys", "from pom import services\n", "pom.store (layer 2) imports from pom.services"),
        ("pom.store.keys", "from ..services import matcher\n", "pom.store (layer 2) imports from pom.services"),
        ("pom.core.money", "from pom.elsewhere import thing\n", "pom.elsewhere.thing is in no layer"),
    ],
)
def test_the_layer_check_catches(module: str, source: str, why: str):
    (found,) = layer_violations(source, module)
    assert why in found[2]


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("pom.services.matcher", "from pom.store.ports import InvoiceStore\nimport boto3\n"),
        ("pom.store.keys", "from pom.store import dynamo\nfrom .dynamo import Table\nimport boto3\n"),
        ("pom.domain.ledger", "from pom.core.money import ZERO\nfrom . import audit\n"),
    ],
)
def test_the_layer_check_allows(module: str, source: str):
    assert list(layer_violations(source, module)) == []


def test_package_files_are_empty():
    filled = [str(path.relative_to(ROOT)) for path in POM.rglob("__init__.py") if path.stat().st_size]
    assert not filled, "\n".join(filled)


def test_domain_classes_and_functions_stay_short():
    too_long = []
    for path in sorted((POM / "domain").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                limit = MAX_CLASS_LINES
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                limit = MAX_FUNCTION_LINES
            else:
                continue
            lines = node.end_lineno - node.lineno + 1
            if lines > limit:
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                too_long.append(f"{where}: {node.name} has {lines} lines (at most {limit})")
    assert not too_long, "\n".join(too_long)
