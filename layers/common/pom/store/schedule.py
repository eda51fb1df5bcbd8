"""What the scheduled job reads and moves in DynamoDB: the sparse, keys-only schedule index (GSI4).

A run costs one Query per shard (``GSI4SK < now``), one BatchGetItem (per 100) for the due POs and
their accounts' settings, and one conditional write per PO looked at.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pom.domain.notices import Notice
from pom.domain.purchase_orders import OPEN_STATUSES, PurchaseOrder
from pom.store import keys
from pom.store.dynamo import Cancelled, Table, Write, from_item
from pom.store.outbox import notice_due
from pom.store.ports import DueWork, ScheduledPurchaseOrder, VersionedSettings
from pom.store.settings import versioned_settings


def _scheduled(item: dict[str, Any]) -> ScheduledPurchaseOrder:
    return ScheduledPurchaseOrder(PurchaseOrder.model_validate(from_item(item)), item.get("GSI4SK", {}).get("S"))


class DynamoScheduleStore:
    def __init__(self, table: Table):
        self.table = table

    def due(self, now: str) -> DueWork:
        """Everything due at ``now`` in the schedule index: one Query per shard (keys only)."""
        found: list[tuple[str, str]] = []
        for shard in range(keys.SCHEDULE_SHARDS):
            items = self.table.query_all(
                IndexName="GSI4",
                KeyConditionExpression="GSI4PK = :pk AND GSI4SK < :bound",
                # "$" sorts right after "#": every key whose time is at or before now.
                ExpressionAttributeValues={":pk": {"S": keys.schedule_partition(shard)}, ":bound": {"S": f"{now}$"}},
            )
            found += [(item["PK"]["S"], item["SK"]["S"]) for item in items]
        return DueWork(
            purchase_orders=[
                (pk.removeprefix("ACCT#"), sk.removeprefix("PO#")) for pk, sk in found if sk.startswith("PO#")
            ],
            notices=[key for key in found if key[1].startswith("NOTICE#")],
            settings_accounts=[pk.removeprefix("ACCT#") for pk, sk in found if sk == "SETTINGS"],
        )

    def scheduled(
        self, po_keys: Sequence[tuple[str, str]], account_ids: Sequence[str]
    ) -> tuple[dict[str, VersionedSettings], list[ScheduledPurchaseOrder]]:
        """These POs (account id, PO id) and the settings of these accounts, in one BatchGetItem per 100."""
        settings_keys = [keys.settings_key(account_id) for account_id in dict.fromkeys(account_ids)]
        po_item_keys = [keys.po_key(account_id, po_id) for account_id, po_id in dict.fromkeys(po_keys)]
        items = self.table.batch_get([*settings_keys, *po_item_keys])
        settings = {
            item["PK"]["S"].removeprefix("ACCT#"): versioned_settings(item)
            for item in items
            if item["SK"]["S"] == "SETTINGS"
        }
        for account_id in account_ids:
            settings.setdefault(account_id, versioned_settings(None))
        return settings, [_scheduled(item) for item in items if item["SK"]["S"].startswith("PO#")]

    def open_purchase_orders(self, account_id: str) -> list[ScheduledPurchaseOrder]:
        """The account's ACTIVE and SUSPENDED POs (after a change of its notice settings)."""
        return [
            _scheduled(item)
            for status in OPEN_STATUSES
            for item in self.table.query_all(
                IndexName="GSI2",
                KeyConditionExpression="GSI2PK = :pk",
                ExpressionAttributeValues={":pk": {"S": keys.po_list_partition(account_id, status)}},
            )
        ]

    def plan_next_check(self, scheduled: ScheduledPurchaseOrder, next_check: str, notices: Sequence[Notice]) -> bool:
        """Moves the PO's next expiry check and records the notices now due, in one write, unless the
        PO was written since it was read (any write: its contacts or months may have changed, and
        the notices were rendered from what was read)."""
        po = scheduled.po
        update: dict[str, Any] = {
            "Key": keys.po_key(po.accountId, po.poId),
            "UpdateExpression": "SET GSI4SK = :next",
            "ConditionExpression": "GSI4SK = :read AND #rev = :rev",
            "ExpressionAttributeNames": {"#rev": "rev"},
            "ExpressionAttributeValues": {
                ":next": {"S": keys.schedule_keys(po.accountId, next_check, f"PO#{po.poId}")["GSI4SK"]},
                ":read": {"S": scheduled.check_key or ""},
                ":rev": {"N": str(po.rev)},
            },
        }
        if not notices:
            applied, _ = self.table.write_if("update_item", **update)
            return applied
        try:
            self.table.transact([Write({"Update": update}), *(notice_due(notice) for notice in notices)])
        except Cancelled:
            return False
        return True

    def settings_replanned(self, account_id: str, version: int | None) -> None:
        """Takes the settings out of the schedule once its POs were re-planned (unless changed again)."""
        self.table.write_if(
            "update_item",
            Key=keys.settings_key(account_id),
            UpdateExpression="REMOVE GSI4PK, GSI4SK",
            ConditionExpression="#version = :version",
            ExpressionAttributeNames={"#version": "version"},
            ExpressionAttributeValues={":version": {"N": str(version or 0)}},
        )
