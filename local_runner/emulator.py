"""The AWS side of local mode: an in-process moto server and the template's resources in it."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from local_runner.template import create_table_arguments

REGION = "us-east-1"
TABLE_NAME = "purchase-orders-local"
INVOICE_BUCKET = "invoices-local"
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
    """Creates the template's table and bucket; returns ``{logical id: physical name}``."""
    kwargs = {"region_name": REGION, **(session_kwargs or {})}
    dynamodb = boto3.client("dynamodb", **kwargs)
    dynamodb.create_table(**create_table_arguments("Table", TABLE_NAME))
    boto3.client("s3", **kwargs).create_bucket(Bucket=INVOICE_BUCKET)
    return {"Table": TABLE_NAME, "InvoiceBucket": INVOICE_BUCKET}


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
    return Emulator(server, endpoint, create_resources({"endpoint_url": endpoint}))
