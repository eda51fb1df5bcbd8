"""The forecast on a PO's view and the BALANCE_FORECAST notice (API.md), over the in-memory stores."""

from __future__ import annotations

from datetime import UTC, datetime

from pom.domain.purchase_orders import purchase_order_view
from tests.services.conftest import ACCOUNT, Services


def test_monthly_debits_make_the_forecast_and_an_early_run_out_is_notified_once(services: Services):
    item = {"lineItemId": "1", "type": "ALL", "amount": "1200.00"}
    services.create_po("P", effectiveMonth="2026-01", expirationMonth="2026-12", lineItems=[item])
    for number, month in enumerate(("01", "02", "03")):
        services.clock.now = datetime(2026, int(month), 20, tzinfo=UTC)
        services.receive(f"INV-{number}", "300.00", issueDate=f"2026-{month}-20")
    services.receive("CM-1", "30.00", issueDate="2026-03-25", documentType="CREDIT_MEMO", originalInvoiceId="INV-2")

    po = services.purchase_orders.get(ACCOUNT, "P")
    view = purchase_order_view(po, datetime(2026, 4, 2, tzinfo=UTC))

    assert po.monthlyInvoiced == {"2026-01": 300, "2026-02": 300, "2026-03": 270}
    assert view["forecast"] == {
        "monthlyRunRate": "290.00",
        "projectedDepletionMonth": "2026-05",  # 870 + 290 in April, + 290 in May passes 1200
        "projectedInvoicedAtExpiration": "3480.00",
    }
    services.clock.now = datetime(2026, 4, 2, tzinfo=UTC)
    services.receive("INV-4", "10.00", issueDate="2026-04-01")
    services.receive("INV-5", "10.00", issueDate="2026-04-01")
    services.expiry_job().run(datetime(2026, 4, 3, 0, 15, tzinfo=UTC))
    services.expiry_job().run(datetime(2026, 4, 4, 0, 15, tzinfo=UTC))

    forecast_mails = [subject for subject in services.ses.subjects if "forecast" in subject]
    # Recorded with March's debit (Jan and Feb at 300 a month: out in April), sent once by the daily run.
    assert forecast_mails == ["Purchase order P is forecast to run out in 2026-04"]


def test_forecast_alerts_off_sends_none(services: Services):
    from pom.domain.requests import AccountSettings as SettingsBody

    services.stores.settings.put(
        ACCOUNT,
        SettingsBody.model_validate({"notifications": {"forecastAlerts": False}}).record(),
        "2026-01-01T00:00:00Z",
    )
    item = {"lineItemId": "1", "type": "ALL", "amount": "100.00"}
    services.create_po("P", effectiveMonth="2026-01", expirationMonth="2026-12", lineItems=[item])
    for month in ("01", "02", "03", "04"):
        services.clock.now = datetime(2026, int(month), 20, tzinfo=UTC)
        services.receive(f"INV-{month}", "40.00", issueDate=f"2026-{month}-20")
    services.expiry_job().run(datetime(2026, 4, 21, 0, 15, tzinfo=UTC))
    assert not [subject for subject in services.ses.subjects if "forecast" in subject]
