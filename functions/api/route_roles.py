"""The role each route needs (API.md: users and roles), checked in one place before any route runs.

Every role reads (``viewer``); ``admin`` may do everything. A route missing from the table needs
``admin``, and tests/integration/test_roles.py checks that every route of the template and of the
OpenAPI document is in it, so no route is left unguarded by mistake.
"""

from __future__ import annotations

from pom.core.errors import Forbidden
from pom.domain.audit import Actor

_PO = "/purchase-orders/{poId}"
_INVOICE = "/invoices/{invoiceId}"
ROUTE_ROLES: dict[tuple[str, str], str] = {
    ("GET", "/me"): "viewer",
    ("GET", "/purchase-orders"): "viewer",
    ("GET", _PO): "viewer",
    ("GET", f"{_PO}/history"): "viewer",
    ("GET", f"{_PO}/invoices"): "viewer",
    ("POST", "/purchase-orders"): "buyer",
    ("PUT", _PO): "buyer",
    ("DELETE", _PO): "buyer",
    ("POST", f"{_PO}/status"): "buyer",
    ("POST", f"{_PO}/line-items"): "buyer",
    ("PUT", f"{_PO}/line-items/{{lineItemId}}"): "buyer",
    ("DELETE", f"{_PO}/line-items/{{lineItemId}}"): "buyer",
    ("GET", "/invoices"): "viewer",
    ("GET", _INVOICE): "viewer",
    ("GET", f"{_INVOICE}/document"): "viewer",
    ("GET", f"{_INVOICE}/history"): "viewer",
    ("GET", "/invoice-uploads"): "viewer",
    ("POST", "/invoices"): "payables",
    ("POST", "/aws-invoice-imports"): "payables",  # an upload of the account's AWS invoices
    ("PUT", f"{_INVOICE}/match"): "payables",
    ("DELETE", f"{_INVOICE}/match"): "payables",
    ("POST", f"{_INVOICE}/submit"): "payables",
    ("POST", f"{_INVOICE}/approve"): "approver",
    ("POST", f"{_INVOICE}/reject"): "approver",
    ("GET", "/settings"): "viewer",
    ("PUT", "/settings"): "admin",
}


def role_refusal(method: str, resource: str, actor: Actor) -> Forbidden | None:
    """403 when the caller's roles do not allow the route (``resource``: the template's path)."""
    needed = ROUTE_ROLES.get((method.upper(), resource), "admin")
    if actor.may(needed):
        return None
    held = ", ".join(sorted(actor.roles)) or "none"
    return Forbidden(f"{method.upper()} {resource} needs the role {needed} (or admin); your roles: {held}")
