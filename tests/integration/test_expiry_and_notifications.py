"""The scheduled job and the e-mail notices, against moto: expiry, at-most-once mail, faults, cost.

Each job test gets a table of its own (built from the template), because a run reads the schedule
of every account in its table; the balance-alert tests go through the session's API and pipeline.
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

from bench.capacity import CapacityMeter
from local_runner.events import LambdaContext
from local_runner.sample_events import SCHEDULED_EVENT, scheduled_sample
from local_runner.template import create_table_arguments
from pom.adapters.mail import Mailer
from pom.domain.audit import Actor
from pom.domain.purchase_orders import editable_view
from pom.domain.requests import AccountSettings as SettingsBody
from pom.domain.requests import PurchaseOrderCreate, PurchaseOrderFields
from pom.services.delivery import Notifier
from pom.services.expiry import ExpiryJob
from pom.services.purchase_orders import PurchaseOrderService
from pom.store.ports import Stores
from pom.store.purchase_orders import DynamoPurchaseOrderStore
from pom.store.tables import dynamo_stores
from tests.conftest import SENDER, ApiClient, FlakySes, at, invoice, mails_to, new_account, purchase_order


def expiry_job(stores: Stores, notifier: Notifier) -> ExpiryJob:
    return ExpiryJob(stores.purchase_orders, stores.schedule, stores.outbox, notifier)


@dataclass
class World:
    """One fresh table, the PO service and the job over it, and one account with its own mailbox."""

    stores: Stores
    pos: PurchaseOrderService
    account: str
    email: str

    def job(self, ses: Any = None) -> ExpiryJob:
        return expiry_job(self.stores, Notifier(self.stores.outbox, SENDER, ses, pause_seconds=0))

    def create(self, po_id: str, expiration: str, *, contacts: bool = True, **fields: Any) -> None:
        document = purchase_order(po_id, expirationMonth=expiration, **fields)
        document["contacts"] = [{"name": "Ana", "email": self.email}] if contacts else []
        self.pos.create(Actor(self.account, self.account), PurchaseOrderCreate.model_validate(document))

    def status(self, po_id: str) -> str:
        return self.pos.get(self.account, po_id).status

    def subjects(self) -> list[str]:
        return [message["subject"] for message in mails_to(self.email)]


@pytest.fixture
def world(aws: dict[str, str]) -> Iterator[World]:
    name = f"schedule-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb")
    client.create_table(**{**create_table_arguments("Table", name), "DeletionProtectionEnabled": False})
    stores = dynamo_stores(name, client)
    account = new_account()
    pos = PurchaseOrderService(stores.purchase_orders, stores.settings)
    yield World(stores, pos, account, f"{account}@example.com")
    client.delete_table(TableName=name)


def test_a_november_po_mails_30_and_7_days_before_and_when_it_expires(world: World):
    world.create("NOV", "2026-11")
    job = world.job()
    runs = {day: job.run(at(day)) for day in ("2026-11-05T00:15", "2026-11-06T00:15", "2026-11-25T00:15")}
    assert [run.mailsSent for run in runs.values()] == [1, 0, 1]
    assert world.status("NOV") == "ACTIVE"
    december = job.run(at("2026-12-01T00:15"))
    assert (december.expired, december.mailsSent) == (1, 1)
    assert world.status("NOV") == "EXPIRED"
    for day in ("2026-12-01T00:15", "2026-12-02T00:15", "2027-06-01T00:15"):  # again, and later: nothing more
        rerun = job.run(at(day))
        assert (rerun.checked, rerun.expired, rerun.mailsSent) == (0, 0, 0)
    assert world.subjects() == [
        "Purchase order NOV expires in 26 days",
        "Purchase order NOV expires in 6 days",
        "Purchase order NOV has expired",
    ]
    expired_mail = mails_to(world.email)[-1]
    assert "Balance: 1000.00 USD" in expired_mail["body"]
    assert "<table>" in expired_mail["html"]
    history = world.pos.history(world.account, "NOV", 50, None).items
    actions = sorted((entry["action"], entry["actor"]["userId"]) for entry in history)
    assert actions == [("CREATED", world.account), ("EXPIRED", "system"), *[("NOTIFIED", "system")] * 3]


def test_suspended_pos_expire_and_pos_without_contacts_never_mail(world: World):
    world.create("SUSPENDED", "2026-11")
    world.pos.change_status(Actor(world.account, world.account), "SUSPENDED", "SUSPENDED", None)
    world.create("SILENT", "2026-11", contacts=False)
    job = world.job()
    for day in ("2026-11-05T00:15", "2026-11-25T00:15", "2026-12-01T00:15"):
        job.run(at(day))
    # As the AWS Billing console does: a suspended PO that expires keeps the fact that it was suspended.
    assert (world.status("SUSPENDED"), world.status("SILENT")) == ("SUSPENDED_EXPIRED", "EXPIRED")
    assert world.subjects() == [
        "Purchase order SUSPENDED expires in 26 days",
        "Purchase order SUSPENDED expires in 6 days",
        "Purchase order SUSPENDED has expired",
    ]


def test_a_late_run_catches_up_with_the_nearest_notice_only(world: World):
    world.create("LATE", "2026-11")
    world.create("LATER", "2026-10")
    summary = world.job().run(at("2026-11-27T09:00"))  # nothing ran since October
    assert (summary.expired, summary.mailsSent) == (1, 2)
    assert world.status("LATER") == "EXPIRED"
    assert sorted(world.subjects()) == ["Purchase order LATE expires in 4 days", "Purchase order LATER has expired"]


def test_extending_an_expired_po_reactivates_it_and_notices_start_again(world: World):
    world.create("EXT", "2026-11")
    job = world.job()
    job.run(at("2026-12-01T00:15"))
    actor = Actor(world.account, world.account)
    po = world.pos.get(world.account, "EXT")
    fields = PurchaseOrderFields.model_validate({**editable_view(po), "expirationMonth": "2027-01"})
    assert world.pos.replace(actor, "EXT", fields, None).status == "ACTIVE"
    job.run(at("2027-01-05T00:15"))
    job.run(at("2027-02-01T00:15"))
    assert world.subjects() == [
        "Purchase order EXT has expired",
        "Purchase order EXT expires in 27 days",
        "Purchase order EXT has expired",
    ]
    assert world.status("EXT") == "EXPIRED"


def test_new_notice_days_replan_open_pos(world: World):
    world.create("REPLAN", "2026-12")
    job = world.job()
    job.run(at("2026-10-01T00:15"))  # planned for [30, 7]: next look on Nov 1
    settings = SettingsBody.model_validate({"notifications": {"expiryNoticeDays": [90, 7]}}).record()
    world.stores.settings.put(world.account, settings, "2026-10-02T08:00:00Z")
    summary = job.run(at("2026-10-03T00:15"))
    assert (summary.accountsReplanned, summary.mailsSent) == (1, 1)
    assert world.subjects() == ["Purchase order REPLAN expires in 90 days"]
    assert job.run(at("2026-10-04T00:15")).accountsReplanned == 0


def test_an_ses_failure_is_retried_and_the_mail_sent_once(world: World):
    world.create("FLAKY", "2026-11")
    ses = FlakySes(failures=1)
    summary = world.job(ses).run(at("2026-11-05T00:15"))
    assert (summary.mailsSent, summary.mailsFailed, ses.calls) == (1, 0, 2)
    assert world.job().run(at("2026-11-05T00:16")).mailsSent == 0
    assert world.subjects() == ["Purchase order FLAKY expires in 26 days"]


def test_ses_down_for_a_whole_run_sends_on_the_next_run_once(world: World):
    world.create("DOWN", "2026-11")
    summary = world.job(FlakySes(failures=10)).run(at("2026-12-01T00:15"))
    assert (summary.expired, summary.mailsSent, summary.mailsFailed) == (1, 0, 1)
    assert world.subjects() == []
    assert world.job().run(at("2026-12-02T00:15")).mailsSent == 1
    assert world.job().run(at("2026-12-03T00:15")).mailsSent == 0
    assert world.subjects() == ["Purchase order DOWN has expired"]


def later_runs_never_resend(world: World, ses: FlakySes) -> None:
    """Runs after a send whose outcome is unknown: the notice is left alone, then set aside, never resent."""
    clock = {"now": datetime.now(UTC)}

    def job_at(minutes_later: int) -> ExpiryJob:
        clock["now"] = datetime.now(UTC) + timedelta(minutes=minutes_later)
        notifier = Notifier(world.stores.outbox, SENDER, ses, clock=lambda: clock["now"], pause_seconds=0)
        return expiry_job(world.stores, notifier)

    assert job_at(1).run(at("2026-11-05T00:16")).mailsSkipped == 1  # maybe still sending: left alone
    assert job_at(20).run(at("2026-11-05T00:35")).mailsInDoubt == 1  # its sender is gone: set aside
    assert job_at(21).run(at("2026-11-05T00:36")).mailsInDoubt == 0  # and out of the outbox
    assert ses.calls == 1
    assert world.subjects() == []


def test_a_sender_dying_mid_send_never_resends_and_the_notice_is_set_aside(world: World):
    world.create("DOUBT", "2026-11")
    ses = FlakySes(failures=1, error=RuntimeError("container killed"))
    with pytest.raises(RuntimeError):
        world.job(ses).run(at("2026-11-05T00:15"))
    later_runs_never_resend(world, ses)


def test_a_lost_ses_answer_is_in_doubt_and_never_resent(world: World):
    """A read timeout: SES may have sent it. Neither the SDK nor the notifier sends it again."""
    world.create("LOST", "2026-11")
    ses = FlakySes(failures=1, error=ReadTimeoutError(endpoint_url="https://email.us-east-1.amazonaws.com"))
    summary = world.job(ses).run(at("2026-11-05T00:15"))
    assert (summary.mailsSent, summary.mailsFailed, summary.mailsInDoubt, ses.calls) == (0, 0, 1, 1)
    later_runs_never_resend(world, ses)


class ClosingEndpoint:
    """A TCP endpoint that reads each request and hangs up without answering; counts the requests."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.requests = 0
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            connection, _ = self.server.accept()
            with connection:
                connection.recv(65536)
                self.requests += 1


