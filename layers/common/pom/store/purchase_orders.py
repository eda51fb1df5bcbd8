"""Purchase orders in DynamoDB, with their bill-from pointers and audit trail (keys: ``pom.store.keys``).

Costs: a GET is one GetItem; a list page one Query reading only the page's items (by tag, a Query
of the tag's pointers and one BatchGetItem of their POs); create one TransactWriteItems (the PO, its
audit entry, its pointers and a check that the settings it copied are current); every other change
one TransactWriteItems conditioned on the PO's ``rev``.

Tag pointers are written outside that transaction, which a PO's 50 tags could push past DynamoDB's
100 items: a new tag's pointer before it, a removed tag's after it (one PutItem or DeleteItem each,
only when the tags change). So a pointer may briefly name a
PO without the tag (never the reverse), and a list by tag keeps only the POs that carry it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pom.core.months import iso_timestamp
from pom.domain.audit import Actor, AuditEvent
from pom.domain.notices import Notice, first_check
from pom.domain.purchase_orders import OPEN_STATUSES, PurchaseOrder
from pom.store import keys
from pom.store.audit import audit_writes, trail_page
from pom.store.dynamo import Cancelled, Table, Write, from_item, to_item
from pom.store.outbox import notice_due
from pom.store.ports import AlreadyExists, Page, SettingsChanged, StaleWrite, VersionedSettings
from pom.store.settings import versioned_settings


def po_item(po: PurchaseOrder, actor: Actor | None = None) -> dict[str, Any]:
    """The PO's item; ``changedBy``, who wrote it last, is what its event names as the actor."""
    document = {
        **po.model_dump(mode="python"),
        "changedBy": None if actor is None else actor.audit(),
        "PK": keys.account_pk(po.accountId),
        "SK": f"PO#{po.poId}",
        "entity": "PO",
        **keys.po_index_keys(po.accountId, po.poId, po.status, po.updatedAt),
    }
    if po.status in OPEN_STATUSES:
        # Any write may change what the job must do (expiration month, contacts, status): it looks
        # again from the earliest moment any notice setting could make a notice due.
        first = iso_timestamp(first_check(po.expirationMonth))
        document.update(keys.schedule_keys(po.accountId, first, f"PO#{po.poId}"))
    return to_item(document)


def po_from(item: dict[str, Any] | None) -> PurchaseOrder | None:
    return PurchaseOrder.model_validate(from_item(item)) if item else None


def _pointers(po: PurchaseOrder | None) -> set[tuple[str, str, str]]:
    """The bill-from pointers a PO in this state has, one per entity while it is ACTIVE, with the
    effective month they hold: a move of either month rewrites them."""
    if po is None or po.status != "ACTIVE":
        return set()
    sk = keys.pointer_sk(po.expirationMonth, po.poId)
    return {(keys.pointer_pk(po.accountId, entity), sk, po.effectiveMonth) for entity in po.billFrom}


def pointer_writes(before: PurchaseOrder | None, after: PurchaseOrder | None) -> list[Write]:
    """Transaction items that move the pointers from ``before``'s set to ``after``'s (a pointer whose
    key stays and whose effective month changes is put again, not deleted)."""
    old, new = _pointers(before), _pointers(after)
    kept_keys = {(pk, sk) for pk, sk, _ in new}
    writes = [
        Write({"Delete": {"Key": keys.key(pk, sk)}}) for pk, sk, _ in sorted(old - new) if (pk, sk) not in kept_keys
    ]
    for pk, sk, effective in sorted(new - old):
        assert after is not None  # noqa: S101 - new pointers come from a PO that exists
        item = {"PK": pk, "SK": sk, "entity": "BILLFROM", "poId": after.poId, "effectiveMonth": effective}
        writes.append(Write({"Put": {"Item": to_item(item)}}))
    return writes


def _tag_pointers(po: PurchaseOrder | None) -> set[tuple[str, str]]:
    if po is None:
        return set()
    return {(keys.tag_pk(po.accountId, tag["key"]), keys.tag_sk(tag["value"], po.poId)) for tag in po.tags}


def _tagged(po: PurchaseOrder, tag_key: str, tag_value: str | None) -> bool:
    return any(tag["key"] == tag_key and tag_value in (None, tag["value"]) for tag in po.tags)


