"""The purchase-order domain: building, changing and presenting POs. Pure Python, no I/O.

A ``PurchaseOrder`` is the stored state. Besides the contract's fields it keeps, per line item,
what has been invoiced (in total and per month) and how many invoices are matched to it, and an
internal ``rev`` that every write (a user's or the matcher's) increments: the store writes
only if ``rev`` is still what was read, so a user's edit can never overwrite a concurrent debit.
``version`` (the ETag) and ``updatedAt`` move only with a user's change, as the contract says.
"""

from __future__ import annotations

from dataclasses import field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pom.core import errors
from pom.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from pom.core.money import ZERO, check_minor_units, format_amount
from pom.core.months import add_months, month_count, month_index, month_is_over, month_of, utc_now
from pom.core.records import Record
from pom.domain import po_status
from pom.domain.audit import AuditEvent
from pom.domain.forecast import forecast
from pom.domain.models import Settings

if TYPE_CHECKING:  # request bodies: only the functions that read requests load them
    from pom.domain.requests import Address, LineItemInput, PurchaseOrderCreate, PurchaseOrderFields

Loc = tuple[str | int, ...]
OPEN_STATUSES = po_status.OPEN_STATUSES
# Months per period of a recurring line item.
PERIOD_MONTHS = {"MONTHLY": 1, "QUARTERLY": 3, "ANNUAL": 12}
# Ten years, the longest a PO and a monthly line item may run: AWS Billing POs follow contracts,
# and each month of a monthly line item is a period in every response.
MAX_MONTHS = 120


class LineItem(Record):
    lineItemId: str
    type: str
    startMonth: str
    endMonth: str
    recurrence: str = "NONE"
    amount: Decimal | None = None
    description: str | None = None
    invoiced: Decimal = ZERO
    periodInvoiced: dict[str, Decimal] = field(default_factory=dict)
    matchCount: int = 0

    @property
    def has_invoices(self) -> bool:
        return self.matchCount > 0 or self.invoiced != ZERO

    @property
    def period_months(self) -> int | None:
        """Months per period of a recurring line item; None for one that does not recur."""
        return PERIOD_MONTHS.get(self.recurrence)

    def period(self, month: str) -> str | None:
        """The period an invoice for ``month`` (within the line item's months) moves, named by its
        first month; None for a line item that does not recur."""
        length = self.period_months
        if length is None:
            return None
        return add_months(self.startMonth, (month_index(month) - month_index(self.startMonth)) // length * length)

    def periods(self) -> list[tuple[str, str]]:
        """(first month, last month) of each period, from ``startMonth``; the last may be shorter."""
        length = self.period_months or month_count(self.startMonth, self.endMonth)
        starts = range(0, month_count(self.startMonth, self.endMonth), length)
        return [
            (add_months(self.startMonth, s), min(add_months(self.startMonth, s + length - 1), self.endMonth))
            for s in starts
        ]

    def total(self) -> Decimal | None:
        """The amount, once per period when it recurs."""
        if self.amount is None:
            return None
        return self.amount * len(self.periods()) if self.period_months else self.amount


class PurchaseOrder(Record):
    accountId: str
    poId: str
    status: str = "ACTIVE"
    billTo: dict[str, Any] | None = None
    shipTo: dict[str, Any] | None = None
    billFrom: list[str]
    paymentTerms: str
    currency: str
    effectiveMonth: str
    expirationMonth: str
    contacts: list[dict[str, Any]] = field(default_factory=list)
    balanceTracking: bool = True
    description: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)
    lineItems: list[LineItem]
    # Net debits per service month, written with each balance movement: the forecast's run rate.
    # None on POs stored before it was kept (their next movement starts it).
    monthlyInvoiced: dict[str, Decimal] | None = None
    createdAt: str
    updatedAt: str
    version: int = 1
    rev: int = 1

    def line_item(self, line_item_id: str) -> LineItem | None:
        return next((item for item in self.lineItems if item.lineItemId == line_item_id), None)


def with_balances(po: PurchaseOrder, balances: dict[str, Any]) -> PurchaseOrder:
    """The PO with the balances its balances item holds (``lines`` by line item id, only those that
    moved; the monthly sums; the PO's ``rev``), whatever the PO item was written with."""
    lines = balances["lines"]
    items = [
        item.replace(invoiced=line["invoiced"], matchCount=int(line["matchCount"]), periodInvoiced=line["periods"])
        if (line := lines.get(item.lineItemId))
        else item.replace(invoiced=ZERO, matchCount=0, periodInvoiced={})
        for item in po.lineItems
    ]
    return po.replace(lineItems=items, rev=int(balances["rev"]), monthlyInvoiced=balances.get("monthlyInvoiced"))


