"""Route of ``/aws-invoice-imports``: the caller's account imports its AWS invoices now (API.md, "AWS invoices").

The run is the daily one's, for this account alone (``pom.services.aws_invoices``), made in this
request: the answer is its summary. It stops taking new invoices ``RESERVE_SECONDS`` before the
function's timeout and says so (``complete: false``); the next call goes on from there. The import's
modules load on the first call, not at a cold start of the API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from api_powertools import Router
from api_support import actor_of, documented, invoice_service, json_response, stores
from aws_lambda_powertools.metrics import MetricUnit

from pom.core.observability import metrics

if TYPE_CHECKING:
    from pom.services.aws_invoices import AwsInvoiceImport as Importer

router = Router()
TAGS = ["Invoices"]
RESERVE_SECONDS = 4  # about one invoice (its PDF read, stored and written), with room
_importer: list[Importer] = []


def importer() -> Importer:
    if not _importer:
        from pom.adapters.aws_invoicing import AwsInvoicing  # noqa: PLC0415 - loads on the first import
        from pom.services.aws_invoices import AwsInvoiceImport as Importer  # noqa: PLC0415

        _importer.append(Importer(stores.settings, stores.aws_imports, stores.uploads, invoice_service, AwsInvoicing()))
    return _importer[0]


@router.post("/aws-invoice-imports", tags=TAGS, responses=documented(200, "AwsInvoiceImport", 409))
def import_aws_invoices():
    """Imports the account's new AWS invoices now, as the daily run does (``settings.awsInvoices``): each
    invoice once, then matched like any other. 200 with the run's summary (``enabled: false`` and
    nothing done while the import is off); 409 when the account's role refuses, saying what it needs."""
    account_id = actor_of(router.current_event).account_id
    context = router.lambda_context
    reserve = min(RESERVE_SECONDS, context.get_remaining_time_in_millis() / 3000)
    done = importer().import_account(account_id, lambda: context.get_remaining_time_in_millis() / 1000 - reserve)
    metrics.add_metric(name="AwsInvoicesImported", unit=MetricUnit.Count, value=done.imported)
    return json_response(done.as_dict())
