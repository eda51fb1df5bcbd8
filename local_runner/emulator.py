"""The AWS side of local mode: an in-process moto server and the template's resources in it."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import boto3
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.server import ThreadedMotoServer

from local_runner import aws_invoicing, aws_limits, event_bus, in_process, moto_speedups, outbox, s3_notifications
from local_runner.template import (
    bucket_notification_configuration,
    create_table_arguments,
    parameter_values,
    queue_attributes,
    resource,
    resources_of_type,
)

moto_speedups.install()
outbox.install()
event_bus.install()
s3_notifications.install()
aws_invoicing.install()  # moto has no Invoicing API: served on its endpoint
aws_limits.install()  # after moto_speedups: refuses what AWS refuses (limits moto does not check)

REGION = "us-east-1"
TABLE_NAME = "purchase-orders-local"
INVOICE_BUCKET = "invoices-local"
EVENT_BUS = "purchase-orders-local-events"
# moto accepts any credentials; set them so no real ones on this machine are ever picked up.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    # botocore 1.44 would otherwise target account-based endpoints moto does not serve.
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}


def create_resources(session_kwargs: dict[str, Any] | None = None) -> dict[str, str]:
    """Creates the template's table, every queue, the invoice bucket (versioned as the template says)
    with its notifications, and verifies the notification sender in SES (as the deployer must, once).

    Returns the references (``local_runner.template``): ``{"Table": name, "Table.StreamArn": arn,
    "InvoiceUploadQueue": url, "InvoiceUploadQueue.Arn": arn, ...}``. Queues are named by their
    logical ids. Setting the bucket's notifications makes S3 send an ``s3:TestEvent`` to each
    queue, as AWS does.
    """
    kwargs = {"region_name": REGION, **(session_kwargs or {})}
    table = boto3.client("dynamodb", **kwargs).create_table(**create_table_arguments("Table", TABLE_NAME))
    references = {
        "Table": TABLE_NAME,
        "Table.Arn": table["TableDescription"]["TableArn"],
        "Table.StreamArn": table["TableDescription"]["LatestStreamArn"],
        **_create_queues(boto3.client("sqs", **kwargs)),
        "InvoiceBucket": INVOICE_BUCKET,
        "InvoiceBucket.Arn": f"arn:aws:s3:::{INVOICE_BUCKET}",
        "EventBus": EVENT_BUS,
        "EventBus.Arn": boto3.client("events", **kwargs).create_event_bus(Name=EVENT_BUS)["EventBusArn"],
    }
    s3 = boto3.client("s3", **kwargs)
    s3.create_bucket(Bucket=INVOICE_BUCKET)
    if versioning := resource("InvoiceBucket")["Properties"].get("VersioningConfiguration"):
        s3.put_bucket_versioning(Bucket=INVOICE_BUCKET, VersioningConfiguration=versioning)
    s3.put_bucket_notification_configuration(
        Bucket=INVOICE_BUCKET, NotificationConfiguration=bucket_notification_configuration("InvoiceBucket", references)
    )
    boto3.client("ses", **kwargs).verify_email_identity(EmailAddress=parameter_values()["NotificationSender"])
    return references


def _create_queues(sqs: Any) -> dict[str, str]:
    """Every ``AWS::SQS::Queue``: all created first, then configured, as a redrive policy names another's ARN."""
    references: dict[str, str] = {}
    for logical_id in resources_of_type("AWS::SQS::Queue"):
        url = sqs.create_queue(QueueName=logical_id)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        references.update({logical_id: url, f"{logical_id}.Arn": arn, f"{logical_id}.QueueName": logical_id})
    for logical_id in resources_of_type("AWS::SQS::Queue"):
        if attributes := queue_attributes(logical_id, references):
            sqs.set_queue_attributes(QueueUrl=references[logical_id], Attributes=attributes)
    return references


@dataclass
class Emulator:
    server: ThreadedMotoServer
    endpoint: str
    resources: dict[str, str]

    def stop(self) -> None:
        self.server.stop()


def start_emulator() -> Emulator:
    """Starts moto on a free loopback port, points this process's AWS clients at it, creates resources."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the emulator's own access log is noise here
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ.update({**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint})
    in_process.serve(endpoint, DomainDispatcherApplication(create_backend_app))  # this process's own clients
    return Emulator(server, endpoint, create_resources({"endpoint_url": endpoint}))