def precise_timestamp(moment: datetime) -> str:
    """Microsecond ISO-8601 UTC: stored, so that ordering by time is exact."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def display_timestamp(stored: str) -> str:
    """The contract's form, whole seconds: ``2026-11-23T05:55:12Z``."""
    return stored[:19] + "Z"


# --- validation of what spans fields ------------------------------------------------------------


def _line_item_errors(
    item: LineItemInput, po: PurchaseOrderFields | PurchaseOrder, currency: str, loc: Loc
) -> tuple[LineItem, list[FieldError]]:
    errors: list[FieldError] = []
    start = item.startMonth or po.effectiveMonth
    end = item.endMonth or po.expirationMonth
    span = f"{po.effectiveMonth}..{po.expirationMonth}"
    if po.effectiveMonth <= po.expirationMonth:  # else the PO's own months are the error reported
        if start > end:
            errors.append(FieldError((*loc, "endMonth"), f"must not be before startMonth ({start})"))
        if not po.effectiveMonth <= start <= po.expirationMonth:
            errors.append(FieldError((*loc, "startMonth"), f"must lie within the PO's months {span}"))
        if not po.effectiveMonth <= end <= po.expirationMonth:
            errors.append(FieldError((*loc, "endMonth"), f"must lie within the PO's months {span}"))
    if item.recurrence != "NONE" and month_count(start, end) > MAX_MONTHS:
        # Reachable on its own too: a line item added to a PO stored before the PO's span was capped.
        errors.append(FieldError((*loc, "endMonth"), _too_long("a recurring line item", start)))
    if po.balanceTracking and item.amount is None:
        errors.append(FieldError((*loc, "amount"), "is required when balanceTracking is true", "missing"))
    if not po.balanceTracking and item.amount is not None:
        errors.append(FieldError((*loc, "amount"), "must be absent when balanceTracking is false"))
    if item.amount is not None:
        try:
            check_minor_units(item.amount, currency)
        except ValueError as error:
            errors.append(FieldError((*loc, "amount"), str(error)))
    line_item = LineItem(
        lineItemId=item.lineItemId,
        type=item.type,
        startMonth=start,
        endMonth=end,
        recurrence=item.recurrence,
        amount=item.amount,
        description=item.description,
    )
    return line_item, errors


def _too_long(what: str, start: str) -> str:
    return (
        f"{what} runs at most {MAX_MONTHS} months: from {start}, to {add_months(start, MAX_MONTHS - 1)} at the latest"
    )


def _fields_errors(data: PurchaseOrderFields, currency: str) -> tuple[list[LineItem], list[FieldError]]:
    errors: list[FieldError] = []
    if data.effectiveMonth > data.expirationMonth:
        errors.append(
            FieldError(("body", "expirationMonth"), f"must not be before effectiveMonth ({data.effectiveMonth})")
        )
    elif month_count(data.effectiveMonth, data.expirationMonth) > MAX_MONTHS:
        errors.append(FieldError(("body", "expirationMonth"), _too_long("a PO", data.effectiveMonth)))
    if len(set(data.billFrom)) != len(data.billFrom):
        errors.append(FieldError(("body", "billFrom"), "names an entity more than once"))
    line_items: list[LineItem] = []
    seen: set[str] = set()
    for index, item in enumerate(data.lineItems):
        loc: Loc = ("body", "lineItems", index)
        if item.lineItemId in seen:
            errors.append(FieldError((*loc, "lineItemId"), f"{item.lineItemId!r} appears more than once"))
        seen.add(item.lineItemId)
        line_item, item_errors = _line_item_errors(item, data, currency, loc)
        line_items.append(line_item)
        errors.extend(item_errors)
    return line_items, errors


def _carry_invoiced(old: LineItem, new: LineItem) -> LineItem:
    """The new definition of a line item, keeping what has been invoiced against it."""
    if not old.has_invoices:
        return new
    if old.recurrence != new.recurrence:
        raise Conflict(f"line item {old.lineItemId!r} has invoices matched: its recurrence cannot change")
    if new.period_months:
        # Periods are named by their first month: each one with invoices must still begin a period.
        starts = {first for first, _ in new.periods()}
        outside = sorted(m for m, amount in old.periodInvoiced.items() if amount and m not in starts)
        if outside:
            raise Conflict(
                f"line item {old.lineItemId!r} has invoices in the periods of {', '.join(outside)}, which its new"
                " months would not keep"
            )
    return new.replace(invoiced=old.invoiced, periodInvoiced=dict(old.periodInvoiced), matchCount=old.matchCount)


