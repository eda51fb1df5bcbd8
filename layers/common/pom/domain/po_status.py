"""A PO's status and every way it changes, in one table (API.md: purchase order ``status``).

``ACTIVE`` POs alone take invoices. A user suspends, activates, closes and reopens; the scheduled
job expires what is open once its expiration month is over, keeping the fact that a user had
suspended it (``SUSPENDED_EXPIRED``, as the AWS Billing console does); extending the expiration
month with ``PUT`` gives back the status it had. ``CLOSED`` means the order is done: nothing more is
matched to it and nothing notified about it, but it stays in lists and keeps its history. Pure.
"""

from __future__ import annotations

STATUSES = ("ACTIVE", "SUSPENDED", "EXPIRED", "SUSPENDED_EXPIRED", "CLOSED")
# The statuses in which a PO can still expire, and is notified about it.
OPEN_STATUSES = ("ACTIVE", "SUSPENDED")
# What the scheduled job makes of an open PO whose expiration month is over.
EXPIRED_FROM = {"ACTIVE": "EXPIRED", "SUSPENDED": "SUSPENDED_EXPIRED"}
# What a PUT that moves the expiration month to one not yet over gives back.
REACTIVATED_FROM = {"EXPIRED": "ACTIVE", "SUSPENDED_EXPIRED": "SUSPENDED"}

# (from, to) -> why a user may not (POST .../status); missing pairs are allowed. A request for the
# status the PO has is a no-op.
_REFUSED = {
    ("EXPIRED", "ACTIVE"): "an EXPIRED PO is made ACTIVE again by extending its expirationMonth with PUT",
    ("EXPIRED", "SUSPENDED"): "an EXPIRED PO cannot be suspended",
    ("SUSPENDED_EXPIRED", "ACTIVE"): "a SUSPENDED_EXPIRED PO is made SUSPENDED again by extending its expirationMonth"
    " with PUT, then activated",
    ("SUSPENDED_EXPIRED", "SUSPENDED"): "a SUSPENDED_EXPIRED PO is made SUSPENDED again by extending its"
    " expirationMonth with PUT",
    ("CLOSED", "SUSPENDED"): "a CLOSED PO is reopened as ACTIVE",
}
REOPENED = "ACTIVE"


def user_change_refusal(current: str, requested: str, *, expired: bool) -> str | None:
    """Why a user may not move a PO from ``current`` to ``requested`` (``expired``: its expiration
    month is over), in plain words; None when they may."""
    if current == requested:
        return None
    refusal = _REFUSED.get((current, requested))
    if refusal is None and current == "CLOSED" and requested == REOPENED and expired:
        refusal = "a CLOSED PO whose expiration month is over cannot be reopened"
    return refusal


def after_expiration_moved(current: str, *, expired: bool) -> str:
    """The status once a PUT has set the expiration month: an expired PO whose new month is not over
    gets back the status it had before it expired; any other keeps its own."""
    return REACTIVATED_FROM.get(current, current) if not expired else current
