"""Size of each function's package and of the shared layer, as they would be shipped to Lambda.

A function's package is its ``CodeUri`` directory, zipped (no bytecode caches). The layer is what
``sam build`` makes of ``CommonLayer``: ``layers/common/requirements.txt`` installed for the
template's runtime and architecture (wheels for Lambda's Linux), plus the ``pom`` package, under
``python/``. boto3 is not in the layer: the Lambda Python runtime provides it. Prints a markdown
table of files, unzipped and zipped sizes, and each function's total against Lambda's limit.

    python bench/package_size.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from local_runner.template import function_handler, load_template, resource, resources_of_type  # noqa: E402

UNZIPPED_LIMIT = 250 * 1024 * 1024  # a function and all its layers, unzipped
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


def _shipped_files(directory: Path) -> list[Path]:
    return sorted(
        path
        for path in directory.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


def zipped(directory: Path, archive: Path) -> tuple[int, int, int]:
    """(files, unzipped bytes, zipped bytes) of ``directory`` zipped as Lambda takes it."""
    files = _shipped_files(directory)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as package:
        for path in files:
            package.write(path, path.relative_to(directory))
    return len(files), sum(path.stat().st_size for path in files), archive.stat().st_size


def build_layer(logical_id: str, target: Path) -> Path:
    """The layer's content as ``sam build`` lays it out: dependencies and code under ``python/``."""
    properties = resource(logical_id)["Properties"]
    source = ROOT / properties["ContentUri"]
    runtime = properties["CompatibleRuntimes"][0].removeprefix("python")
    site = target / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-qq", "--disable-pip-version-check", "--no-compile",
         "--target", str(site), "--requirement", str(source / "requirements.txt"),
         "--platform", PLATFORMS[properties["CompatibleArchitectures"][0]], "--implementation", "cp",
         "--python-version", runtime, "--only-binary=:all:"],
        check=True,
    )  # fmt: skip
    for package in (path for path in source.iterdir() if (path / "__init__.py").exists()):
        shutil.copytree(package, site / package.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return site


def _size(size: int) -> str:
    return f"{size / 1024:,.0f} KiB" if size < 1024 * 1024 else f"{size / 1024 / 1024:,.1f} MiB"


def main() -> int:
    (layer_id,) = resources_of_type("AWS::Serverless::LayerVersion")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        site = build_layer(layer_id, work / "layer")
        bundled = sorted(path.name for path in site.iterdir() if path.name.split("-")[0] in {"boto3", "botocore"})
        layer = zipped(work / "layer", work / "layer.zip")
        rows = [(f"{layer_id} (layer)", *layer, None)]
        for function in resources_of_type("AWS::Serverless::Function"):
            code_dir, _, _ = function_handler(function)
            files, unzipped, packed = zipped(code_dir, work / f"{function}.zip")
            rows.append((function, files, unzipped, packed, unzipped + layer[1]))
    globals_ = load_template()["Globals"]["Function"]
    print(f"{globals_['Runtime']} on {globals_['Architectures'][0]}; a function's total includes the layer.\n")
    print("| package | files | unzipped | zipped | with the layer, unzipped (limit 250 MiB) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, files, unzipped, packed, total in rows:
        share = "" if total is None else f"{_size(total)} ({total / UNZIPPED_LIMIT:.1%})"
        print(f"| {name} | {files} | {_size(unzipped)} | {_size(packed)} | {share} |")
    print(f"\nboto3/botocore in the layer: {', '.join(bundled) or 'none (the Lambda runtime provides them)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