# --- changes --------------------------------------------------------------------------------------


def new_purchase_order(
    account_id: str, data: PurchaseOrderCreate, settings: Settings, now: datetime
) -> tuple[PurchaseOrder, AuditEvent]:
    currency = data.currency or settings.currency
    line_items, errors = _fields_errors(data, currency)
    if errors:
        raise ValidationFailed(errors)
    stamp = precise_timestamp(now)
    po = PurchaseOrder(
        accountId=account_id,
        poId=data.poId,
        monthlyInvoiced={},
        paymentTerms=settings.paymentTerms,
        createdAt=stamp,
        updatedAt=stamp,
        **_editable_fields(data, currency, _address(data.billTo) or _copy(settings.billTo), line_items),
    )
    return po, AuditEvent("CREATED", {"purchaseOrder": editable_view(po)})


def _address(address: Address | None) -> dict[str, Any] | None:
    return address.model_dump() if address else None


def _copy(address: dict[str, Any] | None) -> dict[str, Any] | None:
    """The account's bill-to address for a PO of its own: the settings' record stays cached and shared."""
    return None if address is None else dict(address)


def _editable_fields(
    data: PurchaseOrderFields, currency: str, bill_to: dict[str, Any] | None, line_items: list[LineItem]
) -> dict[str, Any]:
    """The stored form of what a user sets on a PO (create and replace alike)."""
    return {
        "billTo": bill_to,
        "shipTo": _address(data.shipTo),
        "billFrom": list(data.billFrom),
        "currency": currency,
        "effectiveMonth": data.effectiveMonth,
        "expirationMonth": data.expirationMonth,
        "contacts": [contact.model_dump() for contact in data.contacts],
        "balanceTracking": data.balanceTracking,
        "description": data.description,
        "tags": [tag.model_dump() for tag in data.tags],
        "lineItems": line_items,
    }


def _touched(po: PurchaseOrder, now: datetime, **changes: Any) -> PurchaseOrder:
    """A user's change: a new version and updatedAt (and, as for every write, a new rev)."""
    return po.replace(**{**changes, "version": po.version + 1, "rev": po.rev + 1, "updatedAt": precise_timestamp(now)})


def replace_purchase_order(
    po: PurchaseOrder, data: PurchaseOrderFields, now: datetime
) -> tuple[PurchaseOrder, list[AuditEvent]]:
    if data.poId is not None and data.poId != po.poId:
        raise ValidationFailed([FieldError(("body", "poId"), "must equal the poId in the path (it never changes)")])
    currency = data.currency or po.currency
    line_items, errors = _fields_errors(data, currency)
    if errors:
        raise ValidationFailed(errors)
    old_items = {item.lineItemId: item for item in po.lineItems}
    new_ids = {item.lineItemId for item in line_items}
    dropped = [item.lineItemId for item in po.lineItems if item.lineItemId not in new_ids and item.has_invoices]
    if dropped:
        raise Conflict(f"line items with invoices matched cannot be removed: {', '.join(dropped)}")
    if currency != po.currency and any(item.has_invoices for item in po.lineItems):
        raise Conflict("the currency of a PO with invoices matched cannot change")
    kept = [
        _carry_invoiced(old_items[item.lineItemId], item) if item.lineItemId in old_items else item
        for item in line_items
    ]
    # The contract: moving an expired PO's expiration month to one not yet over reactivates it.
    status = po_status.after_expiration_moved(po.status, expired=month_is_over(data.expirationMonth, now))
    # The bill-to address copied from settings at creation stays unless the body replaces it.
    bill_to = _address(data.billTo) or po.billTo
    updated = _touched(po, now, status=status, **_editable_fields(data, currency, bill_to, kept))
    events = [AuditEvent("UPDATED", {"changes": changes_between(editable_view(po), editable_view(updated))})]
    if status != po.status:
        events.append(
            AuditEvent("STATUS_CHANGED", {"old": po.status, "new": status, "reason": "expirationMonth extended"})
        )
    return updated, events


def change_status(po: PurchaseOrder, status: str, now: datetime) -> tuple[PurchaseOrder, list[AuditEvent]]:
    """A user's ``POST .../status`` (409 for a move the status table refuses)."""
    if po.status == status:
        return po, []
    refusal = po_status.user_change_refusal(po.status, status, expired=month_is_over(po.expirationMonth, now))
    if refusal is not None:
        raise Conflict(refusal)
    return _touched(po, now, status=status), [AuditEvent("STATUS_CHANGED", {"old": po.status, "new": status})]


