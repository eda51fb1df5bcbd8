"""E-mail notices about purchase orders: when each falls due, and what it says. Pure Python, no I/O.

Three kinds, each sent at most once per PO and key (see ``Notice.key_parts``):
- ``PO_EXPIRING``: the end of the expiration month is within one of ``expiryNoticeDays`` days.
  When a run finds several thresholds reached at once (it ran late, or the PO was created close
  to its end), only the nearest is sent: two mails in one morning would say the same thing.
- ``PO_EXPIRED``: the scheduled job has just expired the PO.
- ``BALANCE_ALERT``: a match made the invoiced share of the PO reach a ``balanceAlertPercents`` entry.

A notice carries its whole message, rendered when it falls due, so that sending it later (a retry,
the next run) needs nothing else and says what was true when it fell due.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any, NamedTuple

from pom.core.months import add_months, iso_timestamp

# The largest expiryNoticeDays the settings accept: a PO is first looked at this long before its end.
MAX_NOTICE_DAYS = 366
DAY = timedelta(days=1)


class Notice(NamedTuple):
    account_id: str
    po_id: str
    kind: str  # PO_EXPIRING | PO_EXPIRED | BALANCE_ALERT | BALANCE_FORECAST
    threshold: int | None  # days before the end (PO_EXPIRING) or percent invoiced (BALANCE_ALERT)
    expiration_month: str | None  # the month an expiry notice is about; a new month may notify again
    due_at: str
    to: list[str]
    subject: str
    text: str
    html: str


class ExpiryStep(NamedTuple):
    """What the scheduled job does with one open PO now, and when it needs to look at it next."""

    expire: bool
    notice_days: int | None  # the PO_EXPIRING threshold to send now, if any
    next_check: datetime | None  # None once expired


def end_of(month: str) -> datetime:
    """The first instant after the month (UTC): a PO is in effect until just before it."""
    following = add_months(month, 1)
    return datetime(int(following[:4]), int(following[5:7]), 1, tzinfo=UTC)


def first_check(expiration_month: str) -> datetime:
    """When the job must first look at a PO, whatever the account's notice days are."""
    return end_of(expiration_month) - MAX_NOTICE_DAYS * DAY


def expiry_step(expiration_month: str, notice_days: list[int], now: datetime) -> ExpiryStep:
    end = end_of(expiration_month)
    if now >= end:
        return ExpiryStep(expire=True, notice_days=None, next_check=None)
    reached = [days for days in notice_days if end - days * DAY <= now]
    upcoming = [end - days * DAY for days in notice_days if end - days * DAY > now]
    return ExpiryStep(expire=False, notice_days=min(reached, default=None), next_check=min([*upcoming, end]))


def _recipients(po: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys(contact["email"] for contact in po.get("contacts") or []))


def _figures(po: dict[str, Any]) -> list[tuple[str, str]]:
    """The facts every notice states, from the PO's API view."""
    last_day = (end_of(po["expirationMonth"]) - DAY).date().isoformat()
    currency = po["currency"]

    def money(value: str | None) -> str:
        return "not tracked" if value is None else f"{value} {currency}"

    return [
        ("Purchase order", po["poId"]),
        ("Status", po["status"]),
        ("Bill-from", ", ".join(po["billFrom"])),
        ("In effect", f"{po['effectiveMonth']} to {po['expirationMonth']} (last day {last_day})"),
        ("Total", money(po["totalAmount"])),
        ("Invoiced", money(po["invoicedAmount"])),
        ("Balance", money(po["balance"])),
    ]


class _Wording(NamedTuple):
    subject: str
    lead: str
    action: str


# Filled with the PO id (``po``), the expiration month (``month``), days left (``left``, ``days``)
# and the percentage reached (``percent``).
_WORDING = {
    "PO_EXPIRING": _Wording(
        subject="Purchase order {po} expires in {left} {days}",
        lead="Purchase order {po} expires at the end of {month}, in {left} {days}.",
        action="To keep invoices matching to it, extend its expiration month (edit the PO) or create a new PO.",
    ),
    "PO_EXPIRED": _Wording(
        subject="Purchase order {po} has expired",
        lead="Purchase order {po} expired at the end of {month}; new invoices no longer match to it.",
        action="Extend its expiration month (edit the PO) to make it active again, or create a new PO.",
    ),
    "BALANCE_FORECAST": _Wording(
        subject="Purchase order {po} is forecast to run out in {depletion}",
        lead="At the rate it has been invoiced, purchase order {po} is forecast to run out of balance in {depletion},"
        " before it expires at the end of {month}.",
        action="Raise the PO's amounts (edit its line items) or plan a new PO before the balance runs out.",
    ),
    "BALANCE_ALERT": _Wording(
        subject="Purchase order {po} has reached {percent}% of its amount",
        lead="Invoices matched to purchase order {po} have reached {percent}% of its total amount.",
        action="Raise the PO's amounts (edit its line items) or create a new PO before the balance runs out.",
    ),
}


def _notice(po: dict[str, Any], account_id: str, kind: str, threshold: int | None, now: datetime) -> Notice | None:
    recipients = _recipients(po)
    if not recipients:
        return None  # a PO without contacts sends nothing
    month = po["expirationMonth"] if kind != "BALANCE_ALERT" else None
    left = max(1, -(-(end_of(po["expirationMonth"]) - now) // DAY))  # whole days, rounded up
    values = {"po": po["poId"], "month": po["expirationMonth"], "left": left, "days": "day" if left == 1 else "days"}
    wording = _WORDING[kind]
    depletion = (po.get("forecast") or {}).get("projectedDepletionMonth")
    subject, lead = (
        text.format(**values, percent=threshold, depletion=depletion) for text in (wording.subject, wording.lead)
    )
    figures = _figures(po)
    text = "\n".join([lead, "", *(f"{name}: {value}" for name, value in figures), "", wording.action, ""])
    rows = "".join(f"<tr><th align='left'>{escape(name)}</th><td>{escape(value)}</td></tr>" for name, value in figures)
    html = f"<p>{escape(lead)}</p><table>{rows}</table><p>{escape(wording.action)}</p>"
    return Notice(account_id, po["poId"], kind, threshold, month, iso_timestamp(now), recipients, subject, text, html)


def expiring_notice(po: dict[str, Any], account_id: str, days: int, now: datetime) -> Notice | None:
    return _notice(po, account_id, "PO_EXPIRING", days, now)


def expired_notice(po: dict[str, Any], account_id: str, now: datetime) -> Notice | None:
    return _notice(po, account_id, "PO_EXPIRED", None, now)


def balance_alert(po: dict[str, Any], account_id: str, percent: int, now: datetime) -> Notice | None:
    return _notice(po, account_id, "BALANCE_ALERT", percent, now)


def forecast_notice(po: dict[str, Any], account_id: str, now: datetime) -> Notice | None:
    """``BALANCE_FORECAST``: once per PO and expiration month (its key), for a PO whose ``forecast``
    runs out before its expiration month."""
    return _notice(po, account_id, "BALANCE_FORECAST", None, now)
