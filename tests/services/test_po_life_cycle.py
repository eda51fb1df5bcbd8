"""The PO life cycle of AWS Billing and the AP tools (API.md: purchase order): closed POs, billing
status, tags, and quarterly and annual periods, over the in-memory stores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pom.core.errors import Conflict
from pom.domain.requests import PurchaseOrderFields
from tests.services.conftest import ACCOUNT, USER, Services, po_body


def test_a_closed_po_takes_no_invoice_but_stays_listed_and_reopens(services: Services):
    services.create_po("P")
    closed = services.purchase_orders.change_status(USER, "P", "CLOSED", None)
    assert closed.status == "CLOSED"

    unmatched = services.receive("INV-1")

    assert (unmatched.matchStatus, unmatched.unmatchedReason) == ("UNMATCHED", "NO_ACTIVE_PO")
    assert [po.poId for po in services.purchase_orders.list(ACCOUNT, "CLOSED", 10, None).items] == ["P"]
    assert services.purchase_orders.change_status(USER, "P", "ACTIVE", None).status == "ACTIVE"
    assert services.receive("INV-2").matchStatus == "MATCHED"


def test_a_closed_po_whose_months_are_over_cannot_be_reopened(services: Services):
    services.clock.now = datetime(2026, 3, 1, tzinfo=UTC)
    services.create_po("P", effectiveMonth="2026-01", expirationMonth="2026-02")
    services.purchase_orders.change_status(USER, "P", "CLOSED", None)

    with pytest.raises(Conflict, match="cannot be reopened"):
        services.purchase_orders.change_status(USER, "P", "ACTIVE", None)


def test_billing_status_follows_the_invoiced_amount(services: Services):
    services.create_po("P", lineItems=[{"lineItemId": "1", "type": "ALL", "amount": "200.00"}])
    assert services.view()["billingStatus"] == "NOT_BILLED"
    services.receive("INV-1", "50.00")
    assert services.view()["billingStatus"] == "PARTIALLY_BILLED"
    services.receive("INV-2", "150.00")
    assert services.view()["billingStatus"] == "FULLY_BILLED"
    untracked = {"balanceTracking": False, "lineItems": [{"lineItemId": "1", "type": "ALL"}]}
    services.create_po("U", **untracked)
    assert services.view("U")["billingStatus"] is None


def test_tags_are_listed_by_key_and_by_key_and_value(services: Services):
    services.create_po("A", tags=[{"key": "team", "value": "data"}, {"key": "cost:center", "value": "7"}])
    services.create_po("B", tags=[{"key": "team", "value": "web"}])
    services.create_po("C")

    def listed(tag: str) -> list[str]:
        return [po.poId for po in services.purchase_orders.list(ACCOUNT, None, 10, None, tag=tag).items]

    assert sorted(listed("team")) == ["A", "B"]
    assert listed("team:data") == ["A"]
    assert listed("team:") == []  # the empty value is a value
    assert services.view("A")["tags"] == [{"key": "team", "value": "data"}, {"key": "cost:center", "value": "7"}]


@pytest.mark.parametrize(
    ("tags", "field"),
    [
        ([{"key": "team", "value": "a"}, {"key": "team", "value": "b"}], "tags"),
        ([{"key": "x" * 129, "value": ""}], "tags.0.key"),
        ([{"key": "k", "value": "v" * 257}], "tags.0.value"),
        ([{"key": f"k{n}", "value": ""} for n in range(51)], "tags"),
        ([{"key": "", "value": "v"}], "tags.0.key"),
    ],
    ids=["duplicate key", "long key", "long value", "51 tags", "empty key"],
)
def test_tags_out_of_limits_are_refused(tags: list[dict[str, str]], field: str):
    with pytest.raises(ValueError, match=field) as refused:  # pydantic's ValidationError: the API's 422
        po_body("P", tags=tags)
    assert "tags" in str(refused.value)


def test_50_tags_fit(services: Services):
    tags = [{"key": f"k{n}", "value": "v" * 256} for n in range(50)]
    po = services.create_po("P", tags=tags)
    assert len(po.tags) == 50
    replaced = [{"key": f"other{n}", "value": ""} for n in range(50)]
    fields = PurchaseOrderFields.model_validate(
        {**po_body("P").model_dump(mode="json", exclude={"poId"}), "tags": replaced}
    )
    services.purchase_orders.replace(USER, "P", fields, None)
    assert [po.poId for po in services.purchase_orders.list(ACCOUNT, None, 10, None, tag="k1").items] == []
    assert [po.poId for po in services.purchase_orders.list(ACCOUNT, None, 10, None, tag="other49").items] == ["P"]


@pytest.mark.parametrize(
    ("recurrence", "periods"),
    [
        ("QUARTERLY", [("2026-01", "2026-03"), ("2026-04", "2026-06"), ("2026-07", "2026-09"), ("2026-10", "2026-11")]),
        ("ANNUAL", [("2026-01", "2026-11")]),
        ("MONTHLY", [(f"2026-{m:02d}", f"2026-{m:02d}") for m in range(1, 12)]),
    ],
)
def test_recurring_line_items_have_periods_of_1_3_or_12_months(
    services: Services, recurrence: str, periods: list[tuple[str, str]]
):
    item = {"lineItemId": "1", "type": "ALL", "amount": "300.00", "recurrence": recurrence}
    services.create_po("P", effectiveMonth="2026-01", expirationMonth="2026-11", lineItems=[item])

    services.receive("INV-1", "100.00", issueDate="2026-05-03")
    view = services.view()["lineItems"][0]

    assert [(period["month"], period["endMonth"]) for period in view["periods"]] == periods
    assert view["amount"] == "300.00"
    assert view["invoicedAmount"] == "100.00"
    assert services.view()["totalAmount"] == f"{300 * len(periods)}.00"
    debited = [period for period in view["periods"] if period["invoicedAmount"] != "0.00"]
    assert len(debited) == 1
    assert debited[0]["month"] <= "2026-05" <= debited[0]["endMonth"]
    assert debited[0]["balance"] == "200.00"


def test_a_quarter_is_compared_with_its_own_balance(services: Services):
    item = {"lineItemId": "1", "type": "ALL", "amount": "300.00", "recurrence": "QUARTERLY"}
    services.create_po("P", effectiveMonth="2026-01", expirationMonth="2026-12", lineItems=[item])
    services.receive("INV-1", "250.00", issueDate="2026-02-10")

    second = services.receive("INV-2", "100.00", issueDate="2026-03-10")
    next_quarter = services.receive("INV-3", "100.00", issueDate="2026-04-10")

    assert second.match.flags == ["EXCEEDS_BALANCE"]
    assert second.match.availableBalance == 50
    assert (next_quarter.match.flags, next_quarter.match.availableBalance) == ([], 300)


def test_a_quarterly_line_item_with_invoices_keeps_its_periods(services: Services):
    item = {"lineItemId": "1", "type": "ALL", "amount": "300.00", "recurrence": "QUARTERLY"}
    services.create_po("P", effectiveMonth="2026-01", expirationMonth="2026-12", lineItems=[item])
    services.receive("INV-1", "100.00", issueDate="2026-05-10")
    shifted = {**item, "startMonth": "2026-02"}
    fields = PurchaseOrderFields.model_validate(
        {**po_body("P").model_dump(mode="json", exclude={"poId"}), "effectiveMonth": "2026-01", "lineItems": [shifted]}
    )

    with pytest.raises(Conflict, match="periods"):
        services.purchase_orders.replace(USER, "P", fields, None)


def test_unknown_statuses_are_refused():
    from pom.domain.requests import StatusChange

    with pytest.raises(ValueError, match="status"):  # pydantic's ValidationError: the API's 422
        StatusChange.model_validate({"status": "EXPIRED"})
