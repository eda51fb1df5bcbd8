"""The single table's key layout, in one place (every read is a GetItem or a Query, never a Scan).

- the list indexes GSI1, GSI2 and GSI3 keep only keys and share one sort key attribute, ``GSI1SK``.
- purchase order: PK ``ACCT#<acct>``, SK ``PO#<poId>``; GSI1 ``ACCT#<acct>#PO`` / ``<updatedAt>#<poId>``
  (list, newest first); GSI2 ``ACCT#<acct>#PO#<status>`` (list by status, reads only matches).
- PO balances: PK ``ACCT#<acct>``, SK ``POBAL#<poId>``: the line items' invoiced amounts, match counts and periods,
  the monthly sums, and the PO's ``rev`` (every write of the PO or its balances moves it), with ``definitionRev``,
  the ``rev`` the PO item was last written at. A match rewrites only this small item, so the PO item and the
  list indexes that copy it stay as they are; a read of both whose revs disagree met a write between them.
- settings: PK ``ACCT#<acct>``, SK ``SETTINGS``.
- tag pointer (one per tag of a PO): PK ``ACCT#<acct>#TAG#<sha256 of the key>``, SK ``<sha256 of the value,
  16 hex>#<poId>``: ``?tag=key`` queries the partition, ``?tag=key:value`` the SK prefix; keys and values are
  any text, hence the digests.
- audit entry: PK ``ACCT#<acct>#POHIST#<poId>``, SK ``<at>#<n>#<random>``.
- bill-from pointer (one per entity of an ACTIVE PO, written with the PO): PK ``ACCT#<acct>#BILLFROM#<entity>``,
  SK ``<expirationMonth>#<poId>``: the matcher reads only POs that can take an invoice from that entity.
- active pointer (one per ACTIVE PO, written with it): PK ``ACCT#<acct>#ACTIVE``, SK as a bill-from pointer's:
  an invoice no PO of its entity takes is told NO_BILL_FROM_MATCH from NO_ACTIVE_PO by the first few.
- invoice: PK ``ACCT#<acct>``, SK ``INV#<invoiceId>``; GSI1 ``ACCT#<acct>#INV`` (all), GSI2
  ``ACCT#<acct>#INV#<matchStatus>``, GSI3 ``ACCT#<acct>#POINV#<poId>`` (matched to that PO), each by creation.
- supplier number (one per invoice, written with it: duplicates are refused atomically): PK ``ACCT#<acct>``,
  SK ``SUPPLIERNO#<sha256 of entity, document type and supplier invoice number>``, holding the ``invoiceId``.
- invoice history entry: PK ``ACCT#<acct>#INVHIST#<invoiceId>``, SK ``<at>#<n>#<random>`` (its own trail).
- ledger entry (one per balance movement, immutable): the ``ledger`` map of the PO's audit entry for the movement.
- invoice upload (S3): PK ``ACCT#<acct>``, SK ``UPLOAD#<sha256 of key and version>``; GSI1/GSI2 by status, by arrival.
- notice (e-mail, at most one per key): PK ``ACCT#<acct>``, SK ``NOTICE#BALANCE_ALERT#<percent>#<poId>``,
  ``NOTICE#PO_EXPIRING#<expirationMonth>#<days>#<poId>`` or ``NOTICE#PO_EXPIRED#<expirationMonth>#<poId>``;
  it keeps the message rendered when it fell due, and ``sentAt`` once SES accepted it.
- AWS invoice import (one per account that ever enabled it): PK ``ACCT#<acct>``, SK ``AWSINVOICES``, holding
  ``importedThrough`` (how far the import got); while ``settings.awsInvoices.enabled``, also GSI1 ``AWSINVOICES`` /
  ``<acct>``: the accounts a daily run imports for, one Query (never a Scan).
- schedule (GSI4, keys only, sparse): ``SCHEDULE#<shard of acct>`` / ``<when>#<acct>#<SK>`` on what the
  scheduled job must look at from ``when`` on: each ACTIVE or SUSPENDED PO (its next expiry check),
  each notice not yet sent (the outbox), and the settings after a change of ``expiryNoticeDays``.
  A run reads only what is due: one Query per shard, ``GSI4SK < now``. The shards spread the writes of
  all accounts over a few partitions.

Keys end with the user-chosen id, so no two ids share a key. The audit trail has a partition of
its own per PO: a PO id may contain ``#``, so a prefix query on a shared partition could mix two
POs' entries; a whole partition cannot.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pom.domain.notices import Notice

SCHEDULE_SHARDS = 4
Key = dict[str, Any]


def account_pk(account_id: str) -> str:
    return f"ACCT#{account_id}"


def account_of(pk: str) -> str:
    """The account an item's ``PK`` (``account_pk``) names."""
    return pk.removeprefix("ACCT#")


