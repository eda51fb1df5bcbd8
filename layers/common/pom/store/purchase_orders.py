"""Purchase orders in DynamoDB, with their balances, bill-from pointers and audit trail (keys: ``pom.store.keys``).

A PO is two items: the PO as its users wrote it, and its balances (``POBAL#``), which every match
rewrites alone; the PO's ``rev`` lives on the balances, which every write of either item moves.

Costs: a GET is one BatchGetItem of the two items; a list page one Query of the index's keys and one
BatchGetItem of the page's POs (by tag, a Query of the tag's pointers instead); create one
TransactWriteItems (the PO, its balances, its audit entry, its pointers and a check that the settings
it copied are current); every other change one TransactWriteItems conditioned on the PO's ``rev``.

Tag pointers are written outside that transaction, which a PO's 50 tags could push past DynamoDB's
100 items: a new tag's pointer before it, a removed tag's after it (one PutItem or DeleteItem each,
only when the tags change). So a pointer may briefly name a
PO without the tag (never the reverse), and a list by tag keeps only the POs that carry it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

from pom.core.months import iso_timestamp
from pom.domain.audit import Actor, AuditEvent
from pom.domain.notices import Notice, first_check
from pom.domain.purchase_orders import OPEN_STATUSES, PurchaseOrder, with_balances
from pom.store import keys
from pom.store.audit import audit_writes, trail_page
from pom.store.dynamo import Cancelled, Table, Write, from_item, to_item
from pom.store.outbox import notice_due
from pom.store.ports import AlreadyExists, Page, SettingsChanged, StaleWrite, VersionedSettings
from pom.store.settings import versioned_settings

_POINTER_PAGE = 100  # pointers read per request while looking for a few POs in effect
_TORN_READS = 5  # a PO read while being written is read again, this many times at most


def po_item(po: PurchaseOrder, actor: Actor | None = None) -> dict[str, Any]:
    """The PO's item; ``changedBy``, who wrote it last, is what its event names as the actor."""
    document = {
        **po.to_document(),
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


def balance_item(po: PurchaseOrder, definition_rev: int) -> dict[str, Any]:
    """The PO's balances item: only the line items with a movement (the others hold nothing)."""
    return to_item(
        {
            "PK": keys.account_pk(po.accountId),
            "SK": f"POBAL#{po.poId}",
            "entity": "POBALANCE",
            "accountId": po.accountId,
            "poId": po.poId,
            "rev": po.rev,
            "definitionRev": definition_rev,
            **balance_attributes(po),
        }
    )


def balance_attributes(po: PurchaseOrder) -> dict[str, Any]:
    """What the balances item holds (``with_balances`` reads it back)."""
    lines = {
        item.lineItemId: {"invoiced": item.invoiced, "matchCount": item.matchCount, "periods": item.periodInvoiced}
        for item in po.lineItems
        if item.has_invoices or item.periodInvoiced
    }
    return {"lines": lines, **({} if po.monthlyInvoiced is None else {"monthlyInvoiced": po.monthlyInvoiced})}


class StoredPurchaseOrder(NamedTuple):
    po: PurchaseOrder  # with its balances; ``rev`` the balances'
    item: dict[str, Any]  # the PO item as stored (its ``rev``: the one it was written at)


def read_purchase_orders(
    table: Table, po_keys: Sequence[tuple[str, str]], also: Sequence[dict[str, Any]] = ()
) -> tuple[list[StoredPurchaseOrder], list[dict[str, Any]]]:
    """These POs (account id, PO id) with their balances, and the items of the ``also`` keys, in one
    BatchGetItem (per 100 keys). A PO whose two items disagree was written between the two reads: it is
    read again. A PO stored before balances had an item of their own gets it now, from its own figures
    (and its pointers again, the one among the account's ACTIVE POs with them)."""
    wanted = list(dict.fromkeys(po_keys))
    extra = list(also)
    found: dict[tuple[str, str], StoredPurchaseOrder] = {}
    others: list[dict[str, Any]] = []
    for _ in range(_TORN_READS):
        request = [
            key
            for account, po_id in wanted
            for key in (keys.po_key(account, po_id), keys.po_balance_key(account, po_id))
        ]
        items = table.batch_get([*extra, *request])
        by_key = {(item["PK"]["S"], item["SK"]["S"]): item for item in items}
        others += [item for item in items if not item["SK"]["S"].startswith(("PO#", "POBAL#"))]
        extra, torn = [], []
        for account, po_id in wanted:
            pk = keys.account_pk(account)
            item, balances = by_key.get((pk, f"PO#{po_id}")), by_key.get((pk, f"POBAL#{po_id}"))
            if item is None:
                continue
            po = PurchaseOrder.from_document(from_item(item))
            if balances is None:  # stored before balances had an item, and ACTIVE POs a pointer, of their own
                migrated, _ = table.write_if(
                    "put_item", Item=balance_item(po, po.rev), ConditionExpression="attribute_not_exists(PK)"
                )
                if migrated:
                    table.batch_put([write.action["Put"]["Item"] for write in pointer_writes(None, po)])
                torn.append((account, po_id))
            elif int(balances["definitionRev"]["N"]) != po.rev:
                torn.append((account, po_id))
            else:
                found[(account, po_id)] = StoredPurchaseOrder(with_balances(po, from_item(balances)), item)
        wanted = torn
        if not wanted:
            return [found[key] for key in dict.fromkeys(po_keys) if key in found], others
    raise StaleWrite(", ".join(po_id for _, po_id in wanted))


def _pointers(po: PurchaseOrder | None) -> set[tuple[str, str, str]]:
    """The pointers a PO in this state has while it is ACTIVE, one per bill-from entity and one among
    the account's ACTIVE POs, with the effective month they hold: a move of either month rewrites them."""
    if po is None or po.status != "ACTIVE":
        return set()
    sk = keys.pointer_sk(po.expirationMonth, po.poId)
    partitions = [keys.in_effect_pk(po.accountId), *(keys.pointer_pk(po.accountId, entity) for entity in po.billFrom)]
    return {(pk, sk, po.effectiveMonth) for pk in partitions}


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
        item = {"PK": pk, "SK": sk, "entity": "POINTER", "poId": after.poId, "effectiveMonth": effective}
        writes.append(Write({"Put": {"Item": to_item(item)}}))
    return writes


def _tag_pointers(po: PurchaseOrder | None) -> set[tuple[str, str]]:
    if po is None:
        return set()
    return {(keys.tag_pk(po.accountId, tag["key"]), keys.tag_sk(tag["value"], po.poId)) for tag in po.tags}


def _tagged(po: PurchaseOrder, tag_key: str, tag_value: str | None) -> bool:
    return any(tag["key"] == tag_key and tag_value in (None, tag["value"]) for tag in po.tags)


def balances_at(po: PurchaseOrder) -> dict[str, Any]:
    """The condition that the PO was not written since ``po`` was read: its balances' ``rev``."""
    return {
        "ConditionExpression": "#rev = :rev",
        "ExpressionAttributeNames": {"#rev": "rev"},
        "ExpressionAttributeValues": {":rev": {"N": str(po.rev)}},
    }


class DynamoPurchaseOrderStore:
    def __init__(self, table: Table):
        self.table = table

    def get(self, account_id: str, po_id: str) -> PurchaseOrder | None:
        return next(iter(self._read(account_id, [po_id])), None)

    def _read(self, account_id: str, po_ids: Sequence[str]) -> list[PurchaseOrder]:
        found, _ = read_purchase_orders(self.table, [(account_id, po_id) for po_id in po_ids])
        return [stored.po for stored in found]

    def list(
        self, account_id: str, status: str | None, limit: int, token: str | None,
        *, tag: tuple[str, str | None] | None = None,
    ) -> Page:  # fmt: skip
        """Newest ``updatedAt`` first; with a status, from the index keyed by it (reads only matches).
        With a tag (key, and value or None for any), the POs carrying it, by the tag's pointers."""
        if tag is not None:
            return self._tagged(account_id, tag, status, limit, token)
        index = "GSI2" if status else "GSI1"
        page = self.table.page_keys(account_id, index, keys.po_list_partition(account_id, status), limit, token)
        return self._page_of(account_id, page, [sk.removeprefix("PO#") for _, sk in page.items])

    def _page_of(
        self, account_id: str, page: Page, po_ids: list[str], keep: Callable[[PurchaseOrder], bool] = lambda _: True
    ) -> Page:
        """The POs of a page of keys (or pointers) that exist and are kept, each with its resume token."""
        found = {po.poId: po for po in self._read(account_id, po_ids)}
        kept = [
            (found[i], resume) for i, resume in zip(po_ids, page.resume, strict=True) if i in found and keep(found[i])
        ]
        return Page([po for po, _ in kept], page.next_token, [resume for _, resume in kept])

    def _tagged(
        self, account_id: str, tag: tuple[str, str | None], status: str | None, limit: int, token: str | None
    ) -> Page:
        tag_key, tag_value = tag
        prefix = None if tag_value is None else keys.tag_value_prefix(tag_value)
        page = self.table.page(account_id, None, keys.tag_pk(account_id, tag_key), limit, token, sk_prefix=prefix)
        po_ids = [pointer["poId"] for pointer in page.items]
        return self._page_of(
            account_id, page, po_ids, lambda po: _tagged(po, tag_key, tag_value) and status in (None, po.status)
        )

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
        new = {"ConditionExpression": "attribute_not_exists(PK)"}
        writes = [
            Write({"Put": {"Item": po_item(po, actor), **new}}, tag="po"),
            Write({"Put": {"Item": balance_item(po, po.rev), **new}}, tag="po"),
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
            items += [po_item(po, actor), balance_item(po, po.rev), *(write.action["Put"]["Item"] for write in writes)]
            items += [to_item({"PK": pk, "SK": sk, "entity": "TAG", "poId": po.poId}) for pk, sk in _tag_pointers(po)]
        self.table.batch_put(items)

    def save(
        self, before: PurchaseOrder, po: PurchaseOrder, actor: Actor, at: str, events: Sequence[AuditEvent],
        *, notices: Sequence[Notice] = (),
    ) -> None:  # fmt: skip
        """Replaces the PO if nobody wrote it since ``before`` was read, with its audit entries, pointers
        and the notices the change makes due."""
        writes = [
            Write({"Put": {"Item": po_item(po, actor)}}),
            Write({"Put": {"Item": balance_item(po, po.rev), **balances_at(before)}}),
            *audit_writes(keys.history_pk(po.accountId, po.poId), actor, at, events),
            *(notice_due(notice) for notice in notices),
            *pointer_writes(before, po),
        ]
        self._put_tag_pointers(before, po)
        self._transact(writes, po.poId)
        self._delete_tag_pointers(before, po)

    def delete(self, po: PurchaseOrder, actor: Actor, at: str, events: Sequence[AuditEvent]) -> None:
        writes = [
            Write({"Delete": {"Key": keys.po_key(po.accountId, po.poId)}}),
            Write({"Delete": {"Key": keys.po_balance_key(po.accountId, po.poId), **balances_at(po)}}),
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
        return list(self._in_effect_ids(keys.pointer_pk(account_id, entity), month))

    def in_effect(self, account_id: str, month: str, limit: int) -> list[PurchaseOrder]:
        """At most ``limit`` ACTIVE POs of any entity in effect in ``month``: read only to tell why an
        invoice found no PO (pointers a page of 100 at a time, until enough are found)."""
        ids = itertools.islice(self._in_effect_ids(keys.in_effect_pk(account_id), month, page=_POINTER_PAGE), limit)
        return self._read(account_id, list(ids))

    def _in_effect_ids(self, partition: str, month: str, *, page: int | None = None) -> Iterator[str]:
        items = self.table.query_all(
            KeyConditionExpression="PK = :pk AND SK >= :month",
            ExpressionAttributeValues={":pk": {"S": partition}, ":month": {"S": month}, ":effective": {"S": month}},
            # Only the pointers' own attributes are read; a PO not yet in effect is dropped here.
            FilterExpression="effectiveMonth <= :effective",
            ProjectionExpression="poId",
            ConsistentRead=True,
            **({"Limit": page} if page else {}),
        )
        return (item["poId"]["S"] for item in items)

    def with_settings(self, account_id: str, po_ids: Sequence[str]) -> tuple[VersionedSettings, list[PurchaseOrder]]:
        """The account's settings and these POs, strongly consistent, in one BatchGetItem (per 100)."""
        found, others = read_purchase_orders(
            self.table, [(account_id, po_id) for po_id in po_ids], also=[keys.settings_key(account_id)]
        )
        return versioned_settings(next(iter(others), None)), [stored.po for stored in found]
