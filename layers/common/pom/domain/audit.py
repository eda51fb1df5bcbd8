"""Who did what: the actor of a change and the audit events it leaves. Pure Python, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SYSTEM = "system"  # the audit trail's actor for what the service does by itself


@dataclass(frozen=True)
class Actor:
    """Who acts: the account (tenant) and the caller's identity, both from the authorizer."""

    account_id: str
    name: str


@dataclass(frozen=True)
class AuditEvent:
    """What a change did, for the PO's audit trail (the service adds who and when)."""

    action: str
    details: dict[str, Any] = field(default_factory=dict)
