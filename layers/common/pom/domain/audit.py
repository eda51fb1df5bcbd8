"""Who did what: the actor of a change and the audit events it leaves. Pure Python, no I/O."""

from __future__ import annotations

from typing import Any, NamedTuple

SYSTEM = "system"  # the audit trail's user for what the service does by itself

# The contract's roles (API.md: users and roles); ``admin`` may do everything.
ROLES = frozenset({"viewer", "buyer", "payables", "approver", "admin"})


class Actor(NamedTuple):
    """Who acts: the account (tenant), the user (the token's ``sub``), the user's e-mail address
    when verified, and the user's roles; all from the authorizer."""

    account_id: str
    user_id: str
    email: str | None = None
    roles: frozenset[str] = ROLES

    @property
    def name(self) -> str:
        """How explanations name the user: the verified address, else the user id."""
        return self.email or self.user_id

    def audit(self) -> dict[str, str | None]:
        """The actor as audit entries show it."""
        return {"userId": self.user_id, "email": self.email}

    def may(self, role: str) -> bool:
        """Whether the user's roles allow what ``role`` may do: every role reads (``viewer``), and
        ``admin`` may do everything."""
        return role in self.roles or "admin" in self.roles or (role == "viewer" and bool(self.roles))


def system_actor(account_id: str) -> Actor:
    return Actor(account_id, SYSTEM)


def actor_view(stored: Any) -> dict[str, str | None]:
    """An audit entry's actor as the API shows it: ``{"userId", "email"}``. Entries written before
    users had ids name the actor with a string, shown as its user id."""
    if isinstance(stored, dict):
        return {"userId": stored.get("userId") or SYSTEM, "email": stored.get("email")}
    return {"userId": str(stored or SYSTEM), "email": None}


class AuditEvent(NamedTuple):
    """What a change did, for an audit trail (the service adds who and when: the change's, unless
    the event happened earlier, ``at``, done by the service itself, ``by_service``)."""

    action: str
    details: dict[str, Any]
    at: str | None = None
    by_service: bool = False
