"""Lambda events shaped as AWS sends them, for the local runner and the tests."""

from __future__ import annotations

import base64
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from local_runner.template import LOCAL_APP_CLIENT_ID, binary_media_types, cognito_groups


def api_gateway_event(
    method: str,
    raw_path: str,
    *,
    resource: str,
    path_parameters: dict[str, str] | None = None,
    query: str = "",
    headers: dict[str, str] | None = None,
    body: str | bytes | None = None,
    claims: dict[str, str] | None = None,
    stage: str = "v1",
    request_id: str | None = None,
    request_time_epoch_ms: int | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event, as a Cognito-authorized route delivers it.

    ``raw_path`` stays percent-encoded, as REST APIs deliver ``path``; path parameters are decoded.
    A body whose ``Content-Type`` is one of the API's binary media types arrives base64-encoded, as
    API Gateway delivers it; any other is text (bytes are read as UTF-8, invalid sequences replaced).
    """
    headers = dict(headers or {})
    content_type = next((value for name, value in headers.items() if name.lower() == "content-type"), "")
    binary = content_type.split(";", 1)[0].strip().lower() in binary_media_types()
    raw = body.encode("utf-8") if isinstance(body, str) and binary else body
    if isinstance(raw, bytes):
        body = base64.b64encode(raw).decode("ascii") if binary else raw.decode("utf-8", errors="replace")
    pairs = parse_qsl(query, keep_blank_values=True)
    multi_query: dict[str, list[str]] = {}
    for name, value in pairs:
        multi_query.setdefault(name, []).append(value)
    request_id = request_id or str(uuid.uuid4())
    return {
        "resource": resource,
        "path": raw_path,
        "httpMethod": method,
        "headers": headers or None,
        "multiValueHeaders": {name: [value] for name, value in headers.items()} or None,
        "queryStringParameters": {name: values[-1] for name, values in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {name: unquote(value) for name, value in (path_parameters or {}).items()} or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "authorizer": {"claims": dict(claims)} if claims else None,
            "domainName": "127.0.0.1",
            "httpMethod": method,
            "identity": {"sourceIp": "127.0.0.1", "userAgent": headers.get("User-Agent", "")},
            "path": f"/{stage}{raw_path}",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTimeEpoch": request_time_epoch_ms or int(time.time() * 1000),
            "resourcePath": resource,
            "stage": stage,
        },
        "body": body,
        "isBase64Encoded": binary and body is not None,
    }


# Local mode's stand-in for a Cognito ID token: ``local:<account>`` (a user named after the account,
# with every role) or ``local:<account>:<user>:<role>+<role>...`` (API.md: users and roles).
_LOCAL_TOKEN = re.compile(
    r"^Bearer local:(?P<account>[A-Za-z0-9_-]{1,64})"
    r"(?::(?P<user>[A-Za-z0-9_.@-]{1,64}):(?P<roles>[a-z]+(?:\+[a-z]+)*))?$"
)


def local_claims(account_id: str, user_id: str | None = None, roles: Iterable[str] | None = None) -> dict[str, str]:
    """The claims the Cognito authorizer passes for a user of ``account_id`` (local mode's stand-in):
    every claim a string, the groups as API Gateway writes a list (``a,b``). A user id that is an
    e-mail address is also the user's verified address."""
    user = user_id or account_id
    claims = {
        "custom:accountId": account_id,
        "cognito:username": user,
        "sub": user,
        "aud": LOCAL_APP_CLIENT_ID,  # the app client local tokens are issued to: the API trusts it
        "token_use": "id",
        "cognito:groups": ",".join(sorted(roles if roles is not None else cognito_groups())),
    }
    if "@" in user:
        claims.update(email=user, email_verified="true")
    return claims


def claims_of_local_token(authorization: str) -> dict[str, str] | None:
    """The claims of a local token, or None (401) when it is not one or names a role that does not exist."""
    found = _LOCAL_TOKEN.match(authorization)
    if found is None:
        return None
    roles = found.group("roles").split("+") if found.group("roles") else None
    if roles is not None and not set(roles) <= cognito_groups():
        return None
    return local_claims(found.group("account"), found.group("user"), roles)


@dataclass
class LambdaContext:
    """The parts of Lambda's context object that Powertools reads."""

    function_name: str = "local"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:local"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


def iso_utc(moment: datetime) -> str:
    """ISO-8601 UTC with a ``Z`` and whole seconds, as AWS writes event times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def scheduled_event(moment: str, rule_arn: str) -> dict[str, Any]:
    """An EventBridge (Scheduler) event as a schedule delivers it at ``moment`` (ISO-8601 UTC)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": "123456789012",
        "time": moment,
        "region": "us-east-1",
        "resources": [rule_arn],
        "detail": {},
    }