def expire(po: PurchaseOrder) -> tuple[PurchaseOrder, list[AuditEvent]]:
    """The scheduled job's change once the expiration month is over: ``EXPIRED``, or
    ``SUSPENDED_EXPIRED`` for a suspended PO. Not a user's change: ``version`` and ``updatedAt``
    stay, like a balance movement's."""
    status = po_status.EXPIRED_FROM[po.status]
    expired = po.replace(status=status, rev=po.rev + 1)
    details = {"old": po.status, "new": status, "expirationMonth": po.expirationMonth}
    return expired, [AuditEvent("EXPIRED", details)]


def add_line_item(po: PurchaseOrder, item: LineItemInput, now: datetime) -> tuple[PurchaseOrder, list[AuditEvent]]:
    if po.line_item(item.lineItemId):
        raise Conflict(f"line item {item.lineItemId!r} already exists on PO {po.poId!r}")
    if len(po.lineItems) >= 100:
        raise ValidationFailed([FieldError(("body", "lineItemId"), "a PO holds at most 100 line items")])
    line_item, errors = _line_item_errors(item, po, po.currency, ("body",))
    if errors:
        raise ValidationFailed(errors)
    updated = _touched(po, now, lineItems=[*po.lineItems, line_item])
    return updated, [
        AuditEvent(
            "LINE_ITEM_ADDED", {"lineItemId": item.lineItemId, "lineItem": _line_item_fields(updated, line_item)}
        )
    ]


def replace_line_item(
    po: PurchaseOrder, line_item_id: str, item: LineItemInput, now: datetime
) -> tuple[PurchaseOrder, list[AuditEvent]]:
    old = _existing_line_item(po, line_item_id)
    if item.lineItemId != line_item_id:
        raise ValidationFailed(
            [FieldError(("body", "lineItemId"), "must equal the lineItemId in the path (it never changes)")]
        )
    line_item, errors = _line_item_errors(item, po, po.currency, ("body",))
    if errors:
        raise ValidationFailed(errors)
    line_item = _carry_invoiced(old, line_item)
    updated = _touched(po, now, lineItems=[line_item if i.lineItemId == line_item_id else i for i in po.lineItems])
    changes = changes_between(_line_item_fields(po, old), _line_item_fields(updated, line_item))
    return updated, [AuditEvent("LINE_ITEM_UPDATED", {"lineItemId": line_item_id, "changes": changes})]


def delete_line_item(po: PurchaseOrder, line_item_id: str, now: datetime) -> tuple[PurchaseOrder, list[AuditEvent]]:
    old = _existing_line_item(po, line_item_id)
    if old.has_invoices:
        raise Conflict(f"line item {line_item_id!r} has invoices matched to it")
    if len(po.lineItems) == 1:
        raise Conflict("a PO keeps at least one line item: this is its last one")
    updated = _touched(po, now, lineItems=[i for i in po.lineItems if i.lineItemId != line_item_id])
    return updated, [
        AuditEvent("LINE_ITEM_DELETED", {"lineItemId": line_item_id, "lineItem": _line_item_fields(po, old)})
    ]


def _existing_line_item(po: PurchaseOrder, line_item_id: str) -> LineItem:
    line_item = po.line_item(line_item_id)
    if line_item is None:
        raise NotFound(f"PO {po.poId!r} has no line item {line_item_id!r}")
    return line_item


def check_if_match(po: PurchaseOrder, if_match: str | None) -> None:
    errors.check_if_match(po.version, if_match, f"PO {po.poId!r}")


# --- presentation ---------------------------------------------------------------------------------


def _money(po: PurchaseOrder, amount: Decimal | None) -> str | None:
    return None if amount is None or not po.balanceTracking else format_amount(amount, po.currency)


def _line_item_fields(po: PurchaseOrder, item: LineItem) -> dict[str, Any]:
    return {
        "lineItemId": item.lineItemId,
        "type": item.type,
        "startMonth": item.startMonth,
        "endMonth": item.endMonth,
        "recurrence": item.recurrence,
        "amount": _money(po, item.amount),
        "description": item.description,
    }


def line_item_view(po: PurchaseOrder, item: LineItem) -> dict[str, Any]:
    total = item.total()
    periods = None
    if item.period_months:
        periods = []
        for first, last in item.periods():
            invoiced = item.periodInvoiced.get(first, ZERO)
            periods.append(
                {
                    "month": first,
                    "endMonth": last,
                    "amount": _money(po, item.amount),
                    "invoicedAmount": _money(po, invoiced if item.amount is not None else None),
                    "balance": _money(po, item.amount - invoiced if item.amount is not None else None),
                }
            )
    return {
        **_line_item_fields(po, item),
        "invoicedAmount": _money(po, item.invoiced if total is not None else None),
        "balance": _money(po, total - item.invoiced if total is not None else None),
        "periods": periods,
    }


