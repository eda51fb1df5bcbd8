"""The runner's own AWS calls answered by the emulator's application in this process, without a socket.

The pollers and the functions the runner hosts call the emulator at its endpoint like any client.
Over HTTP each call opened a connection (moto's server closes each one after answering) and went
through the HTTP server's request handling, at both ends of the socket in this same process. Here
a botocore ``before-send`` handler gives a request for the emulator's endpoint to the moto
server's own WSGI application (the one the HTTP server runs, with local mode's additions such as
the Invoicing API) and hands its answer back to botocore: the request is built, signed and parsed
as over HTTP. Clients in other processes (the AWS CLI, the tests, the bench) still use HTTP.

Installed by ``local_runner.emulator.start_emulator`` before it creates any client: it reaches the
clients of every botocore session created from then on (as moto's own ``mock_aws`` stubber does).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.handlers import BUILTIN_HANDLERS
from moto.core.botocore_stubber import MockRawResponse
from werkzeug.test import EnvironBuilder, run_wsgi_app

_applications: dict[str, Any] = {}  # WSGI application by the host:port it serves


def serve(endpoint: str, application: Any) -> None:
    """Answers requests for ``endpoint`` (``http://host:port``) with ``application``, in process."""
    if not _applications:
        BUILTIN_HANDLERS.append(("before-send", answer))
    _applications[urlsplit(endpoint).netloc] = application


def answer(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
    """The before-send handler: a response for the emulator's requests, None (send it) for others."""
    url = urlsplit(request.url)
    application = _applications.get(url.netloc)
    if application is None:
        return None
    body = request.body.read() if hasattr(request.body, "read") else request.body
    headers = [(name, value.decode() if isinstance(value, bytes) else value) for name, value in request.headers.items()]
    environ = EnvironBuilder(
        path=url.path,
        query_string=url.query,
        method=request.method,
        headers=headers,
        data=body or b"",
        base_url=f"{url.scheme}://{url.netloc}",
    ).get_environ()
    chunks, status, headers = run_wsgi_app(application, environ, buffered=True)
    return AWSResponse(request.url, int(status.split(" ", 1)[0]), headers, MockRawResponse(b"".join(chunks)))
