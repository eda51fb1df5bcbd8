"""The console used as a person would: each test signs in to an account of its own and clicks through."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
import requests

from tests.browser.conftest import NARROW, Console

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

ENTITY = "Amazon Web Services, Inc."


def month(offset: int = 0) -> str:
    """This month (UTC) moved by offset months, as "YYYY-MM"."""
    now = datetime.now(UTC)
    index = now.year * 12 + now.month - 1 + offset
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def days_to_end_of(month_text: str) -> int:
    """What the console shows as days to expiry: to the end of the month, UTC."""
    year, number = map(int, month_text.split("-"))
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return math.ceil((end - datetime.now(UTC)).total_seconds() / 86400)


def create_po(console: Console, po_id: str, **fields: Any) -> dict[str, Any]:
    body = {
        "poId": po_id,
        "billFrom": [ENTITY],
        "effectiveMonth": month(),
        "expirationMonth": month(2),
        "lineItems": [{"lineItemId": "1", "type": "MONTHLY_USAGE", "recurrence": "MONTHLY", "amount": "500.00"}],
        **fields,
    }
    created = console.api("POST", "/purchase-orders", json=body)
    assert created.status_code == 201, created.text
    return created.json()


def invoice_document(invoice_id: str, subtotal: str, entity: str = ENTITY, **extra: Any) -> dict[str, Any]:
    return {
        **extra,
        "invoiceId": invoice_id,
        "billingEntity": entity,
        "invoiceType": "MONTHLY_USAGE",
        "issueDate": datetime.now(UTC).date().isoformat(),
        "currency": "USD",
        "subtotal": subtotal,
        "tax": "0.00",
        "total": subtotal,
    }


def invoice_card(console: Console, invoice_id: str) -> Any:
    return console.page.locator(f'article[data-invoice-id="{invoice_id}"]')


def test_sign_in_survives_a_reload_and_sign_out_ends_it(console: Console):
    page = console.page
    expect(page.locator("#session")).to_contain_text(f"Signed in as {console.account}")
    page.reload()
    expect(page.get_by_role("heading", name="Purchase orders", exact=True)).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    page.get_by_label("Account id").fill(console.account)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Purchase orders", exact=True)).to_be_visible()


def test_the_wizard_creates_a_purchase_order_that_the_dashboard_lists(console: Console):
    settings = console.api("GET", "/settings").json()
    bill_to = {"name": "Acme Corp", "line1": "1 Main St", "city": "Springfield", "country": "US"}
    assert console.api("PUT", "/settings", json={**settings, "billTo": bill_to}).ok
    page = console.page
    page.get_by_role("link", name="Add purchase order").first.click()
    expect(page.get_by_role("heading", name="Step 1 of 2: Purchase order")).to_be_visible()
    page.get_by_label("PO id").fill("Q1 #7")  # "#" and " " must survive the hash route and the API path
    expect(page.get_by_text("Acme Corp, 1 Main St, Springfield, US")).to_be_visible()  # bill-to, from settings
    page.get_by_role("button", name="Copy bill-to").click()
    expect(page.get_by_label("City", exact=True)).to_have_value("Springfield")
    page.get_by_label("Entity name").fill(ENTITY)
    warning = page.get_by_text("More than one bill-from entity")
    expect(warning).to_be_hidden()
    page.get_by_role("button", name="Add entity").click()
    page.get_by_label("Entity name").nth(1).fill("AWS EMEA SARL")
    expect(warning).to_be_visible()
    page.get_by_label("Effective month").fill(month())
    page.get_by_label("Expiration month").fill(month(2))
    page.get_by_role("button", name="Add contact").click()
    page.get_by_label("Name", exact=True).nth(1).fill("Ana")  # the first "Name" is the ship-to's
    page.get_by_label("Email").fill("ana@example.com")
    console.screenshot("wizard-step-1")

    page.get_by_role("button", name="Next: line items").click()
    expect(page.get_by_role("heading", name="Step 2 of 2: Line items")).to_be_focused()
    expect(page.get_by_label("Start month")).to_have_value(month())  # defaults to the PO's months
    expect(page.get_by_label("End month")).to_have_value(month(2))
    page.get_by_label("Amount", exact=True).fill("3000.00")
    page.get_by_role("button", name="Add line item").click()
    second = page.get_by_role("group", name="Line item 2")
    second.get_by_label("Number").fill("2")
    second.get_by_label("Type").select_option("MONTHLY_USAGE")
    second.get_by_label("Recurrence").select_option("MONTHLY")
    second.get_by_label("Amount", exact=True).fill("500")
    expect(second.get_by_label("Start month")).to_have_value(month())
    console.screenshot("wizard-step-2")
    page.get_by_role("button", name="Create purchase order").click()

    expect(page.get_by_role("heading", name="Purchase order Q1 #7")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("4,500.00 USD")  # 3,000 + 3 months × 500
    expect(page.locator("#announcer")).to_have_text("Purchase order Q1 #7 created.")
    created = console.api("GET", "/purchase-orders/Q1%20%237").json()
    assert created["billFrom"] == [ENTITY, "AWS EMEA SARL"]
    assert created["billTo"]["name"] == created["shipTo"]["name"] == "Acme Corp"
    assert created["contacts"] == [{"name": "Ana", "email": "ana@example.com", "phone": None}]
    assert [item["recurrence"] for item in created["lineItems"]] == ["NONE", "MONTHLY"]

    page.get_by_role("link", name="All purchase orders").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Q1 #7"))
    expect(row).to_contain_text("ACTIVE")
    expect(row).to_contain_text(f"{ENTITY}, AWS EMEA SARL")
    expect(row).to_contain_text("4,500.00 USD")
    expect(row).to_contain_text(f"{days_to_end_of(month(2))} days")
    expect(row.get_by_role("meter")).to_have_attribute("aria-label", "100% of the total left")


def test_an_uploaded_invoice_is_matched_and_draws_the_balance_down(console: Console):
    create_po(console, "USAGE-1")
    page = console.page
    page.get_by_role("link", name="Invoices").click()
    page.get_by_label("Invoice document (JSON)").fill(json.dumps(invoice_document("INV-1", "120.00"), indent=2))
    page.get_by_role("button", name="Upload").click()
    console.drain()  # the console polls until the matcher is done; drain makes that quick
    card = invoice_card(console, "INV-1")
    expect(card).to_contain_text("MATCHED to USAGE-1, line item 1")
    expect(page.locator("#announcer")).to_have_text("Invoice INV-1 matched to USAGE-1.")
    card.get_by_text("Why it matched here").click()
    expect(card).to_contain_text("SELECTED: PO USAGE-1, line item 1")
    expect(card).to_contain_text("available 500")
    console.screenshot("invoices")

    card.get_by_role("link", name="USAGE-1").click()
    expect(page.get_by_role("heading", name="Purchase order USAGE-1")).to_be_visible()
    line_item = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="1", exact=True))
    expect(line_item).to_contain_text("1,380.00 USD")  # 3 × 500 − 120
    page.get_by_text("Balance per month of line item 1").click()
    per_month = page.get_by_role("region", name="Line item 1 per month")
    this_month = per_month.get_by_role("row").filter(has=page.get_by_role("rowheader", name=month()))
    expect(this_month).to_contain_text("380.00 USD")
    matched = page.get_by_role("region", name="Invoices matched to this purchase order")
    expect(matched).to_contain_text("INV-1")
    matched.get_by_role("button", name="Get the original document of INV-1").click()
    link = page.get_by_role("link", name="Download INV-1.json")
    expect(link).to_be_focused()
    original = requests.get(link.get_attribute("href"), timeout=10)
    assert json.loads(original.text)["invoiceId"] == "INV-1"  # the stored original, as uploaded
    console.screenshot("details")


def test_an_unmatched_invoice_is_explained_matched_by_hand_and_approved(console: Console):
    create_po(console, "HAND-1")
    # Named for a PO the account lacks: unmatched, and then matched by hand to one that can take it
    # (a PO whose billFrom lacks the invoice's entity cannot: API.md, PUT /invoices/{id}/match).
    uploaded = console.api("POST", "/invoices", json=invoice_document("INV-X", "40.00", poId="GONE"))
    assert uploaded.status_code == 202
    info = requests.get(f"{console.base_url}/_local/info", timeout=5).json()
    s3 = boto3.client("s3", endpoint_url=info["awsEndpoint"])  # tests/conftest.py set the emulator's credentials
    s3.put_object(Bucket=info["invoiceBucket"], Key=f"invoices/{console.account}/broken.json", Body=b"{not json")
    console.drain()

    page = console.page
    console.open("#/invoices?matchStatus=UNMATCHED")
    card = invoice_card(console, "INV-X")
    expect(card).to_contain_text("PO_NOT_ELIGIBLE: The purchase order named on the invoice cannot take it")
    card.get_by_text("Why it did not match").click()
    expect(card).to_contain_text("PO GONE: no such PO in this account")
    rejected = page.get_by_role("region", name="Rejected uploads", exact=True)
    expect(rejected).to_contain_text(f"invoices/{console.account}/broken.json")

    card.get_by_role("button", name="Match by hand…").click()
    card.get_by_label("Purchase order").select_option("HAND-1")
    card.get_by_label("Line item").select_option("1")
    card.get_by_role("button", name="Match", exact=True).click()
    card = invoice_card(console, "INV-X")
    expect(card).to_contain_text("MATCHED to HAND-1, line item 1")
    card.get_by_text("Why it matched here").click()
    expect(card).to_contain_text(f"Matched by hand by {console.account}")
    card.get_by_role("button", name="Submit for approval").click()
    expect(invoice_card(console, "INV-X")).to_contain_text("SUBMITTED")
    invoice_card(console, "INV-X").get_by_role("button", name="Approve").click()
    expect(invoice_card(console, "INV-X")).to_contain_text("APPROVED")
    assert console.api("GET", "/invoices/INV-X").json()["approvalStatus"] == "APPROVED"


def test_suspend_and_reactivate(console: Console):
    create_po(console, "PAUSE-1")
    page = console.page
    console.open("#/purchase-orders/PAUSE-1")
    page.get_by_role("button", name="Suspend").click()
    expect(page.locator(".facts")).to_contain_text("SUSPENDED")
    expect(page.locator("#announcer")).to_have_text("Purchase order PAUSE-1 is now suspended.")
    assert console.api("GET", "/purchase-orders/PAUSE-1").json()["status"] == "SUSPENDED"
    page.get_by_role("link", name="All purchase orders").click()
    page.get_by_label("Status").select_option("SUSPENDED")
    expect(page.get_by_role("link", name="PAUSE-1")).to_be_visible()
    page.get_by_label("Status").select_option("ACTIVE")
    expect(page.get_by_text("No purchase orders here yet.")).to_be_visible()

    console.open("#/purchase-orders/PAUSE-1")
    page.get_by_role("button", name="Activate").click()
    expect(page.locator(".facts")).to_contain_text("ACTIVE")
    expect(page.get_by_role("button", name="Suspend")).to_be_visible()
    expect(page.locator(".history")).to_contain_text("STATUS_CHANGED")
    assert console.api("GET", "/purchase-orders/PAUSE-1").json()["status"] == "ACTIVE"


def test_settings_are_saved_whole_and_persist_after_a_reload(console: Console):
    page = console.page
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Payment terms").fill("Net 45")
    page.get_by_label("Block invoices exceeding the balance").check()
    page.get_by_label("Tolerance (%)").fill("5")
    page.get_by_label("Expiry notices (days before)").fill("7, 60, 7")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#announcer")).to_have_text("Settings saved.")
    expect(page.get_by_label("Expiry notices (days before)")).to_have_value("60, 7")  # as the API keeps it
    console.screenshot("settings")

    page.reload()
    expect(page.get_by_label("Payment terms")).to_have_value("Net 45")
    expect(page.get_by_label("Block invoices exceeding the balance")).to_be_checked()
    expect(page.get_by_label("Require a purchase order")).not_to_be_checked()
    expect(page.get_by_label("Tolerance (%)")).to_have_value("5")
    saved = console.api("GET", "/settings").json()
    assert saved["paymentTerms"] == "Net 45"
    assert saved["matching"]["blockExceedingBalance"] is True
    assert saved["notifications"] == {
        "expiryNoticeDays": [60, 7],
        "balanceAlertPercents": [75, 100],
        "forecastAlerts": True,
    }
    page.get_by_role("link", name="Add purchase order").first.click()
    expect(page.locator(".facts")).to_contain_text("Net 45")  # new POs take it


def test_api_errors_are_shown_next_to_the_field_they_name(console: Console):
    console.expect_error_response(422)
    page = console.page
    console.open("#/new-po")
    page.get_by_label("PO id").fill("BAD-MONTHS")
    page.get_by_label("Entity name").fill(ENTITY)
    page.get_by_label("Effective month").fill(month(2))
    page.get_by_label("Expiration month").fill(month())  # before the effective month
    page.get_by_role("button", name="Next: line items").click()
    page.get_by_label("Amount", exact=True).fill("10")
    page.get_by_role("button", name="Create purchase order").click()

    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Expiration month: must not be before effectiveMonth")
    expiration = page.get_by_label("Expiration month")
    expect(expiration).to_be_visible()  # the wizard went back to the step with the error
    expect(expiration).to_have_attribute("aria-invalid", "true")
    error_id = expiration.get_attribute("aria-describedby").split()[-1]
    expect(page.locator(f"#{error_id}")).to_have_text(f"must not be before effectiveMonth ({month(2)})")
    console.screenshot("wizard-field-error")

    expiration.fill(month(3))
    expect(expiration).to_have_attribute("aria-invalid", "true")  # until the next answer says otherwise
    page.get_by_role("button", name="Next: line items").click()
    start = page.get_by_label("Start month")
    start.fill(month(5))  # outside the PO's months
    page.get_by_label("End month").fill(month(5))
    page.get_by_role("button", name="Create purchase order").click()
    expect(summary).to_contain_text("Line item 1: Start month: must lie within the PO's months")
    expect(start).to_have_attribute("aria-invalid", "true")
    expect(expiration).not_to_have_attribute("aria-invalid", "true")
    start_error = page.locator(f"#{start.get_attribute('aria-describedby').split()[-1]}")
    expect(start_error).to_contain_text(f"must lie within the PO's months {month(2)}..{month(3)}")
    summary.get_by_role("button", name="Line item 1: Start month").click()
    expect(start).to_be_focused()
    assert console.api("GET", "/purchase-orders/BAD-MONTHS").status_code == 404


def test_line_items_and_the_purchase_order_are_edited_and_deleted(console: Console):
    create_po(console, "EDIT-1", lineItems=[{"lineItemId": "1", "type": "ALL", "amount": "1000.00"}])
    page = console.page
    console.open("#/purchase-orders/EDIT-1")
    page.get_by_role("button", name="Add line item").click()
    editor = page.get_by_role("form", name="Add line item")
    editor.get_by_label("Number").fill("2")
    editor.get_by_label("Amount", exact=True).fill("250")
    editor.get_by_role("button", name="Add line item").click()
    expect(page.get_by_role("button", name="Delete line item 2")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("1,250.00 USD")

    page.get_by_role("button", name="Edit line item 2").click()
    editor = page.get_by_role("form", name="Edit line item 2")
    expect(editor.get_by_label("Number")).to_have_attribute("readonly", "")
    editor.get_by_label("Amount", exact=True).fill("300")
    editor.get_by_role("button", name="Save line item").click()
    expect(page.locator(".facts")).to_contain_text("1,300.00 USD")

    page.get_by_role("button", name="Delete line item 2").click()
    dialog = page.get_by_role("dialog", name="Delete line item 2?")
    dialog.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("button", name="Delete line item 2")).to_have_count(0)

    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_label("PO id")).to_have_attribute("readonly", "")
    page.get_by_label("Expiration month").fill(month(4))
    page.get_by_role("button", name="Next: line items").click()
    page.get_by_role("button", name="Save purchase order").click()
    expect(page.locator(".facts")).to_contain_text(f"{month()} to {month(4)}")
    assert console.api("GET", "/purchase-orders/EDIT-1").json()["version"] == 5

    page.get_by_role("button", name="Delete purchase order").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete purchase order")).to_be_focused()  # focus goes back
    page.get_by_role("button", name="Delete purchase order").click()
    page.get_by_role("dialog", name="Delete purchase order EDIT-1?").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="Purchase orders", exact=True)).to_be_visible()
    assert console.api("GET", "/purchase-orders/EDIT-1").status_code == 404


def test_the_dashboard_pages_with_next_token(console: Console):
    for number in range(12):
        create_po(console, f"PAGE-{number:02d}")
    page = console.page
    page.reload()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(10)
    expect(page.get_by_role("link", name="PAGE-11")).to_be_visible()  # newest first
    page.get_by_role("button", name="Next").click()
    expect(rows).to_have_count(2)
    expect(page.get_by_text("Page 2")).to_be_visible()
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    page.get_by_role("button", name="Previous").click()
    expect(rows).to_have_count(10)
    page.get_by_label("Per page").select_option("25")
    expect(rows).to_have_count(12)
    expect(page.get_by_role("navigation", name="Purchase orders pages")).to_be_hidden()


def test_every_page_fits_and_is_labelled_at_both_widths(console_at_each_width: Console):
    console = console_at_each_width
    create_po(console, "LAYOUT-1", description="A purchase order with a long description " * 3)
    console.api("POST", "/invoices", json=invoice_document("INV-L", "75.00"))
    console.drain()
    page = console.page
    pages = {  # name: (route, heading, what shows once its data is in)
        "dashboard": ("#/purchase-orders", "Purchase orders", page.get_by_role("link", name="LAYOUT-1")),
        "wizard-step-1": ("#/new-po", "Add purchase order", page.get_by_role("button", name="Next: line items")),
        "details": (
            "#/purchase-orders/LAYOUT-1",
            "Purchase order LAYOUT-1",
            page.get_by_role("rowheader", name="INV-L"),
        ),
        "invoices": ("#/invoices", "Invoices", invoice_card(console, "INV-L")),
        "settings": ("#/settings", "Settings", page.get_by_role("button", name="Save settings")),
    }
    for name, (route, heading, ready) in pages.items():
        console.open(route)
        expect(page.get_by_role("heading", level=1, name=heading, exact=True)).to_be_visible()
        expect(ready).to_be_visible()
        for landmark in ("banner", "main"):
            expect(page.get_by_role(landmark)).to_be_visible()
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        # Wide content scrolls inside its own box; the page itself never scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= console.width, name
        unlabelled = page.evaluate(
            """[...document.querySelectorAll("input, select, textarea, button, meter")]
                .filter((element) => element.offsetParent !== null)
                .filter((element) => !element.labels?.length && !element.getAttribute("aria-label"))
                .filter((element) => !element.textContent.trim())
                .map((element) => element.outerHTML)"""
        )
        assert not unlabelled, f"{name}: controls without a label: {unlabelled}"
        console.screenshot(name)
        if name == "wizard-step-1":
            page.get_by_label("PO id").fill("LAYOUT-2")
            page.get_by_label("Entity name").fill(ENTITY)
            page.get_by_label("Effective month").fill(month())
            page.get_by_label("Expiration month").fill(month(1))
            page.get_by_role("button", name="Next: line items").click()
            assert page.evaluate("document.documentElement.scrollWidth") <= console.width
            console.screenshot("wizard-step-2")
    if console.width == NARROW:
        console.open("#/purchase-orders")
        table = page.get_by_role("region", name="Purchase orders", exact=True)
        assert table.evaluate("(box) => box.scrollWidth > box.clientWidth")  # the table scrolls, not the page


def test_keyboard_users_can_skip_to_content_and_see_focus(console: Console):
    page = console.page
    page.reload()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert skip.evaluate("(link) => getComputedStyle(link).outlineStyle") == "solid"  # :focus-visible
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    assert page.evaluate("location.hash") == "#/purchase-orders"  # the route did not change
    page.keyboard.press("Tab")
    expect(page.get_by_role("main").get_by_role("link", name="Add purchase order")).to_be_focused()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices").press("Enter")
    expect(page.get_by_role("heading", level=1, name="Invoices")).to_be_focused()  # a new view starts at its heading


def test_an_e_invoice_file_is_uploaded_as_it_is_and_shows_its_business_terms(console: Console, tmp_path: Any):
    """Issue 10: the upload takes .xml and .pdf files; the invoice shows its supplier number, service
    month and PO reference."""
    from pathlib import Path

    cii = Path(__file__).resolve().parents[1] / "documents" / "cii_invoice.xml"
    page = console.page
    page.get_by_role("link", name="Invoices").click()
    page.get_by_label("Invoice file (JSON, UBL or CII XML, Factur-X PDF)").set_input_files(str(cii))
    expect(page.get_by_label("Invoice document (JSON)")).to_be_disabled()
    page.get_by_role("button", name="Upload").click()
    console.drain()
    (invoice,) = console.api("GET", "/invoices").json()["items"]
    card = invoice_card(console, invoice["invoiceId"])
    expect(card).to_contain_text("INV-2024-0042")
    expect(card).to_contain_text("2024-07")  # the service month: the billing period, not August's issue date
    expect(card).to_contain_text("PO-2024-117")
    expect(card).to_contain_text("CII e-invoice (XML)")
    card.get_by_role("button", name=f"Get the original document of {invoice['invoiceId']}").click()
    link = page.get_by_role("link", name=f"Download {invoice['invoiceId']}.xml")
    assert requests.get(link.get_attribute("href"), timeout=10).content == cii.read_bytes()
    console.screenshot("e-invoice")
