"""DynamoDB requests and items read per operation, next to the least its access pattern needs.

Each operation runs through the real handler (API, ingest, matcher, scheduler) against the
in-process emulator, with the requests counted on the handler's own client (botocore events).
"Least" is what the access pattern cannot do without: a PO is two items (it and its balances); a
read-modify-write needs one read and one write; a match needs the candidate POs (one Query), them,
their balances and the settings (one read) and one atomic write; a list page is one Query of an
index (keys only) and one read of the page's items. RRU and WRU are the read and write units
(``bench.capacity``: item sizes, transactions doubled, index writes counted).

    python bench/operation_cost.py [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for path in (
    ROOT,
    ROOT / "layers" / "common",
    *(ROOT / "functions" / name for name in ("api", "ingest", "matcher", "scheduler")),
):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import boto3  # noqa: E402

from bench.capacity import CapacityMeter  # noqa: E402

PO = {
    "poId": "BENCH-1", "billFrom": ["AWS Inc."], "effectiveMonth": "2026-01", "expirationMonth": "2026-11",
    "contacts": [{"name": "Ana", "email": "ana@example.com"}],
    "lineItems": [{"lineItemId": "1", "type": "ALL", "amount": "1000.00"}],
}  # fmt: skip
INVOICE = {
    "invoiceId": "INV-1", "billingEntity": "AWS Inc.", "invoiceType": "MONTHLY_USAGE", "issueDate": "2026-03-15",
    "currency": "USD", "subtotal": "100.00", "tax": "0.00", "total": "100.00",
}  # fmt: skip


def counted(client: Any, action: Callable[[], Any]) -> tuple[Any, CapacityMeter]:
    counter = CapacityMeter()
    counter.attach(client)
    try:
        return action(), counter
    finally:
        counter.detach(client)


def row(operation: str, counter: CapacityMeter, least: tuple[int, int], *, per: int = 1) -> dict[str, Any]:
    """One line of the table; ``per``: the operation ran that many times (figures are per run)."""
    operations = {name: counter.operations.count(name) for name in dict.fromkeys(counter.operations)}
    return {
        "operation": operation,
        "requests": round(len(counter.operations) / per, 2),
        "least_requests": least[0],
        "items_read": round(counter.items_read / per, 2),
        "least_items": least[1],
        "read_units": round(counter.read_units / per, 2),
        "write_units": round((counter.write_units + counter.index_write_units) / per, 2),
        "calls": ", ".join(f"{n} {name}" if n > 1 else name for name, n in operations.items()),
    }


class Api:
    """Calls the API handler as API Gateway would, for one account."""

    def __init__(self, handler: Any, account: str):
        self.handler = handler
        self.account = account

    def __call__(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        """``body``: a document sent as JSON, or bytes sent as they are (give their Content-Type)."""
        from local_runner.events import LambdaContext, api_gateway_event, local_claims  # noqa: PLC0415
        from local_runner.template import find_route  # noqa: PLC0415

        resource_path, _, query = path.partition("?")
        route, parameters = find_route(method, resource_path)  # type: ignore[misc]
        event = api_gateway_event(
            method, resource_path, resource=route.path, path_parameters=parameters, query=query,
            body=body if isinstance(body, bytes) or body is None else json.dumps(body),
            headers={"Content-Type": "application/json", **(headers or {})}, claims=local_claims(self.account),
        )  # fmt: skip
        return self.handler.lambda_handler(event, LambdaContext())


def api_rows(api: Api, client: Any) -> list[dict[str, Any]]:
    rows = [
        row("create PO", counted(client, lambda: api("POST", "/purchase-orders", PO))[1], (1, 0)),
        row("get PO", counted(client, lambda: api("GET", "/purchase-orders/BENCH-1"))[1], (1, 2)),
    ]
    for number in range(2, 12):  # from another seller: not candidates for the invoices below
        api("POST", "/purchase-orders", {**PO, "poId": f"BENCH-{number}", "billFrom": ["Another Seller"]})
    rows.append(
        row("list POs (page of 10)", counted(client, lambda: api("GET", "/purchase-orders?limit=10"))[1], (2, 30))
    )
    for number in range(12, 24):  # tagged: a list by tag reads their pointers, then those POs
        tags = [{"key": "team", "value": "data"}]
        api("POST", "/purchase-orders", {**PO, "poId": f"BENCH-{number}", "billFrom": ["Another Seller"], "tags": tags})
    by_tag = lambda: api("GET", "/purchase-orders?limit=10&tag=team:data")  # noqa: E731
    rows.append(row("list POs by tag (page of 10)", counted(client, by_tag)[1], (2, 30)))
    fields = {key: value for key, value in PO.items() if key != "poId"}
    replace = lambda: api("PUT", "/purchase-orders/BENCH-1", {**fields, "description": "x"}, {"If-Match": '"1"'})  # noqa: E731
    rows.append(row("replace PO", counted(client, replace)[1], (2, 2)))
    rows.append(row("POST /invoices", counted(client, lambda: api("POST", "/invoices", INVOICE))[1], (1, 0)))
    return rows


def ingest_row(ingest_handler: Any, account: str) -> dict[str, Any]:
    """One S3 upload, its real notification taken off the queue and handed to the ingest function."""
    from local_runner.events import LambdaContext  # noqa: PLC0415

    sqs = boto3.client("sqs")
    queue = sqs.get_queue_url(QueueName="InvoiceUploadQueue")["QueueUrl"]
    while sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages"):
        pass  # the S3 test event: only this upload's notification is measured
    body = json.dumps({**INVOICE, "invoiceId": "INV-S3"})
    boto3.client("s3").put_object(Bucket=os.environ["INVOICE_BUCKET"], Key=f"invoices/{account}/INV-S3.json", Body=body)
    message = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1)["Messages"][0]
    event = {"Records": [{"messageId": message["MessageId"], "body": message["Body"], "eventSource": "aws:sqs"}]}
    client = ingest_handler.stores.invoices.table.client
    return row(
        "ingest S3 upload", counted(client, lambda: ingest_handler.lambda_handler(event, LambdaContext()))[1], (2, 0)
    )


def match_row(matcher_handler: Any, resources: dict[str, str]) -> dict[str, Any]:
    """The stream delivers the two invoices above (API and S3) to the matcher."""
    from local_runner.event_sources import EventSources  # noqa: PLC0415
    from tests.conftest import handler_invoker  # noqa: PLC0415

    sources = EventSources.from_template(resources, {"MatcherFunction": handler_invoker(matcher_handler)})
    _, counter = counted(matcher_handler.stores.invoices.table.client, sources.drain)
    return row("match one invoice", counter, (3, 3), per=2)


def einvoice_rows(api: Api, client: Any) -> list[dict[str, Any]]:
    """An e-invoice by POST reads the settings (its invoice type) before the same write as JSON; a
    credit note also looks up the invoice its BT-25 names. Measured after the matcher's row, so that
    these invoices are not in its count."""
    documents = ROOT / "tests" / "documents"
    xml = {"Content-Type": "application/xml"}
    invoice = lambda: api("POST", "/invoices", (documents / "cii_invoice.xml").read_bytes(), xml)  # noqa: E731
    credit_note = lambda: api("POST", "/invoices", (documents / "ubl_credit_note.xml").read_bytes(), xml)  # noqa: E731
    return [
        row("POST /invoices, a CII e-invoice", counted(client, invoice)[1], (2, 1)),
        row("POST /invoices, a UBL credit note", counted(client, credit_note)[1], (4, 3)),
    ]


def schedule_row(scheduler_handler: Any) -> dict[str, Any]:
    from local_runner.events import LambdaContext  # noqa: PLC0415
    from local_runner.sample_events import scheduled_sample  # noqa: PLC0415

    event = {**scheduled_sample(), "time": "2026-11-05T00:15:00Z"}  # every PO above: its 30-day notice
    summary, counter = counted(
        scheduler_handler.stores.schedule.table.client, lambda: scheduler_handler.lambda_handler(event, LambdaContext())
    )
    due = max(1, summary["checked"])
    return row(f"scheduled run, per due PO + mail ({due})", counter, (3, 1), per=due)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    from moto import mock_aws  # noqa: PLC0415 - the bench's own emulator

    from local_runner.emulator import FAKE_CREDENTIALS, create_resources  # noqa: PLC0415
    from local_runner.template import function_environment  # noqa: PLC0415

    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update({**FAKE_CREDENTIALS, "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "ERROR"})
    with mock_aws():
        resources = create_resources()
        os.environ.update(function_environment("ApiFunction", resources, {"LogLevel": "ERROR"}))
        # The handlers read their configuration when imported, so only now.
        import api_handler  # noqa: PLC0415
        import api_support  # noqa: PLC0415
        import ingest_handler  # noqa: PLC0415
        import matcher_handler  # noqa: PLC0415
        import scheduler_handler  # noqa: PLC0415

        account = f"bench-{uuid.uuid4().hex[:8]}"
        rows = api_rows(Api(api_handler, account), api_support.stores.purchase_orders.table.client)
        rows += [ingest_row(ingest_handler, account), match_row(matcher_handler, resources)]
        rows += einvoice_rows(Api(api_handler, account), api_support.stores.purchase_orders.table.client)
        rows.append(schedule_row(scheduler_handler))
    if arguments.json:
        print(json.dumps(rows))
        return 0
    print(f"{'operation':<40}{'requests':>9}{'least':>7}{'items read':>12}{'least':>7}{'RRU':>7}{'WRU':>7}  calls")
    for line in rows:
        print(
            f"{line['operation']:<40}{line['requests']:>9g}{line['least_requests']:>7}{line['items_read']:>12g}"
            f"{line['least_items']:>7}{line['read_units']:>7g}{line['write_units']:>7g}  {line['calls']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
