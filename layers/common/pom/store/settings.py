"""Account settings in DynamoDB: one item per account, versioned (a GET is one GetItem)."""

from __future__ import annotations

from typing import Any

from pom.core import jsonio
from pom.domain.models import Settings
from pom.store import keys
from pom.store.dynamo import Table, from_item
from pom.store.ports import VersionedSettings


def versioned_settings(item: dict[str, Any] | None) -> VersionedSettings:
    if not item:
        return VersionedSettings(Settings(), None)
    document = from_item(item)
    return VersionedSettings(Settings.from_document(jsonio.loads(document["settings"])), int(document["version"]))


class DynamoSettingsStore:
    def __init__(self, table: Table):
        self.table = table

    def get(self, account_id: str) -> VersionedSettings:
        return versioned_settings(self.table.get(keys.settings_key(account_id)))

    def put(self, account_id: str, settings: Settings, now: str) -> VersionedSettings:
        """Replaces the settings. If ``expiryNoticeDays`` changed, a second write puts the settings in
        the schedule, so that the next run re-plans the account's open POs under the new days.

        While ``awsInvoices.enabled``, the account is in the AWS import index (``keys.aws_import_key``)
        before its settings say so, and leaves it after they say otherwise: a crash in between leaves
        an entry whose settings are off, which the import passes over, never the reverse. Each entry
        records the settings version it follows, so that of two saves racing the later one decides."""
        enabled = settings.awsInvoices.enabled
        if enabled:
            self._aws_import_entry(account_id, enabled=True, version=None)
        response = self.table.update(
            Key=keys.settings_key(account_id),
            UpdateExpression="SET #settings = :settings, #entity = :entity ADD #version :one",
            ExpressionAttributeNames={"#settings": "settings", "#version": "version", "#entity": "entity"},
            ExpressionAttributeValues={
                # Kept as the JSON document the API validated (every field, amounts as text): read back whole.
                ":settings": {"S": jsonio.dumps(settings.to_document())},
                ":entity": {"S": "SETTINGS"},
                ":one": {"N": "1"},
            },
            ReturnValues="ALL_OLD",
        )
        old = versioned_settings(response.get("Attributes"))
        version = (old.version or 0) + 1
        if enabled or old.settings.awsInvoices.enabled:
            self._aws_import_entry(account_id, enabled=enabled, version=version)
        if old.settings.notifications.expiryNoticeDays != settings.notifications.expiryNoticeDays:
            schedule = keys.schedule_keys(account_id, now, "SETTINGS")
            self.table.update(
                Key=keys.settings_key(account_id),
                UpdateExpression="SET GSI4PK = :pk, GSI4SK = :sk",
                ExpressionAttributeValues={":pk": {"S": schedule["GSI4PK"]}, ":sk": {"S": schedule["GSI4SK"]}},
            )
        return VersionedSettings(settings, version)

    def _aws_import_entry(self, account_id: str, *, enabled: bool, version: int | None) -> None:
        """Puts the account in the AWS import index (GSI1) or takes it out; with ``version``, only if no
        later save of the settings has set the entry already. ``importedThrough`` stays either way."""
        names = {"#pk": "GSI1PK", "#sk": "GSI1SK", "#entity": "entity"}
        values: dict[str, Any] = {":entity": {"S": "AWSINVOICES"}}
        if enabled:
            expression = "SET #pk = :pk, #sk = :sk, #entity = :entity"
            values.update({":pk": {"S": keys.AWS_IMPORTS_PARTITION}, ":sk": {"S": account_id}})
        else:
            expression = "SET #entity = :entity REMOVE #pk, #sk"
        params: dict[str, Any] = {"Key": keys.aws_import_key(account_id), "ExpressionAttributeNames": names}
        if version is not None:
            expression = expression.replace("SET ", "SET #version = :version, ", 1)
            names["#version"] = "settingsVersion"
            values[":version"] = {"N": str(version)}
            params["ConditionExpression"] = "attribute_not_exists(#version) OR #version < :version"
        self.table.write_if("update_item", UpdateExpression=expression, ExpressionAttributeValues=values, **params)
