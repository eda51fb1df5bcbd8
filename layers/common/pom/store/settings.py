"""Account settings in DynamoDB: one item per account, versioned (a GET is one GetItem)."""

from __future__ import annotations

from typing import Any

from pom.domain.models import AccountSettings
from pom.store import keys
from pom.store.dynamo import Table, from_item
from pom.store.ports import VersionedSettings


def versioned_settings(item: dict[str, Any] | None) -> VersionedSettings:
    if not item:
        return VersionedSettings(AccountSettings(), None)
    document = from_item(item)
    return VersionedSettings(AccountSettings.model_validate_json(document["settings"]), int(document["version"]))


class DynamoSettingsStore:
    def __init__(self, table: Table):
        self.table = table

    def get(self, account_id: str) -> VersionedSettings:
        return versioned_settings(self.table.get(keys.settings_key(account_id)))

    def put(self, account_id: str, settings: AccountSettings, now: str) -> VersionedSettings:
        """Replaces the settings. If ``expiryNoticeDays`` changed, a second write puts the settings in
        the schedule, so that the next run re-plans the account's open POs under the new days."""
        response = self.table.update(
            Key=keys.settings_key(account_id),
            UpdateExpression="SET #settings = :settings, #entity = :entity ADD #version :one",
            ExpressionAttributeNames={"#settings": "settings", "#version": "version", "#entity": "entity"},
            ExpressionAttributeValues={
                # Kept as the JSON document the API validated: exact, and read back through the same model.
                ":settings": {"S": settings.model_dump_json()},
                ":entity": {"S": "SETTINGS"},
                ":one": {"N": "1"},
            },
            ReturnValues="ALL_OLD",
        )
        old = versioned_settings(response.get("Attributes"))
        if old.settings.notifications.expiryNoticeDays != settings.notifications.expiryNoticeDays:
            schedule = keys.schedule_keys(account_id, now, "SETTINGS")
            self.table.update(
                Key=keys.settings_key(account_id),
                UpdateExpression="SET GSI4PK = :pk, GSI4SK = :sk",
                ExpressionAttributeValues={":pk": {"S": schedule["GSI4PK"]}, ":sk": {"S": schedule["GSI4SK"]}},
            )
        return VersionedSettings(settings, (old.version or 0) + 1)
