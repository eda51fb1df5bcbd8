"""Serves the web console in local mode, on the API's own origin: the BUILT bundle in ``console/dist``.

``make local`` and ``make test`` build it first (``npm ci`` and esbuild, see ``console/package.json``).
The console routes on the URL's hash, so the only paths it needs are ``/`` and the files of the
bundle; every other request (and any path that is not a file of ``console/dist``) is left to the API
routes. Without a build, ``/`` answers 503 saying how to make one.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

CONSOLE_DIR = (Path(__file__).resolve().parent.parent / "console" / "dist").resolve()
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}
NOT_BUILT = (
    b"The console is not built. Run `make console` (or `make local`, which builds it), "
    b"or `cd console && npm ci && npm run build`.\n"
)


def console_file(method: str, path: str) -> tuple[int, dict[str, str], bytes] | None:
    """(status, headers, body) for a GET or HEAD of ``/`` or of a file of the bundle; None otherwise."""
    if method not in ("GET", "HEAD"):
        return None
    relative = "index.html" if path == "/" else unquote(path).lstrip("/")
    if "\x00" in relative:  # no file has one, and the OS would refuse to look
        return None
    file = (CONSOLE_DIR / relative).resolve()
    # resolve() follows "..", symlinks and absolute parts: whatever it names must still be inside the bundle.
    if not file.is_relative_to(CONSOLE_DIR) or not file.is_file() or file.suffix not in CONTENT_TYPES:
        if path == "/":
            return 503, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}, NOT_BUILT
        return None
    headers = {
        "Content-Type": CONTENT_TYPES[file.suffix],
        "Cache-Control": "no-store",  # a rebuilt bundle shows on the next reload
        "X-Content-Type-Options": "nosniff",
    }
    return 200, headers, file.read_bytes()
