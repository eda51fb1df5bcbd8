"""The purchase-order domain without any I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pom.core.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from pom.domain.models import Settings
from pom.domain.purchase_orders import (
    PurchaseOrder,
    add_line_item,
    change_status,
    changes_between,
    check_if_match,
    delete_line_item,
    new_purchase_order,
    purchase_order_view,
    replace_purchase_order,
)
from pom.domain.requests import AccountSettings as SettingsBody
from pom.domain.requests import LineItemInput, PurchaseOrderCreate, PurchaseOrderFields

NOW = datetime(2026, 11, 23, 5, 55, 12, 123456, tzinfo=UTC)


def create(**overrides: Any) -> PurchaseOrder:
    document: dict[str, Any] = {
        "poId": "PO",
        "billFrom": ["AWS"],
        "effectiveMonth": "2026-01",
        "expirationMonth": "2026-06",
        "lineItems": [
            {"lineItemId": "1", "type": "ALL", "amount": "100.00"},
            {"lineItemId": "2", "type": "MONTHLY_USAGE", "recurrence": "MONTHLY", "amount": "10"},
        ],
        **overrides,
    }
    po, _ = new_purchase_order("acct", PurchaseOrderCreate.model_validate(document), Settings(), NOW)
    return po


def fields(po: PurchaseOrder, **overrides: Any) -> PurchaseOrderFields:
    view = purchase_order_view(po)
    return PurchaseOrderFields.model_validate({**view, **overrides})


def test_totals_count_every_month_of_a_monthly_line_item():
    view = purchase_order_view(create())
    assert view["lineItems"][1]["balance"] == "60.00"
    assert view["totalAmount"] == "160.00"
    assert view["createdAt"] == "2026-11-23T05:55:12Z"


def test_settings_supply_currency_terms_and_bill_to():
    settings = SettingsBody.model_validate(
        {
            "currency": "JPY",
            "paymentTerms": "Net 15",
            "billTo": {"name": "A", "line1": "B", "city": "C", "country": "JP"},
        }
    ).record()
    body = PurchaseOrderCreate.model_validate(
        {"poId": "J", "billFrom": ["X"], "effectiveMonth": "2026-01", "expirationMonth": "2026-01",
         "lineItems": [{"lineItemId": "1", "type": "ALL", "amount": 5}]}
    )  # fmt: skip
    po, event = new_purchase_order("acct", body, settings, NOW)
    assert (po.currency, po.paymentTerms, po.billTo["country"]) == ("JPY", "Net 15", "JP")
    assert event.action == "CREATED"
    assert purchase_order_view(po)["totalAmount"] == "5"


def test_replace_carries_invoiced_amounts_and_bumps_version():
    po = create()
    po = po.replace(lineItems=[po.lineItems[0].replace(invoiced=Decimal("40.00"), matchCount=1), *po.lineItems[1:]])
    updated, events = replace_purchase_order(po, fields(po, description="new"), NOW + timedelta(seconds=1))
    assert updated.lineItems[0].invoiced == Decimal("40.00")
    assert (updated.version, updated.rev) == (po.version + 1, po.rev + 1)
    assert updated.updatedAt > po.updatedAt
    assert [event.action for event in events] == ["UPDATED"]
    assert events[0].details["changes"] == {"description": {"old": None, "new": "new"}}


def test_invoiced_line_items_are_protected():
    po = create()
    invoiced = po.lineItems[1].replace(invoiced=Decimal(10), periodInvoiced={"2026-02": Decimal(10)}, matchCount=1)
    po = po.replace(lineItems=[po.lineItems[0], invoiced])
    view = purchase_order_view(po)
    with pytest.raises(Conflict, match="cannot be removed"):
        replace_purchase_order(po, fields(po, lineItems=view["lineItems"][:1]), NOW)
    later_start = [view["lineItems"][0], {**view["lineItems"][1], "startMonth": "2026-03"}]
    with pytest.raises(Conflict, match="2026-02"):
        replace_purchase_order(po, fields(po, lineItems=later_start), NOW)
    with pytest.raises(Conflict):
        delete_line_item(po, "2", NOW)


def test_status_rules():
    po = create()
    same, events = change_status(po, "ACTIVE", NOW)
    assert same is po
    assert events == []
    expired = po.replace(status="EXPIRED")
    with pytest.raises(Conflict, match="PUT"):
        change_status(expired, "ACTIVE", NOW)
    reactivated, events = replace_purchase_order(expired, fields(expired, expirationMonth="2035-12"), NOW)
    assert reactivated.status == "ACTIVE"
    assert [event.action for event in events] == ["UPDATED", "STATUS_CHANGED"]


def test_line_item_rules():
    po = create()
    with pytest.raises(Conflict):
        add_line_item(po, LineItemInput(lineItemId="1", type="ALL", amount=Decimal(1)), NOW)
    with pytest.raises(ValidationFailed) as failed:
        add_line_item(po, LineItemInput(lineItemId="3", type="ALL"), NOW)
    assert failed.value.detail[0]["field"] == "amount"
    with pytest.raises(NotFound):
        delete_line_item(po, "nope", NOW)
    added, _ = add_line_item(po, LineItemInput(lineItemId="3", type="ALL", amount=Decimal("1.5")), NOW)
    assert added.lineItems[-1].startMonth == "2026-01"


@pytest.mark.parametrize(("header", "ok"), [(None, True), ("*", True), ("3", True), ('"3"', True), ('W/"3"', True),
                                            ('"2", "3"', True), ("2", False), ("abc", False)])  # fmt: skip
def test_if_match_forms(header: str | None, ok: bool):
    po = create().replace(version=3)
    if ok:
        check_if_match(po, header)
    else:
        with pytest.raises(PreconditionFailed):
            check_if_match(po, header)


@given(
    st.dictionaries(st.sampled_from("abcdef"), st.integers(0, 3)),
    st.dictionaries(st.sampled_from("abcdef"), st.integers(0, 3)),
)
def test_changes_between_lists_exactly_the_differences(old: dict[str, int], new: dict[str, int]):
    changes = changes_between(old, new)
    assert set(changes) == {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}
    for key, change in changes.items():
        assert change == {"old": old.get(key), "new": new.get(key)}
