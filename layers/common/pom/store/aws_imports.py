"""The AWS invoice import in DynamoDB: which accounts import, and how far each got.

One item per account (``keys.aws_import_key``). The settings store puts it in the index (GSI1
``AWSINVOICES``) while the account's ``awsInvoices.enabled`` holds, so a daily run reads the
accounts with one Query per page of them, never a Scan; the import moves its ``importedThrough``,
one UpdateItem per window of invoices read.
"""

from __future__ import annotations

from pom.store import keys
from pom.store.dynamo import Table


class DynamoAwsImportStore:
    def __init__(self, table: Table):
        self.table = table

    def accounts(self) -> list[str]:
        """The accounts in the index (an account that just turned the import off may still be listed:
        the caller reads its settings)."""
        items = self.table.query_all(
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.AWS_IMPORTS_PARTITION}},
            ProjectionExpression="GSI1SK",
        )
        return [item["GSI1SK"]["S"] for item in items]

    def imported_through(self, account_id: str) -> str | None:
        item = self.table.get(keys.aws_import_key(account_id)) or {}
        return item.get("importedThrough", {}).get("S")

    def advance(self, account_id: str, through: str) -> None:
        """Moves ``importedThrough`` forward to ``through`` (ISO-8601 UTC), never back: a run that
        overlapped this one may be further already."""
        self.table.write_if(
            "update_item",
            Key=keys.aws_import_key(account_id),
            UpdateExpression="SET #through = :through",
            ConditionExpression="attribute_not_exists(#through) OR #through < :through",
            ExpressionAttributeNames={"#through": "importedThrough"},
            ExpressionAttributeValues={":through": {"S": through}},
        )
