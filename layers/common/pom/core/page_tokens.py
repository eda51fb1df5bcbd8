"""Page tokens: a small JSON object, base64url without padding, opaque to the caller. Whoever reads
one back checks that it is one it could have returned (a token is the caller's input)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from pom.core.errors import FieldError, ValidationFailed


def encode(plain: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(token: str) -> Any:
    """What ``encode`` wrote, or None for text it could not have written."""
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def bad_token() -> ValidationFailed:
    return ValidationFailed([FieldError(("query", "nextToken"), "is not a token this list returned")])
