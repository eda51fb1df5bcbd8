"""Serves the web console (``console/``) in local mode, on the API's own origin.

The console routes on the URL's hash, so the only paths it needs are ``/`` and its own files; every
other request (and any path that is not a file of ``console/``) is left to the API routes.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

CONSOLE_DIR = (Path(__file__).resolve().parent.parent / "console").resolve()
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}


def console_file(method: str, path: str) -> tuple[int, dict[str, str], bytes] | None:
    """(status, headers, body) for a GET or HEAD of ``/`` or of a file of ``console/``; None otherwise."""
    if method not in ("GET", "HEAD"):
        return None
    relative = "index.html" if path == "/" else unquote(path).lstrip("/")
    if "\x00" in relative:  # no file has one, and the OS would refuse to look
        return None
    file = (CONSOLE_DIR / relative).resolve()
    # resolve() follows "..", symlinks and absolute parts: whatever it names must still be inside console/.
    if not file.is_relative_to(CONSOLE_DIR) or not file.is_file() or file.suffix not in CONTENT_TYPES:
        return None
    headers = {
        "Content-Type": CONTENT_TYPES[file.suffix],
        "Cache-Control": "no-store",  # an edited file shows on the next reload
        "X-Content-Type-Options": "nosniff",
    }
    return 200, headers, file.read_bytes()