def key(pk: str, sk: str) -> Key:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def po_key(account_id: str, po_id: str) -> Key:
    return key(account_pk(account_id), f"PO#{po_id}")


def po_balance_key(account_id: str, po_id: str) -> Key:
    return key(account_pk(account_id), f"POBAL#{po_id}")


def po_index_keys(account_id: str, po_id: str, status: str, updated_at: str) -> dict[str, str]:
    recency = f"{updated_at}#{po_id}"
    return {
        "GSI1PK": po_list_partition(account_id),
        "GSI1SK": recency,
        "GSI2PK": po_list_partition(account_id, status),
    }


def _list_partition(account_id: str, kind: str, status: str | None) -> str:
    """A list index's partition: all of an account's ``kind`` (GSI1), or those in ``status`` (GSI2)."""
    return f"ACCT#{account_id}#{kind}" + (f"#{status}" if status else "")


def po_list_partition(account_id: str, status: str | None = None) -> str:
    return _list_partition(account_id, "PO", status)


def history_pk(account_id: str, po_id: str) -> str:
    return f"ACCT#{account_id}#POHIST#{po_id}"


def pointer_pk(account_id: str, entity: str) -> str:
    return f"ACCT#{account_id}#BILLFROM#{entity}"


def in_effect_pk(account_id: str) -> str:
    return f"ACCT#{account_id}#ACTIVE"


def pointer_sk(expiration_month: str, po_id: str) -> str:
    return f"{expiration_month}#{po_id}"


def tag_pk(account_id: str, tag_key: str) -> str:
    return f"ACCT#{account_id}#TAG#{hashlib.sha256(tag_key.encode()).hexdigest()}"


def tag_value_prefix(tag_value: str) -> str:
    return hashlib.sha256(tag_value.encode()).hexdigest()[:16] + "#"


def tag_sk(tag_value: str, po_id: str) -> str:
    return tag_value_prefix(tag_value) + po_id


def settings_key(account_id: str) -> Key:
    return key(account_pk(account_id), "SETTINGS")


def invoice_key(account_id: str, invoice_id: str) -> Key:
    return key(account_pk(account_id), f"INV#{invoice_id}")


AWS_IMPORTS_PARTITION = "AWSINVOICES"  # GSI1: the accounts whose AWS invoices are imported


def aws_import_key(account_id: str) -> Key:
    return key(account_pk(account_id), "AWSINVOICES")


def supplier_number_key(account_id: str, identity: str) -> Key:
    return key(account_pk(account_id), f"SUPPLIERNO#{identity}")


def invoice_list_partition(account_id: str, match_status: str | None = None) -> str:
    return _list_partition(account_id, "INV", match_status)


def po_invoices_partition(account_id: str, po_id: str) -> str:
    return f"ACCT#{account_id}#POINV#{po_id}"


def invoice_history_pk(account_id: str, invoice_id: str) -> str:
    return f"ACCT#{account_id}#INVHIST#{invoice_id}"


def upload_sk(object_key: str, version: str) -> str:
    return "UPLOAD#" + hashlib.sha256(f"{object_key}#{version}".encode()).hexdigest()


def upload_list_partition(account_id: str, status: str | None = None) -> str:
    return _list_partition(account_id, "UPLOAD", status)


def notice_sk(notice: Notice) -> str:
    if notice.kind == "BALANCE_ALERT":
        return f"NOTICE#BALANCE_ALERT#{notice.threshold:03d}#{notice.po_id}"
    if notice.kind == "PO_EXPIRING":
        return f"NOTICE#PO_EXPIRING#{notice.expiration_month}#{notice.threshold:03d}#{notice.po_id}"
    return f"NOTICE#{notice.kind}#{notice.expiration_month}#{notice.po_id}"


def notice_key(notice: Notice) -> tuple[str, str]:
    return account_pk(notice.account_id), notice_sk(notice)


def schedule_keys(account_id: str, at: str, sk: str) -> dict[str, str]:
    shard = int(hashlib.sha256(account_id.encode()).hexdigest()[:8], 16) % SCHEDULE_SHARDS
    return {"GSI4PK": schedule_partition(shard), "GSI4SK": f"{at}#{account_id}#{sk}"}


def schedule_partition(shard: int) -> str:
    return f"SCHEDULE#{shard}"
