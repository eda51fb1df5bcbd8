"""S3 upload outcomes in DynamoDB: one item per object version (recording it again is one PutItem)."""

from __future__ import annotations

from typing import Any

from pom.core import jsonio
from pom.store import keys
from pom.store.dynamo import Table, to_item
from pom.store.ports import Page


class DynamoUploadStore:
    def __init__(self, table: Table):
        self.table = table

    def record(self, account_id: str, version: str, upload: dict[str, Any]) -> None:
        """The outcome of one S3 object version (``key``, ``status``, ``invoiceId``, ``error``,
        ``receivedAt``); recording the same version again overwrites it with the same outcome."""
        sk = keys.upload_sk(upload["key"], version)
        received = f"{upload['receivedAt']}#{sk.removeprefix('UPLOAD#')[:16]}"
        item = {
            **upload,
            "error": None if upload.get("error") is None else jsonio.dumps(upload["error"]),
            "PK": keys.account_pk(account_id),
            "SK": sk,
            "entity": "UPLOAD",
            "GSI1PK": keys.upload_list_partition(account_id),
            "GSI1SK": received,
            "GSI2PK": keys.upload_list_partition(account_id, upload["status"]),
        }
        self.table.put(to_item(item))

    def list(self, account_id: str, status: str | None, limit: int, token: str | None) -> Page:
        index = "GSI2" if status else "GSI1"
        page = self.table.page(account_id, index, keys.upload_list_partition(account_id, status), limit, token)
        uploads = [
            {
                "key": item["key"],
                "status": item["status"],
                "invoiceId": item.get("invoiceId"),
                "error": None if item.get("error") is None else jsonio.loads(item["error"]),
                "receivedAt": item["receivedAt"],
            }
            for item in page.items
        ]
        return Page(uploads, page.next_token)
