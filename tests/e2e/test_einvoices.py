"""EN 16931 e-invoices through the local runner over HTTP, as a supplier's system sends them: XML and
PDF bodies (base64 in the proxy event, as API Gateway's BinaryMediaTypes delivers them), uploads
through S3 under any name, duplicates across formats and channels, and hostile documents."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import boto3
import pytest
import requests

from tests.documents.factur_x import factur_x_pdf
from tests.e2e.client import TIMEOUT, Client, drain
from tests.e2e.conftest import Runner

pytestmark = pytest.mark.e2e

DOCUMENTS = Path(__file__).resolve().parents[1] / "documents"
CII = (DOCUMENTS / "cii_invoice.xml").read_bytes()
UBL = (DOCUMENTS / "ubl_invoice.xml").read_bytes()
CREDIT_NOTE = (DOCUMENTS / "ubl_credit_note.xml").read_bytes()
SELLER = "Nimbus Cloud Services GmbH"


@pytest.fixture
def account(runner: Runner) -> Client:
    client = Client(runner)
    po = {
        "poId": "PO-2024-117",
        "billFrom": [SELLER],
        "currency": "EUR",
        "effectiveMonth": "2024-01",
        "expirationMonth": "2024-07",
        "lineItems": [
            {"lineItemId": "1", "type": "ALL", "amount": "5000.00"},
            {"lineItemId": "2", "type": "MONTHLY_USAGE", "recurrence": "MONTHLY", "amount": "1000.00"},
        ],
    }
    created = client.call("POST", "/purchase-orders", po)
    assert created.status_code == 201, created.text
    return client


def post(client: Client, body: bytes, content_type: str) -> requests.Response:
    headers = {**client.headers, "Content-Type": content_type}
    return requests.post(f"{client.base_url}/invoices", data=body, headers=headers, timeout=TIMEOUT)


def test_one_invoice_as_cii_ubl_and_factur_x_by_post_and_s3_is_debited_once(runner: Runner, account: Client):
    created = post(account, CII, "application/xml")
    assert created.status_code == 202, created.text
    invoice = created.json()
    assert (invoice["supplierInvoiceNumber"], invoice["billingPeriod"], invoice["serviceMonth"]) == (
        "INV-2024-0042", "2024-07", "2024-07"
    )  # fmt: skip
    assert (invoice["poReference"], invoice["sourceFormat"], invoice["subtotal"]) == ("PO-2024-117", "CII", "1400.00")
    for body, content_type in ((UBL, "application/xml; charset=utf-8"), (factur_x_pdf(CII), "application/pdf")):
        again = post(account, body, content_type)
        assert (again.status_code, again.json()["invoiceId"]) == (200, invoice["invoiceId"]), again.text
    info = requests.get(f"{runner.base_url}/_local/info", timeout=TIMEOUT).json()
    s3 = boto3.client("s3", endpoint_url=info["awsEndpoint"], region_name=info["region"])
    s3.put_object(Bucket=info["invoiceBucket"], Key=f"invoices/{account.account}/scan 0042", Body=factur_x_pdf(UBL))
    drain(account.base_url)

    matched = account.invoice(invoice["invoiceId"])
    assert (matched["matchStatus"], matched["poId"], matched["match"]["month"]) == ("MATCHED", "PO-2024-117", "2024-07")
    assert account.po("PO-2024-117")["invoicedAmount"] == "1400.00"
    assert [upload["invoiceId"] for upload in account.uploads("DUPLICATE")] == [invoice["invoiceId"]]
    document = account.call("GET", f"/invoices/{invoice['invoiceId']}/document").json()
    original = requests.get(document["url"], timeout=TIMEOUT)
    assert (original.content, original.headers["Content-Type"]) == (CII, "application/xml")


def test_a_credit_note_by_s3_credits_its_original(runner: Runner, account: Client):
    original = post(account, UBL, "application/xml").json()
    info = requests.get(f"{runner.base_url}/_local/info", timeout=TIMEOUT).json()
    s3 = boto3.client("s3", endpoint_url=info["awsEndpoint"], region_name=info["region"])
    s3.put_object(Bucket=info["invoiceBucket"], Key=f"invoices/{account.account}/cn.xml", Body=CREDIT_NOTE)
    drain(account.base_url)

    (accepted,) = account.uploads("ACCEPTED")
    memo = account.invoice(accepted["invoiceId"])
    assert (memo["documentType"], memo["originalInvoiceId"], memo["matchStatus"]) == (
        "CREDIT_MEMO", original["invoiceId"], "MATCHED"
    )  # fmt: skip
    assert account.po("PO-2024-117")["invoicedAmount"] == "1200.00"


def test_a_bad_document_by_s3_is_kept_and_listed_with_the_business_term(runner: Runner, account: Client):
    info = requests.get(f"{runner.base_url}/_local/info", timeout=TIMEOUT).json()
    s3 = boto3.client("s3", endpoint_url=info["awsEndpoint"], region_name=info["region"])
    broken = CII.replace(b"<ram:TaxBasisTotalAmount>1400.00</ram:TaxBasisTotalAmount>", b"")
    key = f"invoices/{account.account}/broken.xml"
    s3.put_object(Bucket=info["invoiceBucket"], Key=key, Body=broken)
    drain(account.base_url)

    (rejected,) = account.uploads("REJECTED")
    assert rejected["key"] == key
    assert "BT-109" in [error["field"] for error in rejected["error"]]
    assert s3.get_object(Bucket=info["invoiceBucket"], Key=key)["Body"].read() == broken


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">&lol9;
</rsm:CrossIndustryInvoice>"""


def _external_entity(secret_file: Path) -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY secret SYSTEM "file://{secret_file}">]>'
        '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&secret;</Invoice>'
    ).encode()


def test_hostile_xml_is_refused_quickly_and_leaks_nothing(account: Client, tmp_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text(f"SECRET-{uuid.uuid4().hex}")
    oversized = b'<?xml version="1.0"?><Invoice>' + b" " * (5 * 2**20) + b"</Invoice>"
    for body, status in ((BILLION_LAUGHS, 422), (_external_entity(secret), 422), (oversized, 413)):
        started = time.monotonic()
        reply = post(account, body, "application/xml")
        assert (reply.status_code, reply.json()["status"]) == (status, status), reply.text
        assert time.monotonic() - started < 5
        assert "SECRET" not in reply.text
        assert "lollol" not in reply.text


def test_xml_is_refused_on_routes_that_take_json(account: Client):
    reply = requests.put(
        f"{account.base_url}/settings",
        data=CII,
        headers={**account.headers, "Content-Type": "application/xml"},
        timeout=TIMEOUT,
    )
    assert reply.status_code == 400, reply.text