def test_the_mail_adapter_sends_each_request_once(monkeypatch: pytest.MonkeyPatch):
    """botocore resends a request whose connection dropped (3 tries by default): not a mail."""
    endpoint = ClosingEndpoint()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SES", endpoint.url)
    mailer = Mailer()
    assert mailer.client.meta.config.retries["total_max_attempts"] == 1
    with pytest.raises(ConnectionClosedError):
        mailer.send(SENDER, ["ana@example.com"], "subject", "text", "<p>html</p>")
    assert endpoint.requests == 1


class CrashingPurchaseOrders(DynamoPurchaseOrderStore):
    """The job's PO store, dying (as a killed container would) after ``survive`` PO expiries."""

    def __init__(self, real: Any, survive: int):
        super().__init__(real.table)
        self.survive = survive

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.survive == 0:
            raise RuntimeError("container killed")
        self.survive -= 1
        super().save(*args, **kwargs)


def test_a_crash_halfway_leaves_a_state_the_next_run_completes(world: World):
    for number in range(6):
        world.create(f"HALF-{number}", "2026-11")
    crashing = CrashingPurchaseOrders(world.stores.purchase_orders, survive=3)
    stores = world.stores
    with pytest.raises(RuntimeError):
        ExpiryJob(crashing, stores.schedule, stores.outbox, Notifier(stores.outbox, SENDER)).run(at("2026-12-01T00:15"))
    statuses = [world.status(f"HALF-{number}") for number in range(6)]
    assert statuses.count("EXPIRED") == 3
    assert world.subjects() == []  # the crash came before any mail: each is still due
    summary = world.job().run(at("2026-12-01T00:20"))
    assert (summary.expired, summary.mailsSent) == (3, 6)
    assert {world.status(f"HALF-{number}") for number in range(6)} == {"EXPIRED"}
    assert sorted(world.subjects()) == sorted(f"Purchase order HALF-{n} has expired" for n in range(6))
    assert world.job().run(at("2026-12-02T00:15")).mailsSent == 0


