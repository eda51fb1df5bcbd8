"""The runner's own AWS calls answered by the emulator's application in this process, without a socket.

The pollers and the functions the runner hosts call the emulator at its endpoint like any client.
Over HTTP each call opened a connection (moto's server closes each one after answering) and went
through the HTTP server's request handling, at both ends of the socket in this same process. Here
a botocore ``before-send`` handler gives a request for the emulator's endpoint to the moto
server's own WSGI application (the one the HTTP server runs, with local mode's additions such as
the Invoicing API) and hands its answer back to botocore: the request is built, signed and parsed
as over HTTP. Clients in other processes (the AWS CLI, the tests, the bench) still use HTTP.

The JSON-protocol services the runner calls for every invoice (DynamoDB and its streams, SQS,
EventBridge) skip the server's routing: their requests go to moto's handler for the service, named
by the request's ``X-Amz-Target``, as moto's own ``mock_aws`` hands them. The server's routing
(werkzeug's environ builder, Flask's dispatch and response) was a third of a GetItem's CPU here.

Installed by ``local_runner.emulator.start_emulator`` before it creates any client: it reaches the
clients of every botocore session created from then on (as moto's own ``mock_aws`` stubber does).
"""

from __future__ import annotations

from io import BytesIO
from typing import Any
from urllib.parse import SplitResult, urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.handlers import BUILTIN_HANDLERS
from moto.core.botocore_stubber import MockRawResponse
from moto.core.exceptions import HTTPException
from moto.core.request import Request, environ_key_for_header
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.events.responses import EventsHandler
from moto.sqs.responses import SQSResponse
from werkzeug.test import EnvironBuilder, run_wsgi_app

from local_runner.cpu_accounts import EMULATOR, charged

_applications: dict[str, Any] = {}  # WSGI application by the host:port it serves
# moto's handler of each service answered without the server's routing, by X-Amz-Target's prefix.
_HANDLERS = {
    "DynamoDB_20120810": DynamoHandler,
    "DynamoDBStreams_20120810": DynamoDBStreamsHandler,
    "AmazonSQS": SQSResponse,
    "AWSEvents": EventsHandler,
}


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
    with charged(EMULATOR):
        return _answered(request, url, application)


def _answered(request: AWSPreparedRequest, url: SplitResult, application: Any) -> AWSResponse:
    body = (request.body.read() if hasattr(request.body, "read") else request.body) or b""
    headers = [(name, value.decode() if isinstance(value, bytes) else value) for name, value in request.headers.items()]
    handler = _HANDLERS.get(dict(headers).get("X-Amz-Target", "").split(".", 1)[0])
    if handler is not None:
        status, response_headers, content = _handled(handler, request.method, url, headers, body)
        return AWSResponse(request.url, status, response_headers, MockRawResponse(content))
    environ = EnvironBuilder(
        path=url.path,
        query_string=url.query,
        method=request.method,
        headers=headers,
        data=body,
        base_url=f"{url.scheme}://{url.netloc}",
    ).get_environ()
    chunks, status, headers = run_wsgi_app(application, environ, buffered=True)
    return AWSResponse(request.url, int(status.split(" ", 1)[0]), headers, MockRawResponse(b"".join(chunks)))


def _handled(handler: Any, method: str, url: SplitResult, headers: list[tuple[str, str]], body: bytes) -> Any:
    """moto's (status, headers, body) for the request, from the service's own handler."""
    host, _, port = url.netloc.partition(":")
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": url.path or "/",
        "QUERY_STRING": url.query,
        "SERVER_NAME": host,
        "SERVER_PORT": port or "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": url.scheme,
        "wsgi.input": BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        **{environ_key_for_header(name): value for name, value in headers if name.lower() != "content-length"},
    }
    request = Request(environ)
    try:
        return handler.dispatch(request, request.raw_url, dict(request.headers))
    except HTTPException as error:  # what moto's server and its mock_aws stubber answer for it
        return error.code, error.get_headers(), error.get_body()
