"""What the scheduled job reads and moves in DynamoDB: the sparse, keys-only schedule index (GSI4).

A run costs one Query per shard (``GSI4SK < now``), one BatchGetItem (per 100) for the due POs, their
balances and their accounts' settings, and one transaction per PO looked at (its next check, a check
that its balances did not move, the notices due).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pom.domain.notices import Notice
from pom.domain.purchase_orders import OPEN_STATUSES
from pom.store import keys
from pom.store.dynamo import Cancelled, Table, Write
from pom.store.outbox import notice_due
from pom.store.ports import DueWork, ScheduledPurchaseOrder, VersionedSettings
from pom.store.purchase_orders import StoredPurchaseOrder, balances_at, read_purchase_orders
from pom.store.settings import versioned_settings


def _scheduled(stored: StoredPurchaseOrder) -> ScheduledPurchaseOrder:
    return ScheduledPurchaseOrder(stored.po, stored.item.get("GSI4SK", {}).get("S"))


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
        found, items = read_purchase_orders(self.table, po_keys, also=settings_keys)
        settings = {item["PK"]["S"].removeprefix("ACCT#"): versioned_settings(item) for item in items}
        for account_id in account_ids:
            settings.setdefault(account_id, versioned_settings(None))
        return settings, [_scheduled(stored) for stored in found]

    def open_purchase_orders(self, account_id: str) -> list[ScheduledPurchaseOrder]:
        """The account's ACTIVE and SUSPENDED POs (after a change of its notice settings)."""
        po_keys = [
            (account_id, item["SK"]["S"].removeprefix("PO#"))
            for status in OPEN_STATUSES
            for item in self.table.query_all(
                IndexName="GSI2",
                KeyConditionExpression="GSI2PK = :pk",
                ExpressionAttributeValues={":pk": {"S": keys.po_list_partition(account_id, status)}},
            )
        ]
        found, _ = read_purchase_orders(self.table, po_keys)
        return [_scheduled(stored) for stored in found]

    def plan_next_check(self, scheduled: ScheduledPurchaseOrder, next_check: str, notices: Sequence[Notice]) -> bool:
        """Moves the PO's next expiry check and records the notices now due, in one transaction, unless
        the PO was written since it was read (any write: its contacts, months or balances may have
        changed, and the notices were rendered from what was read)."""
        po = scheduled.po
        update: dict[str, Any] = {
            "Key": keys.po_key(po.accountId, po.poId),
            "UpdateExpression": "SET GSI4SK = :next",
            "ConditionExpression": "GSI4SK = :read",
            "ExpressionAttributeValues": {
                ":next": {"S": keys.schedule_keys(po.accountId, next_check, f"PO#{po.poId}")["GSI4SK"]},
                ":read": {"S": scheduled.check_key or ""},
            },
        }
        unchanged = {"Key": keys.po_balance_key(po.accountId, po.poId), **balances_at(po)}
        try:
            self.table.transact(
                [Write({"Update": update}), Write({"ConditionCheck": unchanged}), *map(notice_due, notices)]
            )
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