def _rev_condition(po: PurchaseOrder) -> dict[str, Any]:
    return {
        "ConditionExpression": "#rev = :rev",
        "ExpressionAttributeNames": {"#rev": "rev"},
        "ExpressionAttributeValues": {":rev": {"N": str(po.rev)}},
    }


class DynamoPurchaseOrderStore:
    def __init__(self, table: Table):
        self.table = table

    def get(self, account_id: str, po_id: str) -> PurchaseOrder | None:
        return po_from(self.table.get(keys.po_key(account_id, po_id)))

    def list(
        self, account_id: str, status: str | None, limit: int, token: str | None,
        *, tag: tuple[str, str | None] | None = None,
    ) -> Page:  # fmt: skip
        """Newest ``updatedAt`` first; with a status, from the index keyed by it (reads only matches).
        With a tag (key, and value or None for any), the POs carrying it, by the tag's pointers."""
        if tag is not None:
            return self._tagged(account_id, tag, status, limit, token)
        index = "GSI2" if status else "GSI1"
        page = self.table.page(account_id, index, keys.po_list_partition(account_id, status), limit, token)
        return Page([PurchaseOrder.model_validate(item) for item in page.items], page.next_token)

    def _tagged(
        self, account_id: str, tag: tuple[str, str | None], status: str | None, limit: int, token: str | None
    ) -> Page:
        tag_key, tag_value = tag
        prefix = None if tag_value is None else keys.tag_value_prefix(tag_value)
        page = self.table.page(account_id, None, keys.tag_pk(account_id, tag_key), limit, token, sk_prefix=prefix)
        ids = [pointer["poId"] for pointer in page.items]
        found = {po.poId: po for po in map(po_from, self.table.batch_get([keys.po_key(account_id, i) for i in ids]))}
        pos = [found[po_id] for po_id in ids if po_id in found and _tagged(found[po_id], tag_key, tag_value)]  # type: ignore[arg-type]
        return Page([po for po in pos if status in (None, po.status)], page.next_token)

    def _put_tag_pointers(self, before: PurchaseOrder | None, after: PurchaseOrder | None) -> None:
        """The pointers of tags ``after`` has and ``before`` had not: written before the change."""
        for pk, sk in sorted(_tag_pointers(after) - _tag_pointers(before)):
            assert after is not None  # noqa: S101 - a PO that has the tag
            self.table.put(to_item({"PK": pk, "SK": sk, "entity": "TAG", "poId": after.poId}))

    def _delete_tag_pointers(self, before: PurchaseOrder | None, after: PurchaseOrder | None) -> None:
        """The pointers of tags ``before`` had and ``after`` has not: deleted once the change is written."""
        for pk, sk in sorted(_tag_pointers(before) - _tag_pointers(after)):
            self.table.delete(keys.key(pk, sk))

    def create(
        self, po: PurchaseOrder, actor: Actor, events: Sequence[AuditEvent], settings_version: int | None
    ) -> None:
        settings_check: dict[str, Any] = {"Key": keys.settings_key(po.accountId)}
        if settings_version is None:
            settings_check["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            settings_check["ConditionExpression"] = "#version = :version"
            settings_check["ExpressionAttributeNames"] = {"#version": "version"}
            settings_check["ExpressionAttributeValues"] = {":version": {"N": str(settings_version)}}
        settings_check["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        writes = [
            Write({"Put": {"Item": po_item(po, actor), "ConditionExpression": "attribute_not_exists(PK)"}}, tag="po"),
            Write({"ConditionCheck": settings_check}, tag="settings"),
            *audit_writes(keys.history_pk(po.accountId, po.poId), actor, po.updatedAt, events),
            *pointer_writes(None, po),
        ]
        self._put_tag_pointers(None, po)
        try:
            self.table.transact(writes)
        except Cancelled as cancelled:
            if "po" in cancelled.failed:
                raise AlreadyExists(po.poId) from None
            if "settings" in cancelled.failed:
                raise SettingsChanged(versioned_settings(cancelled.item("settings"))) from None
            raise StaleWrite(po.poId) from None

    def import_many(self, pos: Sequence[PurchaseOrder], actor: Actor) -> None:
        """Bulk load (a migration, a benchmark's seed): each PO with its pointers and a CREATED audit
        entry. Not atomic per PO and it overwrites: re-run it to finish."""
        items: list[dict[str, Any]] = []
        for po in pos:
            event = AuditEvent("CREATED", {"imported": True})
            writes = [
                *audit_writes(keys.history_pk(po.accountId, po.poId), actor, po.updatedAt, [event]),
                *pointer_writes(None, po),
            ]
            items += [po_item(po, actor), *(write.action["Put"]["Item"] for write in writes)]
            items += [to_item({"PK": pk, "SK": sk, "entity": "TAG", "poId": po.poId}) for pk, sk in _tag_pointers(po)]
        self.table.batch_put(items)

    def save(
        self, before: PurchaseOrder, po: PurchaseOrder, actor: Actor, at: str, events: Sequence[AuditEvent],
        *, notices: Sequence[Notice] = (),
    ) -> None:  # fmt: skip
        """Replaces the PO if nobody wrote it since ``before`` was read, with its audit entries, pointers
        and the notices the change makes due."""
        writes = [
            Write({"Put": {"Item": po_item(po, actor), **_rev_condition(before)}}),
            *audit_writes(keys.history_pk(po.accountId, po.poId), actor, at, events),
            *(notice_due(notice) for notice in notices),
            *pointer_writes(before, po),
        ]
        self._put_tag_pointers(before, po)
        self._transact(writes, po.poId)
        self._delete_tag_pointers(before, po)

    def delete(self, po: PurchaseOrder, actor: Actor, at: str, events: Sequence[AuditEvent]) -> None:
        writes = [
            Write({"Delete": {"Key": keys.po_key(po.accountId, po.poId), **_rev_condition(po)}}),
            *audit_writes(keys.history_pk(po.accountId, po.poId), actor, at, events),
            *pointer_writes(po, None),
        ]
        self._transact(writes, po.poId)
        self._delete_tag_pointers(po, None)

    def _transact(self, writes: list[Write], po_id: str) -> None:
        try:
            self.table.transact(writes)
        except Cancelled:
            raise StaleWrite(po_id) from None

    def history(self, account_id: str, po_id: str, limit: int, token: str | None) -> Page:
        return trail_page(self.table, account_id, keys.history_pk(account_id, po_id), limit, token)

    # --- what the matcher reads -----------------------------------------------------------------

    def candidate_ids(self, account_id: str, entity: str, month: str) -> list[str]:
        """ACTIVE POs naming ``entity`` whose expiration month is not before ``month`` (one Query)."""
        items = self.table.query_all(
            KeyConditionExpression="PK = :pk AND SK >= :month",
            ExpressionAttributeValues={
                ":pk": {"S": keys.pointer_pk(account_id, entity)},
                ":month": {"S": month},
                ":effective": {"S": month},
            },
            # Only the pointers' own attributes are read; a PO not yet in effect is dropped here.
            FilterExpression="effectiveMonth <= :effective",
            ProjectionExpression="poId",
            ConsistentRead=True,
        )
        return [item["poId"]["S"] for item in items]

    def with_settings(self, account_id: str, po_ids: Sequence[str]) -> tuple[VersionedSettings, list[PurchaseOrder]]:
        """The account's settings and these POs, strongly consistent, in one BatchGetItem (per 100)."""
        wanted = [keys.settings_key(account_id), *(keys.po_key(account_id, po_id) for po_id in dict.fromkeys(po_ids))]
        items = self.table.batch_get(wanted)
        settings_item = next((item for item in items if item["SK"]["S"] == "SETTINGS"), None)
        pos = [PurchaseOrder.model_validate(from_item(item)) for item in items if item["SK"]["S"].startswith("PO#")]
        return versioned_settings(settings_item), pos

    def active(self, account_id: str) -> list[PurchaseOrder]:
        """Every ACTIVE PO of the account: read only to tell why an invoice found no PO at all."""
        pos: list[PurchaseOrder] = []
        token = None
        while True:
            page = self.list(account_id, "ACTIVE", 100, token)
            pos += page.items
            token = page.next_token
            if token is None:
                return pos
