"""Configuration: environment variables parsed once into a typed, validated object."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ServiceConfig(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    table_name: str = Field(alias="TABLE_NAME", min_length=3, max_length=255)
    invoice_bucket: str = Field(alias="INVOICE_BUCKET", min_length=3, max_length=63)
    # API Gateway allows 10 MB; no PO or invoice document comes near this.
    max_body_bytes: int = Field(default=256 * 1024, alias="MAX_BODY_BYTES", gt=0)
    # The From address of notification e-mails, a verified SES identity (template parameter).
    notification_sender: str = Field(alias="NOTIFICATION_SENDER", pattern=r"^[^@\s]+@[^@\s]+$")


class ConfigError(RuntimeError):
    pass


@cache
def load_config() -> ServiceConfig:
    """Reads the environment once; a missing or bad variable stops the function at start, by name."""
    try:
        return ServiceConfig.model_validate(dict(os.environ))
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ConfigError(f"invalid service configuration (environment variables): {problems}") from None
