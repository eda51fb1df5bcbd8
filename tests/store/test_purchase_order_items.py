"""A PO is two items in DynamoDB, the PO and its balances (``pom.store.purchase_orders``): a read of
both agrees or is made again, and a PO stored as one item (before balances had their own) still reads."""

from __future__ import annotations

from decimal import Decimal

import boto3
import pytest

from pom.domain.ledger import LineItemMovement, apply
from pom.store import keys
from pom.store.dynamo import Table, from_item
from pom.store.ports import StaleWrite
from pom.store.purchase_orders import balance_item, po_item, read_purchase_orders
from pom.store.tables import dynamo_stores
from tests.store.builders import actor, created, new_po


def test_a_po_stored_as_one_item_reads_with_its_balances_and_gets_its_balances_item(own_table: str):
    po, _ = new_po("legacy")
    debited = apply(po, [LineItemMovement("1", Decimal("250.00"), None, 1)])
    boto3.client("dynamodb").put_item(TableName=own_table, Item=po_item(debited))  # as stored before
    stores = dynamo_stores(own_table)
    read = stores.purchase_orders.get("legacy", "PO-1")
    assert (read.lineItems[0].invoiced, read.lineItems[0].matchCount, read.rev) == (Decimal("250.00"), 1, debited.rev)
    stored = boto3.client("dynamodb").get_item(TableName=own_table, Key=keys.po_balance_key("legacy", "PO-1"))
    assert from_item(stored["Item"])["definitionRev"] == debited.rev
    assert [po.poId for po in stores.purchase_orders.in_effect("legacy", "2026-03", 10)] == ["PO-1"]


def test_items_written_between_two_reads_are_read_again_and_never_mixed(own_table: str):
    stores = dynamo_stores(own_table)
    po = created(stores, "torn")
    client = boto3.client("dynamodb")
    ahead = po.replace(rev=po.rev + 1)
    client.put_item(TableName=own_table, Item=balance_item(ahead, ahead.rev))  # the PO item not yet written
    with pytest.raises(StaleWrite):
        read_purchase_orders(Table(own_table), [("torn", "PO-1")])
    client.put_item(TableName=own_table, Item=po_item(ahead, actor("torn")))
    assert stores.purchase_orders.get("torn", "PO-1").rev == ahead.rev
