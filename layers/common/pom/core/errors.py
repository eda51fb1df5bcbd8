"""Domain errors, each carrying the HTTP status of the contract's error body."""

from __future__ import annotations

from typing import Any, NamedTuple


class FieldError(NamedTuple):
    """One offending field: ``loc`` is its path (``("body", "lineItems", 0, "amount")``)."""

    loc: tuple[str | int, ...]
    msg: str
    type: str = "value_error"

    def as_dict(self) -> dict[str, Any]:
        return {"loc": list(self.loc), "field": field_name(self.loc), "msg": self.msg, "type": self.type}

    @classmethod
    def from_pydantic(cls, problem: dict[str, Any], prefix: tuple[str, ...] = ()) -> FieldError:
        """One entry of pydantic's ``errors()`` (or Powertools' validation errors); never echoes the input."""
        message = str(problem.get("msg", "")).removeprefix("Value error, ")
        return cls((*prefix, *problem.get("loc", ())), message, str(problem.get("type", "value_error")))


def field_name(loc: tuple[str | int, ...] | list[str | int]) -> str:
    """``("body", "lineItems", 0, "amount")`` → ``lineItems[0].amount`` (the form a person reads)."""
    parts = list(loc[1:]) if loc and loc[0] in ("body", "query", "path", "header") else list(loc)
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or str(loc[0] if loc else "")


class ServiceError(Exception):
    status = 500
    title = "Internal error"

    def __init__(self, detail: Any = None):
        super().__init__(detail)
        self.detail = detail if detail is not None else self.title

    def body(self) -> dict[str, Any]:
        return {"status": self.status, "title": self.title, "detail": self.detail}


class BadRequest(ServiceError):
    status, title = 400, "Malformed request"


class Unauthorized(ServiceError):
    status, title = 401, "Unauthorized"


class Forbidden(ServiceError):
    """The caller's roles do not allow it (only ever for the caller's own account's resources)."""

    status, title = 403, "Forbidden"


class NotFound(ServiceError):
    status, title = 404, "Not found"


class Conflict(ServiceError):
    status, title = 409, "Conflict"


class PreconditionFailed(ServiceError):
    status, title = 412, "Precondition failed"


class PayloadTooLarge(ServiceError):
    status, title = 413, "Payload too large"


class ValidationFailed(ServiceError):
    status, title = 422, "Validation failed"

    def __init__(self, errors: list[FieldError]):
        super().__init__([error.as_dict() for error in errors])
        self.errors = errors


def check_if_match(version: int, if_match: str | None, what: str) -> None:
    """``If-Match`` holds the version (bare, quoted or weak); a stale one is refused with 412."""
    if if_match is None or if_match.strip() == "*":
        return
    tags = {tag.strip().removeprefix("W/").strip('"') for tag in if_match.split(",")}
    if str(version) not in tags:
        raise PreconditionFailed(f"{what} is at version {version}, not {if_match.strip()}")