def items_read_by_a_run(world: World, moment: str) -> int:
    counter = CapacityMeter()
    counter.attach(world.stores.schedule.table.client)
    world.job().run(at(moment))
    counter.detach(world.stores.schedule.table.client)
    return counter.items_read


def test_a_run_reads_what_is_due_not_the_table(world: World):
    """10 due POs, then 10 others due among 300 that are not (expiring in 2028): the same items read."""
    for number in range(10):
        world.create(f"DUE-{number}", "2026-11", contacts=False)
    alone = items_read_by_a_run(world, "2026-11-05T00:15")
    later = World(world.stores, world.pos, new_account(), "nobody@example.com")
    for number in range(300):
        later.create(f"LATER-{number}", "2028-06", contacts=False)
    due = World(world.stores, world.pos, new_account(), "nobody@example.com")
    for number in range(10):
        due.create(f"DUE-{number}", "2026-11", contacts=False)
    crowded = items_read_by_a_run(world, "2026-11-05T00:16")
    assert alone == crowded == 30, (alone, crowded)  # 10 index keys, 10 POs and their balances (no settings)


def test_scheduled_sample_event_runs_the_handler(aws: dict[str, str]):
    import scheduler_handler

    event = json.loads(SCHEDULED_EVENT.read_text())
    assert event == scheduled_sample()  # `make events` wrote it from the builder the runner uses
    summary = scheduler_handler.lambda_handler(event, LambdaContext())
    assert summary["time"] == "2026-12-01T00:15:00Z"
    with pytest.raises(ValueError, match="time zone"):
        scheduler_handler.lambda_handler({**event, "time": "2026-12-01T00:15:00"}, LambdaContext())


# --- balance alerts, sent by the notifier as soon as a match crosses a threshold -------------------


def test_balance_alerts_at_75_and_100_percent_are_mailed_once(client: ApiClient, pipeline: Any):
    email = f"{client.account_id}@example.com"
    client.post("/purchase-orders", purchase_order("ALERT", contacts=[{"name": "Bo", "email": email}]))
    for number, amount in enumerate(("500.00", "300.00", "150.00", "50.00", "10.00")):
        client.post("/invoices", invoice(f"A-{number}", amount))
        pipeline.drain()
    subjects = [message["subject"] for message in mails_to(email)]
    assert subjects == [
        "Purchase order ALERT has reached 75% of its amount",
        "Purchase order ALERT has reached 100% of its amount",
    ]
    reached = mails_to(email)[0]["body"]
    assert "Invoiced: 800.00 USD" in reached
    assert "Balance: 200.00 USD" in reached
    client.delete(f"/invoices/A-{0}/match")  # credit back below 75%, then cross again: not mailed twice
    client.put("/invoices/A-0/match", {"poId": "ALERT", "lineItemId": "1"})
    pipeline.drain()
    assert len(mails_to(email)) == 2
