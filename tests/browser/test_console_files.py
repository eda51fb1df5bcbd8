"""What local mode serves of console/ (no browser needed): its files, and nothing outside it."""

from __future__ import annotations

import pytest

from local_runner.console import CONSOLE_DIR, console_file


def test_the_root_is_the_console_page():
    status, headers, body = console_file("GET", "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    assert body == (CONSOLE_DIR / "index.html").read_bytes()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/views/po-form.js", "text/javascript; charset=utf-8"),
        ("/styles.css", "text/css; charset=utf-8"),
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
        ("GET", "/views"),  # a folder
        ("GET", "/missing.js"),
        ("GET", "/../template.yaml"),  # nothing outside console/
        ("GET", "/%2e%2e/template.yaml"),
        ("GET", "/views/..%2f..%2fREADME.md"),
        ("GET", "//etc/passwd"),
        ("GET", "/%00.js"),
    ],
)
def test_anything_else_is_left_to_the_api(method: str, path: str):
    assert console_file(method, path) is None