def editable_view(po: PurchaseOrder, line_items: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The fields a user sets, as JSON: what audit entries compare (``line_items``: richer views of
    the line items, when the caller has them already)."""
    return {
        "billTo": po.billTo,
        "shipTo": po.shipTo,
        "billFrom": po.billFrom,
        "currency": po.currency,
        "effectiveMonth": po.effectiveMonth,
        "expirationMonth": po.expirationMonth,
        "contacts": po.contacts,
        "balanceTracking": po.balanceTracking,
        "description": po.description,
        "tags": po.tags,
        "lineItems": line_items if line_items is not None else [_line_item_fields(po, i) for i in po.lineItems],
    }


def purchase_order_view(po: PurchaseOrder, now: datetime | None = None) -> dict[str, Any]:
    """The PO as the API returns it, with line items, balances, periods and its forecast as of ``now``
    (the current time if not given)."""
    line_items = [line_item_view(po, item) for item in po.lineItems]
    totals = [item.total() for item in po.lineItems]
    tracked = po.balanceTracking and all(total is not None for total in totals)
    total = sum(totals, ZERO) if tracked else None
    invoiced = sum((item.invoiced for item in po.lineItems), ZERO) if tracked else None
    return {
        "poId": po.poId,
        "status": po.status,
        "paymentTerms": po.paymentTerms,
        **editable_view(po, line_items),
        "totalAmount": _money(po, total),
        "invoicedAmount": _money(po, invoiced),
        "balance": _money(po, total - invoiced if total is not None and invoiced is not None else None),
        "billingStatus": billing_status(total, invoiced),
        "forecast": forecast(
            po.monthlyInvoiced or {},
            total=total,
            invoiced=invoiced,
            effective=po.effectiveMonth,
            expiration=po.expirationMonth,
            current_month=month_of(now or utc_now()),
            currency=po.currency,
        ),
        "createdAt": display_timestamp(po.createdAt),
        "updatedAt": display_timestamp(po.updatedAt),
        "version": po.version,
    }


def billing_status(total: Decimal | None, invoiced: Decimal | None) -> str | None:
    """Derived from the balances, never stored: nothing invoiced, some, or the whole total (or more)."""
    if total is None or invoiced is None:
        return None
    if invoiced <= 0:
        return "NOT_BILLED"
    return "FULLY_BILLED" if invoiced >= total else "PARTIALLY_BILLED"


def changes_between(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``{field: {"old", "new"}}`` for each field that differs; line items are compared by id."""
    changes: dict[str, Any] = {}
    for key in old.keys() | new.keys():
        before, after = old.get(key), new.get(key)
        if key == "lineItems":
            items_before = {item["lineItemId"]: item for item in before or []}
            items_after = {item["lineItemId"]: item for item in after or []}
            diff = {
                "added": sorted(items_after.keys() - items_before.keys()),
                "removed": sorted(items_before.keys() - items_after.keys()),
                "changed": {
                    line_item_id: changes_between(items_before[line_item_id], items_after[line_item_id])
                    for line_item_id in sorted(items_before.keys() & items_after.keys())
                    if items_before[line_item_id] != items_after[line_item_id]
                },
            }
            if any(diff.values()):
                changes[key] = diff
        elif before != after:
            changes[key] = {"old": before, "new": after}
    return dict(sorted(changes.items()))


# --- account settings -----------------------------------------------------------------------------


def check_settings(settings: Settings) -> None:
    """The rule that spans settings fields: the tolerance amount is in the account's currency."""
    amount = settings.matching.toleranceAmount
    if amount is not None:
        try:
            check_minor_units(amount, settings.currency)
        except ValueError as error:
            raise ValidationFailed([FieldError(("body", "matching", "toleranceAmount"), str(error))]) from None


def settings_view(settings: Settings, account_id: str) -> dict[str, Any]:
    """The settings as ``GET /settings`` shows them; the AWS invoices' external id defaults to the account id."""
    document = settings.to_document(text_decimals=True)
    document["awsInvoices"]["externalId"] = settings.awsInvoices.externalId or account_id
    matching = document["matching"]
    matching["tolerancePercent"] = f"{settings.matching.tolerancePercent.normalize():f}"
    if settings.matching.toleranceAmount is not None:
        matching["toleranceAmount"] = format_amount(settings.matching.toleranceAmount, settings.currency)
    return document
