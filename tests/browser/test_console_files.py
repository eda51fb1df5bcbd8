"""What local mode serves of the console (no browser needed): the built bundle, and nothing outside it."""

from __future__ import annotations

import pytest

from local_runner import console
from local_runner.console import CONSOLE_DIR, console_file

built = pytest.mark.skipif(
    not (CONSOLE_DIR / "index.html").is_file(), reason="the console is not built: run `make console`"
)


def test_the_runner_serves_the_built_bundle_not_the_sources():
    assert CONSOLE_DIR.name == "dist"
    assert CONSOLE_DIR.parent.name == "console"


@built
def test_the_root_is_the_console_page():
    status, headers, body = console_file("GET", "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    assert body == (CONSOLE_DIR / "index.html").read_bytes()
    # No inline script; the bundle is this origin's own.
    assert b'<script type="module" src="app.js"></script>' in body
    assert b"script-src 'self';" in body


@built
@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/app.css", "text/css; charset=utf-8"),
        ("/config.json", "application/json"),
        ("/favicon.svg", "image/svg+xml"),
    ],
)
def test_console_files_have_their_content_type(path: str, content_type: str):
    served = console_file("HEAD", path)
    assert served is not None
    assert served[1]["Content-Type"] == content_type


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/purchase-orders"),  # API routes are the API's
        ("GET", "/settings"),
        ("GET", "/_local/info"),
        ("POST", "/"),  # only GET and HEAD
        ("PUT", "/app.js"),
        ("GET", "/missing.js"),
        ("GET", "/src/main.jsx"),  # the sources are not served, only the bundle
        ("GET", "/../package.json"),  # nothing outside the bundle
        ("GET", "/../../template.yaml"),
        ("GET", "/%2e%2e/%2e%2e/template.yaml"),
        ("GET", "/..%2f..%2fREADME.md"),
        ("GET", "//etc/passwd"),
        ("GET", "/%00.js"),
    ],
)
def test_anything_else_is_left_to_the_api(method: str, path: str):
    assert console_file(method, path) is None


def test_without_a_build_the_root_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.setattr(console, "CONSOLE_DIR", tmp_path)
    status, _headers, body = console.console_file("GET", "/")
    assert status == 503
    assert b"make console" in body
    assert console.console_file("GET", "/app.js") is None
